/*
 * Helpers for the cases that run on every CPU at once (tests/smp/test_smp.c
 * and test_smp_kva.c), in the kernel only.
 */
#ifndef TESTS_SMP_SMP_UTIL_H
#define TESTS_SMP_SMP_UTIL_H

#include "src/smp.h"

/*
 * Run fn(cpu) on every CPU, the boot CPU too, and wait for all: *go is
 * 0 while the others are handed fn and 1 once they all have it, so
 * workers that wait for it start together.
 */
static inline void on_every_cpu(void (*fn)(void *), volatile unsigned *go)
{
	*go = 0;
	for (unsigned c = 1; c < smp_ncpus(); c++)
		smp_call(c, fn, (void *)(uintptr_t)c);
	*go = 1;
	fn((void *)0);
	for (unsigned c = 1; c < smp_ncpus(); c++)
		smp_wait(c);
}

#endif
