/*
 * TLB shootdown on i386 (arch/x86/tlb.c), behind mm/platform.h's
 * platform_tlb_shootdown; src/smp.c says how many CPUs run.
 */
#ifndef ARCH_X86_TLB_H
#define ARCH_X86_TLB_H

void tlb_set_cpus(unsigned n);

#endif
