/*
 * The first steps of both widths' AP trampolines (arch/x86/trampoline_32.S,
 * trampoline_64.S), as an assembler macro: from real mode at TRAMP_PA to
 * 32-bit protected mode, paging off, on the trampoline's own GDT (tgdtr:
 * 32-bit flat code at 0x08, data at 0x10), %ds, %es and %ss its data.
 * The including file defines trampoline_start (the blob's first byte)
 * and tgdtr; TR(x) is a label's address once the blob is copied to
 * TRAMP_PA, the one way the blob refers to itself.  Assembly only.
 */
#ifndef ARCH_X86_TRAMPOLINE_H
#define ARCH_X86_TRAMPOLINE_H

#include "arch/x86/smp_boot.h"

#define TR(x) ((x) - trampoline_start + TRAMP_PA)

	.macro REAL_TO_PROTECTED
	.code16
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	TR(tgdtr)
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$0x08, $TR(1f)
	.code32
1:	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	.endm

#endif
