/*
 * Owner-index cases (mm/owner.h), on both runners, over private trees of
 * plain integer ranges (never dereferenced): nesting, refusals, lookups
 * against a shadow model through seeded churn, the audit after each step,
 * and the kernel index's pool refusing when full.
 */
#include "tests/ktest.h"
#include "tests/mm/vmem_util.h"
#include "mm/owner.h"
#include "mm/kheap.h"

#define NODES 64

static struct owner node[NODES];

static bool same(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && !memcmp(a, b, strlen(a));
}

static struct owner *mk(int i, uintptr_t start, size_t size)
{
	struct owner *o = &node[i];

	memset(o, 0, sizeof(*o));
	o->start = start;
	o->size = size;
	o->kind = OW_WIRED;
	snprintf(o->name, sizeof(o->name), "n%d", i);
	return o;
}

TEST(owner_nesting_and_lookup)
{
	struct owner_tree t = { 0 };

	CHECK(owner_tree_insert(&t, mk(0, 0x1000, 0x9000)));	/* [0x1000, 0xa000) */
	CHECK(owner_tree_insert(&t, mk(1, 0x3000, 0x1000)));	/* inside 0 */
	CHECK(owner_tree_insert(&t, mk(2, 0x6000, 0x2000)));	/* inside 0 */
	CHECK(owner_tree_insert(&t, mk(3, 0x6800, 0x100)));	/* inside 2 */
	CHECK(owner_tree_insert(&t, mk(4, 0xFFFFF000u, 0x1000)));	/* ends at 2^32 */
	CHECK(owner_tree_audit(&t));
	CHECK(owner_tree_find(&t, 0x0FFF) == NULL);
	CHECK(owner_tree_find(&t, 0x1000) == &node[0]);
	CHECK(owner_tree_find(&t, 0x3FFF) == &node[1]);
	CHECK(owner_tree_find(&t, 0x4000) == &node[0]);	/* after 1, still in 0 */
	CHECK(owner_tree_find(&t, 0x6900) == &node[2]);	/* past 3, in 2 */
	CHECK(owner_tree_find(&t, 0x6850) == &node[3]);
	CHECK(owner_tree_find(&t, 0xA000) == NULL);
	CHECK(owner_tree_find(&t, 0xFFFFFFFFu) == &node[4]);
	/* an entry inserted around existing ones takes them in */
	CHECK(owner_tree_insert(&t, mk(5, 0x5000, 0x4000)));	/* holds 2 and 3 */
	CHECK(owner_tree_audit(&t));
	CHECK(node[2].outer == &node[5] && node[3].outer == &node[2]);
	CHECK(owner_tree_find(&t, 0x8800) == &node[5]);
	/* removing it gives them back to 0 */
	owner_tree_remove(&t, &node[5]);
	CHECK(owner_tree_audit(&t));
	CHECK(node[2].outer == &node[0] && owner_tree_find(&t, 0x8800) == &node[0]);
	CHECK(t.count == 5);
}

TEST(owner_partial_overlaps_refused)
{
	struct owner_tree t = { 0 };

	CHECK(owner_tree_insert(&t, mk(0, 0x1000, 0x2000)));
	CHECK(owner_tree_insert(&t, mk(1, 0x8000, 0x2000)));
	/* starts inside 0, ends past it */
	CHECK(!owner_tree_insert(&t, mk(2, 0x2000, 0x2000)));
	CHECKF(text_has(owner_last_report(), "'n2' 0x2000+0x2000 refused: it overlaps 'n0' 0x1000+0x2000"),
	       "report: %s", owner_last_report());
	/* starts before 1, ends inside it */
	CHECK(!owner_tree_insert(&t, mk(2, 0x7000, 0x2000)));
	CHECKF(text_has(owner_last_report(), "it overlaps 'n1' 0x8000+0x2000"), "report: %s",
	       owner_last_report());
	/* the same start */
	CHECK(!owner_tree_insert(&t, mk(2, 0x8000, 0x1000)));
	CHECK(text_has(owner_last_report(), "it shares its start with 'n1'"));
	/* empty, and twice */
	CHECK(!owner_tree_insert(&t, mk(2, 0x5000, 0)));
	CHECK(text_has(owner_last_report(), "empty range"));
	CHECK(!owner_tree_insert(&t, &node[0]));
	CHECK(text_has(owner_last_report(), "already indexed"));
	CHECK(t.count == 2 && owner_tree_audit(&t));
	CHECK(owner_tree_find(&t, 0x7800) == NULL);
}

/* The audit rejects each broken invariant it claims to check. */
TEST(owner_audit_rejects_broken_trees)
{
	struct owner_tree t = { 0 };

	for (int i = 0; i < 8; i++)
		CHECK(owner_tree_insert(&t, mk(i, 0x10000 * (uintptr_t)(i + 1), 0x1000)));
	CHECK(owner_tree_audit(&t));
	t.root->red = true;				/* red root */
	CHECK(!owner_tree_audit(&t));
	t.root->red = false;
	t.count++;					/* count */
	CHECK(!owner_tree_audit(&t));
	t.count--;
	node[3].outer = &node[4];			/* nesting */
	CHECK(!owner_tree_audit(&t));
	node[3].outer = NULL;
	t.root->left->start += 0x100000;		/* order */
	CHECK(!owner_tree_audit(&t));
	t.root->left->start -= 0x100000;
	t.root->right->red = !t.root->right->red;	/* colour: a red right link or black heights */
	CHECK(!owner_tree_audit(&t));
	t.root->right->red = !t.root->right->red;
	CHECK(owner_tree_audit(&t));
}

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* The shadow: the innermost linked node holding va, by a scan. */
static const struct owner *scan(uintptr_t va)
{
	const struct owner *best = NULL;

	for (int i = 0; i < NODES; i++) {
		const struct owner *o = &node[i];

		if (o->linked && va - o->start < o->size && (!best || o->size < best->size))
			best = o;
	}
	return best;
}

/* Node i gets a random range: sometimes inside another linked node. */
static void random_range(int i)
{
	int j = (int)(next() % NODES);
	uintptr_t start = (uintptr_t)(next() % 4096) * 16;
	size_t size = 16 * (1 + next() % 64);

	if (node[j].linked && node[j].size > 32 && next() % 2) {
		start = node[j].start + 16 * (next() % (node[j].size / 32));
		size = 16 * (1 + next() % ((node[j].start + node[j].size - start) / 16));
	}
	mk(i, start, size);
}

TEST(owner_shadow_churn)
{
	struct owner_tree t = { 0 };
	size_t linked = 0, refused = 0;

	memset(node, 0, sizeof(node));
	for (int step = 0; step < 4000; step++) {
		int i = (int)(next() % NODES);

		if (node[i].linked) {
			owner_tree_remove(&t, &node[i]);
			linked--;
		} else {
			random_range(i);
			if (owner_tree_insert(&t, &node[i]))
				linked++;
			else
				refused++;
		}
		CHECKF(owner_tree_audit(&t), "step %d", step);
		CHECK(t.count == linked);
		for (int k = 0; k < 8; k++) {
			uintptr_t va = (uintptr_t)(next() % (4096 * 16 + 1024));

			CHECKF(owner_tree_find(&t, va) == scan(va), "step %d va %#lx", step,
			       (unsigned long)va);
		}
	}
	CHECKF(refused > 100 && linked > 10, "refused %zu, linked %zu", refused, linked);
}

/*
 * A MiB of addresses the kernel's index has no entry for (the kernel's
 * index holds the live kernel's owners, the host's the test heap's).
 */
static uintptr_t unowned_mib(void)
{
	for (uintptr_t b = 0x10000000u; b < 0xC0000000u; b += 0x10000000u)
		if (!owner_find(b) && !owner_find(b + 0x80000u) && !owner_find(b + 0xFFFFFu))
			return b;
	return 0;
}

TEST(owner_pool_full_is_refused)
{
	size_t entries, used, added = 0;
	uintptr_t base = unowned_mib();

	CHECK(base);
	owner_counts(&entries, &used);
	while (added <= OWNER_POOL - used &&
	       owner_register(base + added * 0x10u, 0x10, OW_WIRED, "pool test"))
		added++;
	CHECKF(added == OWNER_POOL - used, "added %zu of %zu free nodes", added, OWNER_POOL - used);
	CHECK(!owner_register(base + added * 0x10u, 0x10, OW_WIRED, "one too many"));
	CHECK(owner_find(base + added * 0x10u) == NULL);
	for (size_t i = 0; i < added; i++)
		CHECK(owner_unregister(base + i * 0x10u));
	owner_counts(&entries, &added);
	CHECK(added == used);
	CHECK(!owner_unregister(base));
}

TEST(owner_describe_phrases)
{
	static struct owner m;
	char buf[128];
	uintptr_t at = unowned_mib();

	CHECK(at);
	memset(&m, 0, sizeof(m));
	CHECK(owner_add(&m, at, 0x4000, OW_MMIO, "framebuffer", NULL));
	owner_describe(at + 0x1000, OA_WRITE, buf, sizeof(buf));
	CHECKF(same(buf, "write to MMIO area 'framebuffer' at offset 0x1000"), "%s", buf);
	owner_remove(&m);
	CHECK(owner_add(&m, at, 0x1000, OW_GUARD, "below the stack of the boot CPU", NULL));
	owner_describe(at + 8, OA_READ, buf, sizeof(buf));
	CHECKF(same(buf, "read of guard page below the stack of the boot CPU"), "%s", buf);
	owner_remove(&m);
	CHECK(!owner_describe(at + 8, OA_EXEC, buf, sizeof(buf)));
	CHECKF(same(buf, "execute in an address no owner claims"), "%s", buf);
}

/* The heap region's hook: allocations by start, size and offset, free space past an end. */
TEST(owner_heap_hook_names_allocations)
{
	char buf[160], want[160];
	uint8_t *p, *q;
	size_t n;

	ktest_heap_setup();
	q = kmalloc(40);			/* a slab object */
	p = kmalloc(SLAB_MAX + 1);		/* a page run */
	CHECK(p && q);
	n = ksize(p);
	CHECK(owner_find((uintptr_t)p) && owner_find((uintptr_t)p)->kind == OW_HEAP);
	owner_describe((uintptr_t)p + 5, OA_WRITE, buf, sizeof(buf));
	snprintf(want, sizeof(want), "write to heap allocation %#lx (%zu bytes) at offset 5",
		 (unsigned long)p, n);
	CHECKF(same(buf, want), "%s", buf);
	owner_describe((uintptr_t)q + 8, OA_READ, buf, sizeof(buf));
	snprintf(want, sizeof(want), "read of heap allocation %#lx (%zu bytes) at offset 8",
		 (unsigned long)q, ksize(q));
	CHECKF(same(buf, want), "%s", buf);
	/* 16 bytes past the run's end: free space, or (in the live kernel heap) what is next */
	owner_describe((uintptr_t)p + n + 16, OA_WRITE, buf, sizeof(buf));
	snprintf(want, sizeof(want), "write 16 bytes past the end of heap allocation %#lx "
		 "(%zu bytes), in free heap space", (unsigned long)p, n);
	CHECKF(same(buf, want) || text_has(buf, "write to heap "), "%s", buf);
	kfree(p);
	owner_describe((uintptr_t)p + 5, OA_EXEC, buf, sizeof(buf));
	CHECKF(same(buf, "execute in free heap space") || text_has(buf, "bytes past the end of"),
	       "%s", buf);
	kfree(q);
	CHECK(owner_find((uintptr_t)p + n) == owner_find((uintptr_t)p));
}
