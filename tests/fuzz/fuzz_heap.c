/*
 * libFuzzer harness: the fuzzer's bytes drive kmalloc, kzalloc, krealloc,
 * kfree, aligned allocation, scavenger passes and frame squeezes on the
 * host heap (arch/host: real faults over a PROT_NONE region).  A shadow
 * model checks every result: contents, non-overlap, alignment, zeroing,
 * ksize; kheap_check runs after every step, and every input ends with
 * everything freed and no frame missing.  Two operations turn the
 * magazines off and on and move to another cache ("CPU"), so the same
 * model checks the heap with and without them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/host/heap.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/magazine.h"

#define SLOTS 48

struct slot { uint8_t *p; size_t size; uint8_t fill; };

static struct slot slot[SLOTS];
static size_t squeezed;
static size_t baseline;

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allow_user_segv_handler=1:handle_segv=0:detect_leaks=0";
}

static size_t avail(void)
{
	struct frame_stats fs;

	frame_stats(&fs);
	return frame_available();
}

static size_t resident(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.by_state[PS_PRESENT];
}

static void die(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_heap: %s (slot %zu)\n", what, i);
	abort();
}

static void check_slot(size_t i)
{
	struct slot *s = &slot[i];

	for (size_t k = 0; k < s->size; k++)
		if (s->p[k] != s->fill)
			die("contents changed", i);
}

static void take(size_t i, uint8_t *p, size_t size, size_t align, bool zeroed)
{
	if (!p)
		return;
	if ((uintptr_t)p % align || ksize(p) < size)
		die("misaligned or short allocation", i);
	if (zeroed)
		for (size_t k = 0; k < size; k++)
			if (p[k])
				die("kzalloc memory not zero", i);
	for (size_t j = 0; j < SLOTS; j++)
		if (slot[j].p && j != i && (uintptr_t)p < (uintptr_t)slot[j].p + ksize(slot[j].p) &&
		    (uintptr_t)slot[j].p < (uintptr_t)p + ksize(p))
			die("allocations overlap", i);
	slot[i].p = p;
	slot[i].size = size;
	slot[i].fill = (uint8_t)(i * 37 + size);
	memset(p, slot[i].fill, size);
}

static void release(size_t i)
{
	if (!slot[i].p)
		return;
	check_slot(i);
	kfree(slot[i].p);
	slot[i].p = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	host_heap_init(1024, 1536, false);
	kheap_scavenge(SIZE_MAX);
	baseline = avail() + resident();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	for (size_t at = 0; at + 4 <= n; at += 4) {
		size_t i = d[at + 1] % SLOTS;
		size_t size = (size_t)d[at + 2] | (size_t)d[at + 3] << 8;

		if (d[at] & 0x80)
			size <<= (d[at] >> 4) & 7;	/* up to 8 MiB */
		switch (d[at] & 0x0F) {
		case 0: case 1: case 2:
			release(i);
			take(i, kmalloc(size), size ? size : 1, size > 8 ? 16 : 8, false);
			break;
		case 3:
			release(i);
			take(i, kzalloc(size), size ? size : 1, 8, true);
			break;
		case 4: {
			size_t align = (size_t)8 << (d[at + 2] % 14);

			release(i);
			take(i, kmalloc_aligned(size >> 8, align), (size >> 8) ? size >> 8 : 1, align, false);
			break;
		}
		case 5:
			if (slot[i].p) {
				uint8_t *q;
				size_t keep = MIN(size, slot[i].size);

				check_slot(i);
				q = krealloc(slot[i].p, size);
				if (q) {
					for (size_t k = 0; k < keep; k++)
						if (q[k] != slot[i].fill)
							die("krealloc lost data", i);
					slot[i].p = NULL;
					take(i, q, size ? size : 1, 8, false);
				} else {
					check_slot(i);	/* the old block is intact */
				}
			}
			break;
		case 6: case 7: case 8:
			release(i);
			break;
		case 9:
			kheap_scavenge(size);
			break;
		case 10:		/* squeeze: promise frames away from the heap */
			if (!squeezed) {
				size_t k = MIN(size, avail());

				if (frame_reserve((uint32_t)k))
					squeezed = k;
			}
			break;
		case 11:
			if (squeezed)
				frame_unreserve((uint32_t)squeezed);
			squeezed = 0;
			break;
		case 12:
			mag_set_enabled(!mag_enabled());
			break;
		case 13:
			cache_switch(size % MAG_NCACHES);
			break;
		default:
			if (slot[i].p)
				check_slot(i);
			break;
		}
		if (!kheap_check())
			die("kheap_check failed", i);
	}
	for (size_t i = 0; i < SLOTS; i++)
		release(i);
	if (squeezed)
		frame_unreserve((uint32_t)squeezed);
	squeezed = 0;
	mag_set_enabled(false);		/* every cache's magazines back */
	mag_set_enabled(true);
	cache_switch(0);
	kheap_scavenge(SIZE_MAX);
	if (avail() + resident() != baseline || !frame_audit())
		die("frames leaked", 0);
	return 0;
}
