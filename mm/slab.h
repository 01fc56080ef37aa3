/*
 * Slabs: objects of up to SLAB_MAX bytes in size classes, each slab one
 * to eight pages of equal objects (as many as keep the slab's unused
 * tail small), allocated and freed in O(1) (a bitmap word scan bounded by
 * 16 words).  A slab's descriptor (the free bitmap) lives out of band in a
 * metadata page, so objects carry no header and a freed pointer is
 * checked against the bitmap: not an object start, or already free, is
 * caught before anything changes.
 *
 * Owned slabs: for the classes below slab_set_owning's bound, each cache
 * (the current CPU, or thread: mm/platform.h) has a slab of its own, and
 * its magazine misses that reach the slabs are served from it
 * (slab_owned_first puts it first on the partial list, for the
 * slab_alloc that follows), so the objects of one slab go to one cache
 * and two caches' objects do not share a cache line.  A cache lets its
 * slab go when it finds it full (it takes another: a partial slab no
 * cache owns, or a new one), when the slab is destroyed, and when it
 * hands its slabs back (thread exit, a whole-heap pass, a fork child).
 * slab_alloc and slab_free are as without owners.  A free from a cache
 * other than the owner (slab_owned_elsewhere, tested on kfree's magazine
 * path) goes straight back into the slab's bitmap, so the freeing cache
 * never reuses it (docs/magazines.md, "Owned slabs").
 *
 * A slab whose objects are all free goes back to page level at once,
 * except one per class kept for reuse (so a loop of kmalloc/kfree of one
 * object does not create and destroy a slab each time);
 * slab_release_empty hands those back too.
 *
 * Part of the heap core (mm/heap_int.h includes this header; nothing
 * outside the core does).  Sizes and classes are mm/sizeclass.h.
 *
 * Locking: heap lock held, asserted at every entry point, except
 * slab_check_ptr and the inline object lookups: they read a live
 * object's slab, which cannot change class or go away while the caller
 * owns the object (the magazine fast path, mag_push, relies on it).
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include "mm/sizeclass.h"

struct obj_rec;

#define MAP_WORDS 16				/* up to 512 objects a slab */

struct slab;

/* The slabs one cache owns: the one it allocates each class from, or NULL. */
struct slab_owner {
	struct slab *cur[SLAB_CLASSES];
	bool on;			/* may own (a thread with an exit hook; a CPU that missed) */
};

/* The current cache's (mm/platform.h); no lock: only its own cache changes it. */
#ifdef MAG_CACHE_PER_THREAD
extern __thread struct slab_owner own_thread __attribute__((tls_model("initial-exec")));
static inline __attribute__((always_inline)) struct slab_owner *slab_owner_current(void) { return &own_thread; }
#else
extern struct slab_owner owners[MAG_NCACHES];
static inline __attribute__((always_inline)) struct slab_owner *slab_owner_current(void) { return &owners[cache_id()]; }
#endif

struct slab {
	struct slab *next, *prev;		/* class partial list; pool link */
	uintptr_t base;
	uint16_t cls, nobj, nfree, hint;	/* hint: no free bit below this word */
	uint32_t map[MAP_WORDS];		/* bit set: object free */
	struct obj_rec *rec;			/* per-object debug records, or NULL */
	struct slab_owner *owner;		/* the cache allocating from it, or NULL */
	struct slab *own_next, *own_prev;	/* the owned list */
};

/*
 * Is s owned by a cache other than the current one?  No lock: a stale
 * answer only sends a free the other way, both of them correct.  The
 * unowned test comes first: a slab no cache owns pays a load and a test.
 */
static inline __attribute__((always_inline)) bool slab_owned_elsewhere(const struct slab *s)
{
	return __builtin_expect(s->owner != NULL, 0) && s->owner != slab_owner_current();
}

/*
 * The index of the object of s that starts at p, or a value >= s->nobj
 * when no object starts there.  No lock, as slab_check_ptr; inline, for
 * the magazines' free path (mm/magazine_int.h).
 */
static inline uint32_t slab_object_index(const struct slab *s, uintptr_t p)
{
	return slab_class_div_exact((uint32_t)(p - s->base), s->cls);
}

/*
 * Is object idx (< s->nobj) free?  On x86 one bt on the bitmap in memory
 * (the bit offset indexes past the first word), which kfree's magazine
 * path tests on every push; elsewhere the word and the bit.
 */
static inline __attribute__((always_inline)) bool slab_object_free(const struct slab *s, uint32_t idx)
{
#if defined(__i386__) || defined(__x86_64__)
	bool set;

	__asm__("btl %2, %1" : "=@ccc"(set) : "m"(s->map), "r"(idx));
	return set;
#else
	return (s->map[idx / 32] >> (idx % 32)) & 1;
#endif
}

void slab_init(void);
/* Smallest class holding size whose objects are align-aligned, or SLAB_NONE. */
unsigned slab_class_aligned(size_t size, size_t align);
/* NULL when out of memory; *grew set when a new slab page was committed. */
void *slab_alloc(unsigned cls, bool *grew);

enum slab_ptr { SLAB_LIVE, SLAB_NOT_START, SLAB_NOT_LIVE };
/* Is p the start of a live object of s? */
enum slab_ptr slab_check_ptr(const struct slab *s, uintptr_t p);
/* Check p as slab_check_ptr does and, when live, free it; *usable: its size. */
enum slab_ptr slab_free(struct slab *s, uintptr_t p, size_t *usable);

/*
 * The debug record of object idx of s (mm/heapdebug.h), making the slab's
 * record page when make is set; NULL when there is none (or no page).
 */
struct obj_rec *slab_obj_rec(struct slab *s, uint32_t idx, bool make);

/*
 * Classes below ncls are allocated from slabs the current cache owns (the
 * magazine layer's classes while magazines are on; 0: none, and every
 * owned slab is handed back).
 */
void slab_set_owning(unsigned ncls);
/*
 * Put the current cache's slab of cls first on the class's partial list
 * (taking one first if it has none, or a full one), so that the next
 * slab_alloc(cls) takes its object; nothing for a class not owned.  True
 * when it made a new slab (the caller tells the reclaim hook, as for a
 * slab_alloc that grew).
 */
bool slab_owned_first(unsigned cls);
/*
 * Where a cache is a thread's (MAG_CACHE_PER_THREAD): the current thread
 * may own slabs from now on (it has an exit hook: mm/platform.h), or
 * (leave) hands its slabs back and owns none again.  Elsewhere a CPU's
 * cache joins at its first miss; leave hands the current cache's back.
 */
void slab_owner_join(void);
/*
 * Caches own slabs only once n of them may (default 2: one cache alone
 * shares no line with another, and a single-threaded program or a
 * one-CPU kernel keeps the slab path as it was); tests set 1.
 */
void slab_owners_needed(unsigned n);
void slab_owner_leave(void);
/* Every owned slab back to its class (a whole-heap pass; a fork child). */
void slab_disown_all(void);

/* Return the kept empty slabs to page level; returns how many pages. */
size_t slab_release_empty(void);
/*
 * Free the metadata pages whose every slab descriptor is unused (after
 * slab_release_empty, for a whole-heap pass); returns how many pages.
 * Walks the descriptor pool twice: not for a paced pass.
 */
size_t slab_release_descriptors(void);

void slab_class_stats(unsigned cls, struct slab_class_stats *st);
bool slab_check(void);

#endif
