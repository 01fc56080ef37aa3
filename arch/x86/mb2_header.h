/*
 * The Multiboot2 header both kernels carry (assembly only), and the boot
 * magic GRUB leaves in EAX.  Architecture 0 (i386) on both widths: GRUB
 * enters the x86_64 kernel in 32-bit protected mode too, and boot_64.S
 * switches to long mode itself.  The information request asks for the
 * command line (tag 1) and the memory map (tag 6), both required.
 */
#ifndef ARCH_X86_MB2_HEADER_H
#define ARCH_X86_MB2_HEADER_H

#define MB2_HEADER_MAGIC	0xE85250D6
#define MB2_BOOT_MAGIC		0x36D76289
#define MB2_ARCH_I386		0

	.macro MB2_HEADER
	.section .multiboot2, "a"
	.align 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.align 8
	.short	1, 0
	.long	16
	.long	1
	.long	6
	/* end tag */
	.align 8
	.short	0, 0
	.long	8
mb2_header_end:
	.endm

#endif
