/*
 * Arena cases about boundary tags and many arenas, on both runners: the
 * tag reserve exhausted on purpose, tags refilled from pages while the
 * heap grows, and a seeded churn over five arenas against a shadow model.
 */
#include "tests/ktest.h"
#include "tests/mm/vmem_util.h"
#include "tests/mm/heap_util.h"

#define P PAGE_SIZE
#define BASE 0x10000000u

/* Allocate single units from vm until one fails; false if one was not the next unit. */
static bool fill_units(vmem_t *vm, size_t max, size_t *n)
{
	for (*n = 0; *n < max; (*n)++) {
		uintptr_t a = vmem_alloc(vm, 1, 0);

		if (!a)
			return true;
		if (a != BASE + *n)
			return false;
	}
	return true;
}

static bool free_units(vmem_t *vm, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!vmem_free(vm, BASE + i, 1))
			return false;
	return true;
}

TEST(vmem_tag_exhaustion_fails_with_a_report)
{
	struct vmem_tag_stats t0, t1;
	struct vmem_stats st;
	vmem_t *vm;
	size_t n;
	bool seq;

	ktest_vmem_setup();
	vm = vmem_create("exhaust", BASE, 1u << 24, 1, NULL, 0);
	CHECK(vm);
	vmem_inject_tag_failure(0);			/* no more tag pages from here */
	vmem_tag_stats(&t0);
	seq = fill_units(vm, t0.free + 1, &n);	/* each unit holds one more tag */
	vmem_tag_stats(&t1);
	vmem_inject_tag_failure(-1);
	CHECKF(seq, "unit %zu came back at an unexpected address", n);
	CHECKF(n == t0.free - t0.reserve - t0.per_op + 1,
	       "%zu allocations with %zu tags free and %zu reserved", n, t0.free, t0.reserve);
	CHECK(t1.free == t0.free - n && t1.pages == t0.pages);	/* the reserve is untouched */
	CHECK(t1.exhausted > t0.exhausted && t1.refill_failures > t0.refill_failures);
	vmem_stats(vm, &st);
	CHECK(st.failures == 1 && st.nbusy == n);		/* counted, and nothing half-made */
	CHECKF(text_has(vmem_last_report(), "arena 'exhaust'") &&
	       text_has(vmem_last_report(), "no boundary tag") &&
	       text_has(vmem_last_report(), "fail on purpose"), "report: %s", vmem_last_report());
	CHECK(vmem_audit(vm));
	vmem_inject_tag_failure(0);			/* frees need no tags */
	CHECK(free_units(vm, n));
	vmem_inject_tag_failure(-1);
	CHECK(tags_free() == t0.free && vmem_audit(vm));
	CHECK(vmem_alloc(vm, 1, 0) == BASE);
	vmem_destroy(vm);
}

/*
 * The heap never takes virtual space after boot, so "the heap grows while
 * tags are refilled" means: both draw frames at once, neither calls the
 * other, and each keeps its promises.
 */
TEST(vmem_tags_refill_while_heap_grows)
{
	static void *bufs[32];
	struct vmem_tag_stats ts;
	size_t pages0, live0, n = 0, nb = 0;
	vmem_t *vm;
	bool seq = true;

	ktest_heap_setup();
	ktest_vmem_setup();
	vm = vmem_create("grow", BASE, 1u << 24, 1, NULL, 0);
	CHECK(vm);
	vmem_tag_stats(&ts);
	pages0 = ts.pages;
	live0 = kheap_live_bytes();
	for (; tag_pages() < pages0 + 2 && n < ts.free + 3 * ts.per_page && seq; n++) {
		seq = vmem_alloc(vm, 1, 0) == BASE + n;
		if (n % 16 == 0 && nb < ARRAY_SIZE(bufs) && (bufs[nb] = kmalloc(4 * P)) != NULL)
			pattern_fill(bufs[nb], 4 * P, (uint32_t)nb), nb++;
	}
	CHECKF(seq, "unit %zu came back at an unexpected address", n - 1);
	CHECKF(tag_pages() >= pages0 + 2, "%zu tag pages after %zu units", tag_pages() - pages0, n);
	CHECK(nb > 2 && kheap_live_bytes() >= live0 + nb * 4 * P);
	for (size_t i = 0; i < nb; i++)
		CHECKF(pattern_check(bufs[i], 4 * P, (uint32_t)i) < 0, "buffer %zu changed", i);
	CHECK(vmem_audit(vm) && kheap_check());
	for (size_t i = 0; i < nb; i++)
		kfree(bufs[i]);
	CHECK(free_units(vm, n));
	CHECK(vmem_destroy(vm));
}

/* ---- a seeded churn over five arenas against a shadow model ---- */

#define NARENA 5
#define LIVE 40

struct shadow {
	vmem_t *vm;
	int parent;			/* index of the source arena, or -1 */
	size_t q;
	size_t n, live;			/* entries, live bytes */
	uintptr_t addr[LIVE];
	size_t size[LIVE];
};

static struct shadow sh[NARENA];

static bool churn_setup(void)
{
	static const int parent[NARENA] = { -1, 0, 0, 1, -1 };
	static const char *const name[NARENA] = {
		"c-root", "c-pages", "c-bytes", "c-grand", "c-apart"
	};
	static const size_t q[NARENA] = { P, P, 16, P, 8 };
	static const size_t iq[NARENA] = { 0, 16 * P, 8 * P, 4 * P, 0 };

	memset(sh, 0, sizeof(sh));
	for (int i = 0; i < NARENA; i++) {
		vmem_t *src = parent[i] < 0 ? NULL : sh[parent[i]].vm;

		sh[i].vm = vmem_create(name[i], i ? 0 : BASE, i ? 0 : 512 * P, q[i], src, iq[i]);
		sh[i].parent = parent[i];
		sh[i].q = q[i];
		if (!sh[i].vm)
			return false;
	}
	return vmem_add(sh[4].vm, 0x1000, 0x10000) && vmem_add(sh[4].vm, 0x40000, 0x10000);
}

/* Does [a, a + size) meet a live allocation of any arena? */
static bool overlaps_live(uintptr_t a, size_t size)
{
	for (int i = 0; i < NARENA; i++)
		for (size_t k = 0; k < sh[i].n; k++)
			if (a < sh[i].addr[k] + sh[i].size[k] && sh[i].addr[k] < a + size)
				return true;
	return false;
}

static bool churn_alloc(struct shadow *x, uint32_t *seed)
{
	size_t size = 1 + rng_next(seed) % (24 * x->q), align = 0;
	size_t rsize = (size + x->q - 1) & ~(x->q - 1);
	int flags = rng_next(seed) & 1 ? VM_BESTFIT : VM_INSTANTFIT;
	uintptr_t a;

	if (rng_next(seed) % 4 == 0)
		align = x->q << (rng_next(seed) % 4);
	a = align ? vmem_xalloc(x->vm, size, align, 0, 0, flags) : vmem_alloc(x->vm, size, flags);
	if (!a)
		return true;			/* out of space is allowed */
	if ((a & (x->q - 1)) || (align && (a & (align - 1))) || overlaps_live(a, rsize))
		return false;
	x->addr[x->n] = a;
	x->size[x->n++] = rsize;
	x->live += rsize;
	return true;
}

/* Free a random live allocation, trying a bad free of its inside first if asked. */
static bool churn_free(struct shadow *x, uint32_t *seed, bool bad_first)
{
	size_t k = rng_next(seed) % x->n;

	if (bad_first && x->size[k] > x->q &&
	    vmem_free(x->vm, x->addr[k] + x->q, x->size[k] - x->q))
		return false;			/* a bad free must be refused */
	if (!vmem_free(x->vm, x->addr[k], x->size[k]))
		return false;
	x->live -= x->size[k];
	x->n--;
	x->addr[k] = x->addr[x->n];
	x->size[k] = x->size[x->n];
	return true;
}

/* Every arena audits, and its busy bytes are its live bytes plus its children's spans. */
static int churn_check(void)
{
	for (int i = 0; i < NARENA; i++) {
		struct vmem_stats st, cs;
		size_t want = sh[i].live;

		for (int c = 0; c < NARENA; c++)
			if (sh[c].parent == i) {
				vmem_stats(sh[c].vm, &cs);
				want += cs.imported_bytes;
			}
		vmem_stats(sh[i].vm, &st);
		if (!vmem_audit(sh[i].vm) || st.busy_bytes != want || st.nbusy < sh[i].n)
			return i;
	}
	return -1;
}

TEST(vmem_shadow_churn_five_arenas)
{
	uint32_t seed = 0x5eed17;
	struct vmem_stats st;
	int bad = -1;

	ktest_vmem_setup();
	CHECK(churn_setup());
	for (int op = 0; op < 3000 && bad < 0; op++) {
		struct shadow *x = &sh[rng_next(&seed) % NARENA];
		bool freeing = x->n == LIVE || (x->n && rng_next(&seed) % 5 < 2);
		bool ok = freeing ? churn_free(x, &seed, op % 97 == 0) : churn_alloc(x, &seed);

		CHECKF(ok, "op %d on arena %s disagreed with the model", op, vmem_name(x->vm));
		if (op % 50 == 0)
			bad = churn_check();
	}
	if (bad < 0)
		bad = churn_check();
	CHECKF(bad < 0, "arena %s disagrees with the model", vmem_name(sh[bad < 0 ? 0 : bad].vm));
	for (int i = NARENA - 1; i >= 0; i--)
		while (sh[i].n)
			CHECK(churn_free(&sh[i], &seed, false));
	for (int i = 1; i < 4; i++) {
		vmem_stats(sh[i].vm, &st);
		CHECKF(st.span_bytes == 0, "%s kept %zu bytes of spans", vmem_name(sh[i].vm),
		       st.span_bytes);
	}
	vmem_stats(sh[0].vm, &st);
	CHECK(st.busy_bytes == 0 && st.nfree == 1 && churn_check() < 0);
	for (int i = NARENA - 1; i >= 0; i--)
		CHECK(vmem_destroy(sh[i].vm));
}
