/*
 * Exception and IRQ entry stubs.  Each pushes a dummy error code when the
 * CPU does not, then its vector, then jumps to trap_entry, which saves the
 * registers and CR2 (before anything can fault again) and calls
 * trap_dispatch(struct trapframe *).  #PF (14), the one exception that
 * is routine (demand paging), builds the same frame and calls page_fault
 * directly.  #DF (8) arrives through a task gate instead: see
 * double_fault_task in gdt_32.c.
 */
#include "arch/x86/vectors.h"

	.text
	STUBS
	STUB 8, 1		/* unused: #DF is a task gate (gdt_32.c) */

	/* #PF: the frame trap_entry builds, then page_fault itself. */
	.global isr14
isr14:
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
