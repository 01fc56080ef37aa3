/*
 * The kernel's answers to mm/platform.h's cross-CPU hooks.
 * platform_spin_wait: a spinlock waiter's pause.
 */
#include "mm/platform.h"
#include "arch/x86/cpu.h"

void platform_spin_wait(void)
{
	__asm__ volatile("pause" ::: "memory");
}

void mmu_invalidate_local(uintptr_t va) { invlpg(va); }

static unsigned online = 1;

void tlb_set_cpus(unsigned n) { online = n; }
unsigned platform_cpus_online(void) { return online; }

void platform_tlb_shootdown(void) { }
