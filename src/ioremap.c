/*
 * ioremap: device and firmware memory in the arena mmio, a child of kva
 * importing 64 KiB spans (after the vmem design, docs/vmem.md).  Each
 * mapping is logged with what it is for, and indexed by owner under that
 * name (mm/owner.h).  The boot-time mappings are the local APIC, where
 * CPUID says there is one, at the address its IA32_APIC_BASE MSR gives,
 * and the framebuffer the Multiboot2 tag describes.
 *
 * Locking: ioremap_spin (rank ioremap, docs/heap.md) is held across a
 * whole ioremap or iounmap, so the range an iounmap gives back is not
 * handed out again before its pages are UNUSABLE and its entry is out of
 * the index (the arena is ioremap's alone).
 */
#include "src/ioremap.h"
#include "src/log.h"
#include "mm/pagestate.h"
#include "mm/owner.h"
#include "mm/spinlock.h"
#include "arch/x86/cpu.h"

#define MMIO_IMPORT	(64 * 1024)
#define MSR_APIC_BASE	0x1b
#define CPUID_MSR	(1u << 5)
#define CPUID_APIC	(1u << 9)

static vmem_t *mmio;
static struct spinlock ioremap_spin = SPINLOCK_INIT(LOCK_IOREMAP);
static volatile uint32_t *lapic;
static struct mb2_framebuffer boot_fb;
static uint8_t *fb_va;

vmem_t *mmio_arena(void) { return mmio; }
volatile uint32_t *lapic_regs(void) { return lapic; }

uint8_t *framebuffer(const struct mb2_framebuffer **fb)
{
	*fb = &boot_fb;
	return fb_va;
}

void ioremap_init(vmem_t *kva, const struct mb2_framebuffer *fb)
{
	boot_fb = *fb;
	mmio = vmem_create("mmio", 0, 0, PAGE_SIZE, kva, MMIO_IMPORT);
	if (!mmio)
		panic("boot: cannot create the mmio arena");
	vmem_log(mmio, "device and firmware memory (ioremap, MMIO pages)");
}

static const char *request_problem(uint64_t phys, size_t len)
{
	if (!len)
		return "empty range";
	if (phys + len < phys || phys + len > ((uint64_t)1 << 32))
		return "the range does not lie below 4 GiB";
	return NULL;
}

/* Map npages at va to the frames from pfn on, as MMIO; false if a page table is missing. */
static bool map_mmio(uintptr_t va, pfn_t pfn, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		if (!mmu_ensure_table(va + i * PAGE_SIZE)) {
			if (i)
				vm_convert(va, i, PS_UNUSABLE, PC_EXPLICIT);
			return false;
		}
		page_set_state(va + i * PAGE_SIZE, PS_MMIO, pfn + (pfn_t)i, PC_EXPLICIT);
	}
	return true;
}

static void *map_locked(uint64_t phys, size_t len, const char *what)
{
	const char *why = request_problem(phys, len);
	uint64_t first = phys & ~(uint64_t)(PAGE_SIZE - 1);
	size_t npages = why ? 0 : (size_t)((phys + len - first + PAGE_SIZE - 1) / PAGE_SIZE);
	uintptr_t va = why ? 0 : vmem_alloc(mmio, npages * PAGE_SIZE, VM_INSTANTFIT);

	if (!why && !va)
		why = "no virtual space in the mmio arena";
	if (!why && !map_mmio(va, (pfn_t)(first >> PAGE_SHIFT), npages)) {
		vmem_free(mmio, va, npages * PAGE_SIZE);
		why = "no frame for a page table";
	}
	if (why) {
		klog(LOG_ERROR, "ioremap: %s: phys %#llx+%#zx refused: %s", what,
		     (unsigned long long)phys, len, why);
		return NULL;
	}
	owner_register(va, npages * PAGE_SIZE, OW_MMIO, what);
	klog(LOG_INFO, "ioremap: %s: phys %#llx-%#llx at %#lx (%zu page%s, MMIO)", what,
	     (unsigned long long)first, (unsigned long long)(first + npages * PAGE_SIZE),
	     (unsigned long)va, npages, npages == 1 ? "" : "s");
	return (void *)(va + (uintptr_t)(phys - first));
}

void *ioremap(uint64_t phys, size_t len, const char *what)
{
	unsigned long f = spin_lock(&ioremap_spin);
	void *p = map_locked(phys, len, what);

	spin_unlock(&ioremap_spin, f);
	return p;
}

static bool unmap_locked(void *p, size_t len, uintptr_t caller)
{
	uintptr_t va = (uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1);
	size_t npages = ((uintptr_t)p + len - va + PAGE_SIZE - 1) / PAGE_SIZE;

	bool ok;

	KASSERT(spin_held(&ioremap_spin));
	for (size_t i = 0; i < npages; i++)
		if (!len || mmu_state(va + i * PAGE_SIZE) != PS_MMIO)
			return vmem_free_from(mmio, va, 0, caller);	/* reports why */
	ok = vmem_free_from(mmio, va, npages * PAGE_SIZE, caller);
	if (ok) {
		vm_convert(va, npages, PS_UNUSABLE, PC_EXPLICIT);
		owner_unregister(va);
	}
	return ok;
}

bool iounmap(void *p, size_t len)
{
	unsigned long f = spin_lock(&ioremap_spin);
	bool ok = unmap_locked(p, len, CALLER());

	spin_unlock(&ioremap_spin, f);
	return ok;
}

static void map_framebuffer(void)
{
	static const char *const types[] = { "indexed", "RGB", "EGA text" };
	const struct mb2_framebuffer *fb = &boot_fb;

	if (!fb->size) {
		kprintf("ioremap: no framebuffer tag; nothing mapped");
		return;
	}
	fb_va = ioremap(fb->addr, (size_t)fb->size, "framebuffer");
	if (fb_va)
		kprintf("ioremap: framebuffer: %u x %u, %u bpp, pitch %u, %s, at phys %#llx "
			"mapped at %p", fb->width, fb->height, fb->bpp, fb->pitch,
			fb->type < 3 ? types[fb->type] : "unknown type",
			(unsigned long long)fb->addr, (void *)fb_va);
}

void ioremap_boot_devices(void)
{
	uint64_t base;

	map_framebuffer();
	if ((cpuid1_edx() & (CPUID_APIC | CPUID_MSR)) != (CPUID_APIC | CPUID_MSR)) {
		kprintf("ioremap: no local APIC (CPUID); nothing mapped");
		return;
	}
	base = rdmsr(MSR_APIC_BASE) & 0xFFFFF000u;
	lapic = ioremap(base, PAGE_SIZE, "local APIC");
	if (lapic)
		kprintf("ioremap: local APIC at phys %#llx (IA32_APIC_BASE) mapped at %p, "
			"version %#x",
			(unsigned long long)base, (void *)lapic, (unsigned)lapic[0x30 / 4]);
}
