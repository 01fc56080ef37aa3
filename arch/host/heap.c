/*
 * The host heap fixture: a simulated region with guard pages, frames from
 * a made-up map, and the SIGSEGV fault entry wired to kheap_fault, so mm/
 * runs here exactly as in the kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include "arch/host/sim.h"
#include "arch/host/heap.h"
#include "mm/kheap.h"
#include "mm/heapfault.h"
#include "mm/scavenge.h"
#include "mm/frame.h"

static void *meta;

static bool on_fault(uintptr_t va, bool write)
{
	const char *why = NULL;
	enum kheap_fault_result r = kheap_fault(va, write, &why);

	if (r == KF_MISUSE)
		kheap_fault_report(va, write, 0);	/* no faulting address from the sim */
	if (r != KF_RESOLVED)
		fprintf(stderr, "host heap: %s fault at %#lx refused: %s\n",
			write ? "write" : "read", (unsigned long)va, why ? why : "not a heap page");
	return r == KF_RESOLVED;
}

void host_heap_init(size_t region_pages, uint32_t frames, bool overcommit)
{
	struct scav_config sc = { .threshold_bytes = 256 * 1024, .bg_retain_pages = 256 };
	uintptr_t base;

	if (sim_base())
		sim_fini();
	base = sim_init(region_pages + 2);
	uintptr_t region = base + PAGE_SIZE;

	sim_frames_init(frames);
	pagestate_init(frame_alloc());
	pagestate_watch(region, region_pages);
	vm_convert(base, 1, PS_GUARD, PC_BOOT);
	vm_convert(region, region_pages, PS_AOW, PC_BOOT);
	vm_convert(region + region_pages * PAGE_SIZE, 1, PS_GUARD, PC_BOOT);
	free(meta);
	meta = calloc(1, kheap_meta_size(region_pages));
	host_cache_id = 0;
	kheap_init(region, region_pages, meta, overcommit);
	scavenge_init(&sc);
	frame_set_pressure_hook(scavenge_on_pressure);
	sim_set_fault_handler(on_fault);
}
