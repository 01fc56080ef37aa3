/*
 * Exception and IRQ entry stubs.  Each pushes a dummy error code when the
 * CPU does not, then its vector, then jumps to trap_entry, which saves the
 * registers and CR2 (before anything can fault again) and calls
 * trap_dispatch(struct trapframe *).  #PF (14), the one exception that
 * is routine (demand paging), builds the same frame and calls page_fault
 * directly.  #DF (8) arrives through a task gate instead: see
 * double_fault_task in gdt_32.c.
 */
	.macro STUB n, has_err
	.global isr\n
isr\n:
	.if \has_err == 0
	push	$0
	.endif
	push	$\n
	jmp	trap_entry
	.endm

	.text
	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	STUB \n, 0
	.endr

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

	.section .rodata
	.align 4
	.global isr_table
isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr\n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long isr\n
	.endr

	/* The #DF task starts here on its own stack, with the error code pushed. */
	.text
	.global double_fault_entry
double_fault_entry:
	call	double_fault_report
1:	cli
	hlt
	jmp	1b
