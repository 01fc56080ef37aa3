/*
 * The i386 trampoline's page tables (src/smp_int.h): the trampoline page
 * directory at TRAMP_TABLE(0) is the kernel's, plus a page table at
 * TRAMP_TABLE(1) for page 0's 4 MiB, mapping the code page at its own
 * address.  Raw entries: these tables are the trampoline's, never the
 * kernel's, and nothing reads their state bits.  The rest of the
 * bring-up is both widths', src/smp.c.
 */
#include "src/smp_int.h"
#include "src/lib.h"
#include "arch/x86/smp_boot.h"
#include "arch/x86/layout.h"
#include "arch/x86/pte.h"
#include "mm/platform.h"

void trampoline_tables(uint8_t *t)
{
	uint32_t *pd = (uint32_t *)(t + TRAMP_TABLE(0));
	uint32_t *pt = (uint32_t *)(t + TRAMP_TABLE(1));

	memcpy(pd, (const void *)PD_WINDOW, PAGE_SIZE);
	memset(pt, 0, PAGE_SIZE);
	pd[0] = (TRAMP_PA + TRAMP_TABLE(1)) | PTE_P | PTE_W;
	pt[TRAMP_PA >> PAGE_SHIFT] = TRAMP_PA | PTE_P | PTE_W;
}
