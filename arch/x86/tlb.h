/*
 * TLB shootdown (arch/x86/tlb.c), behind mm/platform.h's
 * platform_tlb_shootdown.  src/smp.c says how many CPUs run (CPUs 0..n-1
 * answer) and sets the debug switch.
 */
#ifndef ARCH_X86_TLB_H
#define ARCH_X86_TLB_H

#include <stdint.h>

struct tlb_stats {
	uint64_t shootdowns;	/* rounds that waited for the other CPUs */
	uint64_t cycles;	/* rdtsc spent in them, the initiators' */
};

void tlb_set_cpus(unsigned n);
/* The debug switch: shootdowns do nothing (the test that shows they are needed). */
void tlb_disable(void);
void tlb_get_stats(struct tlb_stats *st);

#endif
