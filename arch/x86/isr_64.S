/*
 * x86_64 exception and IRQ entry stubs.  Each pushes a dummy error code
 * when the CPU does not, then its vector, then jumps to trap_entry, which
 * saves the fifteen general registers and CR2 (before anything can fault
 * again) and calls trap_dispatch(struct trapframe *) with the stack
 * aligned to 16.  #PF (14), the one exception that is routine (demand
 * paging), first tries the heap's fast path (below), then builds the same
 * frame and calls page_fault directly.  #DF (8)
 * arrives on its own IST stack (gdt_64.c) and calls double_fault_report.
 * The frame is arch/x86/trapframe_64.h.
 */
#include "arch/x86/vectors.h"
#include "arch/x86/fault_entry.h"
#include "arch/x86/clobbered_64.h"

	/* Save the registers and CR2: struct trapframe, lowest field last. */
	.macro SAVE
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%cr2, %rax
	push	%rax
	.endm

	/* Call \fn(frame) on a 16-byte-aligned stack; RBX (saved) keeps the frame. */
	.macro CALL_WITH_FRAME fn
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	call	\fn
	mov	%rbx, %rsp
	.endm

	.text
	STUBS

	/*
	 * #PF.  A supervisor data access (no user, reserved-bit or fetch bit)
	 * outside the fault path goes first to kheap_fault_fast_write(cr2)
	 * or kheap_fault_fast_read(cr2), by the error code's W bit, with the
	 * depth set and the nine registers C may clobber saved: a
	 * common heap fault returns from there.  Anything else, and whatever
	 * it declines (it changed nothing then), takes the full path: the
	 * frame trap_entry builds, then page_fault itself, which finds the
	 * depth 0 again, or 1 for a fault inside the fault path
	 * (docs/faults.md).  The CPU aligned the stack to 16 before its
	 * six words; nine more and one spare keep it aligned for the call.
	 */
	.global isr14
isr14:
	testl	$PF_NOT_DEMAND, (%rsp)
	jnz	pf_full
	cmpl	$0, %gs:PERCPU_FAULT_DEPTH
	jne	pf_full
	movl	$1, %gs:PERCPU_FAULT_DEPTH
	PUSH_CLOBBERED
	sub	$8, %rsp
	mov	%cr2, %rdi
	testl	$PF_W, 80(%rsp)		/* the error code's W bit: which of the two */
	jz	1f
	call	kheap_fault_fast_write
	jmp	2f
1:	call	kheap_fault_fast_read
2:	add	$8, %rsp
	movl	$0, %gs:PERCPU_FAULT_DEPTH
	test	%al, %al
	POP_CLOBBERED
	jz	pf_full
	add	$8, %rsp		/* the error code */
	iretq
pf_full:
	push	$14
	SAVE
	CALL_WITH_FRAME page_fault
	jmp	trap_return

	/* #DF: the CPU pushed an error code (0); never returns. */
	.global isr8
isr8:
	push	$8
	SAVE
	CALL_WITH_FRAME double_fault_report
1:	cli
	hlt
	jmp	1b

trap_entry:
	SAVE
	CALL_WITH_FRAME trap_dispatch
trap_return:
	add	$8, %rsp		/* cr2 */
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq

	.macro TABLE_ENTRY n
	.quad isr\n
	.endm

	.section .rodata
	.align 8
	.global isr_table
isr_table:
	ISR_TABLE
