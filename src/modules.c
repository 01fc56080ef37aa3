/*
 * GRUB modules in the arena modules, a child of kva: each module's frames
 * mapped WIRED at fresh pages, in the order GRUB lists them.  The frames
 * are the kernel's from boot (PR_KERNEL), so nothing else maps them.
 */
#include "src/modules.h"
#include "src/log.h"
#include "src/lib.h"
#include "mm/pagestate.h"
#include "mm/owner.h"
#include "mm/frame.h"

#define MODULES_IMPORT	(64 * 1024)

static vmem_t *arena;
static struct kmodule mods[MB2_MAX_MODS];
static size_t nmods, nmapped;

size_t module_count(void) { return nmapped; }
const struct kmodule *module_get(size_t i) { return i < nmapped ? &mods[i] : NULL; }

/* FNV-1a, 32 bits: scripts/test-all computes the same over the files. */
uint32_t module_checksum(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void modules_init(vmem_t *kva, const struct boot_info *bi)
{
	arena = vmem_create("modules", 0, 0, PAGE_SIZE, kva, MODULES_IMPORT);
	if (!arena)
		panic("boot: cannot create the modules arena");
	for (nmods = 0; nmods < bi->nmods; nmods++) {
		memcpy(mods[nmods].name, bi->mods[nmods].name, sizeof(mods[nmods].name));
		mods[nmods].phys = bi->mods[nmods].start;
		mods[nmods].size = bi->mods[nmods].end - bi->mods[nmods].start;
	}
	vmem_log(arena, "GRUB modules (module2), WIRED on their own frames");
}

/* Map module m's pages; the address of its first byte, or NULL. */
static const uint8_t *map_module(const struct kmodule *m)
{
	uint32_t first = m->phys & ~(PAGE_SIZE - 1);
	size_t npages = ((size_t)m->phys + m->size - first + PAGE_SIZE - 1) / PAGE_SIZE;
	uintptr_t va = vmem_alloc(arena, MAX(npages, (size_t)1) * PAGE_SIZE, VM_INSTANTFIT);

	if (!va)
		return NULL;
	for (size_t i = 0; i < npages; i++) {
		if (!mmu_ensure_table(va + i * PAGE_SIZE)) {
			vm_convert(va, i, PS_UNUSABLE, PC_BOOT);
			vmem_free(arena, va, MAX(npages, (size_t)1) * PAGE_SIZE);
			return NULL;
		}
		page_set_state(va + i * PAGE_SIZE, PS_WIRED, (first >> PAGE_SHIFT) + (pfn_t)i,
			       PC_BOOT);
	}
	owner_register(va, MAX(npages, (size_t)1) * PAGE_SIZE, OW_MODULE, m->name);
	return (const uint8_t *)va + (m->phys - first);
}

void modules_map(void)
{
	for (size_t i = 0; i < nmods; i++) {
		struct kmodule *m = &mods[nmapped];

		*m = mods[i];
		m->va = map_module(m);
		if (!m->va) {
			klog(LOG_ERROR, "module: %s: phys %#x+%#x left out: no virtual space "
			     "or page table for it", m->name, m->phys, m->size);
			continue;
		}
		m->boot_sum = module_checksum(m->va, m->size);
		kprintf("module: %s: phys %#x-%#x (%u bytes) at %p, fnv1a %#010x", m->name,
			m->phys, m->phys + m->size, m->size, (const void *)m->va, m->boot_sum);
		nmapped++;
	}
}

long module_bad_page(const struct kmodule *m)
{
	uintptr_t va = (uintptr_t)m->va & ~(uintptr_t)(PAGE_SIZE - 1);
	pfn_t first = m->phys >> PAGE_SHIFT;
	size_t npages = ((uintptr_t)m->va + m->size - va + PAGE_SIZE - 1) / PAGE_SIZE;

	for (size_t i = 0; i < npages; i++) {
		uintptr_t p = va + i * PAGE_SIZE;

		if (mmu_state(p) != PS_WIRED || mmu_frame(p) != first + i ||
		    !frame_is_used(first + i))
			return (long)i;
	}
	return -1;
}

bool modules_check(const char *when)
{
	bool ok = true;

	for (size_t i = 0; i < nmapped; i++) {
		const struct kmodule *m = &mods[i];
		long bad = module_bad_page(m);
		uint32_t sum = module_checksum(m->va, m->size);

		if (bad < 0 && sum == m->boot_sum) {
			kprintf("module: %s: intact %s, fnv1a %#010x", m->name, when, sum);
			continue;
		}
		if (bad >= 0)
			kprintf("module: %s: FAIL %s: page %ld is not WIRED on its own used frame",
				m->name, when, bad);
		else
			kprintf("module: %s: FAIL %s: fnv1a %#010x, %#010x at boot", m->name, when,
				sum, m->boot_sum);
		ok = false;
	}
	return ok;
}
