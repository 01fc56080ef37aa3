/*
 * Per-CPU state on i386: each CPU's struct percpu, reached through the
 * base of its %fs segment, so cpu_id() (arch/x86/arch_glue.h) is one load
 * from %fs:0.  Each CPU has its own GDT: arch/x86/gdt_32.c's layout (null,
 * code 0x08, data 0x10, TSS 0x18, double-fault TSS 0x20) plus the per-CPU
 * segment 0x28 and the cache segment 0x30 (%gs, based at the CPU's
 * magazine cache once mag_init has named it; until then one byte long,
 * so that any use faults); all share one IDT of 256 gates, the 48 of arch/x86/idt.c
 * plus those set with percpu_set_gate (IPIs).
 *
 * Promises: percpu_init_boot runs once on the boot CPU right after
 * gdt_init and idt_init, before anything calls cpu_id(); it keeps the boot
 * CPU's TSSes (gdt.c's).  percpu_enter runs first thing on each
 * application processor, on its own stack.
 * Context: boot, interrupts off.
 */
#ifndef ARCH_X86_PERCPU_32_H
#define ARCH_X86_PERCPU_32_H

#include <stdint.h>
#include "arch/x86/tss_32.h"
#include "mm/platform.h"	/* CPU_MAX */
#include "arch/x86/fault_entry.h"

#define SEL_PERCPU	0x28
#define SEL_CACHE	0x30	/* %gs: based at the CPU's magazine cache (cpu_id_32.h) */
#define PERCPU_GDT	7

struct percpu {
	unsigned id;			/* offset 0: cpu_id() reads it */
	unsigned fault_depth;		/* offset 4: arch/x86/fault_entry.h */
	void *cache;			/* offset 8: the CPU's magazine cache (cpu_id_32.h) */
	struct percpu *self;
	uint8_t apic_id;
	uintptr_t stack_top, df_stack_top;
	uint64_t gdt[PERCPU_GDT];
	struct tss tss, df_tss;
};

_Static_assert(__builtin_offsetof(struct percpu, id) == 0, "cpu_id() reads %fs:0");
_Static_assert(__builtin_offsetof(struct percpu, fault_depth) == PERCPU_FAULT_DEPTH,
	       "the #PF stub reads the depth at %fs:PERCPU_FAULT_DEPTH");

_Static_assert(__builtin_offsetof(struct percpu, cache) == PERCPU_CACHE,
	       "cache_current() reads %fs:PERCPU_CACHE");

extern struct percpu percpu[CPU_MAX];

void percpu_init_boot(void);
/* On AP cpu: its GDT (with TSSes on df_stack_top), %fs, the shared IDT. */
void percpu_enter(unsigned cpu);
/* Gate vec of the shared IDT: an interrupt gate to entry. */
void percpu_set_gate(unsigned vec, void (*entry)(void));

#endif
