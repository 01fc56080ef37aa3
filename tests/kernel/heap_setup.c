#include "tests/ktest.h"
#include "mm/kheap.h"

/*
 * In the kernel the heap cases run on the live heap.  As on the host,
 * where each case's heap is new, a case starts with no sampled guarded
 * blocks (heapsample= would put one, at its rate, in place of the object
 * a case means to check); the guard cases set their own rate.
 */
void ktest_heap_setup(void) { kheap_set_sample(0); }
