/*
 * Exception and IRQ entry stubs.  Each pushes a dummy error code when the
 * CPU does not, then its vector, then jumps to trap_entry, which saves the
 * registers and CR2 (before anything can fault again) and calls
 * trap_dispatch(struct trapframe *).  #PF (14), the one exception that
 * is routine (demand paging), first tries the heap's fast path (below),
 * then builds the same frame and calls page_fault directly.  #DF (8)
 * arrives through a task gate instead: see double_fault_task in gdt_32.c.
 */
#include "arch/x86/vectors.h"
#include "arch/x86/fault_entry.h"

	.text
	STUBS
	STUB 8, 1		/* unused: #DF is a task gate (gdt_32.c) */

	/*
	 * #PF.  A supervisor data access (no user, reserved-bit or fetch bit)
	 * outside the fault path goes first to kheap_fault_fast_write(cr2) or
	 * kheap_fault_fast_read(cr2),
	 * with the depth set and the registers C may clobber saved: a common
	 * heap fault returns from there.  Anything else, and whatever it
	 * declines (it changed nothing then), takes the full path: the frame
	 * trap_entry builds, then page_fault itself, which finds the depth 0
	 * again, or 1 for a fault inside the fault path (docs/faults.md).
	 */
	.global isr14
isr14:
	testl	$PF_NOT_DEMAND, (%esp)
	jnz	pf_full
	cmpl	$0, %fs:PERCPU_FAULT_DEPTH
	jne	pf_full
	movl	$1, %fs:PERCPU_FAULT_DEPTH
	push	%eax
	push	%ecx
	push	%edx
	mov	%cr2, %eax		/* the argument, in %eax (FAULT_FAST_ABI: regparm(1)) */
	testl	$PF_W, 12(%esp)		/* the error code's W bit: which of the two */
	jz	1f
	call	kheap_fault_fast_write
	jmp	2f
1:	call	kheap_fault_fast_read
2:	movl	$0, %fs:PERCPU_FAULT_DEPTH
	test	%al, %al
	pop	%edx
	pop	%ecx
	pop	%eax
	jz	pf_full
	add	$4, %esp		/* the error code */
	iret
pf_full:
	push	$14
	pusha
	mov	%cr2, %eax
	push	%eax
	push	%esp
	call	page_fault
	jmp	trap_return

trap_entry:
	pusha
	mov	%cr2, %eax
	push	%eax
	push	%esp
	call	trap_dispatch
trap_return:
	add	$8, %esp		/* argument and cr2 */
	popa
	add	$8, %esp		/* vector and error code */
	iret

	.macro TABLE_ENTRY n
	.long isr\n
	.endm

	.section .rodata
	.align 4
	.global isr_table
isr_table:
	ISR_TABLE

	/* The #DF task starts here on its own stack, with the error code pushed. */
	.text
	.global double_fault_entry
double_fault_entry:
	call	double_fault_report
1:	cli
	hlt
	jmp	1b
