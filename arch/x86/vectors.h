/*
 * The vectors every x86 kernel here gives a plain stub, for isr_32.S and
 * isr_64.S (assembly only).  STUB n, has_err (has_err: the CPU pushes an
 * error code for that vector) pushes a dummy error code where the CPU
 * does not, then the vector, and jumps to the width's trap_entry; STUBS
 * emits the plain stubs (#DF, 8, and #PF, 14, have stubs of their own in
 * each width); ISR_TABLE the table of all 48 through the width's
 * TABLE_ENTRY n (.long or .quad isr<n>).
 */
#ifndef ARCH_X86_VECTORS_H
#define ARCH_X86_VECTORS_H

	.macro STUB n, has_err
	.global isr\n
isr\n:
	.if \has_err == 0
	push	$0
	.endif
	push	$\n
	jmp	trap_entry
	.endm

	.macro STUBS
	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
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
	.endm

	.macro ISR_TABLE
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	TABLE_ENTRY \n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	TABLE_ENTRY \n
	.endr
	.endm

#endif
