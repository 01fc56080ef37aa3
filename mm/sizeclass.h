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
 *  - slab_class_div_exact(off, c): off / size when the class's size
 *    divides off, else a value above UINT32_MAX / size (so at least any
 *    object count of a slab): one test says "an object starts here" and
 *    gives its index, with no division and no 64-bit product.
 *
 * Context: any, once sizeclass_init has run (slab_init calls it).
 */
#ifndef MM_SIZECLASS_H
#define MM_SIZECLASS_H

#include "mm/platform.h"

#define SLAB_MAX	16384		/* larger sizes are page runs */
#define SLAB_CLASSES	37
#define SLAB_NONE	0xFFu

extern uint8_t slab_class_for[SLAB_MAX / 8 + 1];
extern const uint16_t slab_class_sizes[SLAB_CLASSES];

void sizeclass_init(void);

/* One load, no branch: the table has an entry per 8 bytes. */
static inline unsigned slab_class_of(size_t size)	/* size <= SLAB_MAX */
{
	return slab_class_for[(size + 7) / 8];
}

/*
 * The same for 1 <= size <= SLAB_MAX, from size - 1 (which kmalloc's gate
 * has computed already): (size + 7) / 8 is (size - 1) / 8 + 1 then.
 */
static inline unsigned slab_class_of_less1(size_t size_less1)
{
	return slab_class_for[size_less1 / 8 + 1];
}

static inline size_t slab_class_size(unsigned cls) { return slab_class_sizes[cls]; }

extern uint32_t slab_class_inv[SLAB_CLASSES];
extern uint8_t slab_class_shift[SLAB_CLASSES];

/*
 * Exact division by size = odd * 2^k (Hacker's Delight, 10-17): off is a
 * multiple of size iff rotating off * inverse(odd) right by k gives at
 * most UINT32_MAX / size, and then that is the quotient.
 */
static inline __attribute__((always_inline)) uint32_t slab_class_div_exact(uint32_t off, unsigned cls)
{
	uint32_t q = off * slab_class_inv[cls];
	unsigned k = slab_class_shift[cls];

	return (q >> k) | (q << ((32 - k) & 31));
}

/* One class's figures, for kheap_stats. */
struct slab_class_stats { size_t size, objects, pages, in_use, slabs; };

#endif
