/*
 * libkheap's guarded blocks made inaccessible for real.  The blocks are
 * the heap's own (mm/heapguard.c, docs/debugging.md "Guarded blocks"):
 * one allocation in KHEAP_SAMPLE (kheap_set_sample) is a page run with a
 * GUARD page at each end, and freed, every page of it is GUARD in a
 * quarantine.  Here a page entering GUARD is made inaccessible with
 * mprotect and one leaving it accessible again (lib_guard_page, from
 * mmu_set), so an overflow, an underflow past the block's page or a use
 * after free faults at the instruction that did it; the SIGSEGV handler
 * reports such a fault in the two lines of mm/heapreport.h
 * (kheap_fault_report: overflow, underflow, use after free read or
 * write, naming the block, its size and its sites) and aborts.  Any
 * other fault goes to the handler that was there before.
 *
 * Locking: lib_guard_page runs under the heap lock (a page state
 * change); the handler takes none (kheap_fault_report reads descriptors
 * only, and the process is about to abort).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "arch/lib/lib.h"
#include "mm/kheap.h"
#include "mm/heapfault.h"
#include "mm/pagestate.h"

static struct sigaction before;
static bool warned;

void lib_guard_page(uintptr_t va, bool guard)
{
	if (!mprotect((void *)va, PAGE_SIZE, guard ? PROT_NONE : PROT_READ | PROT_WRITE) || warned)
		return;
	warned = true;			/* vm.max_map_count, most likely */
	klog(LOG_WARN, "mprotect of a guarded block's page at %#lx failed: such pages stay accessible",
	     (unsigned long)va);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t va = (uintptr_t)si->si_addr;
#ifdef __x86_64__
	const ucontext_t *uc = ctx;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	bool write = uc->uc_mcontext.gregs[REG_ERR] & 2;	/* the page fault's W bit */
#else
	uintptr_t pc = 0;
	bool write = false;	/* not known here: said as a read */
	(void)ctx;
#endif

	(void)sig;
	if (mmu_state(va) != PS_GUARD || !kheap_fault_report(va, write, pc)) {
		sigaction(SIGSEGV, &before, NULL);	/* not ours: as if we were not here */
		return;
	}
	abort();
}

void guard_init(unsigned every)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &before)) {
		klog(LOG_WARN, "no SIGSEGV handler for sampled blocks: none are sampled");
		return;
	}
	kheap_set_sample(every);
}
