/*
 * Helpers shared by the heap cases and the benchmarks (src/bench.c).
 */
#include "tests/mm/heap_util.h"

/*
 * Free and reallocate 32 KiB in a loop below the low mark, while another
 * frame user allocates between the free and the next kmalloc (so each
 * cycle meets pressure); returns the heap's write faults.
 */
uint64_t churn_refaults(size_t threshold, int cycles)
{
	struct scav_config cfg, saved;
	struct kheap_stats s0, s1;
	struct frame_stats fs;
	size_t squeeze;

	scavenge_get_config(&saved);
	cfg = saved;
	cfg.threshold_bytes = threshold;
	scavenge_set_config(&cfg);
	kheap_scavenge(SIZE_MAX);
	frame_stats(&fs);
	squeeze = frames_available() - (fs.low - 1);
	frame_reserve((uint32_t)squeeze);
	kheap_stats(&s0);
	for (int i = 0; i < cycles; i++) {
		void *p = kmalloc(32 * 1024);
		pfn_t f;

		if (p)
			memset(p, i, 32 * 1024);
		kfree(p);
		f = frame_alloc();		/* another frame user, under pressure */
		if (f != PFN_NONE)
			frame_free(f);
	}
	kheap_stats(&s1);
	frame_unreserve((uint32_t)squeeze);
	scavenge_set_config(&saved);
	return s1.faults_write_aow + s1.faults_write_zero - s0.faults_write_aow - s0.faults_write_zero;
}

