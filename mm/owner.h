/*
 * Address to owner: an ordered index from any kernel virtual address to
 * what owns it (a section of the kernel image, a stack, a guard page, a
 * GRUB module, an MMIO mapping, the heap region, a vmalloc area, page
 * tables, the frame database), for the fault diagnostics (fault/diag.c)
 * and misuse reports.  docs/vmem.md, "Address to owner".
 *
 * Promises:
 *  - owner_find is O(log n + d): a left-leaning red-black tree keyed by
 *    start, then at most d steps out through the enclosing entries (d is
 *    the nesting depth, 2 today: the boot stack inside .bss).
 *  - Ranges nest or are disjoint, never overlap partly; no two entries
 *    start at the same address.  An add that breaks this is refused with
 *    a report naming both ranges, and changes nothing.
 *  - Nothing here allocates.  A node is either embedded in its owner's
 *    record (owner_add) or taken from a static pool of OWNER_POOL nodes
 *    (owner_register); a full pool is refused with a report.
 *  - owner_describe writes one phrase for an access at an address, e.g.
 *    "write to MMIO area 'framebuffer' at offset 0x1000"; an entry with a
 *    describe hook (the heap region's, registered by the heap core)
 *    writes its own.  Hooks are registered downward: this module calls
 *    only what was handed to it.
 *
 * Context: any CPU, interrupts on or off.  The kernel's index is under
 * one IRQ-saving spinlock (rank owner, docs/heap.md), which every entry
 * point takes; owner_find on a CPU already inside the index (a fault in
 * it) returns NULL instead of waiting.  The report paths (owner_describe,
 * owner_find_copy: the fault diagnostics, the #DF task) only try the lock
 * and say the index is busy if they cannot get it, so a fatal report
 * never deadlocks on a lock its own CPU, or a stopped one, holds.  A hook
 * runs under the lock, in the same context as owner_describe: it must not
 * allocate or take a lock a faulting thread may hold.  The owner_tree_*
 * calls take no lock: their caller serialises a tree.
 */
#ifndef MM_OWNER_H
#define MM_OWNER_H

#include "mm/platform.h"

enum owner_kind {
	OW_IMAGE,	/* a section of the kernel image: name ".text" ... */
	OW_STACK,	/* a kernel stack: name says whose */
	OW_GUARD,	/* a guard page: name says where ("below the stack of ...") */
	OW_MODULE,	/* a GRUB module: name is the module's */
	OW_MMIO,	/* an ioremap mapping: name says what */
	OW_HEAP,	/* the heap region (describe hook) */
	OW_VMALLOC,	/* a vmalloc area: name is the caller */
	OW_WIRED,	/* kernel memory by name: page tables, frame database, ... */
	OW_KINDS
};

/* What the access was, for the phrase: "read of", "write to", "execute in". */
enum owner_access { OA_NONE, OA_READ, OA_WRITE, OA_EXEC };

#define OWNER_NAME_LEN	48
#define OWNER_POOL	128

struct owner;
/* Write the phrase for an access at va inside o into buf. */
typedef void (*owner_describe_fn)(const struct owner *o, uintptr_t va, enum owner_access a,
				  char *buf, size_t len);

struct owner {
	uintptr_t start;
	size_t size;			/* [start, start + size); may end at 2^32 */
	owner_describe_fn describe;	/* NULL: the kind's phrase */
	uint8_t kind;
	char name[OWNER_NAME_LEN];
	/* the index's own (mm/owner.c) */
	struct owner *left, *right;
	const struct owner *outer;	/* the innermost entry holding this one */
	bool red, linked;
};

/* An index: the kernel has one (owner_add ...); tests make their own. */
struct owner_tree {
	struct owner *root;
	size_t count;
};

/*
 * Index o (its start, size, kind, name and describe already set) in t;
 * false, with a report, if it overlaps an entry partly or shares its start.
 */
bool owner_tree_insert(struct owner_tree *t, struct owner *o);
void owner_tree_remove(struct owner_tree *t, struct owner *o);
/* The innermost entry holding va, or NULL. */
const struct owner *owner_tree_find(const struct owner_tree *t, uintptr_t va);
/* The order, colour and nesting invariants; logs the first problem. */
bool owner_tree_audit(const struct owner_tree *t);

/* The kernel's index: an embedded node o, filled in here. */
bool owner_add(struct owner *o, uintptr_t start, size_t size, unsigned kind, const char *name,
	       owner_describe_fn describe);
void owner_remove(struct owner *o);
/* The same with a node from the static pool; false (and a report) when full. */
bool owner_register(uintptr_t start, size_t size, unsigned kind, const char *name);
/* Remove the pool entry that starts at start; false if there is none. */
bool owner_unregister(uintptr_t start);
/* The innermost entry holding va; NULL if none (or this CPU is inside the index). */
const struct owner *owner_find(uintptr_t va);
/*
 * For report paths: a copy of the innermost entry holding va into *out;
 * false if none, or the index's lock could not be had without waiting
 * long (held by this CPU or a stopped one).
 */
bool owner_find_copy(uintptr_t va, struct owner *out);
/*
 * The phrase for an access at va, e.g. "read of guard page below the
 * stack of the boot CPU"; false (and "<access> an address no owner
 * claims") when no entry holds va.
 */
bool owner_describe(uintptr_t va, enum owner_access a, char *buf, size_t len);
/* "read of", "write to", "execute in", or "" for OA_NONE. */
const char *owner_access_words(enum owner_access a);
/* "read", "write", "execute", or "access" for OA_NONE. */
const char *owner_access_verb(enum owner_access a);
const char *owner_kind_name(unsigned kind);
/* Entries in the kernel's index, and pool nodes in use. */
void owner_counts(size_t *entries, size_t *pool_used);
/* The kernel's index: owner_tree_audit, and the pool's count matches its linked nodes. */
bool owner_audit(void);
/* One line per entry, in address order, indented by nesting. */
void owner_print(void);
/* The text of the last refusal (the tests read it). */
const char *owner_last_report(void);

#endif
