/*
 * In-kernel checks of ioremap (src/ioremap.h): MMIO page states over
 * device memory, the mmio arena's spans, refusals, and the local APIC
 * mapped at boot.
 */
#include "tests/ktest.h"
#include "src/ioremap.h"
#include "mm/pagestate.h"
#include "arch/x86/mmu.h"
#include "arch/x86/cpu.h"

#define VGA_TEXT 0xB8000u

TEST(kernel_ioremap_maps_device_pages)
{
	struct vmem_stats before, after;
	volatile uint16_t *cell;
	uintptr_t page;
	uint16_t old;

	vmem_stats(mmio_arena(), &before);
	cell = ioremap(VGA_TEXT + 0x1010, 2 * PAGE_SIZE, "test VGA text");	/* 3 pages */
	CHECK(cell && ((uintptr_t)cell & (PAGE_SIZE - 1)) == 0x10);
	page = (uintptr_t)cell & ~(uintptr_t)(PAGE_SIZE - 1);
	for (int i = 0; i < 3; i++) {
		CHECK(mmu_state(page + i * PAGE_SIZE) == PS_MMIO);
		CHECK(mmu_frame(page + i * PAGE_SIZE) == (VGA_TEXT >> PAGE_SHIFT) + 1 + i);
		CHECK(mmu_pte(page + i * PAGE_SIZE) & PTE_PCD);
	}
	old = cell[0];
	cell[0] = 0x1f41;				/* device memory reads back */
	CHECK(cell[0] == 0x1f41);
	cell[0] = old;
	vmem_stats(mmio_arena(), &after);
	CHECK(after.busy_bytes == before.busy_bytes + 3 * PAGE_SIZE);
	CHECK(!iounmap((void *)cell, PAGE_SIZE));		/* not the size mapped */
	CHECK(iounmap((void *)cell, 2 * PAGE_SIZE));
	for (int i = 0; i < 3; i++)
		CHECK(mmu_state(page + i * PAGE_SIZE) == PS_UNUSABLE);
	CHECK(!iounmap((void *)cell, 2 * PAGE_SIZE));		/* twice */
	vmem_stats(mmio_arena(), &after);
	CHECK(after.busy_bytes == before.busy_bytes && vmem_audit(mmio_arena()));
}

TEST(kernel_ioremap_refuses_bad_ranges)
{
	CHECK(ioremap(VGA_TEXT, 0, "empty") == NULL);
	CHECK(ioremap(0xFFFFF000u, 2 * PAGE_SIZE, "past 4 GiB") == NULL);
	CHECK(ioremap(0x100000000ull, PAGE_SIZE, "above 4 GiB") == NULL);
}

/* Where CPUID reports a local APIC, boot mapped it; its version register says so. */
TEST(kernel_ioremap_local_apic)
{
	volatile uint32_t *regs = lapic_regs();
	uint32_t version;

	CHECK(!regs == !(cpuid1_edx() & (1u << 9)));	/* mapped exactly when CPUID says so */
	if (!regs)
		return;
	CHECK(mmu_state((uintptr_t)regs) == PS_MMIO);
	CHECK(mmu_frame((uintptr_t)regs) == (pfn_t)(rdmsr(0x1b) >> PAGE_SHIFT & 0xFFFFF));
	version = regs[0x30 / 4];
	CHECKF((version & 0xF0) == 0x10, "version register %#x: not an integrated APIC", version);
}
