/*
 * The x86_64 kernel's fixed virtual layout.  Used from assembly as well as
 * C, so constants only; the PTE bits come with it (arch/x86/pte.h).
 *
 *   0x0000000000000000 - 0x00007FFFFFFFFFFF  unused (the boot identity map
 *                                            of the first 4 MiB is dropped)
 *   0xFFFF800000000000 - 0xFFFFFEFFFFFFFFFF  the arena kva (mm/vmem.h):
 *                                            PML4 slots 256-509, 127 TiB
 *   0xFFFFFF0000000000 - 0xFFFFFF7FFFFFFFFF  page tables, through the
 *                                            recursive slot PML4[510]
 *   0xFFFFFF8000000000 - 0xFFFFFFFF7FFFFFFF  unused
 *   0xFFFFFFFF80000000 - +4 MiB             the boot window: kernel image
 *                                            at +1 MiB (WIRED), stack guard
 *                                            (GUARD), boot_map_temp's 64 KiB
 *                                            and, below the image, the
 *                                            pre-zeroing's ZERO_WINDOW page
 *
 * The image sits in the top 2 GiB so that C is compiled -mcmodel=kernel
 * (32-bit signed absolute addresses).  The heap region takes at most
 * KHEAP_WINDOW of kva (the build may set KHEAP_WINDOW_GIB): the seed's
 * rule RAM / 4 is then capped by this window, not by what kernel space
 * is left, as on i386.
 *
 * docs/memory-layout.md draws this in full.
 */
#ifndef ARCH_X86_LAYOUT_64_H
#define ARCH_X86_LAYOUT_64_H

#include "arch/x86/pte.h"

#define ARCH_NAME	"x86_64"
#define KERNBASE	0xFFFFFFFF80000000	/* virtual = physical + KERNBASE in the image */
#define KSPACE_START	0xFFFF800000000000	/* the lowest kernel address: kva's start */
#define KSPACE_END	0xFFFFFF0000000000	/* first byte of the recursive window */
#define PT_SLOT		510			/* the recursive PML4 slot */
#define PT_WINDOW	0xFFFFFF0000000000	/* PTE of va at PT_WINDOW + (va >> 12 & 2^36-1) * 8 */
#define PD_WINDOW	0xFFFFFF7F80000000	/* PDE of va at PD_WINDOW + (va >> 21 & 2^27-1) * 8 */
#define PDPT_WINDOW	0xFFFFFF7FBFC00000	/* PDPTE at PDPT_WINDOW + (va >> 30 & 2^18-1) * 8 */
#define PML4_WINDOW	0xFFFFFF7FBFDFE000	/* the PML4 itself */
#define PT_WINDOW_SIZE	(1ul << 39)	/* the recursive window: PML4 slot 510 */
#define PT_SPAN		0x200000	/* what one page table maps */
#define KSTACK_SIZE	16384
#define PHYS_MAP_END	0xFFFFFC00000ull	/* 16 TiB - 4 MiB: frame numbers stay below PFN_NONE (32-bit pfn_t) */
#ifndef KHEAP_WINDOW_GIB
#define KHEAP_WINDOW_GIB 64
#endif
#define KHEAP_WINDOW	((unsigned long)KHEAP_WINDOW_GIB << 30)

#endif
