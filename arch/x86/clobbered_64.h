/*
 * The registers the x86_64 System V ABI lets a called C function clobber
 * (rax, rcx, rdx, rsi, rdi, r8-r11): what an entry that calls C and
 * returns to the interrupted code must save around the call, when it
 * builds no trap frame.  Nine pushes: after the CPU's five-quadword
 * interrupt frame (on a 16-aligned stack) they leave %rsp 16-aligned
 * again, one less quadword if the CPU also pushed an error code.
 * Assembly only (isr_64.S's demand-fault path, ipi_64.S).
 */
#ifndef ARCH_X86_CLOBBERED_64_H
#define ARCH_X86_CLOBBERED_64_H
#ifdef __ASSEMBLER__

	.macro PUSH_CLOBBERED
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	.endm

	/* The reverse; it changes no flag, so a test before it still holds. */
	.macro POP_CLOBBERED
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	.endm

#endif
#endif
