/*
 * The boundary-tag pool behind every arena, and how it is refilled
 * without the heap ("Virtual Address Allocation": the heap needs virtual
 * space, so the allocator of virtual space must not need the heap).
 *
 * Tags come first from a static boot pool, then from pages of the tag
 * source arena, each mapped by its back function (never kmalloc).  An
 * operation takes the tags it may need into its own stash *before* it
 * locks its arena; a refill happens there, with no arena locked.  The
 * refill's own allocation from the source arena may use the reserve,
 * VMEM_TAG_RESERVE tags no other operation may touch, which covers one
 * allocation down a source chain of VMEM_MAX_DEPTH; a refill never
 * starts another.  So no allocation waits on itself, and when tags run
 * out the operation fails with a report instead.
 *
 * Locking: the pool's lock (tags_spin, rank vmem tags) is held around a
 * few pointer moves, with or without an arena lock held; it guards the
 * pool, its counters and vmem.c's arena slots.  refill_spin (rank vmem
 * refill, before the heap's: a refill maps a page, and a frame may run
 * the scavenger) lets one CPU refill at a time; another that finds the
 * pool low waits for it and takes from what it added.
 */
#include "mm/vmem_int.h"

static struct spinlock tags_spin = SPINLOCK_INIT(LOCK_VMEM_TAGS);
static struct spinlock refill_spin = SPINLOCK_INIT(LOCK_VMEM_REFILL);

static struct vmem_tag boot_tags[VMEM_BOOT_TAGS];
static struct vmem_tag *pool;
static size_t pool_free, boot_used, tag_pages;
static uintptr_t last_page;
static vmem_t *tag_space;
static vmem_back_fn tag_back;
static long inject_after = -1;
static uint64_t refills, refill_failures, exhausted;
static char last_report[256];

#define PER_PAGE ((PAGE_SIZE - VMEM_TAG_PAGE_KEEP) / sizeof(struct vmem_tag))

unsigned long vmem_tags_lock(void) { return spin_lock(&tags_spin); }
void vmem_tags_unlock(unsigned long flags) { spin_unlock(&tags_spin, flags); }

static void pool_push(struct vmem_tag *t)
{
	KASSERT(spin_held(&tags_spin));
	t->lnext = pool;
	pool = t;
	pool_free++;
}

/* Move n tags to the stash if more than keep would be left; the boot pool lazily. */
static bool pool_take(struct vmem_stash *st, unsigned n, size_t keep)
{
	unsigned long f = spin_lock(&tags_spin);
	bool ok = pool_free + (VMEM_BOOT_TAGS - boot_used) >= n + keep;

	while (ok && n--) {
		if (!pool)
			pool_push(&boot_tags[boot_used++]);
		struct vmem_tag *t = pool;

		pool = t->lnext;
		pool_free--;
		vmem_stash_push(st, t);
	}
	spin_unlock(&tags_spin, f);
	return ok;
}

struct vmem_tag *vmem_stash_pop(struct vmem_stash *st)
{
	struct vmem_tag *t = st->list;

	KASSERT(t);		/* VMEM_TAGS_PER_OP is the most an operation uses */
	st->list = t->lnext;
	st->n--;
	memset(t, 0, sizeof(*t));
	return t;
}

void vmem_stash_push(struct vmem_stash *st, struct vmem_tag *t)
{
	t->lnext = st->list;
	st->list = t;
	st->n++;
}

void vmem_tags_put(struct vmem_stash *st)
{
	unsigned long f = spin_lock(&tags_spin);

	while (st->list) {
		struct vmem_tag *t = st->list;

		st->list = t->lnext;
		pool_push(t);
	}
	st->n = 0;
	spin_unlock(&tags_spin, f);
}

/* Should this refill fail on purpose (vmem_inject_tag_failure)? */
static bool injected(void)
{
	if (inject_after < 0)
		return false;
	if (inject_after == 0)
		return true;
	inject_after--;
	return false;
}

/* Map one page of the tag source and put its tags in the pool. */
static const char *refill_page(void)
{
	uintptr_t va;

	if (!tag_space)
		return "no tag source yet (the static boot pool only)";
	if (injected())
		return "tag pages fail on purpose (vmem_inject_tag_failure)";
	va = vmem_xalloc_from(tag_space, PAGE_SIZE, PAGE_SIZE, 0, 0, VM_REFILL, CALLER());
	if (!va)
		return "no space for a tag page in the tag source arena";
	if (!tag_back(va)) {
		vmem_free(tag_space, va, PAGE_SIZE);
		return "no frame to back a tag page";
	}
	unsigned long f = spin_lock(&tags_spin);

	for (size_t i = 0; i < PER_PAGE; i++)
		pool_push((struct vmem_tag *)va + i);
	tag_pages++;
	last_page = va;
	spin_unlock(&tags_spin, f);
	return NULL;
}

/*
 * One refill, unless this CPU is running one already (its tags are the
 * reserve).  Another CPU's refill is waited for; then the pool is looked
 * at again, and a page mapped only if it is still low (n + keep tags).
 */
static const char *refill(unsigned n, size_t keep)
{
	const char *why = NULL;
	unsigned long f, t;

	if (spin_held(&refill_spin))
		return "a refill is already running";
	f = spin_lock(&refill_spin);
	t = spin_lock(&tags_spin);
	bool low = pool_free + (VMEM_BOOT_TAGS - boot_used) < n + keep;

	spin_unlock(&tags_spin, t);
	if (low)
		why = refill_page();
	t = spin_lock(&tags_spin);
	refills += low;
	refill_failures += why != NULL;
	spin_unlock(&tags_spin, t);
	spin_unlock(&refill_spin, f);
	return why;
}

static void count_exhausted(void)
{
	unsigned long f = spin_lock(&tags_spin);

	exhausted++;
	spin_unlock(&tags_spin, f);
}

/*
 * n tags into the stash, refilling first if the pool would fall to the
 * reserve.  Called with no arena locked.  *why says what failed.
 */
bool vmem_tags_get(struct vmem_stash *st, unsigned n, int flags, const char **why)
{
	if (flags & VM_REFILL) {
		if (pool_take(st, n, 0))
			return true;
		*why = "the refill reserve is empty (a bug: it is sized by construction)";
		count_exhausted();
		return false;
	}
	while (!pool_take(st, n, VMEM_TAG_RESERVE)) {
		if ((*why = refill(n, VMEM_TAG_RESERVE)) != NULL) {
			count_exhausted();
			return false;
		}
	}
	return true;
}

void vmem_set_tag_source(vmem_t *space, vmem_back_fn back)
{
	if (space && (space->quantum > PAGE_SIZE || space->depth > VMEM_MAX_DEPTH || !back))
		panic("vmem: arena '%s' cannot be the tag source (quantum %zu, depth %u)",
		      space->name, space->quantum, space->depth);
	tag_space = space;
	tag_back = back;
}

void vmem_tag_stats(struct vmem_tag_stats *st)
{
	unsigned long f = spin_lock(&tags_spin);

	st->boot = VMEM_BOOT_TAGS;
	st->pages = tag_pages;
	st->last_page = last_page;
	st->per_page = PER_PAGE;
	st->free = pool_free + (VMEM_BOOT_TAGS - boot_used);
	st->reserve = VMEM_TAG_RESERVE;
	st->per_op = VMEM_TAGS_PER_OP;
	st->refills = refills;
	st->refill_failures = refill_failures;
	st->exhausted = exhausted;
	spin_unlock(&tags_spin, f);
}

void vmem_inject_tag_failure(long n) { inject_after = n; }

const char *vmem_last_report(void) { return last_report; }

void vmem_report(bool misuse, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_report, sizeof(last_report), fmt, ap);
	va_end(ap);
	klog(LOG_ERROR, "%s", last_report);
	if (misuse)
		platform_misuse();
}
