/*
 * Multiboot2 entry.  GRUB enters here in 32-bit protected mode, paging off,
 * EAX = magic, EBX = physical address of the boot information block.
 *
 * We clear .bss, map physical 0-4 MiB both at 0 (identity, so the next
 * instruction still runs) and at KERNBASE, install the recursive page
 * directory slot, turn on paging with CR0.WP, jump high and call kmain.
 * kmain drops the identity mapping (mmu_init).
 */
#include "arch/x86/layout.h"
#include "arch/x86/mb2_header.h"

#define PHYS(x)			((x) - KERNBASE)

	MB2_HEADER

	.section .text
	.global _start
_start:
	cli
	cld
	cmp	$MB2_BOOT_MAGIC, %eax
	jne	bad_magic
	mov	%ebx, PHYS(boot_mb2_info)	/* .data: survives the .bss clear */

	/* clear .bss */
	mov	$PHYS(__bss_start), %edi
	mov	$PHYS(__bss_end), %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb

	/* boot_pt maps physical 0..4 MiB, present + writable */
	mov	$PHYS(boot_pt), %edi
	mov	$(PTE_P | PTE_W), %eax
	mov	$1024, %ecx
1:	mov	%eax, (%edi)
	add	$4096, %eax
	add	$4, %edi
	loop	1b

	mov	$(PHYS(boot_pt) + PTE_P + PTE_W), %eax
	mov	%eax, PHYS(boot_pd)				/* identity */
	mov	%eax, PHYS(boot_pd) + (KERNBASE >> 22) * 4	/* high */
	mov	$(PHYS(boot_pd) + PTE_P + PTE_W), %eax
	mov	%eax, PHYS(boot_pd) + 1023 * 4			/* recursive */

	mov	$PHYS(boot_pd), %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$0x80010000, %eax		/* PG | WP */
	mov	%eax, %cr0
	lea	high, %eax
	jmp	*%eax

high:
	mov	$boot_stack_top, %esp
	xor	%ebp, %ebp			/* kmain saves 0: the backtrace ends */
	push	boot_mb2_info
	call	kmain
2:	cli
	hlt
	jmp	2b

	/* Not started by a Multiboot2 loader: say so on debugcon and stop. */
bad_magic:
	mov	$PHYS(bad_magic_msg), %esi
	mov	$(bad_magic_end - bad_magic_msg), %ecx
	mov	$0xE9, %dx
	rep outsb
3:	hlt
	jmp	3b

	.section .rodata
bad_magic_msg:
	.ascii	"boot: EAX does not hold the Multiboot2 magic; boot this kernel with GRUB's multiboot2 command\n"
bad_magic_end:

	.section .data
	.align 4
	.global boot_mb2_info
boot_mb2_info:
	.long	0

	.section .bss.pagetables, "aw", @nobits
	.align 4096
	.global boot_pd, boot_pt
boot_pd:
	.skip	4096
boot_pt:
	.skip	4096

	/* The boot stack sits above a guard page that mmu_init unmaps. */
	.section .bss.stack, "aw", @nobits
	.align 4096
	.global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip	4096
boot_stack_bottom:
	.skip	KSTACK_SIZE
boot_stack_top:
