/*
 * The i386 register frame: what isr_32.S pushes (pusha, CR2) on top of
 * what the CPU pushes for a ring-0 exception (no SS:ESP: no privilege
 * change).  Included by arch/x86/trap.h only.
 */
#ifndef ARCH_X86_TRAPFRAME_32_H
#define ARCH_X86_TRAPFRAME_32_H

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

#endif
