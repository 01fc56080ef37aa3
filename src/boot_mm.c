/*
 * Boot-time memory setup, in order:
 *  1. the physical ranges: the memory map, plus the kernel's own holdings
 *     (image, Multiboot2 block, modules) as PR_KERNEL;
 *  2. bootmem, and mmu_init (boot window laid out, identity map dropped);
 *  3. kernel virtual space after the image: the arena kva (mm/vmem.h);
 *  4. the frame database, mapped WIRED on bootmem frames;
 *  5. frame_init, then page tables come from frame_alloc;
 *  6. boundary tags for arenas now come from pages of kva, backed here;
 *  7. the shared zero frame.
 */
#include "src/boot_mm.h"
#include "src/lib.h"
#include "src/log.h"
#include "arch/x86/layout.h"
#include "arch/x86/mmu.h"
#include "mm/bootmem.h"
#include "mm/frame.h"
#include "mm/pagestate.h"
#include "mm/vmem.h"
#include "src/ioremap.h"
#include "src/modules.h"
#include "src/kstack.h"
#include "src/owners.h"
#include "src/vmalloc.h"
#include "mm/owner.h"
#include "mm/kheap.h"
#include "mm/scavenge.h"
#include "mm/heapreport.h"
#include "mm/trace.h"

/*
 * The heap's descriptors are WIRED (map_wired below) and all of them
 * were touched by the memset at boot: there is nothing to give back.
 */
void platform_meta_release(void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

/* The page states are in the page tables, which stay. */
void platform_state_release(uintptr_t va, size_t n)
{
	(void)va;
	(void)n;
}
#include "src/cmdline.h"
#include "arch/x86/trap.h"

extern char __kernel_start[], __kernel_end[];

static struct phys_range ranges[MB2_MAX_MEM + MB2_MAX_MODS + 3];
static size_t nranges;
static vmem_t *kva;

vmem_t *kva_arena(void) { return kva; }

static void add_range(uint64_t start, uint64_t end, unsigned kind)
{
	ranges[nranges].start = start;
	ranges[nranges].end = end;
	ranges[nranges].kind = kind;
	nranges++;
}

/* Map npages of fresh WIRED memory from bootmem at a new virtual range. */
static void *map_boot_pages(size_t npages)
{
	uintptr_t va = vmem_alloc(kva, npages * PAGE_SIZE, VM_INSTANTFIT);

	if (!va)
		panic("boot: no kernel virtual space for %zu pages", npages);
	for (size_t i = 0; i < npages; i++) {
		uintptr_t p = va + i * PAGE_SIZE;

		if (!mmu_ensure_table(p))
			panic("boot: no frame for a page table at %#lx", (unsigned long)p);
		page_set_state(p, PS_WIRED, bootmem_alloc(), PC_BOOT);
	}
	return (void *)va;
}

/* A zeroed frame, never mapped writable after this. */
static pfn_t make_zero_frame(void)
{
	uintptr_t va = vmem_alloc(kva, PAGE_SIZE, VM_INSTANTFIT);
	pfn_t f = frame_alloc();

	if (!va || f == PFN_NONE || !mmu_ensure_table(va))
		panic("boot: cannot set up the zero frame");
	page_set_state(va, PS_WIRED, f, PC_BOOT);
	mmu_zero_page(va);
	page_set_state(va, PS_UNUSABLE, PFN_NONE, PC_BOOT);
	vmem_free(kva, va, PAGE_SIZE);
	return f;
}

/*
 * A page of boundary tags at va (mm/vmem_tag.c): a fresh frame, WIRED,
 * in the owner index by a record in the page's last bytes, which the
 * tags leave to us (VMEM_TAG_PAGE_KEEP).
 */
static bool back_tag_page(uintptr_t va)
{
	struct owner *o = (struct owner *)(va + PAGE_SIZE - VMEM_TAG_PAGE_KEEP);
	pfn_t f = frame_alloc();

	_Static_assert(sizeof(struct owner) <= VMEM_TAG_PAGE_KEEP, "an owner record fits");
	if (f == PFN_NONE)
		return false;
	if (!mmu_ensure_table(va)) {
		frame_free(f);
		return false;
	}
	page_set_state(va, PS_WIRED, f, PC_EXPLICIT);
	memset(o, 0, sizeof(*o));	/* a frame's old contents are no record */
	owner_add(o, va, PAGE_SIZE, OW_WIRED, "boundary tags of the arenas", NULL);
	return true;
}

/* Kernel virtual space: one span, where the width's layout puts it (mmu_kva_span). */
static void kva_init(void)
{
	uintptr_t image_end = ((uintptr_t)__kernel_end + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	uintptr_t start, end;

	mmu_kva_span(image_end, &start, &end);
	kva = vmem_create("kva", start, end - start, PAGE_SIZE, NULL, 0);
	if (!kva)
		panic("boot: cannot create the kernel virtual space arena");
}

/* RAM the frame database cannot cover (above PHYS_ADDR_END: i386 above 4 GiB) is left alone, and said so. */
static void report_unmapped_ram(void)
{
	uint64_t above = 0;

	for (size_t i = 0; i < nranges; i++)
		if (ranges[i].kind == PR_RAM && ranges[i].end > PHYS_ADDR_END)
			above += ranges[i].end - MAX(ranges[i].start, (uint64_t)PHYS_ADDR_END);
	if (above)
		kprintf("memory: %llu MiB of RAM above %#llx not used: the %s kernel cannot map it",
			(unsigned long long)(above >> 20), (unsigned long long)PHYS_ADDR_END, ARCH_NAME);
}

void boot_mm_init(const struct boot_info *bi, uint32_t mbi_phys, uint32_t mbi_size)
{
	struct frame_stats st;
	pfn_t max_pfn;
	void *db;

	owners_boot_init();
	for (size_t i = 0; i < bi->nmem; i++)
		ranges[nranges++] = bi->mem[i];
	add_range((uintptr_t)__kernel_start - KERNBASE, (uintptr_t)__kernel_end - KERNBASE, PR_KERNEL);
	add_range(mbi_phys, (uint64_t)mbi_phys + mbi_size, PR_KERNEL);
	for (size_t i = 0; i < bi->nmods; i++)
		add_range(bi->mods[i].start, bi->mods[i].end, PR_KERNEL);

	bootmem_init(ranges, nranges);
	mmu_init();
	mmu_set_table_allocator(bootmem_alloc);
	kva_init();

	max_pfn = frame_max_pfn(ranges, nranges);
	report_unmapped_ram();
	if (max_pfn <= 256)
		panic("boot: the memory map lists no RAM above 1 MiB");
	db = map_boot_pages((frame_db_size(max_pfn) + PAGE_SIZE - 1) / PAGE_SIZE);
	memset(db, 0, frame_db_size(max_pfn));		/* frame_init's contract */
	owner_register((uintptr_t)db, frame_db_size(max_pfn), OW_WIRED, "the frame database");
	ranges[nranges++] = bootmem_held();
	bootmem_done();
	frame_init(db, max_pfn, ranges, nranges);
	mmu_set_table_allocator(frame_alloc);
	vmem_set_tag_source(kva, back_tag_page);
	pagestate_init(make_zero_frame());
	vmem_log(kva, "kernel virtual space: frame database, heap region, tag pages, "
		 "mmio, module and stack spans, tests");
	ioremap_init(kva, &bi->fb);
	modules_init(kva, bi);
	kstack_init(kva);
	vmalloc_init(kva);

	frame_stats(&st);
	kprintf("frames: %u total, %u free, %u used (%u KiB frame database, %u page tables)",
		(unsigned)st.total, (unsigned)st.free, (unsigned)st.used,
		(unsigned)(frame_db_size(max_pfn) / 1024), (unsigned)mmu_table_count());
	kprintf("watermarks: low %u, high %u free frames", (unsigned)st.low, (unsigned)st.high);
}

#define ZERO_PER_TICK 4		/* free frames zeroed ahead each tick (mm/frame.h) */

/*
 * Each timer tick: the scavenger's paced pass, then a few free frames
 * zeroed ahead of the write faults that will want them; each second, the
 * trace's figures.
 */
static void heap_tick(void)
{
	static unsigned ticks;

	scavenge_tick();
	frame_zero_ahead(ZERO_PER_TICK);
	if (TRACE_ON(TR_STATS) && ++ticks % 100 == 0)
		kheap_trace_stats();
}

/* The categories trace= names; an unknown one is reported and tracing stays off. */
static uint32_t trace_mask_from_cmdline(void)
{
	uint32_t mask = 0;
	char bad[32];

	if (kopts.trace[0] && !trace_parse(kopts.trace, &mask, bad, sizeof(bad))) {
		klog(LOG_WARN, "cmdline: trace=%s rejected: unknown category '%s' "
		     "(pages heap scav pressure oom stats all off); tracing stays off", kopts.trace, bad);
		return 0;
	}
	return mask;
}

/* Fresh WIRED pages from the frame allocator at [va, va + n pages). */
static void map_wired(uintptr_t va, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pfn_t f = frame_alloc();

		if (f == PFN_NONE)
			panic("heap setup: out of frames for the page descriptors");
		page_set_state(va + i * PAGE_SIZE, PS_WIRED, f, PC_BOOT);
	}
}

/*
 * The heap region, laid out in the largest free range of kernel virtual
 * space: guard, the region (all AOW), guard, its page descriptors.  All
 * page tables covering it are made now, so a heap fault only writes a PTE.
 */
void boot_heap_init(void)
{
	struct scav_config sc = {
		.threshold_bytes = (size_t)kopts.scav_threshold_kib * 1024,
		.bg_pages_per_tick = kopts.scav_bg,
		.bg_retain_pages = (size_t)kopts.scav_retain_kib * 1024 / PAGE_SIZE,
		.log_passes = kopts.scavtrace,
	};
	struct frame_stats st;
	uintptr_t start = 0, region;
	size_t space = vmem_largest_free(kva, &start) / PAGE_SIZE, pages, dpages, total;
	bool windowed = space > KHEAP_WINDOW / PAGE_SIZE;	/* x86_64: the configured heap window */
	const char *rule;

	if (windowed)
		space = KHEAP_WINDOW / PAGE_SIZE;
	if (kopts.kvspace_mib && space > (size_t)kopts.kvspace_mib * 256)
		space = (size_t)kopts.kvspace_mib * 256;
	frame_stats(&st);
	pages = kheap_region_pages(st.total, space, &rule);
	if (pages < 16)
		panic("heap setup: only %zu pages possible (%u frames of RAM, %zu pages of space)",
		      pages, (unsigned)st.total, space);
	dpages = (kheap_meta_size(pages) + PAGE_SIZE - 1) / PAGE_SIZE;
	total = pages + dpages + 2;
	if (vmem_xalloc(kva, total * PAGE_SIZE, 0, start, start + total * PAGE_SIZE, 0) != start)
		panic("heap setup: cannot take %zu pages at %#lx", total, (unsigned long)start);
	for (uintptr_t va = start & ~(uintptr_t)(PT_SPAN - 1); va < start + total * PAGE_SIZE; va += PT_SPAN)
		if (!mmu_ensure_table(va))
			panic("heap setup: no frame for a page table at %#lx", (unsigned long)va);
	region = start + PAGE_SIZE;
	pagestate_watch(region, pages);
	trace_start(trace_mask_from_cmdline(), region, pages);
	vm_convert(start, 1, PS_GUARD, PC_BOOT);
	vm_convert(region, pages, PS_AOW, PC_BOOT);
	vm_convert(region + pages * PAGE_SIZE, 1, PS_GUARD, PC_BOOT);
	owner_register(start, PAGE_SIZE, OW_GUARD, "below the heap region");
	owner_register(region + pages * PAGE_SIZE, PAGE_SIZE, OW_GUARD, "above the heap region");
	map_wired(region + (pages + 1) * PAGE_SIZE, dpages);
	memset((void *)(region + (pages + 1) * PAGE_SIZE), 0, dpages * PAGE_SIZE);
	heap_report_set_panic(kopts.heap_errors == 1);
	kheap_init(region, pages, (void *)(region + (pages + 1) * PAGE_SIZE), kopts.overcommit);
	kheap_set_sample(kopts.heapsample);
	if (kopts.heapcheck)
		kheap_set_check(kopts.heapcheck);
	kheap_trace_snapshot("boot");
	kheap_trace_stats();
	scavenge_init(&sc);
	frame_set_pressure_hook(scavenge_on_pressure);
	pit_set_tick_hook(heap_tick);
	kprintf("heap: region %#lx-%#lx, %zu pages (%zu MiB), size set by %s; "
		"RAM / 4 = %u pages, virtual space %zu pages%s",
		(unsigned long)region, (unsigned long)(region + pages * PAGE_SIZE), pages,
		pages / 256, rule, (unsigned)st.total / 4, space,
		kopts.kvspace_mib ? " (kvspace= cap)" : windowed ? " (the heap window's)" : "");
	kprintf("heap: commit policy %s; scavenger threshold %u KiB, background %u pages/tick",
		kopts.overcommit ? "overcommit" : "strict (no promise without a frame)",
		(unsigned)kopts.scav_threshold_kib, (unsigned)kopts.scav_bg);
	vmem_log_tags();
	ioremap_boot_devices();
	modules_map();
	owner_print();
}
