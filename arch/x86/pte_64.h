/*
 * The x86_64 entry's width: four-level paging, 64-bit entries at every
 * level, the frame field in bits 12-51, and NX (execute-disable, enabled
 * by EFER.NXE in boot_64.S) in bit 63.  Bits 52-62 stay zero.  Included by
 * arch/x86/pte.h only.
 */
#ifndef ARCH_X86_PTE_64_H
#define ARCH_X86_PTE_64_H

#define PTE_FRAME_MASK	0x000FFFFFFFFFF000ull
#define PTE_NX		(1ull << 63)

#ifndef __ASSEMBLY__
#include <stdint.h>
typedef uint64_t pte_t;
#endif

#endif
