/*
 * SMP bring-up, both widths (src/smp.c): the processors ACPI lists
 * (src/acpi.h), started with INIT-SIPI-SIPI through the width's trampoline
 * (arch/x86/trampoline_32.S to protected mode, trampoline_64.S on to long
 * mode; its page tables src/smp_32.c or smp_64.c), each on its own stack
 * with a guard page below (src/kstack.h) and its own GDT, TSS and per-CPU
 * data (arch/x86/percpu.h: the %fs segment on i386, the GS base on
 * x86_64).
 *
 * Promises: smp_init starts at most smp=N CPUs in all (default: all ACPI
 * lists), logs each with its number and APIC id, and reports a CPU that
 * does not start (parked again with INIT), going on with the others.
 * Without ACPI tables, a usable MADT or a local APIC it says why and runs
 * on the boot CPU alone.  CPU numbers are dense: 0 is the boot CPU, then
 * 1..smp_ncpus()-1 as they came up.
 *
 * An application processor idles in hlt; smp_call runs a function on it
 * (woken by an IPI) and smp_wait waits for it to return.
 * Context: smp_init once on the boot CPU, after the heap and the local
 * APIC mapping (boot_heap_init) and with interrupts on (its timeouts count
 * PIT ticks).  smp_call/smp_wait from the boot CPU.
 */
#ifndef SRC_SMP_H
#define SRC_SMP_H

#include "src/multiboot2.h"

/* The boot CPU's per-CPU data, right after gdt_init and idt_init, before anything calls cpu_id(). */
void smp_init_boot(void);
void smp_init(const struct boot_info *bi);
unsigned smp_ncpus(void);
/* Run fn(arg) on CPU cpu (>0, idle); false if there is no such CPU online. */
bool smp_call(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait until cpu's smp_call function has returned. */
void smp_wait(unsigned cpu);
/* The TLB shootdown figures (a `tlb:` line) and the heap lock's waits, with more than one CPU. */
void smp_print_stats(void);

#endif
