/*
 * The i386 entry's width: two-level paging without PAE, so an entry is 32
 * bits, the frame field is bits 12-31 (4 GiB of physical memory) and
 * there is no NX bit.  Included by arch/x86/pte.h only.
 */
#ifndef ARCH_X86_PTE_32_H
#define ARCH_X86_PTE_32_H

#define PTE_FRAME_MASK	0xFFFFF000
#define PTE_NX		0		/* no execute-disable without PAE */

#ifndef __ASSEMBLY__
#include <stdint.h>
typedef uint32_t pte_t;
#endif

#endif
