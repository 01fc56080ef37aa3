/*
 * Interrupt-flag save/restore: the kernel's only mutual exclusion, since
 * it runs on one CPU.  A section between irq_save and irq_restore cannot
 * be interrupted, though it can take a synchronous page fault.
 */
#ifndef ARCH_X86_IRQ_H
#define ARCH_X86_IRQ_H

#include <stdbool.h>
#include "arch/x86/cpu.h"

static inline unsigned long irq_save(void)
{
	unsigned long f = read_eflags();
	cli();
	return f;
}

static inline void irq_restore(unsigned long flags)
{
	if (flags & EFLAGS_IF)
		sti();
}

static inline bool irqs_enabled(void) { return read_eflags() & EFLAGS_IF; }

#endif
