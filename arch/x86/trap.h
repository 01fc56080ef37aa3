/*
 * Interrupt and exception entry: the register frame the stubs in isr_32.S
 * or isr_64.S build (struct trapframe, arch/x86/trapframe_32.h or _64.h),
 * and the handlers they reach.
 */
#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

#ifdef CONFIG_X86_64
#include "arch/x86/trapframe_64.h"
#else
#include "arch/x86/trapframe_32.h"
#endif

#define T_DIVIDE 0
#define T_DEBUG  1
#define T_DOUBLE 8
#define T_GPF    13
#define T_PAGE   14
#define IRQ_BASE 32

void idt_init(void);
void gdt_init(void);
void trap_dispatch(struct trapframe *tf);
const char *trap_name(unsigned vector);

/* IRQ handlers (vectors 32-47); the PIC is acknowledged by the caller. */
typedef void (*irq_handler_fn)(struct trapframe *tf);
void irq_set_handler(unsigned irq, irq_handler_fn fn);
/* #DB (single step, breakpoints) to fn instead of the fatal report; NULL: fatal again (the tests). */
void trap_set_debug_hook(irq_handler_fn fn);

void pic_init(void);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
void pit_init(unsigned hz);
uint64_t pit_ticks(void);
/* Periodic work from the timer tick (the scavenger's paced pass). */
typedef void (*tick_fn)(void);
void pit_set_tick_hook(tick_fn fn);

#endif
