/*
 * The application processors' way in.  A STARTUP IPI starts a CPU in
 * real mode at TRAMP_PA (vector TRAMP_PA >> 12); the blob at
 * trampoline_start, trampoline_size bytes, is copied there (src/smp.c), so it
 * refers to itself only by TR(label), its address once copied.  It loads
 * a flat GDT of its own, enters protected mode, turns on paging with the
 * trampoline page directory at TRAMP_PA + 4 KiB (the kernel's directory
 * plus an identity map of this page, built by src/smp_32.c), and jumps to
 * ap_entry_high, which switches to the kernel's own directory and stack.
 *
 * One CPU at a time: ap_boot_{cr3,stack,cpu} (src/smp.c) describe the
 * CPU being started.
 */
#include "arch/x86/layout.h"
#include "arch/x86/trampoline.h"


	.section .rodata
	.global trampoline_start
trampoline_start:
	REAL_TO_PROTECTED
	movl	$(TRAMP_PA + TRAMP_TABLE(0)), %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$0x80010000, %eax		/* PG | WP, as the boot CPU's */
	movl	%eax, %cr0
	movl	$ap_entry_high, %eax
	jmp	*%eax

	.align 8
tgdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* flat code */
	.quad	0x00CF92000000FFFF		/* flat data */
tgdtr:
	.word	3 * 8 - 1
	.long	TR(tgdt)
trampoline_end:
	.align 4
	.global trampoline_size
trampoline_size:
	.long	trampoline_end - trampoline_start

	.section .text
	.global ap_entry_high
ap_entry_high:
	movl	ap_boot_cr3, %eax
	movl	%eax, %cr3
	movl	ap_boot_stack, %esp
	xorl	%ebp, %ebp			/* the backtrace ends here */
	pushl	ap_boot_cpu
	call	ap_main
1:	cli
	hlt
	jmp	1b
