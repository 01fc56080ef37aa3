/*
 * Per-CPU state on x86_64: each CPU's struct percpu, reached through the
 * GS base (MSR IA32_GS_BASE), so cpu_id() (arch/x86/cpu_id_64.h) is one
 * load from %gs:0; the FS base is the CPU's magazine cache (the hits'
 * segment, cpu_id_64.h).  Each CPU has its own GDT and TSS (arch/x86/tss_64.h's
 * layout; IST 1, #DF's stack, its own); all share one IDT of 256 gates,
 * the 48 of arch/x86/idt_64.c plus those set with percpu_set_gate (IPIs).
 *
 * Promises: percpu_init_boot runs once on the boot CPU right after
 * gdt_init and idt_init, before anything calls cpu_id(); it keeps the boot
 * CPU's GDT and TSS (gdt_64.c's).  percpu_enter runs first thing on each
 * application processor, on its own stack.  Nothing loads %gs or %fs
 * after either (a selector load would clear the base).
 * Context: boot, interrupts off.
 */
#ifndef ARCH_X86_PERCPU_64_H
#define ARCH_X86_PERCPU_64_H

#include <stdint.h>
#include "arch/x86/tss_64.h"
#include "mm/platform.h"	/* CPU_MAX */
#include "arch/x86/fault_entry.h"

struct percpu {
	unsigned id;			/* offset 0: cpu_id() reads it */
	unsigned fault_depth;		/* offset 4: arch/x86/fault_entry.h */
	void *cache;			/* offset 8: the CPU's magazine cache (cpu_id_64.h) */
	struct percpu *self;
	uint8_t apic_id;
	uintptr_t stack_top, df_stack_top;
	uint64_t gdt[GDT_SLOTS];
	struct tss tss;
};

_Static_assert(__builtin_offsetof(struct percpu, id) == 0, "cpu_id() reads %gs:0");
_Static_assert(__builtin_offsetof(struct percpu, fault_depth) == PERCPU_FAULT_DEPTH,
	       "the #PF stub reads the depth at %gs:PERCPU_FAULT_DEPTH");

_Static_assert(__builtin_offsetof(struct percpu, cache) == PERCPU_CACHE,
	       "cache_current() reads %gs:PERCPU_CACHE");

extern struct percpu percpu[CPU_MAX];

void percpu_init_boot(void);
/* On AP cpu: its GDT and TSS (IST 1 at df_stack_top), the GS base, the shared IDT. */
void percpu_enter(unsigned cpu);
/* Gate vec of the shared IDT: an interrupt gate to entry. */
void percpu_set_gate(unsigned vec, void (*entry)(void));

#endif
