/*
 * libFuzzer harness: the fuzzer's bytes drive kmalloc, kzalloc, kcalloc,
 * krealloc, kfree, aligned allocation, scavenger passes and frame
 * squeezes on the host heap (arch/host: real faults over a PROT_NONE
 * region), with sizes at the edges too: near SIZE_MAX, near the region's
 * size, powers of two and one off them, slab classes and pages one off.
 *
 * A shadow model (the slots: block, size written, usable size, fill byte;
 * their sums; the NULL returns expected) checks every result, cheapest
 * first:
 *  - every step, what the step changed: the block it made (alignment,
 *    usable size, its page descriptors or slab object, the pages it
 *    wrote PRESENT, its contents), the block it freed (pages FREE, object
 *    no longer live), live bytes and allocations against the model's
 *    sums, frames conserved (free + PRESENT is constant);
 *  - a call that fails changes nothing (live figures, the realloc'd
 *    block and its contents) and counts one NULL return; a size past the
 *    region must fail;
 *  - every CHECK_EVERY steps and at the end of each input, everything:
 *    kheap_check, every block's contents, frame reservations accounted
 *    (the heap's plus the squeeze);
 *  - at the end of each input: everything freed, kheap_stats against the
 *    model (live bytes, allocations, NULL returns), a full scavenger
 *    pass, no frame missing, frame_audit.
 * The large blocks' contents are their first and last SPAN bytes (see
 * spans_of); the harness prints how many steps it ran at exit, and every
 * PROGRESS steps on the way.
 *
 * Input: 4 bytes a step, [op, slot, lo, hi]; v = lo | hi << 8.  op & 15
 * is the call (table at fuzz_step); op >> 4 the size: 0-6 v, 7 an edge
 * size chosen by v (edge_size), 8-15 v << (op >> 4 & 7), up to 8 MiB.
 * FUZZ_CHECK_EVERY=N in the environment sets how often the full check
 * runs (1: after every step).  Two operations turn the magazines off and
 * on and move to another cache ("CPU"), so the same model checks the heap
 * with and without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/host/heap.h"
#include "src/lib.h"		/* hide_addr */
#include "mm/kheap.h"
#include "mm/heap_int.h"		/* white-box: descriptors, slabs, magazines */
#include "mm/magazine_int.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/magazine.h"

#define SLOTS 48
#define REGION_PAGES 512		/* 2 MiB: small, so a full check is cheap */
#define CHECK_EVERY 64
#define SPAN 64
#define PROGRESS 10000000ull		/* a line every so many operations */
/* The model's checks: not what the fuzzer should steer by, nor pay tracing for. */
#define CHECKER __attribute__((no_sanitize("coverage")))

struct slot { uint8_t *p; size_t size, usable; uint8_t fill; bool large; };

static struct slot slot[SLOTS];
static struct { size_t bytes, allocs; uint64_t nulls; } model;
static size_t squeezed, baseline, frames_held, check_every = CHECK_EVERY;
static unsigned long long steps, inputs, full_checks;

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=1:handle_segv=0:detect_leaks=0";
}

static void die(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_heap: %s (slot %zu)\n", what, i);
	abort();
}

/* --- figures the checks read ----------------------------------------- */

/* Pages holding a frame of the heap's own: PRESENT, and KEPT (freed, frame kept). */
CHECKER static size_t present(void)
{
	size_t n[PS_COUNT];

	pagestate_counts(n);
	return n[PS_PRESENT] + n[PS_KEPT];
}

CHECKER static size_t avail(void)
{
	return frame_available();
}

/* Frames free or held in PRESENT heap pages: constant while the heap runs. */
CHECKER static size_t frames_in_play(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return fs.free + present();
}

/* --- contents -------------------------------------------------------- */

/*
 * The bytes of an n-byte block that the model writes and checks: all of
 * a small block, the first and last SPAN bytes of a larger one (a byte
 * in every page would spend the fuzzer's time in page faults).  Returns
 * how many spans; off[] their starts, *len their length.
 */
CHECKER static unsigned spans_of(size_t n, size_t off[2], size_t *len)
{
	off[0] = 0;
	*len = MIN(n, SPAN);
	if (n <= SPAN)
		return 1;
	off[1] = n - SPAN;
	return 2;
}

/* Are all n bytes at p equal to c?  (memcmp: the fuzzer's loops are slow.) */
CHECKER static bool all_are(const uint8_t *p, size_t n, uint8_t c)
{
	return !n || (p[0] == c && !memcmp(p, p + 1, n - 1));
}

CHECKER static void fill(uint8_t *p, size_t n, uint8_t c)
{
	size_t off[2], len;

	for (unsigned k = spans_of(n, off, &len); k--;)
		memset(p + off[k], c, len);
}

/* Do the spans of an n-byte block hold c, up to byte limit? */
CHECKER static bool holds(const uint8_t *p, size_t n, size_t limit, uint8_t c)
{
	size_t off[2], len;

	for (unsigned k = spans_of(n, off, &len); k--;)
		if (off[k] < limit && !all_are(p + off[k], MIN(len, limit - off[k]), c))
			return false;
	return true;
}

CHECKER static void check_contents(size_t i)
{
	if (slot[i].p && !holds(slot[i].p, slot[i].size, slot[i].size, slot[i].fill))
		die("contents changed", i);
}

/* --- one block's own metadata ---------------------------------------- */

CHECKER static struct pgdesc *desc_of(const void *p)
{
	uint32_t pg = pagerun_index((uintptr_t)p);

	return pg == PG_NONE ? NULL : pagerun_desc(pg);
}

/* The pages the model wrote in slot i's block are PRESENT. */
CHECKER static void check_pages_written(size_t i)
{
	size_t off[2], len;

	for (unsigned k = spans_of(slot[i].size, off, &len); k--;)
		if (mmu_state((uintptr_t)slot[i].p + off[k]) != PS_PRESENT ||
		    mmu_state((uintptr_t)slot[i].p + off[k] + len - 1) != PS_PRESENT)
			die("a written page of the block is not PRESENT", i);
}

CHECKER static void check_large(size_t i, struct pgdesc *d)
{
	uint32_t pg = pagerun_index((uintptr_t)slot[i].p), n = d->npages;

	if (d->kind != PK_LARGE || (uintptr_t)slot[i].p % PAGE_SIZE ||
	    (size_t)n * PAGE_SIZE != slot[i].usable || pg + n > heap.npg)
		die("large block's head descriptor is wrong", i);
	for (uint32_t j = 1; j < n; j++)
		if (pagerun_desc(pg + j)->kind != PK_LARGE_TAIL)
			die("large block's page is not LARGE_TAIL", i);
	if (pg + n < heap.npg && pagerun_desc(pg + n)->kind == PK_LARGE_TAIL)
		die("a LARGE_TAIL page after the large block's end", i);
}

/* p's class when it is a live object to its slab (cached or not), else SLAB_NONE. */
CHECKER static unsigned small_class(const void *p)
{
	struct pgdesc *d = desc_of(p);

	if (!d || d->kind != PK_SLAB || slab_check_ptr(d->u.slab, (uintptr_t)p) != SLAB_LIVE)
		return SLAB_NONE;
	return d->cls;
}

/* Is p, freed, held in a magazine (where its slab still counts it live)? */
CHECKER static bool in_magazine(const void *p, unsigned cls)
{
	unsigned long f = heap_lock();
	bool held = mag_holds(p, cls);

	heap_unlock(f);
	return held;
}

/* Objects and bytes the magazines hold: live to the heap's counters, free to the model. */
CHECKER static void cached(size_t *objs, size_t *bytes)
{
	unsigned long f = heap_lock();

	mag_count(objs, bytes);
	heap_unlock(f);
}

CHECKER static void check_small(size_t i, struct pgdesc *d)
{
	unsigned c = small_class(slot[i].p);

	if (d->kind != PK_SLAB || c == SLAB_NONE || slab_class_size(c) != slot[i].usable)
		die("small block is not a live object of its class", i);
}

/* What slot i's block says about itself agrees with the model. */
CHECKER static void check_block(size_t i)
{
	struct pgdesc *d = desc_of(slot[i].p);

	if (!d)
		die("block outside the heap", i);
	if (slot[i].large)
		check_large(i, d);
	else
		check_small(i, d);
	check_pages_written(i);
}

/* After a free: [p, p + usable) holds no live block of its own any more. */
CHECKER static void check_freed(const void *p, size_t usable, bool large, size_t i)
{
	uint32_t pg = pagerun_index((uintptr_t)p);

	if (!large) {
		unsigned c = small_class(p);

		if (c != SLAB_NONE && !in_magazine(p, c))
			die("freed object still live, and in no magazine", i);
		return;
	}
	for (size_t j = 0; j < usable / PAGE_SIZE; j++)
		if (pagerun_desc(pg + (uint32_t)j)->kind != PK_FREE)
			die("a page of a freed run is not FREE", i);
}

/* --- figures against the model --------------------------------------- */

CHECKER static size_t heap_reserved(void)
{
	return heap.reserved;
}

CHECKER static void check_figures(size_t i)
{
	struct frame_stats fs;
	size_t objs, bytes;

	cached(&objs, &bytes);
	if (kheap_live_bytes() - bytes != model.bytes || kheap_live_allocs() - objs != model.allocs)
		die("live bytes or allocations disagree with the model", i);
	frame_stats(&fs);
	if (fs.free + present() != frames_held)
		die("a frame went missing (free + PRESENT + KEPT changed)", i);
}

/* The full check: every invariant of the heap, every block's contents. */
CHECKER static void check_all(void)
{
	struct frame_stats fs;

	full_checks++;
	if (!kheap_check())
		die("kheap_check failed", 0);
	frame_stats(&fs);
	if (fs.reserved != heap_reserved() + squeezed)
		die("frame reservations != the heap's + the squeeze", 0);
	for (size_t i = 0; i < SLOTS; i++)
		check_contents(i);
}

/* The heap's own figures against the model (a page walk: at input ends). */
CHECKER static void check_stats(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	if (st.live_bytes != model.bytes || st.live_allocs != model.allocs)
		die("kheap_stats live figures disagree with the model", 0);
	if (st.null_returns != model.nulls)
		die("NULL returns counted != NULLs returned", 0);
}

/* --- the model's updates --------------------------------------------- */

CHECKER static bool overlaps_another(size_t i, uintptr_t a, size_t n)
{
	for (size_t j = 0; j < SLOTS; j++)
		if (slot[j].p && j != i && a < (uintptr_t)slot[j].p + slot[j].usable &&
		    (uintptr_t)slot[j].p < a + n)
			return true;
	return false;
}

/* A call returned NULL: one more NULL return; fuzz_step checks nothing changed. */
static void refused(void)
{
	model.nulls++;
}

/* Slot i (empty) takes block p of size bytes, which must be align-aligned. */
static void take(size_t i, uint8_t *p, size_t size, size_t align, bool zeroed)
{
	size_t usable = ksize(p);
	struct pgdesc *d = desc_of(p);

	if (!d)
		die("block outside the heap", i);
	if ((uintptr_t)p % align || usable < size)
		die("misaligned or short allocation", i);
	if (zeroed && !holds(p, size, size, 0))
		die("kzalloc/kcalloc memory not zero", i);
	if (overlaps_another(i, (uintptr_t)p, usable))
		die("allocations overlap", i);
	slot[i] = (struct slot){ p, size, usable, (uint8_t)(i * 37 + size), d->kind == PK_LARGE };
	model.bytes += usable;
	model.allocs++;
	fill(p, size, slot[i].fill);
	check_block(i);
}

/* The result of an allocating call for slot i (empty). */
static void result(size_t i, uint8_t *p, size_t size, size_t align, bool zeroed)
{
	if (!size)
		size = 1;
	if (p && size > kheap_max_size())
		die("granted more than the region holds", i);
	if (p)
		take(i, p, size, align, zeroed);
	else
		refused();
}

static void forget(size_t i)
{
	model.bytes -= slot[i].usable;
	model.allocs--;
	slot[i].p = NULL;
}

static void release(size_t i)
{
	struct slot s = slot[i];

	if (!s.p)
		return;
	check_contents(i);
	kfree(s.p);
	forget(i);
	check_freed((const void *)hide_addr((uintptr_t)s.p), s.usable, s.large, i);	/* looked up, not read */
}

/* --- sizes ----------------------------------------------------------- */

static const size_t factors[] = { 1, 2, 3, 16, PAGE_SIZE, SIZE_MAX / 2 + 1 };

/*
 * An edge size from v: k = v >> 2 picks within a family, v & 3 the
 * family: SIZE_MAX - k (k < 16384: the top four pages), the region's size
 * - 8192 + k, 2^b - 1, 2^b or 2^b + 1, a slab class or a page multiple
 * one below, at or one above.
 */
static size_t edge_size(unsigned v)
{
	size_t k = v >> 2, bits = sizeof(size_t) * 8;

	switch (v & 3) {
	case 0:
		return SIZE_MAX - k;
	case 1:
		return kheap_max_size() - 2 * PAGE_SIZE + k;
	case 2:
		return ((size_t)1 << (k % bits)) + (k / bits) % 3 - 1;
	default:
		k /= 2;
		if (v & 4)
			return slab_class_size((unsigned)(k % SLAB_CLASSES)) + (k / SLAB_CLASSES) % 3 - 1;
		return (k % 1100 + 1) * PAGE_SIZE + (k / 1100) % 3 - 1;
	}
}

static size_t size_of(uint8_t op, unsigned v)
{
	unsigned mode = op >> 4;

	if (mode == 7)
		return edge_size(v);
	return mode & 8 ? (size_t)v << (mode & 7) : v;
}

/* --- the calls ------------------------------------------------------- */

static void do_realloc(size_t i, size_t size)
{
	struct slot s = slot[i];
	uint8_t *q;

	if (!s.p)
		return;
	check_contents(i);
	q = krealloc(s.p, size);
	if (!q) {
		refused();
		check_block(i);
		check_contents(i);		/* the old block is intact */
		return;
	}
	if (!holds(q, s.size, size, s.fill))
		die("krealloc lost data", i);
	forget(i);
	if (q != s.p)
		check_freed(s.p, s.usable, s.large, i);
	result(i, q, size, size > 8 ? 16 : 8, false);
	if (q == s.p && s.large && s.usable > slot[i].usable)
		check_freed(q + slot[i].usable, s.usable - slot[i].usable, true, i);
}

static void do_calloc(size_t i, size_t n, size_t m)
{
	size_t total;
	bool over = __builtin_mul_overflow(n, m, &total);
	uint8_t *p = kcalloc(n, m);

	if (over && p)
		die("kcalloc granted an overflowing product", i);
	result(i, p, over ? SIZE_MAX : total, total > 8 ? 16 : 8, true);
}

static void squeeze(size_t size)
{
	size_t k = MIN(size, avail());

	if (!squeezed && frame_reserve((uint32_t)k))
		squeezed = k;
}

static void unsqueeze(void)
{
	if (squeezed)
		frame_unreserve((uint32_t)squeezed);
	squeezed = 0;
}

static void fuzz_step(const uint8_t *d)
{
	size_t i = d[1] % SLOTS, size = size_of(d[0], d[2] | (unsigned)d[3] << 8);
	bool edge = d[0] >> 4 == 7;

	switch (d[0] & 0x0F) {
	case 0: case 1: case 2:
		release(i);
		result(i, kmalloc(size), size, size > 8 ? 16 : 8, false);
		break;
	case 3:
		release(i);
		result(i, kzalloc(size), size, 8, true);
		break;
	case 4: {
		size_t align = (size_t)8 << (d[2] % 14), n = edge ? size : size >> 8;

		release(i);
		result(i, kmalloc_aligned(n, align), n, align, false);
		break;
	}
	case 5:
		do_realloc(i, size);
		break;
	case 6: case 7: case 8:
		release(i);
		break;
	case 9:
		kheap_scavenge(size);
		break;
	case 10:		/* squeeze: promise frames away from the heap */
		squeeze(size);
		break;
	case 11:
		unsqueeze();
		break;
	case 12:
		release(i);
		do_calloc(i, size, factors[d[1] / SLOTS % ARRAY_SIZE(factors)]);
		break;
	case 13:		/* the magazines off (every cache's objects back) or on */
		mag_set_enabled(!mag_enabled());
		break;
	case 14:		/* another cache: another CPU in the kernel */
		cache_switch(size % MAG_NCACHES);
		break;
	default:
		check_contents(i);
		break;
	}
	check_figures(i);
}

static void report(void)
{
	fprintf(stderr, "fuzz_heap: %llu operations in %llu inputs, %llu full checks, all clean\n",
		steps, inputs, full_checks);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kheap_stats st;
	const char *every = getenv("FUZZ_CHECK_EVERY");

	(void)argc;
	(void)argv;
	if (every && atoi(every) > 0)
		check_every = (size_t)atoi(every);
	host_heap_init(REGION_PAGES, REGION_PAGES * 3 / 2, false);	/* frames to spare */
	kheap_scavenge(SIZE_MAX);
	baseline = avail() + present();
	frames_held = frames_in_play();
	kheap_stats(&st);
	model.nulls = st.null_returns;
	atexit(report);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	for (size_t at = 0, k = 1; at + 4 <= n; at += 4, k++) {
		fuzz_step(d + at);
		if (k % check_every == 0)
			check_all();
	}
	if ((steps + n / 4) / PROGRESS != steps / PROGRESS)
		fprintf(stderr, "fuzz_heap: %llu operations clean so far\n", steps + n / 4);
	steps += n / 4;
	inputs++;
	for (size_t i = 0; i < SLOTS; i++)
		release(i);
	unsqueeze();
	mag_set_enabled(false);		/* every cache's magazines back */
	mag_set_enabled(true);
	cache_switch(0);
	check_figures(0);
	check_all();
	check_stats();
	kheap_scavenge(SIZE_MAX);
	if (avail() + present() != baseline || !frame_audit())
		die("frames leaked", 0);
	return 0;
}
