/*
 * The i386 kernel's fixed virtual layout.  Used from assembly as well as
 * C, so constants only; the PTE bits come with it (arch/x86/pte.h).
 *
 *   0x00000000 - 0xBFFFFFFF  unused (the boot identity map is dropped)
 *   0xC0000000 - 0xC00FFFFF  unused (UNUSABLE), but for its last page,
 *                            ZERO_WINDOW (arch/x86/mmu.c)
 *   0xC0100000 - kernel_end  kernel image (WIRED), boot stack guard (GUARD)
 *   kernel_end + 4 KiB gap - 0xFFBFFFFF  the arena kva (mm/vmem.h)
 *   0xFFC00000 - 0xFFFFFFFF  page tables, through the recursive PD slot
 *
 * docs/memory-layout.md draws this in full.
 */
#ifndef ARCH_X86_LAYOUT_32_H
#define ARCH_X86_LAYOUT_32_H

#include "arch/x86/pte.h"

#define ARCH_NAME	"i386"
#define KERNBASE	0xC0000000	/* virtual = physical + KERNBASE in the image */
#define KSPACE_START	KERNBASE	/* the lowest kernel address */
#define KSPACE_END	0xFFC00000	/* first byte of the recursive window */
#define PT_WINDOW	0xFFC00000	/* PTE of va at PT_WINDOW + (va >> 12) * 4 */
#define PD_WINDOW	0xFFFFF000	/* the page directory itself */
#define PT_WINDOW_SIZE	0x400000	/* the recursive window, to the top of memory */
#define PT_SPAN		0x400000	/* what one page table maps */
#define KSTACK_SIZE	16384
#define PHYS_MAP_END	0x100000000ull		/* 4 GiB: 32-bit entries, no PAE */
/* The heap region's window: no cap beyond the kernel space itself. */
#define KHEAP_WINDOW	(KSPACE_END - KERNBASE)

#endif
