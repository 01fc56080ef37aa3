/*
 * The kmalloc family: sizes around every class and page boundary,
 * alignment, realloc, invalid frees, demand paging and the commit policy.
 * Runs on the host (fresh heap per case) and in the kernel (live heap).
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/pagestate.h"
#include "src/lib.h"

/* A pointer passed wrongly on purpose, hidden from the analyzers (make check). */
#define WRONG(p) ((void *)hide_addr((uintptr_t)(p)))

#define NSIZES 96

static size_t sizes[NSIZES];
static void *ptrs[NSIZES];

static size_t boundary_sizes(void)
{
	static const size_t extra[] = { 0, 1, 7, 8, 9, 4095, 4096, 4097, 8191, 8192,
					8193, 65535, 65536, 65537 };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		sizes[n++] = extra[i];
	for (unsigned c = 0; c < SLAB_CLASSES && n + 2 <= NSIZES; c++) {
		sizes[n++] = slab_class_size(c);
		sizes[n++] = slab_class_size(c) + 1;
	}
	return n;
}

static bool overlaps(size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			uintptr_t a = (uintptr_t)ptrs[i], b = (uintptr_t)ptrs[j];

			if (a < b + ksize(ptrs[j]) && b < a + ksize(ptrs[i]))
				return true;
		}
	return false;
}

TEST(heap_sizes_around_every_boundary)
{
	size_t n;

	ktest_heap_setup();
	n = boundary_sizes();
	for (size_t i = 0; i < n; i++) {
		size_t sz = sizes[i];

		ptrs[i] = kmalloc(sz);
		CHECKF(ptrs[i], "kmalloc(%zu) failed", sz);
		CHECKF((uintptr_t)ptrs[i] % (sz <= 8 ? 8 : 16) == 0, "kmalloc(%zu) misaligned %p", sz, ptrs[i]);
		CHECKF(ksize(ptrs[i]) >= sz && ksize(ptrs[i]) >= 1, "ksize %zu < %zu", ksize(ptrs[i]), sz);
		pattern_fill(ptrs[i], sz, (uint32_t)i);
	}
	CHECK(!overlaps(n));
	for (size_t i = 0; i < n; i++) {
		CHECKF(pattern_check(ptrs[i], sizes[i], (uint32_t)i) < 0, "size %zu corrupted", sizes[i]);
		kfree(ptrs[i]);
	}
	CHECK(kheap_check());
}

TEST(heap_zero_size_and_kcalloc)
{
	void *a, *b;
	uint8_t *c;

	ktest_heap_setup();
	a = kmalloc(0);
	b = kmalloc(0);
	CHECK(a && b && a != b && ksize(a) >= 1);
	kfree(a);
	kfree(b);
	kfree(NULL);
	CHECK(kcalloc(SIZE_MAX / 2, 3) == NULL);
	CHECK(kcalloc(3, SIZE_MAX / 2) == NULL);
	c = kcalloc(10, 1000);
	CHECK(c);
	for (size_t i = 0; i < 10000; i++)
		CHECK(c[i] == 0);
	kfree(c);
	CHECK(kheap_check());
}

TEST(heap_kzalloc_zeroes_reused_memory)
{
	static const size_t sz[] = { 200, 3 * 4096 + 100 };

	ktest_heap_setup();
	for (size_t k = 0; k < ARRAY_SIZE(sz); k++) {
		uint8_t *p = kmalloc(sz[k]), *q;

		CHECK(p);
		memset(p, 0xAA, sz[k]);
		kfree(p);
		q = kzalloc(sz[k]);		/* the warm space just freed */
		CHECK(q);
		for (size_t i = 0; i < sz[k]; i++)
			CHECKF(q[i] == 0, "byte %zu of kzalloc(%zu) is %#x", i, sz[k], q[i]);
		kfree(q);
	}
}

TEST(heap_largest_allocation_and_one_byte_more)
{
	void *p;

	ktest_heap_setup();
	CHECK(kmalloc(kheap_max_size() + 1) == NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	p = kmalloc(kheap_max_size());	/* only on an empty heap with frames to promise */
	if (p) {
		CHECK(ksize(p) == kheap_max_size());
		kfree(p);
	}
	CHECK(kheap_check());
}

TEST(heap_aligned_allocations)
{
	static const size_t sz[] = { 1, 100, 2048, 5000 };

	ktest_heap_setup();
	for (size_t a = 8; a <= 65536; a *= 2)
		for (size_t k = 0; k < ARRAY_SIZE(sz); k++) {
			void *p = kmalloc_aligned(sz[k], a);

			CHECKF(p && (uintptr_t)p % a == 0, "kmalloc_aligned(%zu, %zu) = %p", sz[k], a, p);
			CHECK(ksize(p) >= sz[k]);
			memset(p, 0x5C, sz[k]);
			kfree(p);
		}
	CHECK(kmalloc_aligned(16, 0) == NULL);
	CHECK(kmalloc_aligned(16, 4) == NULL);
	CHECK(kmalloc_aligned(16, 24) == NULL);
	CHECK(kmalloc_aligned(16, (size_t)1 << (sizeof(size_t) * 8 - 1)) == NULL);
	CHECK(kheap_check());
}

TEST(heap_realloc_grow_shrink_across_pages)
{
	static const size_t steps[] = { 10, 100, 2048, 2049, 4096, 4097, 20000, 8000, 3000, 64, 5 };
	size_t cur = 10;
	uint8_t *p;

	ktest_heap_setup();
	p = kmalloc(cur);
	CHECK(p);
	pattern_fill(p, cur, 77);
	for (size_t i = 1; i < ARRAY_SIZE(steps); i++) {
		size_t keep = MIN(cur, steps[i]);

		p = krealloc(p, steps[i]);
		CHECKF(p, "krealloc to %zu failed", steps[i]);
		CHECKF(pattern_check(p, keep, 77) < 0, "data lost growing/shrinking to %zu", steps[i]);
		CHECK(ksize(p) >= steps[i]);
		pattern_fill(p, steps[i], 77);
		cur = steps[i];
	}
	kfree(p);
	p = krealloc(NULL, 32);			/* NULL: a plain kmalloc */
	CHECK(p && ksize(p) >= 32);
	kfree(p);
	CHECK(kheap_check());
}

TEST(heap_realloc_in_place_and_failure_keeps_original)
{
	uint8_t *p, *q;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	p = kmalloc(SLAB_MAX + 3 * PAGE_SIZE);	/* a page run */
	CHECK(p);
	pattern_fill(p, SLAB_MAX + 3 * PAGE_SIZE, 5);
	q = krealloc(p, SLAB_MAX + 2 * PAGE_SIZE);	/* shrinking a run stays put */
	CHECK(q == p && ksize(p) == SLAB_MAX + 2 * PAGE_SIZE);
	q = krealloc(p, kheap_max_size() + 1);	/* cannot: NULL, p intact */
	CHECK(q == NULL);
	CHECK(pattern_check(p, SLAB_MAX + 2 * PAGE_SIZE, 5) < 0 && ksize(p) == SLAB_MAX + 2 * PAGE_SIZE);
	q = krealloc(p, 40);			/* small now: moves to a slab */
	CHECK(q && pattern_check(q, 40, 5) < 0);
	kfree(q);
	CHECK(kheap_check());
}

TEST(heap_invalid_frees_are_reported_and_change_nothing)
{
	struct kheap_stats a, b;
	uint8_t *small, *large;
	uint32_t local;

	ktest_heap_setup();
	small = kmalloc(64);
	large = kmalloc(SLAB_MAX + 2 * PAGE_SIZE);	/* a page run */
	CHECK(small && large);
	kfree(small);
	small = kmalloc(64);
	kheap_stats(&a);
	kfree(WRONG(small + 16));		/* inside a small object */
	kfree(WRONG(small + 1));
	kfree(WRONG(large + PAGE_SIZE));	/* inside a large allocation */
	kfree(WRONG(large + 8));
	kfree(WRONG(&local));			/* not a heap address */
	CHECK(krealloc(WRONG(small + 16), 100) == NULL);
	CHECK(ksize(large + 8) == 0);
	kfree(small);
	kheap_stats(&b);
	CHECKF(b.invalid_frees == a.invalid_frees + 7, "%llu invalid frees counted",
	       (unsigned long long)(b.invalid_frees - a.invalid_frees));
	kfree(WRONG(small));			/* double free */
	kfree(large);
	kfree(WRONG(large));			/* double free of a large one */
	kheap_stats(&a);
	CHECK(a.invalid_frees == b.invalid_frees + 2);
	CHECK(a.live_allocs == b.live_allocs - 1);	/* only the one valid free counted */
	CHECK(kheap_check());
}

/*
 * Slabs of several pages (class 1792: four pages of nine objects, so
 * sixteen objects fill one slab and part of another): objects on every
 * page are distinct and whole, a pointer into one on a later page is
 * refused, and the slabs go back to page level when empty.
 */
TEST(heap_multi_page_slab_objects_and_bad_pointers)
{
	struct kheap_stats a, b;
	uint8_t *o[16];

	ktest_heap_setup();
	kheap_stats(&a);
	for (int i = 0; i < 16; i++) {
		o[i] = kmalloc(1700);
		CHECK(o[i] && ksize(o[i]) == 1792);
		pattern_fill(o[i], 1792, (uint32_t)i);
	}
	CHECKF((uintptr_t)o[15] - (uintptr_t)o[0] >= 4 * PAGE_SIZE, "%p..%p: one slab of several pages?",
	       (void *)o[0], (void *)o[15]);
	for (int i = 0; i < 16; i++)
		CHECKF(pattern_check(o[i], 1792, (uint32_t)i) < 0, "object %d overwritten", i);
	kfree(o[15] + 64);			/* inside an object on a later page */
	CHECK(ksize(o[14] + 1) == 0);
	kheap_stats(&b);
	CHECK(b.invalid_frees == a.invalid_frees + 2 && b.live_allocs == a.live_allocs + 16);
	for (int i = 0; i < 16; i++)
		kfree(o[i]);
	kfree(o[3]);				/* double free */
	kheap_stats(&b);
	CHECK(b.invalid_frees == a.invalid_frees + 3 && b.live_allocs == a.live_allocs);
	CHECK(kheap_check());
}

#define NLIVE 160

TEST(heap_randomized_sequence_keeps_every_byte)
{
	static void *live[NLIVE];
	static size_t len[NLIVE];
	static uint32_t ids[NLIVE];
	uint32_t seed = 12345, next_id = 1;

	ktest_heap_setup();
	memset(live, 0, sizeof(live));
	for (int op = 0; op < 3000; op++) {
		uint32_t r = rng_next(&seed), k = r % NLIVE;
		size_t sz = (r >> 8) % 8 == 0 ? rng_next(&seed) % 65536 : rng_next(&seed) % 600;

		if (live[k]) {
			long bad = pattern_check(live[k], len[k], ids[k]);

			CHECKF(bad < 0, "allocation %u (%zu bytes) wrong at offset %ld", ids[k], len[k], bad);
			if ((r >> 16) % 3 == 0) {
				void *q = krealloc(live[k], sz);

				CHECK(q || !sz);
				live[k] = q;
				CHECKF(pattern_check(q, MIN(sz, len[k]), ids[k]) < 0, "realloc lost data");
			} else {
				kfree(live[k]);
				live[k] = NULL;
				continue;
			}
		} else {
			live[k] = kmalloc(sz);
			CHECK(live[k]);
			ids[k] = next_id++;
		}
		CHECK((uintptr_t)live[k] % (sz <= 8 ? 8 : 16) == 0);
		len[k] = sz;
		pattern_fill(live[k], sz, ids[k]);
		if (op % 500 == 0)
			CHECK(kheap_check());
	}
	for (int k = 0; k < NLIVE; k++) {
		if (!live[k])
			continue;
		CHECK(pattern_check(live[k], len[k], ids[k]) < 0);
		kfree(live[k]);
	}
	CHECK(kheap_check());
}

TEST(heap_demand_paging_reads_cost_nothing_writes_one_frame)
{
	struct kheap_stats a, b;
	volatile uint8_t *p;
	size_t avail;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);		/* every free page cold: reuse will fault */
	p = kmalloc(4 * PAGE_SIZE);
	CHECK(p);
	for (int i = 0; i < 4; i++)
		CHECKF(mmu_state((uintptr_t)p + i * PAGE_SIZE) == PS_AOW, "page %d is %s", i,
		       pagestate_name(mmu_state((uintptr_t)p + i * PAGE_SIZE)));
	kheap_stats(&a);
	avail = frames_available();
	for (size_t i = 0; i < 4 * PAGE_SIZE; i += 512)
		CHECK(p[i] == 0);		/* untouched memory reads zero */
	kheap_stats(&b);
	CHECK(b.faults_read_aow == a.faults_read_aow + 4);
	CHECK(b.by_state[PS_ZERO] == a.by_state[PS_ZERO] + 4);
	CHECK(frames_available() == avail);	/* and takes no frame */
	p[100] = 1;				/* the first write takes exactly one */
	kheap_stats(&a);
	CHECK(a.faults_write_zero == b.faults_write_zero + 1);
	CHECK(a.by_state[PS_PRESENT] == b.by_state[PS_PRESENT] + 1);
	CHECK(a.reserved_frames == b.reserved_frames - 1);
	p[200] = 2;				/* a second write takes none */
	kheap_stats(&b);
	CHECK(b.faults_write_zero == a.faults_write_zero && b.by_state[PS_PRESENT] == a.by_state[PS_PRESENT]);
	CHECK(p[100] == 1 && p[200] == 2 && p[101] == 0);
	kfree((void *)p);
	CHECK(kheap_check());
}

TEST(heap_strict_commit_returns_null_then_recovers)
{
	size_t squeeze;
	void *p, *q;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	squeeze = frames_available() - 8;	/* leave 8 unpromised frames */
	CHECK(frame_reserve((uint32_t)squeeze));
	p = kmalloc(16 * PAGE_SIZE);		/* would need 16 promises */
	q = kmalloc(4 * PAGE_SIZE);		/* fits in 8 */
	frame_unreserve((uint32_t)squeeze);
	CHECK(p == NULL);
	CHECK(q != NULL);
	memset(q, 1, 4 * PAGE_SIZE);		/* every promised page can be written */
	kfree(q);
	p = kmalloc(16 * PAGE_SIZE);		/* frames back: the same request succeeds */
	CHECK(p != NULL);
	kfree(p);
	CHECK(kheap_check() && frame_audit());
}

TEST(heap_aligned_small_sizes_keep_their_alignment_while_others_live)
{
	void *keep[8], *p[8];

	ktest_heap_setup();
	for (int i = 0; i < 8; i++)
		keep[i] = kmalloc(8);		/* the 8-byte class, half its slots 8 mod 16 */
	for (int i = 0; i < 8; i++) {
		p[i] = kmalloc_aligned(8, 16);
		CHECKF(p[i] && (uintptr_t)p[i] % 16 == 0, "kmalloc_aligned(8, 16) = %p", p[i]);
	}
	for (int i = 0; i < 8; i++) {
		kfree(p[i]);
		kfree(keep[i]);
	}
	CHECK(kheap_check());
}
