/*
 * The real MMU behind mm/platform.h, what both widths share: writing an
 * entry, zeroing a page, the boot window and its temporary maps.  Finding
 * an entry is the width's walk (arch/x86/pgtable_32.h, pgtable_64.h);
 * making the tables above it is mmu_32.c or mmu_64.c.  A page's state sits
 * in PTE bits 9-11 in every state, present or not; every entry written
 * here is pte_make's (arch/x86/pte_state.h), including the boot window's.
 *
 * The boot window is the 4 MiB at KERNBASE that boot_32.S or boot_64.S
 * maps with boot_pt (1024 entries of either width); its last 64 KiB are
 * boot_map_temp's.
 *
 * Context: callers serialize (heap lock or interrupts off); nothing here
 * locks.
 */
#include "arch/x86/mmu_int.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu_set.h"

extern char __kernel_start[], __kernel_end[], boot_stack_guard[];
extern pte_t boot_pt[1024];

#define TEMP_WINDOW_PAGES 16
#define TEMP_WINDOW (KERNBASE + 0x400000 - TEMP_WINDOW_PAGES * PAGE_SIZE)
/* The last page of the boot window's unused first MiB, both widths. */
#define ZERO_WINDOW (KERNBASE + 0x100000 - PAGE_SIZE)

pfn_t (*mmu_table_alloc)(void);

pte_t mmu_pte(uintptr_t va) { return mmu_entry(va); }

uint32_t mmu_table_count(void) { return mmu_ntables; }

void mmu_set_table_allocator(pfn_t (*alloc)(void)) { mmu_table_alloc = alloc; }

/* A fresh table at table_va (its entry just written): all UNUSABLE, pte_make(PS_UNUSABLE) is 0. */
void mmu_clear_table(uintptr_t table_va)
{
	invlpg(table_va);
	mmu_zero_page(table_va);
	mmu_ntables++;
}

void mmu_zero_page(uintptr_t va)
{
	void *p = (void *)(va & ~(uintptr_t)(PAGE_SIZE - 1));
	size_t n = PAGE_SIZE / 4;

	__asm__ volatile("rep stosl" : "+D"(p), "+c"(n) : "a"(0) : "memory");
}

/*
 * Each CPU's zeroing window (mm/platform.h's mmu_zero_frame): the boot
 * CPU's is ZERO_WINDOW (a page of the boot window's unused first MiB,
 * whose table boot_32.S/boot_64.S made); an application processor's is a
 * kva page src/smp.c gives it before it can fault (mmu_set_scratch).
 * A window is its CPU's alone, and its use runs with interrupts off, so
 * neither another CPU nor an interrupt on this one meets the mapping.
 */
static uintptr_t scratch[CPU_MAX] = { ZERO_WINDOW };

void mmu_set_scratch(unsigned cpu, uintptr_t va) { scratch[cpu] = va; }

bool mmu_zero_frame(pfn_t f)
{
	unsigned long fl = irq_save();
	uintptr_t va = scratch[cpu_id()];

	if (va) {
		mmu_set(va, PS_WIRED, f);
		mmu_zero_page(va);
		mmu_set(va, PS_UNUSABLE, PFN_NONE);
	}
	irq_restore(fl);
	return va != 0;
}

bool mmu_frame_is_zero(pfn_t f)
{
	unsigned long fl = irq_save();
	uintptr_t va = scratch[cpu_id()];
	const volatile uint32_t *w = (const volatile uint32_t *)va;
	uint32_t any = 0;

	KASSERT(va);
	mmu_set(va, PS_WIRED, f);
	for (unsigned i = 0; i < PAGE_SIZE / 4; i++)
		any |= w[i];
	mmu_set(va, PS_UNUSABLE, PFN_NONE);
	irq_restore(fl);
	return any == 0;
}

void *boot_map_temp(uint32_t pa, uint32_t len)
{
	uint32_t off = pa & (PAGE_SIZE - 1), pages;

	if (len > TEMP_WINDOW_PAGES * PAGE_SIZE)	/* before the sum below can wrap */
		return NULL;
	pages = (off + len + PAGE_SIZE - 1) / PAGE_SIZE;
	if (pages > TEMP_WINDOW_PAGES)
		return NULL;
	for (uint32_t i = 0; i < pages; i++) {
		uintptr_t va = TEMP_WINDOW + i * PAGE_SIZE;

		/* WIRED (the block is the kernel's, PR_KERNEL) but read-only: input */
		boot_pt[(va >> 12) & 1023] = pte_make(PS_WIRED, pa / PAGE_SIZE + i) & ~(pte_t)PTE_W;
		invlpg(va);
	}
	return (void *)(TEMP_WINDOW + off);
}

void mmu_init(void)
{
	uintptr_t start = (uintptr_t)__kernel_start, end = (uintptr_t)__kernel_end;

	/* The boot window: image WIRED, stack guard GUARD, the rest UNUSABLE. */
	for (uintptr_t va = KERNBASE; va < KERNBASE + 0x400000; va += PAGE_SIZE) {
		pte_t *pte = &boot_pt[(va >> 12) & 1023];

		if (va >= start && va < end)
			*pte = pte_make(PS_WIRED, pte_frame(*pte));
		else
			*pte = pte_make(PS_UNUSABLE, PFN_NONE);
	}
	boot_pt[((uintptr_t)boot_stack_guard >> 12) & 1023] = pte_make(PS_GUARD, PFN_NONE);
	mmu_drop_identity();
	write_cr3(read_cr3());
}
