/*
 * The demonstration `make run` boots: the heap's life in five steps, with
 * the figures after each, so a reader sees pages go AOW -> ZERO/PRESENT
 * -> AOW again and frames come and go.
 */
#include "src/demo.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/cmdline.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/trace.h"

#define N 600

static void *obj[N];

static void figures(const char *step)
{
	struct kheap_stats st;
	struct frame_stats fs;

	kheap_stats(&st);
	frame_stats(&fs);
	kprintf("demo: %-34s resident %5zu pages (ZERO %4zu), live %7zu bytes in %4zu allocations, "
		"free-but-resident %5zu, frames free %u",
		step, st.by_state[PS_PRESENT] + st.by_state[PS_KEPT], st.by_state[PS_ZERO], st.live_bytes,
		st.live_allocs, st.free_resident, (unsigned)fs.free);
}

/*
 * With slabinfo: the heap as it stands after the pass, and three objects
 * to look up (scripts/gdb/kheap.py's kheap-find and kheap-page are tested
 * against these lines): a live small one, a live large one, a freed one.
 */
static void show_live(void)
{
	kheap_print_stats();
	kheap_print_slabinfo();
	if (kopts.heapleaks)
		kheap_print_leaks();	/* the live objects, by site (tests/gdb/run) */
	kprintf("demo:   obj[5] at %p, live, %zu bytes", obj[5], ksize(obj[5]));
	kprintf("demo:   obj[10] at %p, live, %zu bytes", obj[10], ksize(obj[10]));
	kprintf("demo:   obj[6] at %p, freed", obj[6]);
}

void demo_run(void)
{
	uint32_t seed = 2015;
	size_t released, sum = 0;
	uint8_t *big;

	figures("boot: region reserved, all AOW");
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245 + 12345;
		obj[i] = kmalloc(i % 10 == 0 ? 8192 + seed % 16384 : 16 + seed % 1000);
		if (obj[i])
			memset(obj[i], i, ksize(obj[i]));
	}
	figures("1. 600 allocations written");
	big = kmalloc(256 * 1024);
	for (size_t i = 0; big && i < 256 * 1024; i += 4096)
		sum += big[i];
	figures("2. 256 KiB read, never written");
	kprintf("demo:   (reads of untouched memory map the one zero frame: sum %zu)", sum);
	kfree(big);
	for (int i = 0; i < N; i++)
		if (i % 5)
			kfree(obj[i]);
	figures("3. four in five freed");
	kheap_trace_snapshot("request");		/* a starting point for checking the rest */
	released = kheap_scavenge(SIZE_MAX);
	kprintf("demo:   scavenger pass released %zu pages", released);
	figures("4. after a scavenger pass");
	if (kopts.slabinfo)
		show_live();
	for (int i = 0; i < N; i++)
		if (i % 5 == 0)
			kfree(obj[i]);
	kheap_scavenge(SIZE_MAX);
	figures("5. everything freed and scavenged");
	kheap_print_stats();
	scavenge_print_stats();
	kprintf("demo: heap check %s, frame audit %s", kheap_check() ? "passed" : "FAILED",
		frame_audit() ? "passed" : "FAILED");
}
