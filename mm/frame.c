/*
 * Physical frames: a state byte per frame, a stack of frames that were
 * handed out and came back, and a cursor below which every frame has been
 * handed out at least once.  All of it is out of band (in the database
 * handed to frame_init), so allocation and free are O(1) (the cursor's
 * skipping is amortized: it passes each frame once) and free frames are
 * never touched.  Nothing is done per frame at init beyond marking the
 * holes: a database that comes from demand-zero memory costs memory only
 * as frames are used.
 *
 * Invariants (frame_audit):
 *   count(FS_FREE) == nfree; count(FS_USED) == nused; nfree + nused == ntotal;
 *   the stack holds exactly the free frames below the cursor, once each;
 *   nreserved <= nfree.
 */
#include "mm/frame.h"

enum { FS_FREE = 0, FS_NOTRAM = 1, FS_USED = 2, FS_MARK = 0x80 };

#define LOW_MEM_PFN 256u	/* the first MiB is never handed out */

static uint8_t *fstate;
static pfn_t *fstack;
static pfn_t fmax, cursor;
static uint32_t depth;		/* frames on the stack */
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

static uint32_t counted[3];	/* frames in each state while frame_init marks */

/* Set frames [lo, hi) that are in state `from` (any state if from < 0) to `to`. */
static void mark(uint64_t lo, uint64_t hi, int from, uint8_t to)
{
	if (hi > fmax)
		hi = fmax;
	for (uint64_t f = lo; f < hi; f++) {
		if (from < 0 || fstate[f] == from) {
			counted[fstate[f]]--;
			counted[to]++;
			fstate[f] = to;
		}
	}
}

/* Whole frames of a RAM range (rounded inward), holdings rounded outward. */
static uint64_t first_pfn(const struct phys_range *r)
{
	return r->kind == PR_RAM ? (r->start + PAGE_SIZE - 1) >> PAGE_SHIFT : r->start >> PAGE_SHIFT;
}

static uint64_t end_pfn(const struct phys_range *r)
{
	return r->kind == PR_RAM ? r->end >> PAGE_SHIFT : (r->end + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* Mark NOTRAM every frame no RAM range covers, walking up through the gaps. */
static void mark_holes(const struct phys_range *r, size_t n)
{
	uint64_t covered = 0;		/* frames below this are covered or marked */

	for (;;) {
		uint64_t reach = covered, next = UINT64_MAX;

		for (size_t i = 0; i < n; i++) {
			uint64_t lo = first_pfn(&r[i]), hi = end_pfn(&r[i]);

			if (r[i].kind != PR_RAM || hi <= lo || hi <= covered)
				continue;
			if (lo <= covered)
				reach = MAX(reach, hi);		/* extends the covered prefix */
			else
				next = MIN(next, lo);		/* a gap before it */
		}
		if (reach > covered) {
			covered = reach;
		} else if (next != UINT64_MAX) {
			mark(covered, next, -1, FS_NOTRAM);
			covered = next;
		} else {
			mark(covered, fmax, -1, FS_NOTRAM);
			return;
		}
	}
}

void frame_init(void *db, pfn_t max_pfn, const struct phys_range *r, size_t n)
{
	fmax = max_pfn;
	fstack = db;				/* aligned first, then the bytes */
	fstate = (uint8_t *)db + (size_t)max_pfn * sizeof(*fstack);
	/* fstate arrives zeroed: every frame FS_FREE until marked otherwise */
	counted[FS_FREE] = fmax;
	counted[FS_NOTRAM] = counted[FS_USED] = 0;
	mark(0, LOW_MEM_PFN, -1, FS_NOTRAM);
	mark_holes(r, n);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_FIRMWARE && r[i].end > r[i].start)
			mark(first_pfn(&r[i]), end_pfn(&r[i]), -1, FS_NOTRAM);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_KERNEL && r[i].end > r[i].start)
			mark(first_pfn(&r[i]), end_pfn(&r[i]), FS_FREE, FS_USED);
	nfree = counted[FS_FREE];
	nused = counted[FS_USED];
	nreserved = 0;
	depth = 0;
	cursor = 0;
	ntotal = nfree + nused;
	frame_set_watermarks(MAX(ntotal / 32, 8u), MAX(ntotal / 16, 16u));
}

void frame_set_watermarks(uint32_t low, uint32_t high)
{
	wm_low = low;
	wm_high = high > low ? high : low;
}

void frame_set_pressure_hook(frame_pressure_fn fn) { pressure_hook = fn; }

/* A free frame: one that came back, else the next never handed out. */
static pfn_t pop(void)
{
	pfn_t f;

	if (depth) {
		f = fstack[--depth];
	} else {
		while (fstate[cursor] != FS_FREE)
			cursor++;
		f = cursor++;
	}
	KASSERT(f < fmax && fstate[f] == FS_FREE);
	fstate[f] = FS_USED;
	nfree--;
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

	if (f >= fmax || fstate[f] == FS_NOTRAM)
		why = "is not RAM the allocator manages";
	else if (fstate[f] == FS_FREE)
		why = "is already free (double free)";
	if (!why) {
		fstate[f] = FS_FREE;
		if (f < cursor)			/* the cursor finds the others itself */
			fstack[depth++] = f;
		nfree++;
		nused--;
	}
	irq_restore(flags);
	if (why) {
		char caller[64];

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
	uint32_t cfree = 0, cused = 0, below = 0, i;
	bool ok = true;

	for (pfn_t f = 0; f < fmax; f++) {
		cfree += fstate[f] == FS_FREE;
		cused += fstate[f] == FS_USED;
		below += f < cursor && fstate[f] == FS_FREE;
	}
	for (i = 0; i < depth && ok; i++) {
		pfn_t f = fstack[i];

		if (f >= cursor || (fstate[f] & ~FS_MARK) != FS_FREE)
			ok = audit_fail("stacked frame not free below the cursor: slot, frame", i, f);
		else if (fstate[f] & FS_MARK)
			ok = audit_fail("frame stacked twice: slot, frame", i, f);
		else
			fstate[f] |= FS_MARK;
	}
	for (i = 0; i < depth; i++)
		if (fstack[i] < fmax)
			fstate[fstack[i]] &= ~FS_MARK;
	if (ok && below != depth)
		ok = audit_fail("free frames below the cursor != stack depth", below, depth);
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
