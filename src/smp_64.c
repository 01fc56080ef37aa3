/*
 * SMP on x86_64 (src/smp.h): not yet.  The application processors'
 * start-up (a real-mode trampoline, per-CPU GDTs and the %fs segment) is
 * i386's, src/smp_32.c; this kernel runs on its boot CPU alone, so
 * cpu_id() is 0 (arch/x86/cpu_id_64.h) and a TLB shootdown has no other
 * CPU to wait for (arch/x86/tlb.c: one online).  The same functions as
 * src/smp_32.c, each what one CPU makes of it.
 */
#include "src/smp.h"
#include "src/lib.h"

void smp_init_boot(void) { }

void smp_init(const struct boot_info *bi)
{
	(void)bi;
	kprintf("smp: application processors are not started on x86_64; one CPU");
}

unsigned smp_ncpus(void) { return 1; }

bool smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
	(void)cpu, (void)fn, (void)arg;
	return false;
}

void smp_wait(unsigned cpu) { (void)cpu; }

void smp_print_stats(void) { }
