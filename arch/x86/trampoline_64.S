/*
 * The application processors' way into long mode.  A STARTUP IPI starts
 * a CPU in real mode at TRAMP_PA (vector TRAMP_PA >> 12); the blob at
 * trampoline_start, trampoline_size bytes, is copied there (src/smp.c), so
 * it refers to itself only by TR(label), its address once copied.  It
 * loads a GDT of its own (32-bit code and data, 64-bit code), enters
 * protected mode, turns on PAE, EFER.LME and EFER.NXE (the kernel's
 * entries carry NX) and paging with the trampoline PML4 at
 * TRAMP_PA + TRAMP_TABLE(0), a low copy of the kernel's (src/smp_64.c:
 * the kernel's PML4 plus slot 0 mapping the first 2 MiB at their own
 * addresses, so this code still runs), far-jumps into 64-bit code and
 * then to ap_entry_high in the kernel image, which switches to the
 * kernel's own PML4 and the new stack.  The trampoline PML4 lies below
 * 1 MiB: a 32-bit mov to CR3 can load it.
 *
 * One CPU at a time: ap_boot_{cr3,stack,cpu} (src/smp.c) describe the
 * CPU being started.  ap_entry_high loads no segment register: the GDT the
 * CPU holds until percpu_enter is the trampoline's, unmapped once CR3 is
 * the kernel's.
 */
#include "arch/x86/layout.h"
#include "arch/x86/trampoline.h"

#define EFER		0xC0000080
#define EFER_LME	0x100
#define EFER_NXE	0x800
#define CR4_PAE		0x20

	.section .rodata
	.global trampoline_start
trampoline_start:
	REAL_TO_PROTECTED
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$(TRAMP_PA + TRAMP_TABLE(0)), %eax
	movl	%eax, %cr3
	movl	$EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010000, %eax		/* PG | WP, as the boot CPU's: long mode is on */
	movl	%eax, %cr0
	ljmpl	$0x18, $TR(lm64)

	.code64
lm64:
	movabsq	$ap_entry_high, %rax
	jmp	*%rax

	.align 8
tgdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* 0x08: flat 32-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: flat data */
	.quad	0x00AF9A000000FFFF		/* 0x18: 64-bit code */
tgdtr:
	.word	4 * 8 - 1
	.long	TR(tgdt)
trampoline_end:
	.align 4
	.global trampoline_size
trampoline_size:
	.long	trampoline_end - trampoline_start

	.section .text
	.global ap_entry_high
ap_entry_high:
	movq	ap_boot_cr3(%rip), %rax
	movq	%rax, %cr3
	movq	ap_boot_stack(%rip), %rsp
	xorl	%ebp, %ebp			/* the backtrace ends here */
	movl	ap_boot_cpu(%rip), %edi
	call	ap_main
1:	cli
	hlt
	jmp	1b
