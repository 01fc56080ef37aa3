/*
 * The simulated MMU.  One uint32 "PTE" per page of the region: state in
 * bits 9-11 as on x86, frame number above bit 12.  Protections follow the
 * state: PRESENT/WIRED/MMIO read-write, ZERO read-only, the rest none.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "arch/host/sim.h"
#include "mm/pagestate.h"
#include "mm/frame.h"

#define STATE_SHIFT 9

static uint8_t *region;
static size_t npages;
static uint32_t *ptes;
static struct sim_counts counts;
static sim_fault_fn fault_fn;
static void *frame_db;

uintptr_t sim_base(void) { return (uintptr_t)region; }
size_t sim_pages(void) { return npages; }
void sim_counts(struct sim_counts *c) { *c = counts; }
void sim_set_fault_handler(sim_fault_fn fn) { fault_fn = fn; }

static uint32_t *pte(uintptr_t va)
{
	if (va < (uintptr_t)region || va >= (uintptr_t)region + npages * PAGE_SIZE)
		return NULL;
	return &ptes[(va - (uintptr_t)region) >> PAGE_SHIFT];
}

unsigned mmu_state(uintptr_t va)
{
	uint32_t *p = pte(va);

	return p ? (*p >> STATE_SHIFT) & 7 : PS_UNUSABLE;
}

pfn_t mmu_frame(uintptr_t va)
{
	uint32_t *p = pte(va);

	return p && pagestate_is_mapped(mmu_state(va)) ? *p >> PAGE_SHIFT : PFN_NONE;
}

void mmu_set(uintptr_t va, unsigned state, pfn_t frame)
{
	uint32_t *p = pte(va);
	void *page = (void *)(va & ~(uintptr_t)(PAGE_SIZE - 1));
	int prot = PROT_NONE;

	if (!p) {
		fprintf(stderr, "sim: mmu_set outside the region at %#lx\n", (unsigned long)va);
		abort();
	}
	if (pagestate_is_mapped(mmu_state(va)) && !pagestate_is_mapped(state))
		madvise(page, PAGE_SIZE, MADV_DONTNEED);	/* the frame's contents go */
	if (state == PS_PRESENT || state == PS_WIRED || state == PS_MMIO)
		prot = PROT_READ | PROT_WRITE;
	else if (state == PS_ZERO)
		prot = PROT_READ;
	if (state == PS_PRESENT && mmu_state(va) == PS_ZERO)
		madvise(page, PAGE_SIZE, MADV_DONTNEED);
	mprotect(page, PAGE_SIZE, prot);
	*p = (frame != PFN_NONE ? frame << PAGE_SHIFT : 0) | state << STATE_SHIFT;
	counts.tlb_invalidations++;
}

bool mmu_ensure_table(uintptr_t va) { return pte(va) != NULL; }

void mmu_zero_page(uintptr_t va)
{
	memset((void *)(va & ~(uintptr_t)(PAGE_SIZE - 1)), 0, PAGE_SIZE);
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
	if (pte(va) && fault_fn && fault_fn(va, write))
		return;
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
