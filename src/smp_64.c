/*
 * The x86_64 trampoline's page tables (src/smp_int.h): a low copy of the
 * kernel's PML4 at TRAMP_TABLE(0), whose slot 0 (empty in the kernel's
 * since mmu_init dropped the identity map) points at a PDPT at
 * TRAMP_TABLE(1) and a PD at TRAMP_TABLE(2) mapping the first 2 MiB with
 * one large page, the trampoline's code among them.  The kernel's own
 * slots are shared, so the image is where it always is.  Raw entries:
 * these tables are the trampoline's, never the kernel's, and nothing
 * reads their state bits.  The rest of the bring-up is both widths',
 * src/smp.c.
 */
#include "src/smp_int.h"
#include "src/lib.h"
#include "arch/x86/smp_boot.h"
#include "arch/x86/layout.h"
#include "arch/x86/pte.h"
#include "mm/platform.h"

void trampoline_tables(uint8_t *t)
{
	uint64_t *pml4 = (uint64_t *)(t + TRAMP_TABLE(0));
	uint64_t *pdpt = (uint64_t *)(t + TRAMP_TABLE(1));
	uint64_t *pd = (uint64_t *)(t + TRAMP_TABLE(2));

	memcpy(pml4, (const void *)PML4_WINDOW, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	memset(pd, 0, PAGE_SIZE);
	pml4[0] = (TRAMP_PA + TRAMP_TABLE(1)) | PTE_P | PTE_W;
	pdpt[0] = (TRAMP_PA + TRAMP_TABLE(2)) | PTE_P | PTE_W;
	pd[0] = PTE_PS | PTE_P | PTE_W;	/* physical 0: 2 MiB */
}
