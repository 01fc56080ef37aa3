/*
 * In-kernel checks of ioremap (src/ioremap.h): MMIO page states over
 * device memory, the mmio arena's spans, refusals, and the local APIC
 * mapped at boot.
 */
#include "tests/ktest.h"
#include "mm/owner.h"
#include "src/lib.h"
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
	/* indexed by owner under its name, the whole three pages */
	CHECK(owner_find(page) && owner_find(page)->kind == OW_MMIO);
	CHECK(!strcmp(owner_find(page + 3 * PAGE_SIZE - 1)->name, "test VGA text"));
	CHECK(owner_find(page)->start == page && owner_find(page)->size == 3 * PAGE_SIZE);
	CHECK(!iounmap((void *)cell, PAGE_SIZE));		/* not the size mapped */
	CHECK(iounmap((void *)cell, 2 * PAGE_SIZE));
	for (int i = 0; i < 3; i++)
		CHECK(mmu_state(page + i * PAGE_SIZE) == PS_UNUSABLE);
	CHECK(!iounmap((void *)cell, 2 * PAGE_SIZE));		/* twice */
	CHECK(!owner_find(page) || owner_find(page)->kind != OW_MMIO);	/* gone from the index */
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

/* The boot framebuffer, where GRUB set one up: MMIO pages on its frames, named. */
TEST(kernel_ioremap_framebuffer)
{
	const struct mb2_framebuffer *fb;
	volatile uint8_t *p = framebuffer(&fb);
	uintptr_t page = (uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1);
	const struct owner *o = owner_find((uintptr_t)p);
	uint8_t old, flipped;

	if (!fb->size)
		return;			/* no tag (not asked for, or no video): nothing mapped */
	CHECK(p != NULL && ((uintptr_t)p & (PAGE_SIZE - 1)) == (fb->addr & (PAGE_SIZE - 1)));
	for (uint64_t off = 0; off < fb->size; off += PAGE_SIZE) {
		CHECK(mmu_state(page + off) == PS_MMIO);
		CHECK(mmu_frame(page + off) == (pfn_t)((fb->addr + off) >> PAGE_SHIFT));
	}
	CHECK(o && o->kind == OW_MMIO && !strcmp(o->name, "framebuffer"));
	CHECK(o->start == page && o->size >= fb->size);
	old = p[fb->size - 1];			/* the last byte is mapped, and reads back */
	flipped = (uint8_t)(old ^ 0x5A);
	p[fb->size - 1] = flipped;
	CHECK(p[fb->size - 1] == flipped);
	p[fb->size - 1] = old;
}
