/*
 * libkheap's sampled guarded blocks, after KFENCE: every Nth malloc
 * (guard_every; KHEAP_SAMPLE, by default 1000 at KHEAP_CHECK=2 and every
 * one at 3) is a page run of its own, the block placed at the end of its
 * last page with one more page after it made inaccessible (mprotect), so
 * an overflow faults at the instruction that crossed into it.  A freed
 * block's pages are made inaccessible too and kept in a quarantine of
 * QUARANTINE blocks, so a read or write after free faults as well; the
 * oldest is given back to the heap when a newer one comes in.  The
 * SIGSEGV handler reports such a fault in the two lines of
 * mm/heapreport.h (overflow, use after free read or write), naming the
 * block, its size and its sites, and aborts; any other fault goes to the
 * handler that was there before.
 *
 * The bytes between the block's end and the guard page (malloc's 16-byte
 * alignment leaves up to 15) hold a pattern checked at free.
 *
 * Locking: the table and the quarantine under the heap's own lock
 * (irq_save, recursive); the handler reads the table without it (the
 * process is about to abort).  The heap sees a guarded block as an
 * ordinary live page run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "arch/lib/lib.h"
#include "mm/kheap.h"
#include "mm/heapreport.h"

#define SLOTS		(1u << 16)	/* guarded blocks live or in quarantine, at most 3/4 */
#define QUARANTINE	64
#define ALIGN		16
#define TOMB		((uintptr_t)1)	/* a slot whose block left */

struct guarded {
	uintptr_t obj, run;
	size_t pages, size;		/* the block's pages (the guard not counted), bytes */
	uintptr_t alloc_site, free_site;
	bool freed;
};

unsigned guard_every;
static struct guarded *slot;
static size_t used;
static uintptr_t quarantine[QUARANTINE];	/* the freed blocks, oldest at qhead */
static unsigned qhead, qlen;
static __thread unsigned tick __attribute__((tls_model("initial-exec")));
static struct sigaction before;

static const struct heap_misuse
	PAST_END = { HR_OVERFLOW, "a sampled block's guard page was touched" },
	TAIL_WRITTEN = { HR_OVERFLOW, "the bytes between a sampled block and its guard page were written" },
	FREED_READ = { HR_UAF_READ, "a sampled block was read after its free" },
	FREED_WRITE = { HR_UAF_WRITE, "a sampled block was written after its free" },
	FREED_TWICE = { HR_DOUBLE_FREE, "a sampled block freed again" };

static uint8_t tail_byte(uintptr_t a) { return (uint8_t)(0xA0 | (a & 0x1F)); }
static size_t rounded(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

/* The slot holding obj, or the free one where it would go (NULL: none). */
static struct guarded *find(uintptr_t obj, bool for_new)
{
	uint32_t h = (uint32_t)((obj >> 4) * 2654435761u) % SLOTS;

	for (uint32_t n = 0; n < SLOTS; n++, h = (h + 1) % SLOTS) {
		if (slot[h].obj == obj && !for_new)
			return &slot[h];
		if (!slot[h].obj || (for_new && slot[h].obj == TOMB))
			return for_new ? &slot[h] : NULL;
	}
	return NULL;
}

static void report(const struct heap_misuse *what, const char *op, uintptr_t ptr,
		   const struct guarded *g, uintptr_t caller)
{
	struct heap_report r = { .what = what, .op = op, .ptr = ptr, .obj = g->obj,
				 .obj_size = g->size, .caller = caller,
				 .alloc_site = g->alloc_site, .free_site = g->free_site };

	heap_report(&r);
}

/* The oldest quarantined block back to the heap, its pages accessible again. */
static void evict(uintptr_t caller)
{
	struct guarded *g = find(quarantine[qhead], false);

	qhead = (qhead + 1) % QUARANTINE;
	qlen--;
	if (!g)
		return;
	mprotect((void *)g->run, (g->pages + 1) * PAGE_SIZE, PROT_READ | PROT_WRITE);
	kheap_free_from((void *)g->run, caller);
	g->obj = TOMB;
	used--;
}

static void *place(size_t n, uintptr_t caller)
{
	size_t pages = (n + PAGE_SIZE - 1) / PAGE_SIZE;
	uintptr_t run, obj;
	struct guarded *g;

	if (used >= SLOTS / 4 * 3)
		return NULL;
	run = (uintptr_t)kheap_aligned_from((pages + 1) * PAGE_SIZE - 1, PAGE_SIZE, caller);
	if (!run)
		return NULL;
	obj = run + pages * PAGE_SIZE - rounded(n);
	g = find(obj, true);
	if (!g) {			/* cannot be, below 3/4 full */
		kheap_free_from((void *)run, caller);
		return NULL;
	}
	for (uintptr_t a = obj + n; a < obj + rounded(n); a++)
		*(uint8_t *)a = tail_byte(a);
	mprotect((void *)(run + pages * PAGE_SIZE), PAGE_SIZE, PROT_NONE);
	*g = (struct guarded){ obj, run, pages, n, caller, 0, false };
	used++;
	return (void *)obj;
}

void *guard_alloc(size_t n, uintptr_t caller)
{
	void *p = NULL;

	if (++tick < guard_every || n > PTRDIFF_MAX - 2 * PAGE_SIZE)
		return NULL;
	tick = 0;
	irq_save();
	p = place(n ? n : 1, caller);
	irq_restore(0);
	return p;
}

/* Check a live block's tail and quarantine it (lock held). */
static void retire(struct guarded *g, uintptr_t caller)
{
	for (uintptr_t a = g->obj + g->size; a < g->obj + rounded(g->size); a++)
		if (*(uint8_t *)a != tail_byte(a)) {
			report(&TAIL_WRITTEN, "kfree", a, g, caller);
			break;
		}
	mprotect((void *)g->run, g->pages * PAGE_SIZE, PROT_NONE);
	g->freed = true;
	g->free_site = caller;
	if (qlen == QUARANTINE)
		evict(caller);
	quarantine[(qhead + qlen++) % QUARANTINE] = g->obj;
}

bool guard_free(void *p, uintptr_t caller)
{
	struct guarded *g;

	irq_save();
	g = find((uintptr_t)p, false);
	if (g && g->freed)
		report(&FREED_TWICE, "kfree", (uintptr_t)p, g, caller);
	else if (g)
		retire(g, caller);
	irq_restore(0);
	return g != NULL;
}

size_t guard_size(const void *p)
{
	struct guarded *g;
	size_t n = 0;

	irq_save();
	g = find((uintptr_t)p, false);
	if (g && !g->freed)
		n = g->size;
	irq_restore(0);
	return n;
}

/* The guarded block whose pages (its guard included) hold a. */
static const struct guarded *holding(uintptr_t a)
{
	for (size_t i = 0; i < SLOTS; i++)
		if (slot[i].obj > TOMB && a >= slot[i].run &&
		    a < slot[i].run + (slot[i].pages + 1) * PAGE_SIZE)
			return &slot[i];
	return NULL;
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	const struct guarded *g = holding((uintptr_t)si->si_addr);
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
	if (!g) {
		sigaction(SIGSEGV, &before, NULL);	/* not ours: as if we were not here */
		return;
	}
	if (g->freed)
		report(write ? &FREED_WRITE : &FREED_READ, write ? "write" : "read",
		       (uintptr_t)si->si_addr, g, pc);
	else
		report(&PAST_END, write ? "write" : "read", (uintptr_t)si->si_addr, g, pc);
}

void guard_init(unsigned every)
{
	struct sigaction sa;

	slot = mmap(NULL, SLOTS * sizeof(*slot), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slot == MAP_FAILED) {
		klog(LOG_WARN, "no memory for the table of sampled blocks: none are sampled");
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &before)) {
		klog(LOG_WARN, "no SIGSEGV handler for sampled blocks: none are sampled");
		return;
	}
	guard_every = every;
}
