/*
 * The kernel's owner index (mm/owner.h): one tree, a static pool of
 * nodes for owners without a record to embed one in, and the phrase for
 * an access at an address.
 *
 * Locking: owner_spin (rank owner, docs/heap.md) guards the tree, the
 * pool and pool_used; every entry point takes it.  A lookup on a CPU
 * that holds it already (a fault inside this file) finds nothing rather
 * than wait on itself.  The phrase, which the fault diagnostics and the
 * #DF task write, only tries the lock (a bounded number of times), since
 * the CPU that holds it may be the one that faulted or one stopped for a
 * panic: it reads the tree under the lock or not at all, never a tree
 * being rotated or a node whose record is being reused.
 */
#include "mm/owner.h"
#include "mm/spinlock.h"

#define TRY_POLLS	100000	/* a phrase's tries for the lock before it says "busy" */

static struct spinlock owner_spin = SPINLOCK_INIT(LOCK_OWNER);
static struct owner_tree index;
static struct owner pool[OWNER_POOL];
static size_t pool_used;

static const char *const kind_names[OW_KINDS] = {
	[OW_IMAGE] = "kernel image", [OW_STACK] = "stack", [OW_GUARD] = "guard page",
	[OW_MODULE] = "GRUB module", [OW_MMIO] = "MMIO area", [OW_HEAP] = "heap",
	[OW_VMALLOC] = "vmalloc area", [OW_WIRED] = "kernel memory",
};

const char *owner_kind_name(unsigned kind)
{
	return kind < OW_KINDS ? kind_names[kind] : "?";
}

const char *owner_access_words(enum owner_access a)
{
	static const char *const words[] = { "", "read of ", "write to ", "execute in " };

	return words[a];
}

const char *owner_access_verb(enum owner_access a)
{
	static const char *const verbs[] = { "access", "read", "write", "execute" };

	return verbs[a];
}

static void fill(struct owner *o, uintptr_t start, size_t size, unsigned kind, const char *name,
		 owner_describe_fn describe)
{
	o->start = start;
	o->size = size;
	o->kind = (uint8_t)kind;
	o->describe = describe;
	snprintf(o->name, sizeof(o->name), "%s", name);
}

/* owner_add's work; owner_spin held. */
static bool add_locked(struct owner *o, uintptr_t start, size_t size, unsigned kind,
		       const char *name, owner_describe_fn describe)
{
	KASSERT(spin_held(&owner_spin));
	if (!o->linked)
		fill(o, start, size, kind, name, describe);
	return owner_tree_insert(&index, o);
}

bool owner_add(struct owner *o, uintptr_t start, size_t size, unsigned kind, const char *name,
	       owner_describe_fn describe)
{
	unsigned long f = spin_lock(&owner_spin);
	bool ok = add_locked(o, start, size, kind, name, describe);

	spin_unlock(&owner_spin, f);
	return ok;
}

void owner_remove(struct owner *o)
{
	unsigned long f = spin_lock(&owner_spin);

	owner_tree_remove(&index, o);
	spin_unlock(&owner_spin, f);
}

static struct owner *free_node(void)
{
	KASSERT(spin_held(&owner_spin));
	for (size_t i = 0; i < OWNER_POOL; i++)
		if (!pool[i].linked)
			return &pool[i];
	return NULL;
}

bool owner_register(uintptr_t start, size_t size, unsigned kind, const char *name)
{
	unsigned long f = spin_lock(&owner_spin);
	struct owner *o = free_node();
	bool ok = o && add_locked(o, start, size, kind, name, NULL);

	pool_used += ok;
	spin_unlock(&owner_spin, f);
	if (!o)
		klog(LOG_ERROR, "owner: '%s' %#lx+%#zx not indexed: the pool of %u nodes is full",
		     name, (unsigned long)start, size, (unsigned)OWNER_POOL);
	return ok;
}

static bool in_pool(const struct owner *o)
{
	return o >= pool && o < pool + OWNER_POOL;
}

bool owner_unregister(uintptr_t start)
{
	unsigned long f = spin_lock(&owner_spin);
	const struct owner *o = owner_tree_find(&index, start);
	bool ok = o && o->start == start && in_pool(o);

	if (ok) {
		owner_tree_remove(&index, &pool[o - pool]);
		pool_used--;
	}
	spin_unlock(&owner_spin, f);
	return ok;
}

const struct owner *owner_find(uintptr_t va)
{
	unsigned long f;
	const struct owner *o;

	if (spin_held(&owner_spin))
		return NULL;		/* a fault inside the index: never wait on ourselves */
	f = spin_lock(&owner_spin);
	o = owner_tree_find(&index, va);
	spin_unlock(&owner_spin, f);
	return o;
}

/* owner_spin for a phrase: true once held; false if this CPU holds it or it stays busy. */
static bool try_for_phrase(unsigned long *f)
{
	for (unsigned n = 0; n < TRY_POLLS && !spin_held(&owner_spin); n++) {
		if (spin_trylock(&owner_spin, f))
			return true;
		platform_spin_wait();
	}
	return false;
}

/* The kind's phrase: "<access> MMIO area 'framebuffer' at offset 0x1000". */
static void describe_kind(const struct owner *o, uintptr_t va, enum owner_access a, char *buf,
			  size_t len)
{
	const char *w = owner_access_words(a);
	unsigned long off = (unsigned long)(va - o->start);

	switch (o->kind) {
	case OW_GUARD:
		snprintf(buf, len, "%sguard page %s", w, o->name);
		break;
	case OW_STACK:
		snprintf(buf, len, "%sthe stack of %s, %lu bytes below its top", w, o->name,
			 (unsigned long)o->size - off);
		break;
	case OW_IMAGE:
		snprintf(buf, len, "%skernel image section %s at offset %#lx", w, o->name, off);
		break;
	case OW_WIRED:
		snprintf(buf, len, "%s%s at offset %#lx", w, o->name, off);
		break;
	default:
		snprintf(buf, len, "%s%s '%s' at offset %#lx", w, owner_kind_name(o->kind), o->name,
			 off);
	}
}

bool owner_find_copy(uintptr_t va, struct owner *out)
{
	unsigned long f;
	const struct owner *o;

	if (!try_for_phrase(&f))
		return false;
	o = owner_tree_find(&index, va);
	if (o)
		*out = *o;
	spin_unlock(&owner_spin, f);
	return o != NULL;
}

/* The phrase when the index cannot be read: who holds its lock. */
static void describe_busy(uintptr_t va, enum owner_access a, char *buf, size_t len)
{
	int holder = __atomic_load_n(&owner_spin.cpu, __ATOMIC_RELAXED);

	snprintf(buf, len, "%s%#lx (owner unknown: the owner index is locked by cpu %d%s)",
		 owner_access_words(a), (unsigned long)va, holder,
		 holder == (int)cpu_id() ? ", this one" : "");
}

bool owner_describe(uintptr_t va, enum owner_access a, char *buf, size_t len)
{
	unsigned long f;
	const struct owner *o;

	if (!try_for_phrase(&f)) {
		describe_busy(va, a, buf, len);
		return false;
	}
	o = owner_tree_find(&index, va);
	if (!o)
		snprintf(buf, len, "%san address no owner claims", owner_access_words(a));
	else if (o->describe)
		o->describe(o, va, a, buf, len);
	else
		describe_kind(o, va, a, buf, len);
	spin_unlock(&owner_spin, f);
	return o != NULL;
}

void owner_counts(size_t *entries, size_t *pool_nodes)
{
	unsigned long f = spin_lock(&owner_spin);

	*entries = index.count;
	*pool_nodes = pool_used;
	spin_unlock(&owner_spin, f);
}

bool owner_audit(void)
{
	unsigned long f = spin_lock(&owner_spin);
	size_t linked = 0;
	bool ok;

	for (size_t i = 0; i < OWNER_POOL; i++)
		linked += pool[i].linked;
	ok = owner_tree_audit(&index);
	if (ok && linked != pool_used)
		klog(LOG_ERROR, "owner: audit: %zu pool nodes linked, but pool_used says %zu", linked,
		     pool_used);
	ok = ok && linked == pool_used;
	spin_unlock(&owner_spin, f);
	return ok;
}

static void print(const struct owner *n)
{
	int depth = 0;

	if (!n)
		return;
	print(n->left);
	for (const struct owner *o = n->outer; o; o = o->outer)
		depth++;
	kprintf("owner: %.*s0x%08lx-0x%08lx %s: %s", 2 * depth, "          ", (unsigned long)n->start,
		(unsigned long)(n->start + n->size - 1), owner_kind_name(n->kind), n->name);
	print(n->right);
}

void owner_print(void)
{
	unsigned long f = spin_lock(&owner_spin);

	print(index.root);
	kprintf("owner: %zu entries, %zu of %u pool nodes in use", index.count, pool_used,
		(unsigned)OWNER_POOL);
	spin_unlock(&owner_spin, f);
}
