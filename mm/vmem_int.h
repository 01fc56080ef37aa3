/*
 * Inside mm/vmem: the boundary tag, the arena, and the tag pool's
 * interface to the arena code.  Not for use outside mm/vmem*.c.
 *
 * Every tag is in exactly one place: an arena's segment list (and then
 * also its free lists or its busy hash, or neither for a span tag), the
 * pool (mm/vmem_tag.c), or an operation's stash.
 */
#ifndef MM_VMEM_INT_H
#define MM_VMEM_INT_H

#include "mm/vmem.h"
#include "mm/spinlock.h"

enum vt_type {
	VT_FREE,
	VT_BUSY,
	VT_SPAN,	/* added for good with vmem_add or vmem_create */
	VT_IMPORT,	/* imported from the source; returned when wholly free */
	VT_HEAD,	/* the segment list's sentinel */
};

struct vmem_tag {
	struct vmem_tag *snext, *sprev;	/* the segment list, by address */
	struct vmem_tag *lnext, *lprev;	/* a free list, a hash chain, or the pool */
	uintptr_t start;
	size_t size;
	uintptr_t caller;		/* busy: who allocated it */
	unsigned type;
};

#define VMEM_LISTS	(sizeof(size_t) * 8)	/* free list i: sizes [2^i, 2^(i+1)) */
#define VMEM_HASH_SHIFT	6
#define VMEM_HASH	(1u << VMEM_HASH_SHIFT)

/* Internal flag: this operation is a tag refill and may use the reserve. */
#define VM_REFILL	0x100
#define VM_PUBLIC	VM_BESTFIT

struct vmem {
	char name[VMEM_NAME_LEN];
	bool used;
	struct spinlock lock;		/* rank vmem: everything below */
	unsigned depth;			/* 1 + the source's depth */
	size_t quantum;
	size_t import_quantum;
	struct vmem *source;
	struct vmem_tag head;		/* segment list sentinel */
	struct vmem_tag *free[VMEM_LISTS];
	size_t freemap;			/* bit i: free[i] is not empty */
	struct vmem_tag *hash[VMEM_HASH];
	struct vmem_stats st;
};

/* The longest source chain: a refill's tags come from the reserve. */
#define VMEM_MAX_DEPTH	4
/* Tags one allocation may need: a leading and a trailing fragment, a span and its free segment. */
#define VMEM_TAGS_PER_OP 4
#define VMEM_TAG_RESERVE (VMEM_TAGS_PER_OP * VMEM_MAX_DEPTH)
#define VMEM_BOOT_TAGS	128

/* Tags held by one operation, taken before the arena's lock. */
struct vmem_stash {
	struct vmem_tag *list;
	unsigned n;
};

/* Free list of a segment of `size` bytes: floor(log2(size)). */
static inline unsigned vmem_flist(size_t size)
{
	return VMEM_LISTS - 1 - (unsigned)__builtin_clzl((unsigned long)size);
}

/* Hash bucket of a busy segment starting at addr. */
static inline unsigned vmem_bucket(const struct vmem *vm, uintptr_t addr)
{
	return (uint32_t)((addr / vm->quantum) * 2654435761u) >> (32 - VMEM_HASH_SHIFT);
}

/* mm/vmem.c: the arena lock (a spinlock, rank vmem; re-entry is a bug). */
unsigned long vmem_lock(struct vmem *vm);
void vmem_unlock(struct vmem *vm, unsigned long flags);

/* mm/vmem_tag.c; vmem_tags_lock also guards vmem.c's table of arena slots. */
unsigned long vmem_tags_lock(void);
void vmem_tags_unlock(unsigned long flags);
bool vmem_tags_get(struct vmem_stash *st, unsigned n, int flags, const char **why);
void vmem_tags_put(struct vmem_stash *st);
struct vmem_tag *vmem_stash_pop(struct vmem_stash *st);
void vmem_stash_push(struct vmem_stash *st, struct vmem_tag *t);
/* Report into the last-report buffer and the log; misuse also counts as such. */
void vmem_report(bool misuse, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uintptr_t vmem_xalloc_from(vmem_t *vm, size_t size, size_t align, uintptr_t minaddr,
			   uintptr_t maxaddr, int flags, uintptr_t caller);

#endif
