/*
 * The scavenger: what it releases, what it must never touch, when it runs.
 */
#include "tests/ktest.h"
#include "tests/mm/heap_util.h"
#include "mm/pagestate.h"

#define NA 240

static void *a[NA];
static size_t alen[NA];

/* Pages spanned by the live allocations in a[] (each page counted once). */
static size_t spanned_pages(void)
{
	static uint8_t seen[1 << 16];	/* a bit per region page, up to 512 Ki pages */
	struct kheap_stats st;
	size_t n = 0;

	kheap_stats(&st);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NA; i++) {
		uintptr_t first, last;

		if (!a[i])
			continue;
		first = ((uintptr_t)a[i] - st.base) / PAGE_SIZE;
		last = ((uintptr_t)a[i] + ksize(a[i]) - 1 - st.base) / PAGE_SIZE;
		for (uintptr_t pg = first; pg <= last; pg++) {
			if (!(seen[pg / 8] & (1u << (pg % 8))))
				n++;
			seen[pg / 8] |= 1u << (pg % 8);
		}
	}
	return n;
}

TEST(scav_fragmented_heap_keeps_only_what_is_live)
{
	struct kheap_stats st;
	uint32_t seed = 99;

	ktest_heap_setup();
	kheap_stats(&st);
	CHECKF(st.live_allocs == 0, "%zu allocations live before the case", st.live_allocs);
	for (int i = 0; i < NA; i++) {
		uint32_t r = rng_next(&seed);

		/* page runs, and small objects of one-page slabs (classes up to 768) */
		alen[i] = r % 4 == 0 ? SLAB_MAX + r % (5 * PAGE_SIZE) : 16 + r % 752;
		a[i] = kmalloc(alen[i]);
		CHECK(a[i]);
		pattern_fill(a[i], alen[i], (uint32_t)i);
	}
	for (int i = 0; i < NA; i++) {		/* free about 4 in 5, scattered */
		if ((i * 7) % 5 == 0)
			continue;
		kfree(a[i]);
		a[i] = NULL;
	}
	kheap_scavenge(SIZE_MAX);
	kheap_stats(&st);
	CHECKF(st.by_state[PS_PRESENT] == spanned_pages() + st.meta_pages,
	       "resident %zu, spanned %zu + metadata %zu", st.by_state[PS_PRESENT],
	       spanned_pages(), st.meta_pages);
	CHECK(st.free_resident == 0 && st.by_state[PS_ZERO] == 0);
	for (int i = 0; i < NA; i++) {
		if (!a[i])
			continue;
		CHECKF(pattern_check(a[i], alen[i], (uint32_t)i) < 0, "allocation %d changed", i);
		kfree(a[i]);
		a[i] = NULL;
	}
	CHECK(kheap_check() && frame_audit());
}

TEST(scav_pass_after_every_step_never_changes_a_live_byte)
{
	uint32_t seed = 4242;

	ktest_heap_setup();
	memset(a, 0, sizeof(a));
	for (int op = 0; op < 600; op++) {
		uint32_t r = rng_next(&seed);
		int k = (int)(r % 40);

		if (a[k]) {
			CHECKF(pattern_check(a[k], alen[k], (uint32_t)k) < 0, "op %d: allocation %d changed", op, k);
			kfree(a[k]);
			a[k] = NULL;
		} else {
			alen[k] = (r >> 8) % 3 == 0 ? (r >> 12) % 20000 : (r >> 12) % 700;
			a[k] = kmalloc(alen[k]);
			CHECK(a[k]);
			pattern_fill(a[k], alen[k], (uint32_t)k);
		}
		kheap_scavenge(SIZE_MAX);
		for (int j = 0; j < 40; j++)
			CHECKF(!a[j] || pattern_check(a[j], alen[j], (uint32_t)j) < 0,
			       "op %d: allocation %d changed after a pass", op, j);
	}
	for (int j = 0; j < 40; j++) {
		kfree(a[j]);
		a[j] = NULL;
	}
	CHECK(kheap_check() && frame_audit());
}

TEST(scav_releases_exactly_the_wholly_free_pages)
{
	void *big, *pair[8][2];
	struct kheap_stats s0, s1;
	size_t released;

	ktest_heap_setup();
	/* m = 8 slab pages that will be partly free: two 2048-byte objects each */
	for (int i = 0; i < 8; i++) {
		pair[i][0] = kmalloc(2048);
		pair[i][1] = kmalloc(2048);
		CHECK(pair[i][0] && pair[i][1]);
		CHECK(((uintptr_t)pair[i][0] ^ (uintptr_t)pair[i][1]) < PAGE_SIZE);	/* page-mates */
		memset(pair[i][0], 1, 2048);
		memset(pair[i][1], 2, 2048);
	}
	big = kmalloc(10 * PAGE_SIZE);		/* k = 10 whole pages */
	CHECK(big);
	memset(big, 3, 10 * PAGE_SIZE);
	kheap_scavenge(SIZE_MAX);		/* start from nothing warm */
	kheap_stats(&s0);
	for (int i = 0; i < 8; i++)
		kfree(pair[i][0]);		/* into magazines, whose META pages the pass frees */
	kfree(big);
	kheap_stats(&s1);
	released = kheap_scavenge(SIZE_MAX);
	CHECKF(released == 10 + s1.meta_pages - s0.meta_pages, "released %zu pages, not 10 + %zu",
	       released, s1.meta_pages - s0.meta_pages);
	for (int i = 0; i < 8; i++) {
		uint8_t *q = pair[i][1];

		for (int j = 0; j < 2048; j++)
			CHECK(q[j] == 2);
		kfree(q);
	}
	CHECK(kheap_check());
}

TEST(scav_released_page_reads_zero_when_reused)
{
	struct kheap_stats s0, s1;
	volatile uint8_t *p, *q;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	p = kmalloc(2 * PAGE_SIZE);
	CHECK(p);
	memset((void *)p, 0xEE, 2 * PAGE_SIZE);
	kfree((void *)p);
	CHECK(kheap_scavenge(SIZE_MAX) >= 2);
	q = kmalloc(2 * PAGE_SIZE);
	CHECK(q);
	kheap_stats(&s0);
	for (size_t i = 0; i < PAGE_SIZE; i += 64)
		CHECK(q[i] == 0);			/* page 0: read first */
	q[PAGE_SIZE + 5] = 9;				/* page 1: written first */
	kheap_stats(&s1);
	CHECK(s1.faults_read_aow == s0.faults_read_aow + 1);
	CHECK(s1.faults_write_aow == s0.faults_write_aow + 1);	/* one fault, one frame */
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		CHECKF(q[i] == (i == PAGE_SIZE + 5 ? 9 : 0), "stale byte %#x at %zu", q[i], i);
	kfree((void *)q);
	CHECK(kheap_check());
}

/*
 * l | w | r: an 8-page run w between two live one-page slabs.  In the
 * kernel's live heap, earlier cases may have left holes that l or r
 * fill; a triple that is not adjacent is kept (it fills them) and
 * another taken, up to 8 times.  Returns the fillers' count, or -1.
 */
static int fence_run(uint8_t **l, uint8_t **w, uint8_t **r, void **fill)
{
	for (int n = 0; n < 8; n++) {
		*l = kmalloc(PAGE_SIZE);
		*w = kmalloc(8 * PAGE_SIZE);
		*r = kmalloc(PAGE_SIZE);
		if (!*l || !*w || !*r)
			break;
		if (*w == *l + PAGE_SIZE && *r == *w + 8 * PAGE_SIZE)
			return n;
		fill[3 * n] = *l;
		fill[3 * n + 1] = *w;
		fill[3 * n + 2] = *r;
	}
	return -1;
}

TEST(scav_runs_when_an_allocation_cannot_be_promised)
{
	struct scav_stats s0, s1;
	uint8_t *l, *w, *r;
	void *fill[3 * 8];
	size_t squeeze;
	void *p;
	int nfill;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	nfill = fence_run(&l, &w, &r, fill);
	CHECK(nfill >= 0);
	for (int i = 0; i < 3 * nfill; i++)
		kfree(fill[i]);
	kheap_scavenge(SIZE_MAX);		/* the fillers' pages are cold again */
	memset(w, 7, 8 * PAGE_SIZE);
	kfree(w);				/* 8 resident free pages, too few for 12 */
	squeeze = frames_available() - 8;
	CHECK(frame_reserve((uint32_t)squeeze));
	scavenge_stats(&s0);
	p = kmalloc(12 * PAGE_SIZE);		/* 12 promises: 8 free + 8 the pass gives back */
	scavenge_stats(&s1);
	frame_unreserve((uint32_t)squeeze);
	CHECK(p != NULL);
	CHECK(s1.passes[SCAV_ALLOC_FAILED] == s0.passes[SCAV_ALLOC_FAILED] + 1);
	CHECK(s1.pages_released >= s0.pages_released + 8);
	kfree(p);
	kfree(l);
	kfree(r);
	CHECK(kheap_check() && frame_audit());
}

TEST(scav_pressure_pass_reaches_the_high_watermark)
{
	struct kheap_stats st;
	struct frame_stats fs;
	struct scav_stats s0, s1, s2;
	size_t squeeze, avail;
	pfn_t f1, f2, f3;
	void *w;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	w = kmalloc(2 * 1024 * 1024);
	CHECK(w);
	memset(w, 1, 2 * 1024 * 1024);
	kfree(w);				/* counter >= threshold, 512 warm pages */
	frame_stats(&fs);
	squeeze = frames_available() - (fs.low + 1);
	CHECK(frame_reserve((uint32_t)squeeze));
	scavenge_stats(&s2);
	f1 = frame_alloc();			/* leaves low: below the mark */
	f2 = frame_alloc();
	scavenge_stats(&s1);
	kheap_stats(&st);
	avail = frames_available();
	f3 = frame_alloc();			/* nothing new freed: no second pass */
	scavenge_stats(&s0);
	frame_unreserve((uint32_t)squeeze);	/* undo the squeeze before any check */
	CHECK(s1.passes[SCAV_PRESSURE] == s0.passes[SCAV_PRESSURE]);
	CHECKF(avail >= fs.high || st.free_resident == 0,
	       "after the pass: %zu frames available, high mark %u, %zu resident free pages",
	       avail, (unsigned)fs.high, st.free_resident);
	CHECK(s1.passes[SCAV_PRESSURE] == s2.passes[SCAV_PRESSURE] + 1);
	CHECK(frame_free(f1) && frame_free(f2) && frame_free(f3));
	CHECK(kheap_check());
}

TEST(scav_hysteresis_bounds_refaults_in_a_free_realloc_loop)
{
	const int rounds = 64;
	uint64_t with, without;

	ktest_heap_setup();
	with = churn_refaults(256 * 1024, rounds);
	without = churn_refaults(0, rounds);
	/* a pass at most every 256 KiB freed (8 rounds), each costing 8 refaults */
	CHECKF(with <= (uint64_t)(rounds / 8 + 1) * 8, "%llu refaults with the threshold",
	       (unsigned long long)with);
	CHECKF(without >= (uint64_t)rounds * 8 / 2, "%llu refaults without it: the loop no longer thrashes?",
	       (unsigned long long)without);
	CHECK(kheap_check());
}

TEST(scav_background_ticks_release_down_to_the_target)
{
	struct scav_config cfg, saved;
	struct scav_stats s0, s1;
	struct kheap_stats st;
	size_t most = 0;
	unsigned long irq;
	void *w;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	w = kmalloc(64 * PAGE_SIZE);
	CHECK(w);
	memset(w, 3, 64 * PAGE_SIZE);
	kfree(w);				/* 64 resident free pages */
	scavenge_get_config(&saved);
	cfg = saved;
	cfg.bg_pages_per_tick = 8;
	cfg.bg_retain_pages = 16;
	irq = irq_save();			/* only these ticks: not the kernel's timer */
	scavenge_stats(&s0);
	scavenge_set_config(&cfg);
	for (int ticks = 0; ticks < 20; ticks++) {
		size_t before;

		kheap_stats(&st);
		before = st.free_resident;
		scavenge_tick();
		kheap_stats(&st);
		most = MAX(most, before - st.free_resident);
	}
	scavenge_set_config(&saved);
	irq_restore(irq);
	scavenge_stats(&s1);
	kheap_stats(&st);
	CHECKF(most <= 8, "a tick released %zu pages, budget 8", most);
	CHECKF(st.free_resident == 16, "%zu resident free pages left, target 16", st.free_resident);
	CHECK(s1.passes[SCAV_BACKGROUND] >= s0.passes[SCAV_BACKGROUND] + 6);
	CHECK(s1.pages_released == s0.pages_released + 48);
	CHECK(kheap_check());
}

/*
 * Blocks of na and nb pages, the second right after the first.  On the
 * kernel's live heap a hole left by earlier cases may take the second:
 * such a block is held (so the next try cannot land there) and the
 * holes are given back once the pair is found.
 */
static bool adjacent_pair(size_t na, size_t nb, void **pa, void **pb)
{
	void *held[64];
	int n = 0;
	bool ok = false;

	while (!ok && n < 64) {
		*pa = kmalloc(na * PAGE_SIZE);
		*pb = kmalloc(nb * PAGE_SIZE);
		ok = *pa && *pb && (uintptr_t)*pb == (uintptr_t)*pa + na * PAGE_SIZE;
		if (!ok) {
			held[n++] = *pb;
			kfree(*pa);
		}
	}
	while (n)
		kfree(held[--n]);
	return ok;
}

/*
 * A warm run freed next to a long cold one keeps its own span: a paced
 * pass whose visit budget is far smaller than the merged run still finds
 * and releases the warm pages, wherever in the run they are.
 */
TEST(scav_pass_visits_only_the_warm_span_of_a_merged_run)
{
	struct scav_config cfg, saved;
	struct kheap_stats st;
	unsigned long irq;
	void *cold, *warm, *fence;

	ktest_heap_setup();
	CHECKF(adjacent_pair(64, 5, &cold, &warm), "blocks not adjacent: %p %p", cold, warm);
	fence = kmalloc(PAGE_SIZE);
	CHECK(fence);
	memset(cold, 1, 64 * PAGE_SIZE);
	memset(warm, 2, 5 * PAGE_SIZE);
	kfree(cold);
	kheap_scavenge(SIZE_MAX);		/* the 64 pages go cold */
	kfree(warm);				/* merges after them: 69 pages, 5 resident */
	kheap_stats(&st);
	CHECKF(st.free_resident == 5, "%zu resident free pages, expected the 5 just freed", st.free_resident);
	scavenge_get_config(&saved);
	cfg = saved;
	cfg.bg_pages_per_tick = 5;		/* a tick visits at most 20 pages */
	cfg.bg_retain_pages = 0;
	irq = irq_save();
	scavenge_set_config(&cfg);
	scavenge_tick();
	scavenge_set_config(&saved);
	irq_restore(irq);
	kheap_stats(&st);
	CHECKF(st.free_resident == 0, "%zu resident free pages left after one tick", st.free_resident);
	kfree(fence);
	CHECK(kheap_check());
}

/*
 * The background target: a floor of pages, or a share of the live bytes
 * when that is more; scavenge_excess is what lies beyond it.
 */
TEST(scav_excess_is_resident_free_beyond_the_target)
{
	struct scav_config cfg, saved;
	struct kheap_stats st;
	unsigned long irq;
	void *live, *w;
	size_t resident, live_pages;

	ktest_heap_setup();
	live = kmalloc(SLAB_MAX + 60 * PAGE_SIZE);	/* a run of 64 pages, live */
	w = kmalloc(SLAB_MAX + 28 * PAGE_SIZE);		/* 32 pages, to be freed */
	CHECK(live && w);
	memset(w, 5, SLAB_MAX + 28 * PAGE_SIZE);
	kheap_scavenge(SIZE_MAX);
	irq = irq_save();			/* no timer-tick pass from here on */
	kfree(w);
	kheap_stats(&st);
	resident = st.free_resident;
	live_pages = st.live_bytes / PAGE_SIZE;
	CHECKF(resident >= 32, "%zu resident free pages after freeing 32 written ones", resident);
	scavenge_get_config(&saved);
	cfg = saved;
	cfg.bg_retain_pages = 8;
	cfg.bg_retain_live_pct = 0;
	scavenge_set_config(&cfg);
	CHECKF(scavenge_excess() == resident - 8, "excess %zu, expected %zu", scavenge_excess(), resident - 8);
	cfg.bg_retain_live_pct = 25;			/* a quarter of the live pages is more than 8 */
	scavenge_set_config(&cfg);
	CHECKF(scavenge_excess() == resident - live_pages / 4, "excess %zu with %zu live pages",
	       scavenge_excess(), live_pages);
	cfg.bg_retain_live_pct = 1000;			/* ten times the live pages: nothing beyond */
	scavenge_set_config(&cfg);
	CHECK(scavenge_excess() == 0);
	scavenge_set_config(&saved);
	irq_restore(irq);
	kfree(live);
	CHECK(kheap_check());
}

#define NRUNS 80			/* 40 free runs: more than one batch */
#define RUN_SIZE (SLAB_MAX + 1)		/* page runs (a freed slab object may be kept) */

static uint8_t *one[NRUNS];

/* NRUNS page runs, one page of each written; every other freed: 40 runs, one resident page each. */
static bool make_runs(void)
{
	for (int i = 0; i < NRUNS; i++) {
		one[i] = kmalloc(RUN_SIZE);
		if (!one[i])
			return false;
		one[i][7] = (uint8_t)i;
	}
	for (int i = 0; i < NRUNS; i += 2)
		kfree(one[i]);
	return true;
}

/*
 * The first state whose count of region pages (kheap_stats) is not what
 * the entries say, with both figures; PS_COUNT when all agree.
 */
static unsigned count_off(size_t *counted, size_t *read)
{
	struct kheap_stats st;
	size_t n[PS_COUNT] = { 0 };

	kheap_stats(&st);
	for (size_t i = 0; i < st.pages; i++)
		n[mmu_state(st.base + i * PAGE_SIZE)]++;
	for (unsigned s = 0; s < PS_COUNT; s++)
		if (n[s] != st.by_state[s]) {
			*counted = st.by_state[s];
			*read = n[s];
			return s;
		}
	return PS_COUNT;
}

static void free_runs(void)
{
	for (int i = 1; i < NRUNS; i += 2)
		kfree(one[i]);
}

TEST(scav_batched_release_frees_each_frame_once_and_leaves_every_page_aow)
{
	struct kheap_stats before, after;
	struct scav_stats s0, s1;
	volatile uint8_t *big;
	size_t avail, n, counted = 0, read = 0;
	unsigned off;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	big = kmalloc(6 * PAGE_SIZE);		/* a run of ZERO pages with one PRESENT */
	CHECK(big);
	for (int i = 0; i < 6; i++)
		CHECK(big[i * PAGE_SIZE] == 0);
	big[2 * PAGE_SIZE] = 1;
	CHECK(make_runs());			/* after big: it would take a warm page */
	kfree((void *)big);
	for (int i = 0; i < 6; i++)		/* freed: inaccessible at once */
		CHECK(mmu_state((uintptr_t)big + i * PAGE_SIZE) == (i == 2 ? PS_KEPT : PS_AOW));
	kheap_stats(&before);
	scavenge_stats(&s0);
	avail = frames_available();
	CHECKF(before.free_resident == NRUNS / 2 + 1, "%zu resident free pages", before.free_resident);
	n = kheap_scavenge(SIZE_MAX);
	kheap_stats(&after);
	scavenge_stats(&s1);
	CHECKF(n == NRUNS / 2 + 1, "released %zu", n);
	CHECK(frames_available() == avail + n);	/* each frame given back once */
	CHECK(after.free_resident == 0 && after.by_state[PS_KEPT] == before.by_state[PS_KEPT] - n);
	CHECK(after.by_state[PS_PRESENT] == before.by_state[PS_PRESENT]);
	/* the free dropped big's ZERO pages already: the pass had none to drop */
	CHECK(after.by_state[PS_ZERO] == before.by_state[PS_ZERO]);
	CHECK(s1.zero_dropped == s0.zero_dropped && s1.pages_released == s0.pages_released + n);
	for (int i = 0; i < NRUNS; i += 2)
		CHECK(mmu_state((uintptr_t)one[i]) == PS_AOW);
	for (int i = 0; i < 6; i++)
		CHECK(mmu_state((uintptr_t)big + i * PAGE_SIZE) == PS_AOW);
	for (int i = 1; i < NRUNS; i += 2)
		CHECK(mmu_state((uintptr_t)one[i]) == PS_PRESENT && one[i][7] == (uint8_t)i);
	off = count_off(&counted, &read);	/* the release counts a batch's KEPT pages at once */
	CHECKF(off == PS_COUNT, "%s: %zu pages counted, %zu in the entries", pagestate_name(off),
	       counted, read);
	free_runs();
	CHECK(kheap_check() && frame_audit());
}

/*
 * A ZERO page in a free run (a read fault that raced the free leaves one)
 * between KEPT pages: the release takes it the table's way, in the middle
 * of a batch, and must still count and free each KEPT frame once.
 */
TEST(scav_release_counts_the_kept_frames_around_a_zero_page)
{
	struct kheap_stats before, after;
	struct scav_stats s0, s1;
	volatile uint8_t *big;
	uintptr_t zero_at;
	size_t avail, n, counted = 0, read = 0;
	unsigned off;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	big = kmalloc(6 * PAGE_SIZE);
	CHECK(big);
	for (int i = 0; i < 6; i++)
		if (i != 2)
			big[i * PAGE_SIZE] = 1;		/* PRESENT, KEPT once freed */
	kfree((void *)big);
	zero_at = (uintptr_t)big + 2 * PAGE_SIZE;
	CHECK(mmu_state(zero_at) == PS_AOW);
	page_set_state(zero_at, PS_ZERO, zero_frame(), PC_READ_FAULT);	/* the raced fault */
	kheap_stats(&before);
	scavenge_stats(&s0);
	avail = frames_available();
	CHECKF(before.free_resident == 5, "%zu resident free pages", before.free_resident);
	n = kheap_scavenge(SIZE_MAX);
	kheap_stats(&after);
	scavenge_stats(&s1);
	CHECKF(n == 5, "released %zu", n);
	CHECK(frames_available() == avail + 5);		/* each KEPT frame given back once */
	CHECK(s1.zero_dropped == s0.zero_dropped + 1 && after.free_resident == 0);
	for (int i = 0; i < 6; i++)
		CHECK(mmu_state((uintptr_t)big + i * PAGE_SIZE) == PS_AOW);
	off = count_off(&counted, &read);
	CHECKF(off == PS_COUNT, "%s: %zu pages counted, %zu in the entries", pagestate_name(off),
	       counted, read);
	CHECK(kheap_check() && frame_audit());
}

TEST(scav_batched_release_stops_at_exactly_what_was_asked)
{
	struct kheap_stats st;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);
	CHECK(make_runs());
	CHECK(kheap_scavenge(7) == 7);
	kheap_stats(&st);
	CHECK(st.free_resident == NRUNS / 2 - 7);
	CHECK(kheap_check());
	CHECK(kheap_scavenge(NRUNS / 2 - 10) == NRUNS / 2 - 10);
	kheap_stats(&st);
	CHECK(st.free_resident == 3);
	CHECK(kheap_scavenge(SIZE_MAX) == 3);
	free_runs();
	CHECK(kheap_check() && frame_audit());
}

TEST(scav_pass_after_a_pass_that_found_nothing_is_skipped_until_a_free)
{
	struct scav_stats s0, s1, s2;
	uint8_t *p;
	size_t squeeze;

	ktest_heap_setup();
	kheap_scavenge(SIZE_MAX);		/* nothing PRESENT left free: dry */
	scavenge_stats(&s0);
	CHECK(kheap_scavenge(SIZE_MAX) == 0);
	squeeze = frames_available();		/* and an allocation that cannot be promised */
	CHECK(frame_reserve((uint32_t)squeeze));
	p = kmalloc(PAGE_SIZE);
	frame_unreserve((uint32_t)squeeze);
	CHECK(p == NULL);
	scavenge_stats(&s1);
	CHECK(s1.skipped_dry == s0.skipped_dry + 2);
	CHECK(s1.passes[SCAV_EXPLICIT] == s0.passes[SCAV_EXPLICIT]);
	CHECK(s1.passes[SCAV_ALLOC_FAILED] == s0.passes[SCAV_ALLOC_FAILED]);
	p = kmalloc(2 * PAGE_SIZE);		/* a new free (no magazine's): the next pass runs */
	CHECK(p);
	p[0] = 1;
	kfree(p);
	CHECK(kheap_scavenge(SIZE_MAX) == 1);
	p = kmalloc(2 * PAGE_SIZE);		/* freed unwritten: runs, finds nothing */
	CHECK(p);
	kfree(p);
	CHECK(kheap_scavenge(SIZE_MAX) == 0);
	CHECK(kheap_scavenge(SIZE_MAX) == 0);	/* and then is skipped again */
	scavenge_stats(&s2);
	CHECK(s2.passes[SCAV_EXPLICIT] == s1.passes[SCAV_EXPLICIT] + 2);
	CHECK(s2.skipped_dry == s1.skipped_dry + 1);
	CHECK(kheap_check() && frame_audit());
}
