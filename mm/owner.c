/*
 * The kernel's owner index (mm/owner.h): one tree, a static pool of
 * nodes for owners without a record to embed one in, and the phrase for
 * an access at an address.  Adds and removes run with interrupts off;
 * lookups and phrases take no lock (the fault path, the #DF task).
 */
#include "mm/owner.h"

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

bool owner_add(struct owner *o, uintptr_t start, size_t size, unsigned kind, const char *name,
	       owner_describe_fn describe)
{
	unsigned long f = irq_save();
	bool ok;

	if (!o->linked)
		fill(o, start, size, kind, name, describe);
	ok = owner_tree_insert(&index, o);
	irq_restore(f);
	return ok;
}

void owner_remove(struct owner *o)
{
	unsigned long f = irq_save();

	owner_tree_remove(&index, o);
	irq_restore(f);
}

static struct owner *free_node(void)
{
	for (size_t i = 0; i < OWNER_POOL; i++)
		if (!pool[i].linked)
			return &pool[i];
	return NULL;
}

bool owner_register(uintptr_t start, size_t size, unsigned kind, const char *name)
{
	unsigned long f = irq_save();
	struct owner *o = free_node();
	bool ok = o && owner_add(o, start, size, kind, name, NULL);

	pool_used += ok;
	irq_restore(f);
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
	unsigned long f = irq_save();
	const struct owner *o = owner_tree_find(&index, start);
	bool ok = o && o->start == start && in_pool(o);

	if (ok) {
		owner_tree_remove(&index, &pool[o - pool]);
		pool_used--;
	}
	irq_restore(f);
	return ok;
}

const struct owner *owner_find(uintptr_t va)
{
	return owner_tree_find(&index, va);
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

bool owner_describe(uintptr_t va, enum owner_access a, char *buf, size_t len)
{
	const struct owner *o = owner_find(va);

	if (!o)
		snprintf(buf, len, "%san address no owner claims", owner_access_words(a));
	else if (o->describe)
		o->describe(o, va, a, buf, len);
	else
		describe_kind(o, va, a, buf, len);
	return o != NULL;
}

void owner_counts(size_t *entries, size_t *pool_nodes)
{
	*entries = index.count;
	*pool_nodes = pool_used;
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
	print(index.root);
	kprintf("owner: %zu entries, %zu of %u pool nodes in use", index.count, pool_used,
		(unsigned)OWNER_POOL);
}
