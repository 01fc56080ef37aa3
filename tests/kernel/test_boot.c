/*
 * In-kernel checks of the booted machine: the frame allocator on the real
 * memory map, page states in real PTEs, symbols, printf.
 */
#include "tests/ktest.h"
#include "src/lib.h"
#include "src/ksyms.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "mm/vmem.h"
#include "src/boot_mm.h"
#include "arch/x86/layout.h"
#include "arch/x86/mmu.h"

extern char __kernel_start[], __kernel_end[], boot_stack_guard[];

TEST(kernel_frames_audit_and_roundtrip)
{
	struct frame_stats a, b;
	pfn_t f[8];

	CHECK(frame_audit());
	frame_stats(&a);
	CHECK(a.total > 0 && a.free + a.used == a.total);
	for (int i = 0; i < 8; i++) {
		f[i] = frame_alloc();
		CHECK(f[i] != PFN_NONE && f[i] >= 256 && frame_is_used(f[i]));
		/* never a frame of the kernel image */
		CHECK((uintptr_t)f[i] << 12 >= (uintptr_t)__kernel_end - KERNBASE ||
		      ((uintptr_t)f[i] + 1) << 12 <= (uintptr_t)__kernel_start - KERNBASE);
	}
	for (int i = 0; i < 8; i++)
		CHECK(frame_free(f[i]));
	frame_stats(&b);
	CHECK(a.free == b.free && a.used == b.used);
	CHECK(!frame_free(f[0]));			/* double free refused */
	CHECK(!frame_free(0x10));			/* below 1 MiB: not managed */
	CHECK(frame_audit());
}

/* Contiguous blocks from the real memory map: aligned, in their constraint, refused when misfreed. */
TEST(kernel_frames_contiguous_blocks)
{
	struct frame_stats a, b;
	pfn_t dma = frame_alloc_contig(4, FRAME_BELOW_16M), big = frame_alloc_contig(8, FRAME_ANY);

	frame_stats(&a);
	CHECK(dma != PFN_NONE && big != PFN_NONE);
	CHECK(dma % 16 == 0 && dma + 16 <= 4096 && dma >= 256 && big % 256 == 0);
	for (pfn_t i = 0; i < 256; i++)
		CHECK(frame_is_used(big + i) && (i >= 16 || frame_is_used(dma + i)));
	CHECK(!frame_free(dma) && !frame_free_contig(big + 1, 0) && !frame_free_contig(big, 7));
	CHECK(frame_audit());
	CHECK(frame_free_contig(dma, 4) && frame_free_contig(big, 8));
	frame_stats(&b);
	CHECK(b.free == a.free + 16 + 256);
	CHECK(frame_audit());
}

/*
 * RAM above 4 GiB, where the platform maps it (x86_64; make test boots it
 * with 6 GiB): the frame database covers it, the first frame handed out
 * comes from there (the high zone is taken first), and a page mapped on it
 * keeps what is written.  Below 4 GiB of RAM, or on i386, there is no such
 * frame and the check is that none is claimed.
 */
TEST(kernel_frames_above_4g_used)
{
	struct frame_stats st;
	uintptr_t va = vmem_alloc(kva_arena(), PAGE_SIZE, VM_INSTANTFIT);
	volatile uint64_t *p = (volatile uint64_t *)va;
	pfn_t f = frame_alloc();

	frame_stats(&st);
	CHECK(va && f != PFN_NONE && mmu_ensure_table(va));
	CHECK(st.max_pfn <= (pfn_t)(PHYS_ADDR_END >> PAGE_SHIFT));
	if (st.max_pfn > (1u << (32 - PAGE_SHIFT))) {
		CHECKF(f >= (1u << (32 - PAGE_SHIFT)), "frame %#x: below 4 GiB with RAM to %#x",
		       (unsigned)f, (unsigned)st.max_pfn);
		page_set_state(va, PS_WIRED, f, PC_EXPLICIT);
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			p[i] = (uint64_t)f << 32 | i;
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			CHECK(p[i] == ((uint64_t)f << 32 | i));
		page_set_state(va, PS_UNUSABLE, PFN_NONE, PC_EXPLICIT);
	} else {
		CHECK(f < st.max_pfn);
	}
	CHECK(frame_free(f) && vmem_free(kva_arena(), va, PAGE_SIZE));
	CHECK(frame_audit());
}

TEST(kernel_layout_states)
{
	CHECK(mmu_state((uintptr_t)__kernel_start) == PS_WIRED);
	CHECK(mmu_state((uintptr_t)boot_stack_guard) == PS_GUARD);
	CHECK(!(mmu_pte((uintptr_t)boot_stack_guard) & PTE_P));
	CHECK(mmu_pde(0) == 0);				/* identity map dropped */
	CHECK(read_cr0() & 0x10000);			/* CR0.WP */
	CHECK(zero_frame() != PFN_NONE && frame_is_used(zero_frame()));
}

TEST(kernel_vm_convert_reserves_and_releases)
{
	uintptr_t va = vmem_alloc(kva_arena(), 4 * PAGE_SIZE, VM_INSTANTFIT);

	CHECK(va && mmu_ensure_table(va) && mmu_ensure_table(va + 3 * PAGE_SIZE));
	CHECK(vm_convert(va, 4, PS_AOW, PC_EXPLICIT) == 0);
	for (int i = 0; i < 4; i++) {
		CHECK(mmu_state(va + i * PAGE_SIZE) == PS_AOW);
		CHECK(!(mmu_pte(va + i * PAGE_SIZE) & PTE_P));
	}
	CHECK(vm_convert(va, 4, PS_UNUSABLE, PC_EXPLICIT) == 0);
	CHECK(vm_convert(va + PAGE_SIZE, 1, PS_GUARD, PC_EXPLICIT) == 0);
	CHECK(mmu_state(va + PAGE_SIZE) == PS_GUARD && mmu_state(va) == PS_UNUSABLE);
	vm_convert(va + PAGE_SIZE, 1, PS_UNUSABLE, PC_EXPLICIT);
	CHECK(vmem_free(kva_arena(), va, 4 * PAGE_SIZE));
}

TEST(kernel_symbols)
{
	uintptr_t off, a = ksym_address("frame_alloc");
	const char *name;

	CHECK(a != 0);
	name = ksym_lookup(a + 3, &off);
	CHECK(name && !strcmp(name, "frame_alloc") && off == 3);
	CHECK(ksym_lookup(0x1000, &off) == NULL);
}

TEST(kernel_printf_formats)
{
	char b[64];

	snprintf(b, sizeof(b), "%d|%5u|%-4x|%08lx|%#x|%s|%.2s|%c|%llu", -42, 7u, 0xab,
		 0xbeefUL, 255, "str", "abc", 'z', 12345678901ull);
	CHECKF(!strcmp(b, "-42|    7|ab  |0000beef|0xff|str|ab|z|12345678901"), "got '%s'", b);
	CHECK(snprintf(b, 4, "%s", "overflow") == 8 && !strcmp(b, "ove"));
}
