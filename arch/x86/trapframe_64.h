/*
 * The x86_64 register frame: what isr_64.S pushes (the fifteen general
 * registers, CR2) on top of what the CPU pushes, which in long mode is
 * always SS:RSP as well.  The registers the fault reports name (fault/
 * diag.c prints eip, eax, ... on both widths) answer to both names: rip
 * and eip are one field, as are rax and eax and so on; the report prints
 * the whole 64-bit value.  Included by arch/x86/trap.h only.
 */
#ifndef ARCH_X86_TRAPFRAME_64_H
#define ARCH_X86_TRAPFRAME_64_H

#include <stdint.h>

#define TF_REG(r64, r32) union { uint64_t r64, r32; }

struct trapframe {
	uint64_t cr2;				/* read first, by the stub */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	TF_REG(rdi, edi); TF_REG(rsi, esi); TF_REG(rbp, ebp);
	TF_REG(rbx, ebx); TF_REG(rdx, edx); TF_REG(rcx, ecx); TF_REG(rax, eax);
	uint64_t vector, err;
	TF_REG(rip, eip);			/* pushed by the CPU from here */
	uint64_t cs;
	TF_REG(rflags, eflags);
	uint64_t rsp, ss;
};

/* The interrupted context's stack pointer: the CPU saved it. */
static inline uint64_t tf_esp(const struct trapframe *tf) { return tf->rsp; }

#endif
