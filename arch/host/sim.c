/*
 * The simulated MMU.  One uint32 PTE per page of the region, built by the
 * kernel's own constructor (pte_make, arch/x86/pte_state.h) and read with
 * its decoders, so the entries are bit for bit those the i386 kernel
 * writes.  Protections follow the entry as the hardware would: P readable,
 * P and W read-write, otherwise none.  A page's contents stay while its
 * entry holds a frame (KEPT included: inaccessible, but its frame's
 * bytes are back when it is mapped again), and go when it stops.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "arch/host/sim.h"
#include "arch/x86/pte_state.h"
#include "mm/frame.h"

static uint8_t *region;
static size_t npages;
static uint32_t *ptes;
static struct sim_counts counts;
static sim_fault_fn fault_fn;
static void *frame_db;
static int fault_depth;			/* inside on_segv's call of fault_fn */

uintptr_t sim_base(void) { return (uintptr_t)region; }
size_t sim_pages(void) { return npages; }
void sim_counts(struct sim_counts *c) { *c = counts; }
void sim_set_fault_handler(sim_fault_fn fn) { fault_fn = fn; }
sim_fault_fn sim_fault_handler(void) { return fault_fn; }

static uint32_t *pte(uintptr_t va)
{
	if (va < (uintptr_t)region || va >= (uintptr_t)region + npages * PAGE_SIZE)
		return NULL;
	return &ptes[(va - (uintptr_t)region) >> PAGE_SHIFT];
}

unsigned mmu_state(uintptr_t va)
{
	uint32_t *p = pte(va);

	return p ? pte_state(*p) : PS_UNUSABLE;
}

pfn_t mmu_frame(uintptr_t va)
{
	uint32_t *p = pte(va);

	return p && pte_has_frame(*p) ? pte_frame(*p) : PFN_NONE;
}

/* What the hardware would allow on an entry. */
static int prot_of(uint32_t e)
{
	if (!(e & PTE_P))
		return PROT_NONE;
	return e & PTE_W ? PROT_READ | PROT_WRITE : PROT_READ;
}

void mmu_set(uintptr_t va, unsigned state, pfn_t frame)
{
	uint32_t *p = pte(va);
	void *page = (void *)(va & ~(uintptr_t)(PAGE_SIZE - 1));
	uint32_t e = pte_make(state, frame);

	if (!p) {
		fprintf(stderr, "sim: mmu_set outside the region at %#lx\n", (unsigned long)va);
		abort();
	}
	if (pte_has_frame(*p) && !pte_has_frame(e))
		madvise(page, PAGE_SIZE, MADV_DONTNEED);	/* the frame's contents go */
	if (state == PS_PRESENT && pte_state(*p) == PS_ZERO)
		madvise(page, PAGE_SIZE, MADV_DONTNEED);	/* the zero frame's view goes */
	mprotect(page, PAGE_SIZE, prot_of(e));
	*p = e;
	counts.tlb_invalidations++;
}

/* One thread changes entries here: the test is the compare, mmu_set the swap. */
bool mmu_set_if(uintptr_t va, unsigned from, unsigned to, pfn_t frame)
{
	if (mmu_state(va) != from)
		return false;
	mmu_set(va, to, frame);
	return true;
}

bool mmu_ensure_table(uintptr_t va) { return pte(va) != NULL; }

void mmu_zero_page(uintptr_t va)
{
	memset((void *)(va & ~(uintptr_t)(PAGE_SIZE - 1)), 0, PAGE_SIZE);
}

/* Frames have no contents here: a page reads as zero when it gets one (mmu_set). */
bool mmu_zero_frame(pfn_t f) { (void)f; return true; }
bool mmu_frame_is_zero(pfn_t f) { (void)f; return true; }

/* As the kernel does (fault/pagefault.c): a fault in the fault path stops. */
__attribute__((noreturn)) static void nested(uintptr_t va, bool write)
{
	fprintf(stderr, "sim: FATAL: page fault inside the page-fault handler: "
		"%s at %#lx (state %s)\n", write ? "write" : "read", (unsigned long)va,
		pagestate_name(mmu_state(va)));
	signal(SIGABRT, SIG_DFL);
	abort();
}

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	uintptr_t va = (uintptr_t)si->si_addr;
	bool write = false;
#if defined(__x86_64__)
	ucontext_t *uc = uc_;
	write = uc->uc_mcontext.gregs[REG_ERR] & 2;
#elif defined(__i386__)
	ucontext_t *uc = uc_;
	write = uc->uc_mcontext.gregs[REG_ERR] & 2;
#else
	(void)uc_;
#endif
	counts.faults++;
	if (fault_depth)
		nested(va, write);
	fault_depth++;
	if (pte(va) && fault_fn && fault_fn(va, write)) {
		fault_depth--;
		return;
	}
	fprintf(stderr, "sim: unhandled %s fault at %#lx (state %s)\n",
		write ? "write" : "read", (unsigned long)va,
		pagestate_name(mmu_state(va)));
	signal(sig, SIG_DFL);
	abort();
}

uintptr_t sim_init(size_t pages)
{
	struct sigaction sa;

	npages = pages;
	region = mmap(NULL, pages * PAGE_SIZE, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ptes = calloc(pages, sizeof(*ptes));
	if (region == MAP_FAILED || !ptes) {
		perror("sim_init");
		abort();
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	memset(&counts, 0, sizeof(counts));
	fault_depth = 0;
	return (uintptr_t)region;
}

void sim_fini(void)
{
	munmap(region, npages * PAGE_SIZE);
	free(ptes);
	free(frame_db);
	region = NULL;
	ptes = NULL;
	frame_db = NULL;
	npages = 0;
}

void sim_frames_init(uint32_t nframes)
{
	struct phys_range r = { 0x100000, 0x100000 + (uint64_t)nframes * PAGE_SIZE, PR_RAM };
	pfn_t max = frame_max_pfn(&r, 1);

	free(frame_db);
	frame_db = calloc(1, frame_db_size(max));
	frame_init(frame_db, max, &r, 1);
}
