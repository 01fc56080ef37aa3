/*
 * Physical frames: a state byte per frame and a stack of free frame
 * numbers, both out of band (in the database handed to frame_init), so
 * allocation and free are O(1) and free frames are never touched.
 *
 * Invariants (frame_audit):
 *   nfree == stack depth; every stacked frame is FS_FREE, stacked once;
 *   count(FS_FREE) == nfree; count(FS_USED) == nused; nfree + nused == ntotal;
 *   nreserved <= nfree.
 */
#include "mm/frame.h"

enum { FS_NOTRAM = 0, FS_FREE = 1, FS_USED = 2, FS_MARK = 0x80 };

#define LOW_MEM_PFN 256u	/* the first MiB is never handed out */

static uint8_t *fstate;
static pfn_t *fstack;
static pfn_t fmax;
static uint32_t nfree, nused, ntotal, nreserved;
static uint32_t wm_low, wm_high;
static frame_pressure_fn pressure_hook;
static long inject = -1;		/* successes left before injected failures */

void frame_inject_failure(long n) { inject = n; }

/* An injected failure is due (and one more success is counted otherwise). */
static bool injected(void)
{
	if (inject < 0)
		return false;
	if (inject == 0)
		return true;
	inject--;
	return false;
}

size_t frame_db_size(pfn_t max_pfn)
{
	return (size_t)max_pfn * (sizeof(*fstate) + sizeof(*fstack));
}

pfn_t frame_max_pfn(const struct phys_range *r, size_t n)
{
	uint64_t top = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_RAM && r[i].end > top)
			top = r[i].end;
	if (top > 0x100000000ull)
		top = 0x100000000ull;
	return (pfn_t)(top >> PAGE_SHIFT);
}

/* Set the state of every whole frame of r inside [LOW_MEM_PFN, fmax). */
static void mark(const struct phys_range *r, uint8_t to, bool only_ram)
{
	uint64_t lo = (r->start + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t hi = r->end >> PAGE_SHIFT;

	if (r->kind != PR_RAM) {	/* round holdings outward */
		lo = r->start >> PAGE_SHIFT;
		hi = (r->end + PAGE_SIZE - 1) >> PAGE_SHIFT;
	}
	if (lo < LOW_MEM_PFN)
		lo = LOW_MEM_PFN;
	if (hi > fmax)
		hi = fmax;
	for (uint64_t f = lo; f < hi; f++)
		if (!only_ram || fstate[f] != FS_NOTRAM)
			fstate[f] = to;
}

void frame_init(void *db, pfn_t max_pfn, const struct phys_range *r, size_t n)
{
	size_t i;

	fmax = max_pfn;
	fstack = db;				/* aligned first, then the bytes */
	fstate = (uint8_t *)db + (size_t)max_pfn * sizeof(*fstack);
	memset(fstate, FS_NOTRAM, max_pfn);
	for (i = 0; i < n; i++)
		if (r[i].kind == PR_RAM && r[i].end > r[i].start)
			mark(&r[i], FS_FREE, false);
	for (i = 0; i < n; i++)
		if (r[i].kind == PR_FIRMWARE && r[i].end > r[i].start)
			mark(&r[i], FS_NOTRAM, false);
	for (i = 0; i < n; i++)
		if (r[i].kind == PR_KERNEL && r[i].end > r[i].start)
			mark(&r[i], FS_USED, true);

	nfree = nused = nreserved = 0;
	for (pfn_t f = fmax; f-- > 0;) {	/* low frames on top */
		if (fstate[f] == FS_FREE)
			fstack[nfree++] = f;
		else if (fstate[f] == FS_USED)
			nused++;
	}
	ntotal = nfree + nused;
	frame_set_watermarks(MAX(ntotal / 32, 8u), MAX(ntotal / 16, 16u));
}

void frame_set_watermarks(uint32_t low, uint32_t high)
{
	wm_low = low;
	wm_high = high > low ? high : low;
}

void frame_set_pressure_hook(frame_pressure_fn fn) { pressure_hook = fn; }

static pfn_t pop(void)
{
	pfn_t f = fstack[--nfree];

	KASSERT(fstate[f] == FS_FREE);
	fstate[f] = FS_USED;
	nused++;
	return f;
}

/* Pop an unpromised frame, or PFN_NONE; *low says we are under the mark. */
static pfn_t take(bool *low)
{
	unsigned long flags = irq_save();
	pfn_t f = nfree > nreserved && !injected() ? pop() : PFN_NONE;

	*low = nfree - nreserved < wm_low;
	irq_restore(flags);
	return f;
}

pfn_t frame_alloc(void)
{
	bool low;
	pfn_t f = take(&low);

	if (pressure_hook && (low || f == PFN_NONE)) {
		pressure_hook(f == PFN_NONE);
		if (f == PFN_NONE)
			f = take(&low);
	}
	return f;
}

pfn_t frame_alloc_reserved(void)
{
	unsigned long flags = irq_save();
	pfn_t f;

	KASSERT(nreserved > 0 && nfree >= nreserved);
	nreserved--;
	f = pop();
	irq_restore(flags);
	return f;
}

bool frame_reserve(uint32_t n)
{
	unsigned long flags = irq_save();
	bool ok = nfree - nreserved >= n && (n == 0 || !injected());

	if (ok)
		nreserved += n;
	irq_restore(flags);
	return ok;
}

void frame_unreserve(uint32_t n)
{
	unsigned long flags = irq_save();

	KASSERT(nreserved >= n);
	nreserved -= n;
	irq_restore(flags);
}

bool frame_free(pfn_t f)
{
	const char *why = NULL;
	unsigned long flags = irq_save();
	char caller[64];

	if (f >= fmax || fstate[f] == FS_NOTRAM)
		why = "is not RAM the allocator manages";
	else if (fstate[f] == FS_FREE)
		why = "is already free (double free)";
	if (!why) {
		fstate[f] = FS_FREE;
		fstack[nfree++] = f;
		nused--;
	}
	irq_restore(flags);
	if (why) {
		ksym_format(CALLER(), caller, sizeof(caller));
		klog(LOG_ERROR, "frame_free: frame %#lx %s; caller %s; nothing changed",
		     (unsigned long)f, why, caller);
	}
	return !why;
}

bool frame_is_used(pfn_t f)
{
	return f < fmax && fstate[f] == FS_USED;
}

void frame_stats(struct frame_stats *st)
{
	unsigned long flags = irq_save();

	st->total = ntotal;
	st->free = nfree;
	st->used = nused;
	st->reserved = nreserved;
	st->low = wm_low;
	st->high = wm_high;
	st->max_pfn = fmax;
	irq_restore(flags);
}

static bool audit_fail(const char *what, unsigned long a, unsigned long b)
{
	klog(LOG_ERROR, "frame audit: %s (%lu, %lu)", what, a, b);
	return false;
}

bool frame_audit(void)
{
	unsigned long flags = irq_save();
	uint32_t cfree = 0, cused = 0, i;
	bool ok = true;

	for (pfn_t f = 0; f < fmax; f++) {
		cfree += fstate[f] == FS_FREE;
		cused += fstate[f] == FS_USED;
	}
	for (i = 0; i < nfree && ok; i++) {
		pfn_t f = fstack[i];

		if (f >= fmax || (fstate[f] & ~FS_MARK) != FS_FREE)
			ok = audit_fail("stacked frame not in state free: slot, frame", i, f);
		else if (fstate[f] & FS_MARK)
			ok = audit_fail("frame stacked twice: slot, frame", i, f);
		else
			fstate[f] |= FS_MARK;
	}
	for (i = 0; i < nfree; i++)
		if (fstack[i] < fmax)
			fstate[fstack[i]] &= ~FS_MARK;
	if (ok && cfree != nfree)
		ok = audit_fail("free count != frames in state free", nfree, cfree);
	if (ok && cused != nused)
		ok = audit_fail("used count != frames in state used", nused, cused);
	if (ok && nfree + nused != ntotal)
		ok = audit_fail("free + used != total", nfree + nused, ntotal);
	if (ok && nreserved > nfree)
		ok = audit_fail("reserved > free", nreserved, nfree);
	irq_restore(flags);
	return ok;
}
