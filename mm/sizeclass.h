/*
 * Size classes: the object sizes the slabs serve, and the lookup from a
 * request to its class.  Pure arithmetic over one table: no state but the
 * lookup array that sizeclass_init fills from the table.
 *
 * Promises:
 *  - slab_class_of(n), n <= SLAB_MAX: the smallest class of at least n
 *    bytes, in O(1).  Classes above 8 bytes are multiples of 16, four to
 *    each doubling from 64 up, so rounding wastes at most a fifth.
 *  - slab_class_size(c): the class's object size; SLAB_CLASSES classes.
 *
 * Context: any, once sizeclass_init has run (slab_init calls it).
 */
#ifndef MM_SIZECLASS_H
#define MM_SIZECLASS_H

#include "mm/platform.h"

#define SLAB_MAX	16384		/* larger sizes are page runs */
#define SLAB_CLASSES	37
#define SLAB_NONE	0xFFu

extern uint8_t slab_class_for[SLAB_MAX / 16 + 1];
extern const uint16_t slab_class_sizes[SLAB_CLASSES];

void sizeclass_init(void);

static inline unsigned slab_class_of(size_t size)	/* size <= SLAB_MAX */
{
	return size <= 8 ? 0 : slab_class_for[(size + 15) / 16];
}

static inline size_t slab_class_size(unsigned cls) { return slab_class_sizes[cls]; }

/* One class's figures, for kheap_stats. */
struct slab_class_stats { size_t size, objects, pages, in_use, slabs; };

#endif
