/*
 * The minimal port's program: sets the heap up as docs/porting.md's
 * "Setting up" says, then runs the heap through its API (kmalloc, kfree,
 * krealloc, kzalloc, misuse reports, the commit limit, the scavenger, the
 * trace) and ends with "N passed, N failed" (exit status 1 on a failure,
 * 2 on a panic).  Each check computes what it expects from the heap's
 * promises (mm/kheap.h, mm/scavenge.h), never from a recorded run.
 */
#include "tests/port/port.h"
#include "mm/kheap.h"
#include "mm/scavenge.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "mm/trace.h"

#define RAM_FRAMES 256		/* 1 MiB of "RAM" at 1 MiB: fewer frames than region pages */

static uint8_t frame_db[16384] __attribute__((aligned(16)));
static uint8_t meta[65536] __attribute__((aligned(16)));
static unsigned passed, failed;

__asm__(".globl _start\n_start:\n\txor %ebp, %ebp\n\tand $-16, %rsp\n"
	"\tcall port_main\n\tmov %eax, %edi\n\tcall port_exit\n");

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	port_write(line, (size_t)MIN(n, (int)sizeof(line) - 1));
}

static void check(bool ok, const char *name)
{
	out("%s %s\n", ok ? "ok" : "FAIL", name);
	if (ok)
		passed++;
	else
		failed++;
}

/* --- set-up: the duties docs/porting.md lists, in its order ---------- */

static void setup(void)
{
	struct phys_range ram = { 1u << 20, (1u << 20) + RAM_FRAMES * PAGE_SIZE, PR_RAM };
	struct scav_config sc = { .threshold_bytes = 64 * 1024, .bg_retain_pages = 16 };
	uintptr_t region = (uintptr_t)port_region;
	pfn_t max = frame_max_pfn(&ram, 1);

	if (frame_db_size(max) > sizeof(frame_db) || max > PORT_FRAMES_MAX ||
	    kheap_meta_size(PORT_PAGES) > sizeof(meta))
		panic("port: static arrays too small for %u frames, %u pages", RAM_FRAMES, PORT_PAGES);
	frame_init(frame_db, max, &ram, 1);
	pagestate_init(frame_alloc());		/* the zero frame: never mapped without faults */
	pagestate_watch(region, PORT_PAGES);
	vm_convert(region, PORT_PAGES, PS_AOW, PC_BOOT);
	kheap_init(region, PORT_PAGES, meta, false);
	scavenge_init(&sc);
	frame_set_pressure_hook(scavenge_on_pressure);
}

/* --- helpers ------------------------------------------------------------- */

static void fill(void *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7);
}

static bool holds(const void *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != v)
			return false;
	return true;
}

static bool in_region(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)port_region;

	return a >= b && a + n <= b + sizeof(port_region);
}

/* Pages holding a frame: live ones (PRESENT) and freed ones that kept theirs (KEPT). */
static size_t backed_pages(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.by_state[PS_PRESENT] + st.by_state[PS_KEPT];
}

/* Live allocations as callers hold them: objects in magazines are free. */
static size_t live_allocs(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.live_allocs;
}

static uint32_t free_frames(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return fs.free;
}

/* --- the cases ----------------------------------------------------------- */

static const size_t sizes[] = { 1, 8, 24, 100, 500, 2000, 5000, 16384, 20000, 70000 };
#define NSIZES ARRAY_SIZE(sizes)

static void case_sizes(void)
{
	void *p[NSIZES * 3];
	bool ok = true;

	for (size_t i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmalloc(sizes[i % NSIZES]);
		ok = ok && p[i] && in_region(p[i], sizes[i % NSIZES]) && ksize(p[i]) >= sizes[i % NSIZES];
		if (p[i])
			fill(p[i], sizes[i % NSIZES], (unsigned)i);
	}
	check(ok, "kmalloc_every_size_in_the_region");
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		ok = ok && holds(p[i], sizes[i % NSIZES], (unsigned)i);
	check(ok && kheap_check(), "contents_kept_and_heap_checks");
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		kfree(p[i]);
	check(live_allocs() == 0 && kheap_check(),
	      "kfree_all_leaves_nothing_live");
}

static void case_realloc(void)
{
	uint8_t *p = kmalloc(100), *q;
	bool ok;

	fill(p, 100, 3);
	q = krealloc(p, 30000);			/* small object to a page run: moves */
	ok = q && holds(q, 100, 3);
	fill(q, 30000, 4);
	p = krealloc(q, 50000);			/* grows the run, in place or not */
	ok = ok && p && holds(p, 30000, 4);
	q = krealloc(p, 40);			/* back to a slab */
	ok = ok && q && holds(q, 40, 4) && ksize(q) >= 40;
	check(ok && kheap_check(), "krealloc_keeps_contents_across_kinds");
	check(krealloc(q, (size_t)-1) == NULL && holds(q, 40, 4), "krealloc_refused_keeps_block");
	kfree(q);
	check(krealloc(NULL, 10) != NULL, "krealloc_null_is_kmalloc");
}

static void case_zero(void)
{
	size_t n = 8 * PAGE_SIZE;
	void *p = kmalloc(n);

	memset(p, 0xff, n);
	kfree(p);
	p = kzalloc(n);				/* the same dirty pages, most likely */
	check(p && all_bytes(p, n, 0), "kzalloc_zeroes_reused_pages");
	kfree(p);
	kheap_scavenge(SIZE_MAX);		/* released pages read POISON now */
	p = kzalloc(n);
	check(p && all_bytes(p, n, 0), "kzalloc_zeroes_released_pages");
	kfree(p);
}

static void case_misuse(void)
{
	uint8_t *p = kmalloc(64), *big = kmalloc(5 * PAGE_SIZE);
	size_t live = live_allocs();
	int local;
	unsigned before = port_misuses;

	kfree(p + 8);				/* inside an object */
	kfree(&local);				/* outside the heap */
	kfree(big + PAGE_SIZE);			/* a tail page of a run */
	kfree(p);
	kfree(p);				/* twice */
	check(port_misuses == before + 4, "each_misuse_reported_once");
	check(live_allocs() == live - 1 && kheap_check(), "misuse_leaves_heap_unchanged");
	kfree(big);
}

static void case_commit_limit(void)
{
	void *p[64];
	size_t n = 0, block = 16 * PAGE_SIZE;
	struct kheap_stats st;

	while (n < ARRAY_SIZE(p) && (p[n] = kmalloc(block)) != NULL)
		n++;
	kheap_stats(&st);
	/* RAM_FRAMES frames back fewer than 16 blocks of 16 pages; the region holds 32. */
	check(n > 0 && n < RAM_FRAMES / 16 && st.null_returns > 0, "kmalloc_refuses_past_the_frames");
	check(kheap_check() && frame_audit(), "heap_and_frames_check_at_the_limit");
	while (n)
		kfree(p[--n]);
}

static void case_scavenge(void)
{
	uint8_t *keep = kmalloc(PAGE_SIZE * 2), *gone = kmalloc(PAGE_SIZE * 8);
	size_t resident, released;
	uint32_t frames;

	fill(keep, PAGE_SIZE * 2, 9);
	fill(gone, PAGE_SIZE * 8, 10);
	kfree(gone);
	resident = backed_pages();
	frames = free_frames();
	released = kheap_scavenge(SIZE_MAX);
	check(released >= 8 && backed_pages() == resident - released, "scavenge_releases_free_pages");
	check(free_frames() == frames + released, "released_frames_are_free");
	check(all_bytes(gone, PAGE_SIZE * 8, POISON), "released_pages_reached_the_platform");
	check(holds(keep, PAGE_SIZE * 2, 9) && kheap_check(), "live_data_survives_a_pass");
	kfree(keep);
}

static void case_trace(void)
{
	uint32_t mask;
	char bad[16];
	unsigned before = port_trace_lines;
	void *p;

	check(trace_parse("pages,heap", &mask, bad, sizeof(bad)), "trace_parse_accepts_categories");
	trace_start(mask, (uintptr_t)port_region, PORT_PAGES);
	p = kmalloc(5 * PAGE_SIZE);
	kfree(p);
	trace_start(0, 0, 0);
	/* The header, the alloc, the free, and the pages committed. */
	check(port_trace_lines >= before + 4, "trace_lines_reach_trace_out");
}

int port_main(void)
{
	setup();
	check(kheap_check() && frame_audit(), "fresh_heap_checks");
	case_sizes();
	case_realloc();
	case_zero();
	case_misuse();
	case_commit_limit();
	case_scavenge();
	case_trace();
	kheap_scavenge(SIZE_MAX);
	/* The four misuse reports, two error lines each (mm/heapreport.h), and nothing else. */
	check(kheap_check() && frame_audit() && port_errors == 4 * 2,
	      "heap_and_frames_check_at_the_end");
	out("%u passed, %u failed\n", passed, failed);
	return failed != 0;
}
