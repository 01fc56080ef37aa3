/*
 * The host platform's simulated machine: a reserved region standing for
 * kernel virtual space, whose pages carry page states like PTEs do, and
 * whose protections follow them (PROT_NONE unless mapped), so an access
 * to an AOW page really faults: SIGSEGV is turned into a call of the same
 * fault logic the kernel runs (mm/ fault entry, see sim_set_fault_handler).
 *
 * Frames are numbers from mm/frame.c fed a made-up memory map; a page's
 * contents live in the region itself.  Releasing a frame drops the
 * contents with madvise(MADV_DONTNEED).
 */
#ifndef ARCH_HOST_SIM_H
#define ARCH_HOST_SIM_H

#include "mm/platform.h"

/* Reserve a simulated kernel space of npages; returns its base. */
uintptr_t sim_init(size_t npages);
void sim_fini(void);
uintptr_t sim_base(void);
size_t sim_pages(void);

/* Counters the tests read. */
struct sim_counts {
	uint64_t tlb_invalidations;
	uint64_t faults;		/* SIGSEGVs turned into fault calls */
};
void sim_counts(struct sim_counts *c);
/* The text of the last error klog'd (arch/host/platform.c). */
extern char host_last_error[256];

/*
 * The fault entry: called for an access to va inside the region; returns
 * true when the fault was resolved (the access is retried).  Unresolved,
 * or a fault taken while the entry runs (a nested fault, which the kernel
 * reports and stops on too), is reported on stderr and aborts.
 */
typedef bool (*sim_fault_fn)(uintptr_t va, bool write);
void sim_set_fault_handler(sim_fault_fn fn);
sim_fault_fn sim_fault_handler(void);

/* Set up frames from a made-up map of nframes RAM frames above 1 MiB. */
void sim_frames_init(uint32_t nframes);

#endif
