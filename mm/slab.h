/*
 * Slabs: objects of up to SLAB_MAX bytes in size classes, each slab one
 * to eight pages of equal objects (as many as keep the slab's unused
 * tail small), allocated and freed in O(1) (a bitmap word scan bounded by
 * 16 words).  A slab's descriptor (the free bitmap) lives out of band in a
 * metadata page, so objects carry no header and a freed pointer is
 * checked against the bitmap: not an object start, or already free, is
 * caught before anything changes.
 *
 * A slab whose objects are all free goes back to page level at once,
 * except one per class kept for reuse (so a loop of kmalloc/kfree of one
 * object does not create and destroy a slab each time);
 * slab_release_empty hands those back too.
 *
 * Context: heap lock held (mm/kheap.c).
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include "mm/platform.h"

#define SLAB_MAX	16384		/* larger sizes are page runs */
#define SLAB_CLASSES	37
#define SLAB_NONE	0xFFu

struct slab;

void slab_init(void);
extern uint8_t slab_class_for[SLAB_MAX / 16 + 1];
extern const uint16_t slab_class_sizes[SLAB_CLASSES];

static inline unsigned slab_class_of(size_t size)	/* size <= SLAB_MAX */
{
	return size <= 8 ? 0 : slab_class_for[(size + 15) / 16];
}
/* Smallest class holding size whose objects are align-aligned, or SLAB_NONE. */
unsigned slab_class_aligned(size_t size, size_t align);
static inline size_t slab_class_size(unsigned cls) { return slab_class_sizes[cls]; }
/* NULL when out of memory; *grew set when a new slab page was committed. */
void *slab_alloc(unsigned cls, bool *grew);

enum slab_ptr { SLAB_LIVE, SLAB_NOT_START, SLAB_NOT_LIVE };
/* Is p the start of a live object of s? */
enum slab_ptr slab_check_ptr(const struct slab *s, uintptr_t p);
/* Check p as slab_check_ptr does and, when live, free it; *usable: its size. */
enum slab_ptr slab_free(struct slab *s, uintptr_t p, size_t *usable);
size_t slab_object_size(const struct slab *s);
unsigned slab_class(const struct slab *s);

/* Return the kept empty slabs to page level; returns how many pages. */
size_t slab_release_empty(void);

struct slab_class_stats { size_t size, objects, pages, in_use, slabs; };
void slab_class_stats(unsigned cls, struct slab_class_stats *st);
size_t slab_meta_pages(void);
bool slab_check(void);

#endif
