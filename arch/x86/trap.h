/*
 * Interrupt and exception entry: the register frame the stubs in isr_32.S
 * build, and the handlers they reach.
 */
#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

struct trapframe {
	uint32_t cr2;				/* read first, by the stub */
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, err;
	uint32_t eip, cs, eflags;		/* pushed by the CPU */
};

/* The interrupted kernel context's stack pointer (no privilege change). */
static inline uint32_t tf_esp(const struct trapframe *tf)
{
	return (uint32_t)(uintptr_t)&tf->eflags + 4;
}

#define T_DIVIDE 0
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

void pic_init(void);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);
void pit_init(unsigned hz);
uint64_t pit_ticks(void);
/* Periodic work from the timer tick (the scavenger's paced pass). */
typedef void (*tick_fn)(void);
void pit_set_tick_hook(tick_fn fn);

#endif
