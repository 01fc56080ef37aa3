/*
 * Multiboot2 entry of the x86_64 kernel.  GRUB loads the ELF64 image by
 * physical address and enters _start in 32-bit protected mode, paging
 * off, EAX = magic, EBX = physical address of the boot information block.
 * _start and the 64-bit stub after it are in .boot, linked where they
 * are loaded (1 MiB), so they run before any mapping exists.
 *
 * We check CPUID for long mode and NX (saying which is missing on the
 * debug console and the screen, then halting), clear .bss, build the
 * boot tables: the 4 MiB boot window (boot_pt, two page tables) under
 * one page directory, entered from PML4[0] (identity, so the next
 * instruction still runs) and from PML4[511] at KERNBASE, plus the
 * recursive slot PML4[PT_SLOT].  Then PAE, EFER.LME and EFER.NXE,
 * paging with CR0.WP, a far jump into 64-bit code, and a jump to the
 * higher half to call kmain.  kmain drops the identity map (mmu_init).
 */
#include "arch/x86/layout.h"
#include "arch/x86/mb2_header.h"

#define PHYS(x)			((x) - KERNBASE)
#define EFER			0xC0000080
#define EFER_LME		0x100
#define EFER_NXE		0x800
#define CR4_PAE			0x20
#define CPUID_LM		(1 << 29)	/* leaf 0x80000001, EDX */
#define CPUID_NX		(1 << 20)
#define PT_FLAGS		(PTE_P + PTE_W)

	MB2_HEADER

	.section .boot.text, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	cmp	$MB2_BOOT_MAGIC, %eax
	jne	bad_magic
	mov	%ebx, PHYS(boot_mb2_info)	/* .data: survives the .bss clear */

	mov	$0x80000000, %eax		/* is there an extended leaf 0x80000001? */
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$CPUID_LM, %edx
	jz	no_long_mode
	test	$CPUID_NX, %edx
	jz	no_nx

	/* clear .bss */
	mov	$PHYS(__bss_start), %edi
	mov	$PHYS(__bss_end), %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb

	/* boot_pt (two tables) maps physical 0..4 MiB, present + writable */
	mov	$PHYS(boot_pt), %edi
	mov	$PT_FLAGS, %eax
	mov	$1024, %ecx
1:	mov	%eax, (%edi)			/* the high dword stays 0 */
	add	$4096, %eax
	add	$8, %edi
	loop	1b

	mov	$(PHYS(boot_pt) + PT_FLAGS), %eax
	mov	%eax, PHYS(boot_pd)
	add	$4096, %eax
	mov	%eax, PHYS(boot_pd) + 8
	mov	$(PHYS(boot_pd) + PT_FLAGS), %eax
	mov	%eax, PHYS(boot_pdpt_low)			/* identity: 0 */
	mov	%eax, PHYS(boot_pdpt_high) + 510 * 8		/* KERNBASE */
	mov	$(PHYS(boot_pdpt_low) + PT_FLAGS), %eax
	mov	%eax, PHYS(boot_pml4)
	mov	$(PHYS(boot_pdpt_high) + PT_FLAGS), %eax
	mov	%eax, PHYS(boot_pml4) + 511 * 8
	mov	$(PHYS(boot_pml4) + PT_FLAGS), %eax
	mov	%eax, PHYS(boot_pml4) + PT_SLOT * 8		/* recursive */

	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$PHYS(boot_pml4), %eax
	mov	%eax, %cr3
	mov	$EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80010000, %eax		/* PG | WP: long mode is on */
	mov	%eax, %cr0
	lgdt	boot_gdtr
	ljmp	$0x08, $start64

	/* Not started by a Multiboot2 loader: say so on debugcon and stop. */
bad_magic:
	mov	$bad_magic_msg, %esi
	mov	$(bad_magic_end - bad_magic_msg), %ecx
	jmp	say_and_halt
no_long_mode:
	mov	$no_lm_msg, %esi
	mov	$(no_lm_end - no_lm_msg), %ecx
	jmp	say_and_halt
no_nx:
	mov	$no_nx_msg, %esi
	mov	$(no_nx_end - no_nx_msg), %ecx

	/* The message at ESI (ECX bytes) on debugcon and the VGA text screen. */
say_and_halt:
	mov	$0xB8000, %edi
	mov	$0x0C00, %ax			/* light red on black */
	push	%esi
	push	%ecx
2:	lodsb
	cmp	$'\n', %al
	je	3f
	stosw
	loop	2b
3:	pop	%ecx
	pop	%esi
	mov	$0xE9, %dx
	rep outsb
4:	hlt
	jmp	4b

	.code64
start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	movabs	$high, %rax
	jmp	*%rax

	.align 8
boot_gdt:
	.quad	0
	.quad	0x00AF9A000000FFFF		/* 0x08: 64-bit ring-0 code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
boot_gdtr:
	.short	boot_gdtr - boot_gdt - 1
	.long	boot_gdt

bad_magic_msg:
	.ascii	"boot: EAX does not hold the Multiboot2 magic; boot this kernel with GRUB's multiboot2 command\n"
bad_magic_end:
no_lm_msg:
	.ascii	"boot: this CPU has no long mode (CPUID 0x80000001 EDX bit 29): the x86_64 kernel cannot run; boot the i386 kernel (make ARCH=i386)\n"
no_lm_end:
no_nx_msg:
	.ascii	"boot: this CPU has no NX (CPUID 0x80000001 EDX bit 20), which the x86_64 kernel's heap pages use; boot the i386 kernel (make ARCH=i386)\n"
no_nx_end:

	.section .text
high:
	mov	$boot_stack_top, %rsp
	xor	%ebp, %ebp			/* kmain saves 0: the backtrace ends */
	mov	boot_mb2_info, %edi
	call	kmain
5:	cli
	hlt
	jmp	5b

	.section .data
	.align 4
	.global boot_mb2_info
boot_mb2_info:
	.long	0

	.section .bss.pagetables, "aw", @nobits
	.align 4096
	.global boot_pml4, boot_pdpt_low, boot_pdpt_high, boot_pd, boot_pt
boot_pml4:
	.skip	4096
boot_pdpt_low:
	.skip	4096
boot_pdpt_high:
	.skip	4096
boot_pd:
	.skip	4096
boot_pt:
	.skip	8192

	/* The boot stack sits above a guard page that mmu_init unmaps. */
	.section .bss.stack, "aw", @nobits
	.align 4096
	.global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip	4096
boot_stack_bottom:
	.skip	KSTACK_SIZE
boot_stack_top:
