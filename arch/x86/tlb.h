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

/* n CPUs online, CPU c at APIC id apic_ids[c]: the shootdown IPI goes to those only. */
void tlb_set_cpus(unsigned n, const uint8_t *apic_ids);
/* The debug switch: shootdowns do nothing (the test that shows they are needed). */
void tlb_disable(void);
void tlb_get_stats(struct tlb_stats *st);

#endif
