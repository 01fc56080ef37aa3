/*
 * Sizes at the top of size_t and just past the region's end.  Every
 * request from SIZE_MAX - 2 * PAGE_SIZE to SIZE_MAX is refused: NULL,
 * counted among the NULL returns, and every live allocation (a krealloc's
 * original above all) left as it was.  No page count, rounding, product
 * or growth may wrap round to a size the heap can grant.  Runs on the
 * host (64- and 32-bit, fresh heap per case) and in the kernel (live heap).
 * The size classes too: the lookup of each size, and the exact division
 * that finds object starts.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/sizeclass.h"

#define EDGE_N	(2 * PAGE_SIZE + 1)		/* the sizes SIZE_MAX - 2 pages .. SIZE_MAX */
#define EDGE_LO	(SIZE_MAX - (EDGE_N - 1))

typedef void *(*edge_call)(size_t size, void *arg);

static void *call_kmalloc(size_t s, void *a) { (void)a; return kmalloc(s); }
static void *call_kzalloc(size_t s, void *a) { (void)a; return kzalloc(s); }
static void *call_kcalloc_1_s(size_t s, void *a) { (void)a; return kcalloc(1, s); }
static void *call_kcalloc_s_1(size_t s, void *a) { (void)a; return kcalloc(s, 1); }
static void *call_aligned(size_t s, void *a) { return kmalloc_aligned(s, *(size_t *)a); }
static void *call_krealloc(size_t s, void *a) { return krealloc(a, s); }

/* What a refused call must leave as it was, and the NULL count. */
struct snapshot { size_t live_bytes, live_allocs; uint64_t nulls; };

static void snap(struct snapshot *s)
{
	struct kheap_stats st;

	kheap_stats(&st);
	s->live_bytes = st.live_bytes;
	s->live_allocs = st.live_allocs;
	s->nulls = st.null_returns;
}

/*
 * Call fn on the n sizes from lo up.  NULL when each was refused, each
 * refusal counted, the live figures unchanged and the heap consistent;
 * else what went wrong, with *at the size it went wrong at.
 */
static const char *walk(edge_call fn, void *arg, size_t lo, size_t n, size_t *at)
{
	struct snapshot a, b;

	snap(&a);
	*at = lo;
	for (size_t k = 0; k < n; k++, *at = lo + k)
		if (fn(lo + k, arg))
			return "granted";
	snap(&b);
	if (b.nulls - a.nulls != n)
		return "a refusal not counted among the NULL returns";
	if (b.live_bytes != a.live_bytes || b.live_allocs != a.live_allocs)
		return "the live bytes or allocations changed";
	return kheap_check() ? NULL : "kheap_check failed";
}

#define WALK(fn, arg, lo, n, what) do {						\
	size_t at_;								\
	const char *why_ = walk(fn, arg, lo, n, &at_);				\
	CHECKF(!why_, "%s(%#zx): %s", what, at_, why_);				\
} while (0)

TEST(heap_edge_sizes_near_size_max_are_refused)
{
	static size_t aligns[] = { 8, 16, 64, PAGE_SIZE, 4 * PAGE_SIZE };
	uint8_t *witness;

	ktest_heap_setup();
	witness = kmalloc(SLAB_MAX + PAGE_SIZE);
	CHECK(witness);
	pattern_fill(witness, SLAB_MAX + PAGE_SIZE, 41);
	WALK(call_kmalloc, NULL, EDGE_LO, EDGE_N, "kmalloc");
	WALK(call_kzalloc, NULL, EDGE_LO, EDGE_N, "kzalloc");
	WALK(call_kcalloc_1_s, NULL, EDGE_LO, EDGE_N, "kcalloc(1, n)");
	WALK(call_kcalloc_s_1, NULL, EDGE_LO, EDGE_N, "kcalloc(n, 1)");
	for (size_t k = 0; k < ARRAY_SIZE(aligns); k++)
		WALK(call_aligned, &aligns[k], EDGE_LO, EDGE_N, "kmalloc_aligned");
	CHECK(pattern_check(witness, SLAB_MAX + PAGE_SIZE, 41) < 0);
	kfree(witness);
}

/* krealloc of an original of `size` to every edge size; it stays, whole. */
static const char *realloc_edge(size_t size, size_t lo, size_t n, size_t *at)
{
	uint8_t *p = kmalloc(size);
	size_t usable;
	const char *why;

	*at = 0;
	if (!p)
		return "no original";
	usable = ksize(p);
	pattern_fill(p, usable, (uint32_t)size);
	why = walk(call_krealloc, p, lo, n, at);
	if (why)
		return why;		/* p may be gone: left alone */
	if (ksize(p) != usable || pattern_check(p, usable, (uint32_t)size) >= 0)
		return "the original changed";
	kfree(p);
	return NULL;
}

TEST(heap_edge_krealloc_near_size_max_keeps_the_original)
{
	static const size_t orig[] = { 1, 100, 2048, SLAB_MAX, SLAB_MAX + 1,
				       3 * PAGE_SIZE + 5, 64 * PAGE_SIZE };

	ktest_heap_setup();
	for (size_t k = 0; k < ARRAY_SIZE(orig); k++) {
		size_t at;
		const char *why = realloc_edge(orig[k], EDGE_LO, EDGE_N, &at);

		CHECKF(!why, "krealloc(%zu-byte block, %#zx): %s", orig[k], at, why);
	}
}

TEST(heap_edge_sizes_just_past_the_region_are_refused)
{
	size_t past = kheap_max_size() + 1, at;
	const char *why;

	ktest_heap_setup();
	WALK(call_kmalloc, NULL, past, EDGE_N, "kmalloc");
	WALK(call_kcalloc_s_1, NULL, past, EDGE_N, "kcalloc(n, 1)");
	why = realloc_edge(SLAB_MAX + 1, past, EDGE_N, &at);
	CHECKF(!why, "krealloc(large block, %#zx): %s", at, why);
	why = realloc_edge(64, past, EDGE_N, &at);
	CHECKF(!why, "krealloc(small block, %#zx): %s", at, why);
}

static void *call_bad_align(size_t s, void *a) { (void)s; return kmalloc_aligned(16, *(size_t *)a); }

TEST(heap_edge_bad_alignments_are_refused_and_counted)
{
	size_t aligns[] = { 0, 1, 4, 24, 4097, SIZE_MAX, (size_t)1 << (sizeof(size_t) * 8 - 1) };

	ktest_heap_setup();
	for (size_t k = 0; k < ARRAY_SIZE(aligns); k++)
		WALK(call_bad_align, &aligns[k], 16, 1, "kmalloc_aligned(16, a)");
}

TEST(heap_edge_kcalloc_products_that_overflow_or_reach_size_max)
{
	const size_t half = (size_t)1 << (sizeof(size_t) * 4);
	const size_t pairs[][2] = {
		{ SIZE_MAX / 2 + 1, 2 }, { 2, SIZE_MAX / 2 + 1 }, { half, half },
		{ SIZE_MAX, SIZE_MAX }, { SIZE_MAX / 3 + 1, 3 }, { SIZE_MAX / 3, 3 },
		{ 257, SIZE_MAX / 257 }, { SIZE_MAX / PAGE_SIZE + 1, PAGE_SIZE },
		{ PAGE_SIZE, SIZE_MAX / PAGE_SIZE }, { SIZE_MAX, 1 },
	};
	struct snapshot a, b;

	ktest_heap_setup();
	snap(&a);
	for (size_t k = 0; k < ARRAY_SIZE(pairs); k++)
		CHECKF(!kcalloc(pairs[k][0], pairs[k][1]), "kcalloc(%#zx, %#zx) granted",
		       pairs[k][0], pairs[k][1]);
	snap(&b);
	CHECKF(b.nulls - a.nulls == ARRAY_SIZE(pairs), "%llu of %zu refusals counted",
	       (unsigned long long)(b.nulls - a.nulls), ARRAY_SIZE(pairs));
	CHECK(kheap_check());
}

/*
 * The region sized for any RAM and virtual space, up to SIZE_MAX: it fits
 * the space with its descriptors, their freed bitmap and two guard pages,
 * falls short of the space by at most a descriptor page in 256 and a
 * bitmap page in 32768 (unless RAM / 4 or the 32-bit page index decides),
 * and never wraps.
 */
static const char *region_problem(size_t ram, size_t v)
{
	const char *rule;
	size_t pages = kheap_region_pages(ram, v, &rule);
	size_t dpages = kheap_meta_size(pages) / PAGE_SIZE + 1;

	if (pages > ram / 4 || pages >= UINT32_MAX)
		return "more than RAM / 4 or than a page index holds";
	if (v <= 3)
		return pages ? "pages from a space too small for the guards" : NULL;
	if (pages + dpages + 2 > v)
		return "region, descriptors and guards exceed the space";
	if (pages < ram / 4 && pages < UINT32_MAX - 1 &&
	    pages < (v - 3) - (v - 3) / 256 - (v - 3) / 32768 - 1)
		return "far less than the space holds";
	return NULL;
}

TEST(heap_edge_region_pages_never_wrap)
{
	static const size_t rams[] = { 0, 4, 1u << 20, SIZE_MAX };
	static const size_t spaces[] = { 0, 3, 4, 5, 100, 1u << 20, SIZE_MAX / PAGE_SIZE,
					 SIZE_MAX / 2, SIZE_MAX - 1, SIZE_MAX };

	for (size_t r = 0; r < ARRAY_SIZE(rams); r++)
		for (size_t v = 0; v < ARRAY_SIZE(spaces); v++) {
			const char *why = region_problem(rams[r], spaces[v]);

			CHECKF(!why, "kheap_region_pages(%#zx, %#zx): %s", rams[r], spaces[v], why);
		}
}

/*
 * The size-class lookup against the table itself: every size from 0 to
 * SLAB_MAX gets the smallest class that holds it.
 */
TEST(sizeclass_every_size_gets_the_smallest_class_that_holds_it)
{
	ktest_heap_setup();
	for (size_t n = 0; n <= SLAB_MAX; n++) {
		unsigned c = slab_class_of(n);

		CHECKF(c < SLAB_CLASSES && slab_class_size(c) >= n, "size %zu: class %u", n, c);
		CHECKF(c == 0 || slab_class_size(c - 1) < n, "size %zu: class %u is not the smallest",
		       n, c);
	}
}

/*
 * The exact division that says "an object starts here" (mm/sizeclass.h),
 * for every class and every offset of the largest slab and one object
 * past it: the quotient at each multiple of the size, and elsewhere a
 * value no slab's object count reaches.
 */
TEST(sizeclass_exact_division_finds_object_starts_and_only_those)
{
	ktest_heap_setup();
	for (unsigned c = 0; c < SLAB_CLASSES; c++) {
		uint32_t size = (uint32_t)slab_class_size(c);

		for (uint32_t off = 0; off < 8 * PAGE_SIZE + size; off++) {
			uint32_t q = slab_class_div_exact(off, c);

			if (off % size == 0)
				CHECKF(q == off / size, "class %u, offset %u: %u", c, off, q);
			else
				CHECKF(q > UINT32_MAX / size, "class %u, offset %u: %u", c, off, q);
		}
	}
}
