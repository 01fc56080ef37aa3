/*
 * Physical frames: a buddy allocator over zones (docs/frames.md).
 *
 * Each zone (below 16 MiB for ISA DMA, the rest below 4 GiB, and above
 * 4 GiB where the platform maps it: PHYS_ADDR_END, x86_64) keeps a
 * free list per order 0..FRAME_MAX_ORDER of naturally aligned free blocks,
 * and a bit per order saying which lists are non-empty.  A zone starts
 * with nothing on its lists: its frames sit in 4 MiB chunks that a parent
 * (the zone's chunk cursor) hands over one at a time, when no list can
 * serve a request, as maximal free blocks.  Init does nothing per frame
 * beyond marking the holes and handing over the chunks up to the highest
 * boot holding (so no used frame lies above a cursor), and a database in
 * demand-zero memory costs memory only as frames are used.
 *
 * Allocation takes the first non-empty list of the order asked or above
 * (one bit scan) and splits the block down, putting each upper half on
 * its list; a free merges the block with its buddy while the buddy is a
 * free block of the same order, at most FRAME_MAX_ORDER times.
 *
 * Single frames are merged lazily: a freed frame goes on one stack (up to
 * an eighth of all frames), and frame_alloc takes from the stack first,
 * so the common path costs what a plain stack costs; an empty stack is
 * refilled with the smallest listed block of the highest zone, cut to 16
 * frames.  Stacked frames are merged into their zones' lists when a block
 * of order 1 or more, or a frame below 16 MiB, cannot be found otherwise;
 * a free that finds the stack full merges at once.
 *
 * All state is out of band (mm/frame_int.h): free frames are never
 * touched, except by the pre-zeroing.  Each call runs under the
 * allocator's spinlock (interrupts off).
 *
 * Pre-zeroed frames: frame_zero_ahead takes single frames off the stack
 * or the lists, zeroes them through the platform's window
 * (mmu_zero_frame) and keeps them on their own array, up to a limit of at
 * most FRAME_ZEROED_MAX.  They stay free (counted in nfree, so they serve
 * promises), plain FS_FREE and on no list, so the buddy neither merges
 * nor hands them out; frame_alloc_reserved_zero takes one first, and
 * every other allocation only when nothing else is free (a block of
 * order > 0, or one below 16 MiB, first gives them all back to the lists).
 *
 * Per-CPU frame caches (mm/frame_int.h): the heap's demand faults take
 * promised frames off their CPU's cache without the lock; refills and
 * drains are sections of the lock here.  A cached frame is handed out
 * and its promise out of nreserved; frame_stats counts both back, and a
 * call the pool's promises fall short for drains caches until they do.
 *
 * Invariants (frame_audit):
 *   count(FS_FREE) == nfree; count(FS_USED) == ntotal - nfree (the used count);
 *   0 <= nreserved <= nfree (below 0 only while faults on several CPUs
 *   race for one page's promise: frame_alloc_reserved_zero);
 *   every listed block of order k is in its zone below the chunk cursor,
 *   aligned to 2^k, its first frame FS_BLOCK(FS_FREE, k), the others
 *   FS_FREE, and its buddy is not a listed block of order k (merged);
 *   each stacked or pre-zeroed frame is below its zone's chunk cursor,
 *   FS_FREE, once (on the stack or the zeroed array, not both), and in no
 *   listed block; listed blocks, stacked and zeroed frames cover every
 *   free frame below each chunk cursor; no used frame is above one;
 *   every pre-zeroed frame reads as zero (mmu_frame_is_zero);
 *   a handed-out block is FS_BLOCK(FS_USED, k) then 2^k - 1 frames FS_USED;
 *   each cached frame is FS_BLOCK(FS_USED, 0), in one cache once, and
 *   reads as zero if its slot says so.
 */
#include "mm/frame.h"
#include "mm/frame_int.h"
#include "mm/spinlock.h"

/*
 * The allocator's state besides its zones, all under its lock: the stack
 * of freed single frames [stack, top), the state bytes, the free count
 * (used frames: the total less it), the promises (below 0 only while
 * faults on several CPUs race for one page's promise: frame.h), and the
 * pre-zeroed frames zeroed[0, nzeroed), free, on no list.
 */
static struct frame_pool {
	struct spinlock lock;
	pfn_t *stack, *top;
	uint8_t *state;
	uint32_t nfree;
	int32_t nreserved;
	uint32_t nzeroed;
	pfn_t zeroed[FRAME_ZEROED_MAX];
} fpool = { .lock = SPINLOCK_INIT(LOCK_FRAME) };

/* Mark block (f, k), taken off a list, the stack or the zeroed frames, handed out (locked). */
static inline void frame_mark_used(pfn_t f, unsigned k)
{
	fpool.state[f] = FS_BLOCK(FS_USED, k);
	for (pfn_t i = 1; i < (1u << k); i++)
		fpool.state[f + i] = FS_USED;
	fpool.nfree -= 1u << k;
}


/* The per-CPU frame caches (mm/frame_int.h): their pops take no lock, their refills and drains this one. */
struct frame_cache frame_caches[FRAME_NCACHES];

static inline unsigned long frame_lock(void) { return spin_lock(&fpool.lock); }
static inline void frame_unlock(unsigned long f) { spin_unlock(&fpool.lock, f); }

#define LOW_MEM_PFN 256u	/* the first MiB is never handed out */
#define NORDERS (FRAME_MAX_ORDER + 1)
#define CHUNK (1u << FRAME_MAX_ORDER)	/* frames a zone's parent hands over at once */
#define FRAME_ZONES 3
#define REFILL_ORDER 4		/* an empty stack is refilled with up to 2^4 frames */
#define FS_MARK 0x80		/* frame_audit's "seen on a stack", cleared before it returns */

struct zone {
	pfn_t base, end;	/* [base, end): base aligned to CHUNK, end clipped to fmax */
	pfn_t chunk;		/* frames at or above were never handed to the lists */
	uint32_t nonempty;	/* bit k: list k holds a block */
	pfn_t head[NORDERS];
	uint32_t nblocks[NORDERS];
};

/* Zone ends in frames, lowest zone first (each a multiple of CHUNK). */
static const pfn_t zone_end[FRAME_ZONES] = {
	16u << (20 - PAGE_SHIFT), 1u << (32 - PAGE_SHIFT), PFN_NONE & ~(CHUNK - 1),
};
static const char *const zone_name[FRAME_ZONES] = { "DMA", "normal", "high" };
/* The highest zone a constraint allows; allocation tries it, then those below. */
static const int top_zone[] = { [FRAME_ANY] = 2, [FRAME_BELOW_4G] = 1, [FRAME_BELOW_16M] = 0 };

static struct zone zones[FRAME_ZONES];
static int top_used;		/* the highest zone with frames: no search starts above it */
static pfn_t *limit;		/* the end of the stack of freed single frames */
static pfn_t *fnext, *fprev;
static pfn_t fmax;
static uint32_t ntotal;			/* used frames: ntotal - fpool.nfree */
static uint32_t wm_low, wm_high;
static frame_pressure_fn pressure_hook;
static long inject = -1;		/* successes left before injected failures */
static uint32_t zeroed_limit = FRAME_ZEROED_MAX;

void frame_inject_failure(long n) { inject = n; }

/* Free frames nobody has been promised. */
static uint32_t unpromised(void) { return fpool.nfree - (uint32_t)MAX(fpool.nreserved, 0); }

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
	return frame_db_bytes(max_pfn);
}

pfn_t frame_max_pfn(const struct phys_range *r, size_t n)
{
	uint64_t end = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_RAM && r[i].end > end)
			end = r[i].end;
	if (end > PHYS_ADDR_END)
		end = PHYS_ADDR_END;
	return (pfn_t)(end >> PAGE_SHIFT);
}

/* ---- free lists ---- */

static void list_add(struct zone *z, pfn_t f, unsigned k)
{
	pfn_t h = z->head[k];

	fnext[f] = h;
	fprev[f] = PFN_NONE;
	if (h != PFN_NONE)
		fprev[h] = f;
	z->head[k] = f;
	z->nonempty |= 1u << k;
	z->nblocks[k]++;
	fpool.state[f] = FS_BLOCK(FS_FREE, k);
}

static void list_del(struct zone *z, pfn_t f, unsigned k)
{
	pfn_t n = fnext[f], p = fprev[f];

	if (p != PFN_NONE)
		fnext[p] = n;
	else
		z->head[k] = n;
	if (n != PFN_NONE)
		fprev[n] = p;
	if (--z->nblocks[k] == 0)
		z->nonempty &= ~(1u << k);
	fpool.state[f] = FS_FREE;
}

_Static_assert(FRAME_ZONES == 3, "zone_of knows three zones");

static inline struct zone *zone_of(pfn_t f)
{
	return f < zone_end[0] ? &zones[0] : f < zone_end[1] ? &zones[1] : &zones[2];
}

/* List the free block [f, f + 2^k) of z, merged with its free buddies. */
static void insert(struct zone *z, pfn_t f, unsigned k)
{
	for (; k < FRAME_MAX_ORDER; k++) {
		pfn_t b = f ^ (1u << k);

		if (b >= z->end || fpool.state[b] != FS_BLOCK(FS_FREE, k))
			break;
		list_del(z, b, k);
		f &= b;			/* the lower of the two */
	}
	list_add(z, f, k);
}

/* ---- the parent: chunks handed over once ---- */

static bool all_free(pfn_t f, uint32_t n)
{
	uint8_t any = 0;

	for (uint32_t i = 0; i < n; i++)
		any |= fpool.state[f + i];
	return any == FS_FREE;
}

/* Hand z's next chunk to its lists as maximal free blocks; false when none is left. */
static bool take_chunk(struct zone *z)
{
	pfn_t c = z->chunk, e;

	if (c >= z->end)
		return false;
	e = MIN(c + CHUNK, z->end);
	z->chunk = e;
	if (e - c == CHUNK && all_free(c, CHUNK))
		list_add(z, c, FRAME_MAX_ORDER);
	else
		for (pfn_t f = c; f < e; f++)
			if (fpool.state[f] == FS_FREE)
				insert(z, f, 0);
	return true;
}

/* ---- allocation ---- */

/* Unlink z's first block of the lowest order >= k (a new chunk if none); PFN_NONE if none. */
static pfn_t unlink_smallest(struct zone *z, unsigned k, unsigned *order)
{
	pfn_t f;

	while (!(z->nonempty >> k))
		if (!take_chunk(z))
			return PFN_NONE;
	*order = k + (unsigned)__builtin_ctz(z->nonempty >> k);
	f = z->head[*order];
	list_del(z, f, *order);
	return f;
}

/* Keep [f, f + 2^k) of the block (f, j), listing the upper halves split off. */
static void split(struct zone *z, pfn_t f, unsigned j, unsigned k)
{
	while (j > k) {
		j--;
		list_add(z, f + (1u << j), j);
	}
}

/* A block of order k from z's lists; PFN_NONE if none. */
static pfn_t zone_take(struct zone *z, unsigned k)
{
	unsigned j;
	pfn_t f = unlink_smallest(z, k, &j);

	if (f != PFN_NONE)
		split(z, f, j, k);
	return f;
}

/*
 * A frame for the empty stack: the smallest listed block of the highest
 * zone that has one, cut to at most 2^REFILL_ORDER frames; the first is
 * returned, the rest stacked so they come off in ascending order.
 */
static pfn_t refill(void)
{
	unsigned j, r = REFILL_ORDER;

	for (int i = top_used; i >= 0; i--) {
		struct zone *z = &zones[i];
		pfn_t f = unlink_smallest(z, 0, &j);

		if (f == PFN_NONE)
			continue;
		while ((1u << r) - 1 > (uint32_t)(limit - fpool.stack))
			r--;
		if (j > r) {
			split(z, f, j, r);
			j = r;
		}
		for (pfn_t n = (1u << j) - 1; n > 0; n--)
			*fpool.top++ = f + n;
		return f;
	}
	return PFN_NONE;
}

/* Merge the stacked frames into their zones' lists. */
static void drain(void)
{
	while (fpool.top != fpool.stack) {
		pfn_t f = *--fpool.top;

		insert(zone_of(f), f, 0);
	}
}

/* A block of order k from the zones constraint c allows, the highest first. */
static pfn_t take_in(unsigned k, enum frame_constraint c)
{
	for (int i = MIN(top_zone[c], top_used); i >= 0; i--) {
		pfn_t f = zone_take(&zones[i], k);

		if (f != PFN_NONE)
			return f;
	}
	return PFN_NONE;
}

/*
 * Block (k, c) from the stack and the lists, or PFN_NONE.  A single frame
 * that may lie in any zone with frames comes off the stack; anything else
 * from the lists, the stack merged into them if they have nothing that fits.
 */
static inline __attribute__((always_inline)) pfn_t take_buddy(unsigned k, enum frame_constraint c)
{
	pfn_t f;

	if (k == 0 && top_zone[c] >= top_used)
		f = fpool.top != fpool.stack ? *--fpool.top : refill();
	else if ((f = take_in(k, c)) == PFN_NONE) {
		drain();
		f = take_in(k, c);
	}
	return f;
}

/* Give pre-zeroed frames back to the lists until n are left (a block needs them, or the limit fell). */
static void unzero_to(uint32_t n)
{
	while (fpool.nzeroed > n) {
		pfn_t f = fpool.zeroed[--fpool.nzeroed];

		insert(zone_of(f), f, 0);
	}
}

/*
 * Nothing else is free: block (k, c) from the pre-zeroed frames, a single
 * one off their array, a block from them merged back into the lists.
 */
static __attribute__((noinline, cold)) pfn_t take_zeroed(unsigned k, enum frame_constraint c)
{
	if (!fpool.nzeroed)
		return PFN_NONE;
	if (k == 0 && top_zone[c] == FRAME_ZONES - 1)
		return fpool.zeroed[--fpool.nzeroed];
	unzero_to(0);
	return take_in(k, c);
}

/* Block (k, c), marked used: from the buddy, else from the pre-zeroed frames. */
static inline __attribute__((always_inline)) pfn_t take(unsigned k, enum frame_constraint c)
{
	pfn_t f = take_buddy(k, c);

	if (__builtin_expect(f == PFN_NONE, 0))
		f = take_zeroed(k, c);
	if (f != PFN_NONE)
		frame_mark_used(f, k);
	return f;
}

/* Take an unpromised block, or PFN_NONE; *low says we are under the mark. */
static pfn_t take_unpromised(unsigned k, enum frame_constraint c, bool *low)
{
	unsigned long flags = frame_lock();
	pfn_t f = PFN_NONE;

	if (unpromised() >= (1u << k) && !injected()) {
		f = take(k, c);
		if (f == PFN_NONE && inject >= 0)
			inject++;		/* not a success: not counted */
	}
	*low = unpromised() < wm_low;
	frame_unlock(flags);
	return f;
}

static pfn_t alloc_block(unsigned k, enum frame_constraint c)
{
	bool low;
	pfn_t f = take_unpromised(k, c, &low);

	if (pressure_hook && (low || f == PFN_NONE)) {
		pressure_hook(f == PFN_NONE);
		if (f == PFN_NONE)
			f = take_unpromised(k, c, &low);
	}
	return f;
}

pfn_t frame_alloc(void)
{
	return alloc_block(0, FRAME_ANY);
}

pfn_t frame_alloc_contig(unsigned order, enum frame_constraint c)
{
	char caller[64];

	if (order <= FRAME_MAX_ORDER && (unsigned)c <= FRAME_BELOW_16M)
		return alloc_block(order, c);
	ksym_format(CALLER(), caller, sizeof(caller));
	klog(LOG_ERROR, "frame_alloc_contig: order %u or constraint %u out of range "
	     "(orders 0-%u); caller %s", order, (unsigned)c, FRAME_MAX_ORDER, caller);
	return PFN_NONE;
}

/* Promises parked in the per-CPU caches back to the pool, until `need` are (below). */
static void reclaim_promises(int32_t need);

pfn_t frame_alloc_reserved(void)
{
	unsigned long flags = frame_lock();
	pfn_t f;

	reclaim_promises(1);
	KASSERT(fpool.nreserved > 0 && fpool.nfree >= (uint32_t)fpool.nreserved);
	fpool.nreserved--;
	f = take(0, FRAME_ANY);
	KASSERT(f != PFN_NONE);
	frame_unlock(flags);
	return f;
}

/* ---- pre-zeroing ---- */

/* One more pre-zeroed frame, if the limit allows, the buddy has one and the platform a window (locked). */
static bool zero_one(void)
{
	pfn_t f;

	if (fpool.nzeroed >= zeroed_limit || (f = take_buddy(0, FRAME_ANY)) == PFN_NONE)
		return false;
	fpool.state[f] = FS_FREE;		/* a refilled block's first frame was its head */
	if (!mmu_zero_frame(f)) {	/* free all along: nothing else sees it in between */
		insert(zone_of(f), f, 0);	/* no window here: back to the lists */
		return false;
	}
	fpool.zeroed[fpool.nzeroed++] = f;
	return true;
}

uint32_t frame_zero_ahead(uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		unsigned long flags = frame_lock();	/* one frame at a time: short sections */
		bool ok = zero_one();

		frame_unlock(flags);
		if (!ok)
			break;
		done++;
	}
	return done;
}

void frame_set_zeroed_limit(uint32_t n)
{
	unsigned long flags = frame_lock();

	zeroed_limit = MIN(n, FRAME_ZEROED_MAX);
	unzero_to(zeroed_limit);
	frame_unlock(flags);
}

uint32_t frame_zeroed(void) { return fpool.nzeroed; }

void frame_zeroed_push_broken(pfn_t f)
{
	KASSERT(fpool.nzeroed < FRAME_ZEROED_MAX && fpool.state[f] == FS_BLOCK(FS_USED, 0));
	fpool.state[f] = FS_FREE;
	fpool.nfree++;
	fpool.zeroed[fpool.nzeroed++] = f;
}

bool frame_reserve(uint32_t n)
{
	unsigned long flags = frame_lock();
	bool ok = unpromised() >= n && (n == 0 || !injected());

	if (ok)
		fpool.nreserved += (int32_t)n;
	frame_unlock(flags);
	return ok;
}

void frame_unreserve(uint32_t n)
{
	unsigned long flags = frame_lock();

	if (fpool.nreserved < (int32_t)n)	/* some of them parked in caches: the call only then */
		reclaim_promises((int32_t)n);
	KASSERT(fpool.nreserved >= (int32_t)n);
	fpool.nreserved -= (int32_t)n;
	frame_unlock(flags);
}

/* ---- free ---- */

static const char other_order[] = "was handed out as a block of another order";

/* Why block (f, k), whose first frame's state was s, may not be freed; *held its order. */
static const char *refusal(pfn_t f, unsigned k, uint8_t s)
{
	if (k > FRAME_MAX_ORDER)
		return "has an order out of range";
	if (f >= fmax || (s & FS_KIND) == FS_NOTRAM)
		return "is not RAM the allocator manages";
	if ((s & FS_KIND) == FS_FREE)
		return "is already free (double free)";
	if (!(s & FS_HEAD))
		return "is inside a block handed out whole, not its first frame";
	return other_order;
}

static __attribute__((noinline, cold)) void refuse(const char *fn, pfn_t f, unsigned k,
						    uint8_t s, uintptr_t caller)
{
	const char *why = refusal(f, k, s);
	char name[64], order[24] = "";

	ksym_format(caller, name, sizeof(name));
	if (why == other_order)
		snprintf(order, sizeof(order), " (order %u)", FS_ORDER(s));
	klog(LOG_ERROR, "%s: frame %#lx, order %u, %s%s; caller %s; nothing changed", fn,
	     (unsigned long)f, k, why, order, name);
}

/* Give back the handed-out block (f, k), below its chunk cursor like every used frame. */
static inline void give_back(pfn_t f, unsigned k)
{
	KASSERT(f < zone_of(f)->chunk);
	for (pfn_t i = 0; i < (1u << k); i++)
		fpool.state[f + i] = FS_FREE;
	fpool.nfree += 1u << k;
	if (k == 0 && fpool.top < limit)
		*fpool.top++ = f;
	else
		insert(zone_of(f), f, k);
}

/* ---- per-CPU frame caches (mm/frame_int.h) ---- */

/* Keep one promise: a frame, a pre-zeroed one first, marked used (locked, a promise or an overdraw). */
static pfn_t take_promised(bool *zeroed)
{
	pfn_t f;

	fpool.nreserved--;
	*zeroed = fpool.nzeroed != 0;
	if (*zeroed) {
		f = fpool.zeroed[--fpool.nzeroed];
		frame_mark_used(f, 0);
	} else {
		f = take(0, FRAME_ANY);
	}
	KASSERT(f != PFN_NONE);
	return f;
}

/* Undo take_promised: f free and promised again, pre-zeroed if it reads as zero and there is room (locked). */
static void return_promised(pfn_t f, bool zeroed)
{
	fpool.nreserved++;
	if (zeroed && fpool.nzeroed < zeroed_limit) {
		fpool.state[f] = FS_FREE;
		fpool.nfree++;
		fpool.zeroed[fpool.nzeroed++] = f;
	} else {
		give_back(f, 0);
	}
}

/* Empty cache c, any CPU's: its frames back with their promises (locked); how many. */
static uint32_t cache_drain(struct frame_cache *c)
{
	uint32_t n = __atomic_exchange_n(&c->n, 0, __ATOMIC_ACQ_REL);

	for (uint32_t i = 0; i < n; i++)
		return_promised(c->slot[i] >> 1, c->slot[i] & 1);
	return n;
}

/* Drain caches until `need` promises are free ones again, or every cache is empty (locked). */
static void reclaim_promises(int32_t need)
{
	for (unsigned i = 0; i < FRAME_NCACHES && fpool.nreserved < need; i++)
		cache_drain(&frame_caches[i]);
}

/*
 * Move up to `want` frames off array [a, *end) to cache slots s, each
 * marked a handed-out single frame and tagged z (locked): the batch's
 * common case, without take's per-frame steps.  How many it moved.
 */
static uint32_t cache_take_batch(pfn_t *s, uint32_t want, const pfn_t *a, pfn_t **end, unsigned z)
{
	pfn_t *e = *end;
	uint32_t k = 0;

	for (; k < want && e != a; k++) {
		pfn_t f = *--e;

		fpool.state[f] = FS_BLOCK(FS_USED, 0);
		s[k] = f << 1 | z;
	}
	*end = e;
	return k;
}

/*
 * Fill the owner's cache c while it has room and promises are left
 * (locked), each frame with its promise: the pre-zeroed ones first, then
 * the stack's, then through take; how many it holds after.
 */
static uint32_t cache_refill(struct frame_cache *c)
{
	uint32_t n = __atomic_load_n(&c->n, __ATOMIC_RELAXED), k;
	uint32_t want = MIN(FRAME_CACHE_SLOTS - n, (uint32_t)MAX(fpool.nreserved, 0));
	pfn_t *zend = fpool.zeroed + fpool.nzeroed;

	k = cache_take_batch(c->slot + n, want, fpool.zeroed, &zend, 1);
	fpool.nzeroed = (uint32_t)(zend - fpool.zeroed);
	k += cache_take_batch(c->slot + n + k, want - k, fpool.stack, &fpool.top, 0);
	fpool.nfree -= k;
	for (; k < want; k++)
		c->slot[n + k] = take(0, FRAME_ANY) << 1;	/* a promise is there: take finds one */
	fpool.nreserved -= (int32_t)want;
	__atomic_store_n(&c->n, n + want, __ATOMIC_RELEASE);	/* the slots before the count */
	return n + want;
}

/* The frames in every cache: free and promised, for the figures (locked, or a snapshot). */
static uint32_t cached(void)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < FRAME_NCACHES; i++)
		n += __atomic_load_n(&frame_caches[i].n, __ATOMIC_RELAXED);
	return n;
}

/*
 * The inline take's call (mm/frame_int.h): this CPU's cache is empty, or
 * a drain took it.  Promises parked in other CPUs' caches come back
 * first; then one frame for the caller and the cache refilled.
 */
pfn_t frame_alloc_reserved_zero(bool *was_zeroed)
{
	unsigned long flags = frame_lock();
	pfn_t f;

	reclaim_promises(1);
	if (__builtin_expect(fpool.nreserved <= 0 && !unpromised(), 0)) {
		frame_unlock(flags);	/* a racing fault holds the page's promise and none is spare */
		*was_zeroed = false;
		return PFN_NONE;
	}
	f = take_promised(was_zeroed);
	cache_refill(&frame_caches[frame_cache_id()]);
	frame_unlock(flags);
	return f;
}

uint32_t frame_cache_drain(void)
{
	unsigned long flags = frame_lock();
	uint32_t n = 0;

	for (unsigned i = 0; i < FRAME_NCACHES; i++)
		n += cache_drain(&frame_caches[i]);
	frame_unlock(flags);
	return n;
}

uint32_t frame_cache_fill_at(unsigned id)
{
	unsigned long flags = frame_lock();
	uint32_t n;

	KASSERT(id < FRAME_NCACHES);
	n = cache_refill(&frame_caches[id]);
	frame_unlock(flags);
	return n;
}

void frame_cache_push_broken(unsigned id, pfn_t f, bool zeroed)
{
	struct frame_cache *c = &frame_caches[id];

	KASSERT(id < FRAME_NCACHES && c->n < FRAME_CACHE_SLOTS);
	c->slot[c->n] = f << 1 | zeroed;
	__atomic_store_n(&c->n, c->n + 1, __ATOMIC_RELEASE);
}

/* Free block (f, k) if it was handed out as one, else *s is its first frame's state. */
static inline bool free_block(pfn_t f, unsigned k, uint8_t *s)
{
	unsigned long flags = frame_lock();
	bool ok;

	*s = f < fmax ? fpool.state[f] : FS_NOTRAM;
	ok = k <= FRAME_MAX_ORDER && *s == FS_BLOCK(FS_USED, k);
	if (ok)
		give_back(f, k);
	frame_unlock(flags);
	return ok;
}

void frame_return_reserved(pfn_t f, bool was_zeroed)
{
	unsigned long flags = frame_lock();

	KASSERT(f < fmax && fpool.state[f] == FS_BLOCK(FS_USED, 0));
	return_promised(f, was_zeroed);
	frame_unlock(flags);
}

bool frame_free(pfn_t f)
{
	uint8_t s;

	if (free_block(f, 0, &s))
		return true;
	refuse("frame_free", f, 0, s, CALLER());
	return false;
}

/*
 * Push single frames while the stack has room, each one tested and
 * marked: the common case of frame_free_many, kept in locals (a store to
 * the state bytes may alias any global).  Returns how many it took.
 */
static size_t free_to_stack(const pfn_t *f, size_t n)
{
	uint8_t *st = fpool.state;
	pfn_t max = fmax, *t = fpool.top;
	size_t i, m = MIN(n, (size_t)(limit - fpool.top));

	for (i = 0; i < m; i++) {
		pfn_t x = f[i];

		if (__builtin_expect(x >= max || st[x] != FS_BLOCK(FS_USED, 0), 0))
			break;
		KASSERT(x < zone_of(x)->chunk);
		st[x] = FS_FREE;
		*t++ = x;
	}
	fpool.top = t;
	fpool.nfree += (uint32_t)i;
	return i;
}

/* Each refusal is reported after the lock is dropped, as frame_free's. */
size_t frame_free_many(const pfn_t *f, size_t n)
{
	unsigned long flags = frame_lock();
	size_t bad = 0, i = free_to_stack(f, n);

	for (; i < n; i++) {		/* the stack is full: each merged */
		uint8_t s = f[i] < fmax ? fpool.state[f[i]] : FS_NOTRAM;

		if (__builtin_expect(s != FS_BLOCK(FS_USED, 0), 0))
			break;
		give_back(f[i], 0);
	}
	frame_unlock(flags);
	if (i == n)
		return 0;
	for (; i < n; i++)		/* the rest one by one: each refusal named */
		bad += !frame_free(f[i]);
	return bad;
}

bool frame_free_contig(pfn_t f, unsigned order)
{
	uint8_t s;

	if (free_block(f, order, &s))
		return true;
	refuse("frame_free_contig", f, order, s, CALLER());
	return false;
}

void frame_give_back_broken(pfn_t f, unsigned k, bool list_it)
{
	for (pfn_t i = 0; i < (1u << k); i++)
		fpool.state[f + i] = FS_FREE;
	fpool.nfree += 1u << k;
	if (list_it)
		list_add(zone_of(f), f, k);
}

/* ---- init ---- */

static uint32_t counted[4];	/* frames of each kind while frame_init marks */
static pfn_t last_used;		/* the highest frame marked used */

/* Set frames [lo, hi) that are in state `from` (any state if from < 0) to `to`. */
static void mark(uint64_t lo, uint64_t hi, int from, uint8_t to)
{
	if (hi > fmax)
		hi = fmax;
	for (uint64_t f = lo; f < hi; f++) {
		if (from < 0 || fpool.state[f] == from) {
			counted[fpool.state[f] & FS_KIND]--;
			counted[to & FS_KIND]++;
			fpool.state[f] = to;
			if ((to & FS_KIND) == FS_USED)
				last_used = MAX(last_used, (pfn_t)f);
		}
	}
}

/* Whole frames of a RAM range (rounded inward), holdings rounded outward. */
/* addr / PAGE_SIZE rounded up, without the sum that wraps near 2^64. */
static uint64_t pfn_up(uint64_t addr)
{
	return (addr >> PAGE_SHIFT) + ((addr & (PAGE_SIZE - 1)) != 0);
}

/* RAM counts whole frames only; anything else claims every frame it touches. */
static uint64_t first_pfn(const struct phys_range *r)
{
	return r->kind == PR_RAM ? pfn_up(r->start) : r->start >> PAGE_SHIFT;
}

static uint64_t end_pfn(const struct phys_range *r)
{
	return r->kind == PR_RAM ? r->end >> PAGE_SHIFT : pfn_up(r->end);
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

/* Hand over every chunk up to the last one holding a used frame: none is above a cursor. */
static void hand_over_holdings(void)
{
	for (int i = 0; i < FRAME_ZONES && counted[FS_USED]; i++)
		while (zones[i].chunk <= last_used && take_chunk(&zones[i]))
			;
}

static void init_zones(void)
{
	pfn_t base = 0;

	top_used = 0;
	for (int i = 0; i < FRAME_ZONES; i++) {
		struct zone *z = &zones[i];

		memset(z, 0, sizeof(*z));
		z->base = z->chunk = MIN(base, fmax);
		z->end = MIN(zone_end[i], fmax);
		for (int k = 0; k < NORDERS; k++)
			z->head[k] = PFN_NONE;
		if (z->base < z->end)
			top_used = i;
		base = zone_end[i];
	}
}

void frame_init(void *db, pfn_t max_pfn, const struct phys_range *r, size_t n)
{
	struct frame_db d = frame_db_layout(db, max_pfn);

	fmax = max_pfn;
	fnext = d.next;
	fprev = d.prev;
	fpool.state = d.state;		/* arrives zeroed: every frame FS_FREE until marked */
	counted[FS_FREE] = fmax;
	counted[FS_NOTRAM] = counted[FS_USED] = 0;
	last_used = 0;
	mark(0, LOW_MEM_PFN, -1, FS_NOTRAM);
	mark_holes(r, n);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_FIRMWARE && r[i].end > r[i].start)
			mark(first_pfn(&r[i]), end_pfn(&r[i]), -1, FS_NOTRAM);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == PR_KERNEL && r[i].end > r[i].start)
			mark(first_pfn(&r[i]), end_pfn(&r[i]), FS_FREE, FS_BLOCK(FS_USED, 0));
	fpool.nfree = counted[FS_FREE];
	fpool.nreserved = 0;
	fpool.nzeroed = 0;
	zeroed_limit = FRAME_ZEROED_MAX;
	ntotal = fpool.nfree + counted[FS_USED];
	memset(frame_caches, 0, sizeof(frame_caches));
	fpool.stack = fpool.top = d.stack;
	limit = fpool.stack + frame_stack_slots(max_pfn);
	init_zones();
	hand_over_holdings();
	frame_set_watermarks(MAX(ntotal / 32, 8u), MAX(ntotal / 16, 16u));
}

void frame_set_watermarks(uint32_t low, uint32_t high)
{
	wm_low = low;
	wm_high = high > low ? high : low;
}

void frame_set_pressure_hook(frame_pressure_fn fn) { pressure_hook = fn; }

/* ---- queries ---- */

bool frame_is_used(pfn_t f)
{
	return f < fmax && (fpool.state[f] & FS_KIND) == FS_USED;
}

bool frame_is_free(pfn_t f)
{
	return f < fmax && (fpool.state[f] & FS_KIND) == FS_FREE;
}

void frame_stats(struct frame_stats *st)
{
	unsigned long flags = frame_lock();

	st->cached = cached();
	st->total = ntotal;
	st->free = fpool.nfree + st->cached;
	st->used = ntotal - st->free;
	st->reserved = (uint32_t)MAX(fpool.nreserved, 0) + st->cached;
	st->available = unpromised();
	st->low = wm_low;
	st->high = wm_high;
	st->max_pfn = fmax;
	frame_unlock(flags);
}

uint32_t frame_available(void)
{
	unsigned long flags = frame_lock();
	uint32_t n = unpromised();

	frame_unlock(flags);
	return n;
}

bool frame_below_low(void)
{
	unsigned long flags = frame_lock();
	bool low = unpromised() < wm_low;

	frame_unlock(flags);
	return low;
}

/* ---- audit ---- */

static bool audit_fail(const char *what, unsigned long a, unsigned long b)
{
	klog(LOG_ERROR, "frame audit: %s (%lu, %lu)", what, a, b);
	return false;
}

/* One listed block of order k in z at f. */
static bool audit_block(const struct zone *z, pfn_t f, unsigned k)
{
	pfn_t b = f ^ (1u << k);

	if (f < z->base || f >= z->chunk || f + (1u << k) > z->end || (f & ((1u << k) - 1)))
		return audit_fail("listed block outside its zone's handed-over frames or misaligned: frame, order", f, k);
	if (fpool.state[f] != FS_BLOCK(FS_FREE, k))
		return audit_fail("listed block's first frame not a free block of its order: frame, state", f, fpool.state[f]);
	for (pfn_t i = 1; i < (1u << k); i++)
		if (fpool.state[f + i] != FS_FREE)
			return audit_fail("listed block holds a frame not plain free: frame, state", f + i, fpool.state[f + i]);
	if (k < FRAME_MAX_ORDER && b < z->end && fpool.state[b] == FS_BLOCK(FS_FREE, k))
		return audit_fail("free buddies not merged: frame, order", f, k);
	return true;
}

/* List k of z: links both ways, every block sound, count and bit agree; adds its frames. */
static bool audit_list(const struct zone *z, unsigned k, uint32_t *nframes)
{
	pfn_t prev = PFN_NONE;
	uint32_t n = 0;

	for (pfn_t f = z->head[k]; f != PFN_NONE; prev = f, f = fnext[f]) {
		if (f >= fmax || ++n > z->nblocks[k])
			return audit_fail("free list longer than its count (a cycle?): order, count", k, z->nblocks[k]);
		if (fprev[f] != prev)
			return audit_fail("free list's back link wrong: frame, order", f, k);
		if (!audit_block(z, f, k))
			return false;
	}
	if (n != z->nblocks[k] || !!(z->nonempty & (1u << k)) != (n > 0))
		return audit_fail("free list's count or non-empty bit wrong: order, blocks", k, n);
	*nframes += n << k;
	return true;
}

/* Free frames of z below its chunk cursor, which the lists must cover exactly. */
static uint32_t free_below_chunk(const struct zone *z)
{
	uint32_t n = 0;

	for (pfn_t f = z->base; f < z->chunk; f++)
		n += (fpool.state[f] & FS_KIND) == FS_FREE;
	return n;
}

/*
 * Frames held off the lists, a[0..n): each below its zone's cursor, plain
 * free, once among all such frames (marks it), read as zero when zero is
 * set; counts them by zone.  bad and twice are the two reports.
 */
static bool audit_held(const pfn_t *a, uint32_t n, const char *bad, const char *twice, bool zero,
		       uint32_t stacked[FRAME_ZONES])
{
	for (uint32_t i = 0; i < n; i++) {
		pfn_t f = a[i];

		if (f >= fmax || f >= zone_of(f)->chunk || (fpool.state[f] & ~FS_MARK) != FS_FREE)
			return audit_fail(bad, i, f);
		if (fpool.state[f] & FS_MARK)
			return audit_fail(twice, i, f);
		fpool.state[f] |= FS_MARK;
		stacked[zone_of(f) - zones]++;
		if (zero && !mmu_frame_is_zero(f))
			return audit_fail("pre-zeroed frame does not read as zero: slot, frame", i, f);
	}
	return true;
}

/* The stack and the pre-zeroed frames (mm/frame.h), each within its capacity. */
static bool audit_stack(uint32_t stacked[FRAME_ZONES])
{
	if (fpool.top < fpool.stack || fpool.top > limit)
		return audit_fail("stack deeper than its capacity", (unsigned long)(fpool.top - fpool.stack),
				  (unsigned long)(limit - fpool.stack));
	if (fpool.nzeroed > zeroed_limit || zeroed_limit > FRAME_ZEROED_MAX)
		return audit_fail("more pre-zeroed frames than the limit", fpool.nzeroed, zeroed_limit);
	return audit_held(fpool.stack, (uint32_t)(fpool.top - fpool.stack),
			  "stacked frame not a free frame of a handed-over chunk: slot, frame",
			  "frame stacked twice: slot, frame", false, stacked) &&
	       audit_held(fpool.zeroed, fpool.nzeroed,
			  "pre-zeroed frame not a free frame of a handed-over chunk: slot, frame",
			  "frame pre-zeroed twice or also stacked: slot, frame", true, stacked);
}

static void unmark_stack(void)
{
	for (const pfn_t *p = fpool.stack; p < fpool.top && p < limit; p++)
		if (*p < fmax)
			fpool.state[*p] &= ~FS_MARK;
	for (uint32_t i = 0; i < fpool.nzeroed && i < FRAME_ZEROED_MAX; i++)
		if (fpool.zeroed[i] < fmax)
			fpool.state[fpool.zeroed[i]] &= ~FS_MARK;
}

/* Is slot i of cache c still cached (not popped since the audit read it)? */
static bool still_cached(const struct frame_cache *c, uint32_t i)
{
	return i < __atomic_load_n(&c->n, __ATOMIC_ACQUIRE);
}

/*
 * Cache c's frames [0, n): each a handed-out single frame, in no other
 * cache nor twice in this one (marks it), read as zero when it says so
 * and is still cached (another CPU may pop and write it meanwhile).
 */
static bool audit_cache(const struct frame_cache *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		pfn_t f = c->slot[i] >> 1;

		if (f >= fmax || (fpool.state[f] & ~FS_MARK) != FS_BLOCK(FS_USED, 0))
			return audit_fail("cached frame not a handed-out single frame: slot, frame", i, f);
		if (fpool.state[f] & FS_MARK)
			return audit_fail("frame cached twice: slot, frame", i, f);
		fpool.state[f] |= FS_MARK;
		if ((c->slot[i] & 1) && !mmu_frame_is_zero(f) && still_cached(c, i))
			return audit_fail("cached frame said zeroed does not read as zero: slot, frame", i, f);
	}
	return true;
}

/* Every CPU's cache within its slots and sound; the marks cleared after. */
static bool audit_caches(void)
{
	uint32_t n[FRAME_NCACHES];
	bool ok = true;

	for (unsigned i = 0; i < FRAME_NCACHES; i++)
		n[i] = __atomic_load_n(&frame_caches[i].n, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < FRAME_NCACHES && ok; i++) {
		if (n[i] > FRAME_CACHE_SLOTS)
			ok = audit_fail("frame cache holds more than its slots: cache, frames", i, n[i]);
		else
			ok = audit_cache(&frame_caches[i], n[i]);
	}
	for (unsigned i = 0; i < FRAME_NCACHES; i++)
		for (uint32_t j = 0; j < n[i] && j < FRAME_CACHE_SLOTS; j++)
			if ((frame_caches[i].slot[j] >> 1) < fmax)
				fpool.state[frame_caches[i].slot[j] >> 1] &= ~FS_MARK;
	return ok;
}

/* Run while stacked frames are marked: a stacked frame inside a listed block shows. */
static bool audit_zone(const struct zone *z, uint32_t stacked)
{
	uint32_t listed = 0, below;
	bool ok = true;

	for (unsigned k = 0; k < NORDERS && ok; k++)
		ok = audit_list(z, k, &listed);
	below = free_below_chunk(z);
	if (ok && listed + stacked != below)
		ok = audit_fail("free frames below the chunk cursor != listed + stacked + pre-zeroed",
				below, listed + stacked);
	return ok;
}

/* Every frame: a known state, handed-out blocks whole; counts by kind. */
static bool audit_frames(uint32_t *cfree, uint32_t *cused, uint32_t *heads)
{
	uint32_t tail = 0;

	for (pfn_t f = 0; f < fmax; f++) {
		uint8_t s = fpool.state[f], kind = s & FS_KIND;

		*cfree += kind == FS_FREE;
		*cused += kind == FS_USED;
		*heads += s == FS_BLOCK(FS_FREE, FS_ORDER(s));
		if (tail) {
			if (s != FS_USED)
				return audit_fail("block handed out whole has a frame not used: frame, state", f, s);
			tail--;
		} else if (kind == FS_KIND || (kind == FS_USED && !(s & FS_HEAD)) ||
			   (kind == FS_NOTRAM && s != FS_NOTRAM)) {
			return audit_fail("frame in no valid state: frame, state", f, s);
		} else if (kind == FS_USED) {
			if (f >= zone_of(f)->chunk)
				return audit_fail("used frame in a chunk not handed over: frame, state", f, s);
			if (FS_ORDER(s) > FRAME_MAX_ORDER || (f & ((1u << FS_ORDER(s)) - 1)))
				return audit_fail("handed-out block misaligned or of no order: frame, state", f, s);
			tail = (1u << FS_ORDER(s)) - 1;
		}
	}
	return tail == 0 || audit_fail("handed-out block runs past the last frame", fmax, tail);
}

bool frame_audit(void)
{
	unsigned long flags = frame_lock();
	uint32_t cfree = 0, cused = 0, heads = 0, blocks = 0, stacked[FRAME_ZONES] = { 0 };
	bool ok = audit_frames(&cfree, &cused, &heads) && audit_caches() && audit_stack(stacked);

	for (int i = 0; i < FRAME_ZONES && ok; i++) {
		ok = audit_zone(&zones[i], stacked[i]);
		for (unsigned k = 0; k < NORDERS; k++)
			blocks += zones[i].nblocks[k];
		if (!ok)
			klog(LOG_ERROR, "frame audit: in zone %s", zone_name[i]);
	}
	unmark_stack();
	if (ok && heads != blocks)
		ok = audit_fail("free-block first frames != listed blocks", heads, blocks);
	if (ok && cfree != fpool.nfree)
		ok = audit_fail("free count != frames in state free", fpool.nfree, cfree);
	if (ok && cused != ntotal - fpool.nfree)
		ok = audit_fail("used count != frames in state used", ntotal - fpool.nfree, cused);
	if (ok && cfree + cused != ntotal)
		ok = audit_fail("free + used != total", cfree + cused, ntotal);
	if (ok && (fpool.nreserved < 0 || (uint32_t)fpool.nreserved > fpool.nfree))
		ok = audit_fail("reserved > free, or < 0", (unsigned long)fpool.nreserved, fpool.nfree);
	frame_unlock(flags);
	return ok;
}
