/*
 * The heap's half of the page-fault path: declared in mm/kheap.h
 * (kheap_fault); this header only adds the counters kheap_stats reads.
 */
#ifndef MM_HEAPFAULT_H
#define MM_HEAPFAULT_H

#include "mm/platform.h"

void heapfault_counts(uint64_t *write_aow, uint64_t *read_aow, uint64_t *write_zero,
		      uint64_t *bad, uint64_t *oom);

#endif
