/*
 * The frame allocator fed made-up memory maps: overlapping, unsorted and
 * zero-length entries, firmware holes inside RAM, kernel holdings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/ktest.h"
#include "mm/frame.h"
#include "mm/frame_int.h"
#include "arch/host/sim.h"

#define MiB (1024ull * 1024)

static void *db;

/*
 * Corrupt one field of the frame database on purpose, for frame_audit to
 * find: a call, so analysers do not take the next write for a redundant one.
 */
static void poke_u8(uint8_t *p, unsigned v) { *p = (uint8_t)v; }
static void poke_pfn(pfn_t *p, pfn_t v) { *p = v; }
#define poke(p, v) _Generic((p), uint8_t *: poke_u8, pfn_t *: poke_pfn)(p, v)

static void init(const struct phys_range *r, size_t n)
{
	pfn_t max = frame_max_pfn(r, n);

	free(db);
	db = calloc(1, frame_db_size(max) + 1);
	frame_init(db, max, r, n);
	frame_set_pressure_hook(NULL);	/* not the host heap's scavenger: its heap is gone */
}

#define FRAMES_PER_MiB 256u

/* 4-12 MiB: two whole 4 MiB chunks, frames 0x400-0xbff, all in the DMA zone. */
static const struct phys_range two_chunks[] = { { 4 * MiB, 12 * MiB, PR_RAM } };

static bool aligned(pfn_t f, unsigned order) { return (f & ((1u << order) - 1)) == 0; }

/* How many blocks of `order` in c can be had at once (all given back after). */
static unsigned count_blocks(unsigned order, enum frame_constraint c)
{
	static pfn_t got[4096];
	unsigned n = 0;

	while (n < ARRAY_SIZE(got) && (got[n] = frame_alloc_contig(order, c)) != PFN_NONE)
		n++;
	for (unsigned i = 0; i < n; i++)
		frame_free_contig(got[i], order);
	return n;
}

TEST(frame_map_unsorted_overlapping_zero_length)
{
	const struct phys_range r[] = {
		{ 8 * MiB, 16 * MiB, PR_RAM },
		{ 0, 640 * 1024, PR_RAM },		/* below 1 MiB: never used */
		{ 4 * MiB, 10 * MiB, PR_RAM },		/* overlaps the first */
		{ 5 * MiB, 5 * MiB, PR_RAM },		/* zero length */
		{ 1 * MiB, 2 * MiB, PR_RAM },
	};
	struct frame_stats st;

	init(r, 5);
	frame_stats(&st);
	/* 1-2 MiB and 4-16 MiB: 256 + 3072 frames */
	CHECKF(st.total == 256 + 3072, "total %u", st.total);
	CHECK(st.free == st.total && st.used == 0);
	CHECK(frame_audit());
}

TEST(frame_firmware_and_kernel_ranges_are_never_handed_out)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 4 * MiB, PR_RAM },
		{ 2 * MiB, 2 * MiB + 4096, PR_FIRMWARE },	/* hole in RAM */
		{ 1 * MiB, 1 * MiB + 3 * 4096 + 1, PR_KERNEL },	/* rounds out to 4 frames */
		{ 5 * MiB, 6 * MiB, PR_KERNEL },		/* not RAM: ignored */
	};
	struct frame_stats st;
	pfn_t f;
	uint32_t n = 0;

	init(r, 4);
	frame_stats(&st);
	CHECKF(st.total == 768 - 1, "total %u", st.total);
	CHECKF(st.used == 4, "used %u", st.used);
	while ((f = frame_alloc()) != PFN_NONE) {
		CHECKF(f >= 256 + 4 && f < 1024 && f != 512, "handed out frame %#x", f);
		n++;
	}
	CHECK(n == 768 - 1 - 4);
	CHECK(frame_audit());
}

TEST(frame_alloc_free_counts_and_audit)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_stats st;
	pfn_t a, b;

	init(r, 1);
	a = frame_alloc();
	b = frame_alloc();
	CHECK(a != PFN_NONE && b != PFN_NONE && a != b);
	CHECK(frame_is_used(a) && frame_is_used(b));
	frame_stats(&st);
	CHECK(st.free == 254 && st.used == 2 && st.free + st.used == st.total);
	CHECK(frame_free(a));
	CHECK(!frame_is_used(a));
	CHECK(frame_audit());
}

TEST(frame_double_free_and_non_ram_are_refused)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_stats before, after;
	pfn_t a;

	init(r, 1);
	a = frame_alloc();
	CHECK(frame_free(a));
	frame_stats(&before);
	CHECK(!frame_free(a));			/* double free */
	CHECK(!frame_free(10));			/* below 1 MiB */
	CHECK(!frame_free(100000));		/* beyond the map */
	frame_stats(&after);
	CHECK(before.free == after.free && before.used == after.used);
	CHECK(frame_audit());
}

/* The batch free: every good frame freed in one call, each bad one refused and counted. */
TEST(frame_free_many_frees_the_good_and_refuses_the_bad)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_stats before, after;
	pfn_t f[4];

	init(r, 1);
	frame_stats(&before);
	for (int i = 0; i < 4; i++)
		f[i] = frame_alloc();
	CHECK(frame_free_many(f, 2) == 0);
	CHECK(!frame_is_used(f[0]) && !frame_is_used(f[1]));
	f[1] = f[0];				/* freed already: refused */
	f[0] = f[2];
	f[2] = f[3];
	CHECK(frame_free_many(f, 3) == 1);	/* a good one, the double, a good one */
	frame_stats(&after);
	CHECK(!frame_is_used(f[0]) && !frame_is_used(f[2]));
	CHECK(before.free == after.free && before.used == after.used);
	CHECK(frame_audit());
}

TEST(frame_reservations_are_kept_from_other_users)
{
	const struct phys_range r[] = { { 1 * MiB, 1 * MiB + 10 * 4096, PR_RAM } };
	int n = 0;

	init(r, 1);
	CHECK(frame_reserve(4));
	CHECK(!frame_reserve(7));		/* only 6 unpromised left */
	while (frame_alloc() != PFN_NONE)
		n++;
	CHECKF(n == 6, "took %d unpromised frames", n);
	for (int i = 0; i < 4; i++) {
		pfn_t f = frame_alloc_reserved();

		CHECK(f != PFN_NONE);
	}
	CHECK(frame_audit());
}

static int pressure_calls, pressure_failed;
static pfn_t spare;

static void pressure(bool failed)
{
	pressure_calls++;
	pressure_failed += failed;
	if (failed && spare != PFN_NONE) {	/* give one back, as a scavenger would */
		frame_free(spare);
		spare = PFN_NONE;
	}
}

TEST(frame_pressure_hook_runs_below_low_and_on_failure)
{
	const struct phys_range r[] = { { 1 * MiB, 1 * MiB + 8 * 4096, PR_RAM } };
	int n = 0;

	init(r, 1);
	frame_set_watermarks(3, 6);
	pressure_calls = pressure_failed = 0;
	frame_set_pressure_hook(pressure);
	spare = frame_alloc();
	while (frame_alloc() != PFN_NONE)
		n++;
	frame_set_pressure_hook(NULL);
	/* 7 left after the spare; the hook gave one back on the first failure */
	CHECKF(n == 8, "allocated %d", n);
	CHECK(pressure_failed == 2 && pressure_calls > pressure_failed);
	CHECK(frame_audit());
}

/*
 * 1-2 MiB is one block of order 8 at frame 0x100.  The first frame taken
 * cuts it into 0x100-0x10f for the stack (0x100 handed out, the rest
 * stacked) and listed blocks 0x110 (order 4), 0x120 (5), 0x140 (6), 0x180
 * (7).  Each corruption below breaks one rule.
 */
TEST(frame_audit_catches_corruption)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	struct frame_db d;
	pfn_t f[3], slot;

	init(r, 1);
	d = frame_db_layout(db, frame_max_pfn(r, 1));
	for (int i = 0; i < 3; i++)
		f[i] = frame_alloc();
	CHECKF(f[0] == 0x100 && f[1] == 0x101 && f[2] == 0x102, "took %#x %#x %#x", f[0], f[1], f[2]);
	CHECK(frame_free(f[1]) && frame_free(f[0]));	/* both on the stack */
	CHECK(frame_audit());
	poke(&d.state[0x181], FS_USED);		/* a free frame marked used */
	CHECK(!frame_audit());
	poke(&d.state[0x181], FS_FREE);
	CHECK(frame_audit());
	poke(&d.next[0x110], 0x110);			/* a free list that loops */
	CHECK(!frame_audit());
	poke(&d.next[0x110], PFN_NONE);
	CHECK(frame_audit());
	poke(&d.prev[0x110], 0x120);			/* a back link that disagrees */
	CHECK(!frame_audit());
	poke(&d.prev[0x110], PFN_NONE);
	CHECK(frame_audit());
	poke(&d.state[0x111], FS_BLOCK(FS_FREE, 0));	/* a free block inside another, on no list */
	CHECK(!frame_audit());
	poke(&d.state[0x111], FS_FREE);
	poke(&d.state[0x110], FS_BLOCK(FS_FREE, 1));	/* a listed block of the wrong order */
	CHECK(!frame_audit());
	poke(&d.state[0x110], FS_BLOCK(FS_FREE, 4));
	poke(&d.state[f[2]], FS_USED);		/* a handed-out frame that heads no block */
	CHECK(!frame_audit());
	poke(&d.state[f[2]], FS_BLOCK(FS_USED, 0));
	CHECK(frame_audit());
	slot = d.stack[1];
	poke(&d.stack[1], d.stack[0]);		/* a frame stacked twice */
	CHECK(!frame_audit());
	poke(&d.stack[1], 0x181);			/* a stacked frame inside a listed block */
	CHECK(!frame_audit());
	poke(&d.stack[1], slot);
	CHECK(frame_audit());
}

TEST(frame_audit_catches_a_free_frame_on_no_list)
{
	struct frame_db d;
	pfn_t f;

	init(two_chunks, 1);
	d = frame_db_layout(db, frame_max_pfn(two_chunks, 1));
	f = frame_alloc();			/* hands over the chunk at 4 MiB only */
	CHECK(f != PFN_NONE && f < 0x800 && frame_audit());
	poke(&d.state[0x900], FS_BLOCK(FS_FREE, 0));	/* a free block in a chunk not handed over */
	CHECK(!frame_audit());
	poke(&d.state[0x900], FS_BLOCK(FS_USED, 0));	/* a used frame there */
	CHECK(!frame_audit());
	poke(&d.state[0x900], FS_FREE);
	CHECK(frame_audit());
	frame_give_back_broken(f, 0, false);	/* free, counted, on no list or stack */
	CHECK(!frame_audit());
}

TEST(frame_audit_catches_unmerged_buddies)
{
	const struct phys_range r[] = { { 1 * MiB, 2 * MiB, PR_RAM } };
	pfn_t a, b;

	init(r, 1);
	a = frame_alloc_contig(4, FRAME_ANY);
	b = frame_alloc_contig(4, FRAME_ANY);
	CHECKF(a == 0x100 && b == 0x110, "took %#x %#x", a, b);
	CHECK(frame_free_contig(a, 4) && frame_audit());
	frame_give_back_broken(b, 4, true);		/* b's buddy a is a free block of order 4 */
	CHECK(!frame_audit());
}

TEST(frame_inject_does_not_count_a_take_that_failed)
{
	pfn_t q[4], f;

	init(two_chunks, 1);
	for (int i = 0; i < 4; i++)
		q[i] = frame_alloc_contig(9, FRAME_ANY);
	CHECK(q[0] == 0x400 && q[1] == 0x600 && q[2] == 0x800 && q[3] == 0xa00);
	CHECK(frame_free_contig(q[0], 9) && frame_free_contig(q[2], 9));	/* no two are buddies */
	frame_inject_failure(1);
	CHECK(frame_alloc_contig(10, FRAME_ANY) == PFN_NONE);	/* 1024 free, none whole: not a success */
	f = frame_alloc();
	CHECK(f != PFN_NONE);			/* so this is the one success allowed */
	CHECK(frame_alloc() == PFN_NONE && frame_alloc_contig(0, FRAME_ANY) == PFN_NONE);
	frame_inject_failure(-1);
	CHECK(frame_free(f) && frame_free_contig(q[1], 9) && frame_free_contig(q[3], 9));
	CHECK(frame_audit() && count_blocks(10, FRAME_ANY) == 2);
}

TEST(frame_boot_holding_given_back_is_handed_out_once)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 2 * MiB, PR_RAM },
		{ 1536 * 1024, 1600 * 1024, PR_KERNEL },	/* frames 0x180-0x18f held at boot */
	};
	static uint8_t seen[512];
	pfn_t f;
	int n = 0;

	init(r, 2);
	CHECK(frame_free(0x184));		/* a boot holding given back, far ahead */
	CHECK(frame_audit());
	memset(seen, 0, sizeof(seen));
	while ((f = frame_alloc()) != PFN_NONE) {
		CHECKF(f >= 256 && f < 512 && !seen[f], "frame %#x handed out twice or out of range", f);
		seen[f] = 1;
		n++;
	}
	CHECKF(n == 256 - 16 + 1, "%d frames handed out", n);
	CHECK(frame_audit());
}

/* ---- the buddy: blocks of 2^order frames (docs/frames.md) ---- */


TEST(frame_contig_split_and_merge)
{
	pfn_t a, b, c, d;

	init(two_chunks, 1);
	a = frame_alloc_contig(10, FRAME_ANY);
	b = frame_alloc_contig(10, FRAME_ANY);
	CHECKF(a != PFN_NONE && b != PFN_NONE && a != b, "order 10: %#x %#x", a, b);
	CHECK(aligned(a, 10) && aligned(b, 10) && a >= 0x400 && b >= 0x400 && a < 0xc00 && b < 0xc00);
	CHECK(frame_alloc_contig(10, FRAME_ANY) == PFN_NONE && frame_alloc() == PFN_NONE);
	CHECK(frame_free_contig(a, 10) && frame_audit());
	c = frame_alloc_contig(3, FRAME_ANY);		/* splits a's block */
	d = frame_alloc_contig(0, FRAME_ANY);
	CHECK(c >= a && c < a + 1024 && aligned(c, 3) && d >= a && d < a + 1024 && (d < c || d >= c + 8));
	CHECK(frame_alloc_contig(10, FRAME_ANY) == PFN_NONE);	/* split: no whole block */
	CHECK(frame_audit());
	CHECK(frame_free_contig(c, 3) && frame_free(d) && frame_audit());
	CHECK(count_blocks(10, FRAME_ANY) == 1);	/* merged back whole */
	CHECK(frame_free_contig(b, 10));
	CHECK(count_blocks(10, FRAME_ANY) == 2);
	CHECK(frame_audit());
}

TEST(frame_single_frames_merge_back_into_whole_blocks)
{
	static pfn_t f[2048 + 1];
	struct frame_stats st;
	int n = 0;

	init(two_chunks, 1);
	while ((f[n] = frame_alloc()) != PFN_NONE)
		n++;
	CHECKF(n == 2048, "took %d", n);
	for (int i = 0; i < n; i += 2)		/* every other frame: nothing can merge yet */
		CHECK(frame_free(f[i]));
	CHECK(frame_audit());
	CHECK(count_blocks(1, FRAME_ANY) == 0);
	for (int i = 1; i < n; i += 2)
		CHECK(frame_free(f[i]));
	CHECK(frame_audit());
	frame_stats(&st);
	CHECK(st.free == 2048 && st.used == 0);
	/* some frames are stacked, not yet merged; a big block merges them */
	CHECKF(count_blocks(10, FRAME_ANY) == 2, "order-10 blocks after every frame came back");
	CHECK(frame_audit());
}

TEST(frame_contig_blocks_are_aligned_at_every_order)
{
	const struct phys_range r[] = { { 1 * MiB, 40 * MiB, PR_RAM } };

	init(r, 1);
	for (unsigned k = 0; k <= FRAME_MAX_ORDER; k++) {
		pfn_t a = frame_alloc_contig(k, FRAME_ANY), b = frame_alloc_contig(k, FRAME_BELOW_16M);

		CHECKF(a != PFN_NONE && aligned(a, k), "order %u: %#x", k, a);
		CHECKF(b != PFN_NONE && aligned(b, k) && b + (1u << k) <= 16 * FRAMES_PER_MiB,
		       "order %u below 16 MiB: %#x", k, b);
		for (pfn_t i = 0; i < (1u << k); i++)
			CHECK(frame_is_used(a + i) && frame_is_used(b + i));
	}
	CHECK(frame_audit());
	CHECK(frame_alloc_contig(FRAME_MAX_ORDER + 1, FRAME_ANY) == PFN_NONE);
	CHECK(frame_alloc_contig(0, (enum frame_constraint)7) == PFN_NONE);
}

TEST(frame_constraint_below_16m_and_the_zone_above_first)
{
	const struct phys_range r[] = { { 1 * MiB, 64 * MiB, PR_RAM } };
	pfn_t f;

	init(r, 1);
	f = frame_alloc();
	CHECKF(f >= 16 * FRAMES_PER_MiB, "a single frame from the DMA zone (%#x) while the rest is free", f);
	frame_free(f);
	f = frame_alloc_contig(9, FRAME_ANY);
	CHECKF(f >= 16 * FRAMES_PER_MiB, "an order-9 block from the DMA zone (%#x)", f);
	frame_free_contig(f, 9);
	/* 1-16 MiB: 0x100-0x1ff is an order-8 block; 0x200-0xfff holds seven of order 9 */
	CHECKF((f = count_blocks(9, FRAME_BELOW_16M)) == 7, "%u order-9 blocks below 16 MiB", f);
	CHECKF((f = count_blocks(8, FRAME_BELOW_16M)) == 15, "%u order-8 blocks below 16 MiB", f);
	CHECK(frame_audit());
}

TEST(frame_constraint_below_16m_fails_when_the_dma_zone_is_full)
{
	const struct phys_range r[] = { { 1 * MiB, 64 * MiB, PR_RAM } };
	static pfn_t held[16];
	pfn_t f;
	int n = 0;

	init(r, 1);
	while (n < 16 && (f = frame_alloc_contig(8, FRAME_BELOW_16M)) != PFN_NONE)
		held[n++] = f;
	CHECKF(n == 15, "%d blocks below 16 MiB", n);
	CHECK(frame_alloc_contig(0, FRAME_BELOW_16M) == PFN_NONE);
	f = frame_alloc_contig(8, FRAME_ANY);		/* the normal zone still serves */
	CHECK(f != PFN_NONE && f >= 16 * FRAMES_PER_MiB);
	CHECK(frame_free_contig(f, 8));
	CHECK(frame_free_contig(held[3], 8));
	CHECK(frame_alloc_contig(8, FRAME_BELOW_16M) == held[3]);
	CHECK(frame_audit());
}

TEST(frame_constraint_below_4g_with_ram_above_it)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 3 * 1024 * MiB, PR_RAM },
		{ 3 * 1024 * MiB, 4 * 1024 * MiB, PR_FIRMWARE },	/* the PCI hole */
		{ 4 * 1024 * MiB, 6 * 1024 * MiB, PR_RAM },		/* not managed */
	};
	struct frame_stats st;
	unsigned n;

	init(r, 3);
	frame_stats(&st);
	CHECKF(st.total == 3 * 1024 * FRAMES_PER_MiB - 256, "total %u", st.total);
	n = count_blocks(10, FRAME_BELOW_4G);
	CHECKF(n == 3 * 256 - 1, "%u order-10 blocks below 4 GiB", n);	/* all but the first 4 MiB */
	for (int i = 0; i < 200; i++) {
		pfn_t f = frame_alloc_contig(10, FRAME_BELOW_4G);

		CHECK(f != PFN_NONE && f + 1024 <= 3 * 1024 * FRAMES_PER_MiB);
	}
	CHECK(frame_audit());
}

static bool last_error_has(const char *what)
{
	return strstr(host_last_error, what) != NULL;
}

TEST(frame_contig_bad_frees_are_refused_and_reported)
{
	struct frame_stats before, after;
	pfn_t b, f;
	char name[32];

	init(two_chunks, 1);
	b = frame_alloc_contig(3, FRAME_ANY);
	f = frame_alloc();
	CHECK(b != PFN_NONE && f != PFN_NONE);
	frame_stats(&before);
	snprintf(name, sizeof(name), "frame %#lx,", (unsigned long)b);
	CHECK(!frame_free(b));
	CHECKF(last_error_has(name) && last_error_has("another order (order 3)"), "%s", host_last_error);
	CHECK(!frame_free_contig(b, 2) && last_error_has("another order"));
	CHECK(!frame_free_contig(b + 1, 0) && last_error_has("inside a block"));
	CHECK(!frame_free_contig(b + 4, 2) && last_error_has("inside a block"));
	CHECK(!frame_free_contig(b, FRAME_MAX_ORDER + 1) && last_error_has("out of range"));
	CHECK(!frame_free_contig(f, 1) && last_error_has("another order (order 0)"));
	CHECK(!frame_free_contig(0x10, 0) && last_error_has("not RAM"));
	CHECK(!frame_free_contig(0x100000, 4) && last_error_has("not RAM"));
	CHECK(last_error_has("; caller ") && last_error_has("nothing changed"));
	frame_stats(&after);
	CHECK(before.free == after.free && before.used == after.used);
	CHECK(frame_audit());
	CHECK(frame_free_contig(b, 3));
	CHECK(!frame_free_contig(b, 3) && last_error_has("double free"));
	CHECK(!frame_free(b + 2) && last_error_has("double free"));
	CHECK(frame_audit());
}

TEST(frame_contig_keeps_off_promised_frames)
{
	pfn_t f;

	init(two_chunks, 1);
	CHECK(frame_reserve(2048 - 1000));		/* 1000 unpromised: less than 1024 */
	CHECK(frame_alloc_contig(10, FRAME_ANY) == PFN_NONE);
	f = frame_alloc_contig(9, FRAME_ANY);
	CHECK(f != PFN_NONE);
	CHECK(frame_alloc_contig(9, FRAME_ANY) == PFN_NONE);	/* 488 unpromised left */
	for (int i = 0; i < 2048 - 1000; i++)
		CHECK(frame_alloc_reserved() != PFN_NONE);	/* every promise holds */
	CHECK(frame_audit());
}

static pfn_t pressure_block = PFN_NONE;

static void give_block_back(bool failed)
{
	if (failed && pressure_block != PFN_NONE) {
		frame_free_contig(pressure_block, 10);
		pressure_block = PFN_NONE;
	}
}

TEST(frame_contig_pressure_hook_runs_before_failing)
{
	pfn_t keep;

	init(two_chunks, 1);
	frame_set_watermarks(0, 0);
	keep = frame_alloc_contig(10, FRAME_ANY);
	pressure_block = frame_alloc_contig(10, FRAME_ANY);
	CHECK(keep != PFN_NONE && pressure_block != PFN_NONE);
	frame_set_pressure_hook(give_block_back);
	CHECK(frame_alloc_contig(10, FRAME_ANY) != PFN_NONE);	/* after the hook freed one */
	CHECK(pressure_block == PFN_NONE);
	CHECK(frame_alloc_contig(10, FRAME_ANY) == PFN_NONE);	/* nothing more to give */
	frame_set_pressure_hook(NULL);
	CHECK(frame_audit());
}

/* A fixed sequence of takes: every one is one success for fault injection. */
static int take_sequence(pfn_t got[8])
{
	int ok = 0;

	got[0] = frame_alloc_contig(4, FRAME_ANY);
	got[1] = frame_alloc();
	got[2] = frame_reserve(3) ? 0 : PFN_NONE;
	got[3] = frame_alloc_contig(0, FRAME_BELOW_16M);
	got[4] = frame_alloc_contig(10, FRAME_ANY);
	got[5] = frame_alloc();
	got[6] = frame_alloc_contig(2, FRAME_BELOW_4G);
	got[7] = frame_reserve(1) ? 0 : PFN_NONE;
	for (int i = 0; i < 8; i++)
		ok += got[i] != PFN_NONE;
	return ok;
}

static void undo_sequence(const pfn_t got[8])
{
	static const unsigned order[8] = { 4, 0, 0, 0, 10, 0, 2, 0 };

	for (int i = 0; i < 8; i++) {
		if (got[i] == PFN_NONE)
			continue;
		if (i == 2 || i == 7)
			frame_unreserve(i == 2 ? 3 : 1);
		else
			frame_free_contig(got[i], order[i]);
	}
}

TEST(frame_inject_fails_exactly_the_nth_take)
{
	struct frame_stats st0, st;
	pfn_t got[8];

	init(two_chunks, 1);
	frame_stats(&st0);
	for (long n = 0; n <= 8; n++) {
		frame_inject_failure(n);
		take_sequence(got);
		frame_inject_failure(-1);
		for (int i = 0; i < 8; i++)
			CHECKF((got[i] != PFN_NONE) == (i < n), "failure after %ld takes: take %d %s", n, i,
			       got[i] != PFN_NONE ? "succeeded" : "failed");
		CHECK(frame_audit());
		undo_sequence(got);
		frame_stats(&st);
		CHECKF(st.free == st0.free && st.reserved == 0, "failure after %ld: frames leaked", n);
		CHECK(frame_audit());
	}
	CHECK(count_blocks(10, FRAME_ANY) == 2);
}

/*
 * A seeded churn of mixed orders and constraints, with single frames and
 * promises between, on a map with holes, firmware and kernel holdings
 * across both zones; a shadow map of who holds each frame.  After every
 * operation the allocator audits clean and agrees with the shadow.
 */
#define CHURN_SLOTS 64

struct held {
	pfn_t f;
	unsigned order;
	enum frame_constraint c;
};

static uint32_t churn_seed;
static uint32_t churn_rand(uint32_t n)
{
	churn_seed = churn_seed * 1103515245u + 12345u;
	return (churn_seed >> 8) % n;
}

static uint8_t shadow[40 * FRAMES_PER_MiB];

static bool shadow_take(const struct held *h)
{
	pfn_t limit = h->c == FRAME_BELOW_16M ? 16 * FRAMES_PER_MiB : UINT32_MAX;

	if (!aligned(h->f, h->order) || h->f + (1u << h->order) > limit)
		return false;
	for (pfn_t i = 0; i < (1u << h->order); i++) {
		if (h->f + i >= ARRAY_SIZE(shadow) || shadow[h->f + i] || !frame_is_used(h->f + i))
			return false;
		shadow[h->f + i] = 1;
	}
	return true;
}

static void shadow_give(const struct held *h)
{
	for (pfn_t i = 0; i < (1u << h->order); i++)
		shadow[h->f + i] = 0;
}

TEST(frame_seeded_churn_audits_after_every_operation)
{
	const struct phys_range r[] = {
		{ 1 * MiB, 20 * MiB, PR_RAM },
		{ 9 * MiB, 9 * MiB + 3 * 4096, PR_FIRMWARE },
		{ 1 * MiB, 1 * MiB + 40 * 4096, PR_KERNEL },
		{ 18 * MiB, 18 * MiB + 5 * 4096, PR_KERNEL },	/* the normal zone's first chunk */
		{ 24 * MiB, 40 * MiB, PR_RAM },
	};
	static struct held h[CHURN_SLOTS];
	struct frame_stats st0, st;
	uint32_t promised = 0, fails = 0;

	init(r, 5);
	memset(shadow, 0, sizeof(shadow));
	frame_stats(&st0);
	churn_seed = 17;
	for (int i = 0; i < CHURN_SLOTS; i++)
		h[i].f = PFN_NONE;
	for (int op = 0; op < 3000; op++) {
		struct held *s = &h[churn_rand(CHURN_SLOTS)];
		uint32_t what = churn_rand(10);

		if (what == 0 && promised < 200) {
			uint32_t n = churn_rand(20);

			if (frame_reserve(n))
				promised += n;
		} else if (what == 1 && promised) {
			frame_unreserve(1);
			promised--;
		} else if (s->f != PFN_NONE) {
			CHECKF(frame_free_contig(s->f, s->order), "op %d: free of %#x order %u refused", op,
			       s->f, s->order);
			shadow_give(s);
			s->f = PFN_NONE;
		} else {
			s->order = churn_rand(4) ? churn_rand(4) : churn_rand(FRAME_MAX_ORDER + 1);
			s->c = (enum frame_constraint)churn_rand(3);
			s->f = s->order == 0 && s->c == FRAME_ANY ? frame_alloc()
								 : frame_alloc_contig(s->order, s->c);
			fails += s->f == PFN_NONE;
			CHECKF(s->f == PFN_NONE || shadow_take(s), "op %d: block %#x order %u constraint %d "
			       "misplaced or overlapping", op, s->f, s->order, s->c);
		}
		CHECKF(frame_audit(), "op %d", op);
		frame_stats(&st);
		CHECKF(st.reserved == promised, "op %d: %u reserved, %u promised", op, st.reserved, promised);
	}
	CHECKF(fails < 300, "%u of the takes failed: the churn did not exercise the allocator", fails);
	for (int i = 0; i < CHURN_SLOTS; i++)
		if (h[i].f != PFN_NONE)
			CHECK(frame_free_contig(h[i].f, h[i].order));
	frame_unreserve(promised);
	frame_stats(&st);
	CHECK(st.free == st0.free && st.used == st0.used && frame_audit());
	/* everything merged back: whole chunks at 4 and 12 MiB and 24-40 MiB */
	CHECKF(count_blocks(10, FRAME_ANY) == 6, "order-10 blocks after the churn");
}

/*
 * A RAM range at the very top of the 64-bit space holds no whole frame:
 * rounding its start up must not wrap to frame 0 and take all of memory
 * for RAM, nor its end (for a firmware range) wrap either.
 */
TEST(frame_ranges_at_the_top_of_the_address_space_add_nothing)
{
	static const struct phys_range r[] = {
		{ 1 * MiB, 4 * MiB, PR_RAM },
		{ 0xFFFFFFFFFFFFF001ull, 0xFFFFFFFFFFFFFFFFull, PR_RAM },
		{ 0xFFFFFFFFFFFFF800ull, 0xFFFFFFFFFFFFFFFFull, PR_FIRMWARE },
	};
	struct frame_stats st;

	init(r, ARRAY_SIZE(r));
	frame_stats(&st);
	CHECKF(st.total == 3 * FRAMES_PER_MiB, "%u frames of RAM, expected %u",
	       (unsigned)st.total, 3 * FRAMES_PER_MiB);
	CHECK(frame_audit());
}

/*
 * Pre-zeroed frames: zeroed ahead up to the limit and no further, still
 * free (and promised), taken first by frame_alloc_reserved_zero, which
 * says so, and by any other take only when nothing else is free.
 */
TEST(frame_prezeroed_frames_are_free_bounded_and_taken_first)
{
	struct frame_stats st;
	bool z = false;
	pfn_t f;

	init(two_chunks, 1);
	frame_set_zeroed_limit(8);
	CHECK(frame_zero_ahead(100) == 8 && frame_zeroed() == 8);
	CHECK(frame_zero_ahead(1) == 0);			/* the limit holds */
	frame_stats(&st);
	CHECK(st.free == 2048 && st.available == 2048);	/* still free */
	CHECK(frame_audit());
	CHECK(frame_reserve(2));
	f = frame_alloc_reserved_zero(&z);
	frame_stats(&st);				/* the other promise went to the cache, zeroed */
	CHECK(f != PFN_NONE && z && frame_zeroed() == 6 && st.cached == 1 && frame_is_used(f));
	CHECK(frame_alloc() != PFN_NONE && frame_zeroed() == 6);	/* the buddy's first */
	frame_set_zeroed_limit(3);				/* the rest go back */
	CHECK(frame_zeroed() == 3 && frame_audit());
	frame_set_zeroed_limit(0);
	f = frame_alloc_reserved_zero(&z);
	CHECK(f != PFN_NONE && !z && frame_audit());
}

/* With nothing else free, a single frame comes off the zeroed array, a block from them merged. */
TEST(frame_prezeroed_frames_serve_when_nothing_else_is_free)
{
	static pfn_t got[2048];
	unsigned n = 0;

	init(two_chunks, 1);
	frame_set_zeroed_limit(FRAME_ZEROED_MAX);
	CHECK(frame_zero_ahead(FRAME_ZEROED_MAX) == FRAME_ZEROED_MAX);
	while (n < ARRAY_SIZE(got) && (got[n] = frame_alloc()) != PFN_NONE)
		n++;
	CHECKF(n == 2048 && frame_zeroed() == 0, "%u frames, %u still zeroed", n, frame_zeroed());
	for (unsigned i = 0; i < n; i++)
		CHECK(frame_free(got[i]));
	CHECK(frame_zero_ahead(FRAME_ZEROED_MAX) == FRAME_ZEROED_MAX);
	CHECK(count_blocks(10, FRAME_ANY) == 2 && frame_zeroed() == 0);	/* merged back whole */
	CHECK(frame_audit());
}

/* A pre-zeroed frame that is not plain free, or is also stacked, is caught. */
TEST(frame_audit_catches_a_prezeroed_frame_not_free_or_also_stacked)
{
	struct frame_db d;
	size_t slot = SIZE_MAX, slots;
	pfn_t f, g;

	init(two_chunks, 1);
	d = frame_db_layout(db, frame_max_pfn(two_chunks, 1));
	slots = frame_stack_slots(frame_max_pfn(two_chunks, 1));
	f = frame_alloc();
	g = frame_alloc();
	CHECK(f != PFN_NONE && g != PFN_NONE);
	frame_zeroed_push_broken(f);
	CHECK(frame_audit());			/* sound: the host's frames read as zero */
	poke(&d.state[f], FS_BLOCK(FS_USED, 0));
	CHECK(!frame_audit() && last_error_has("pre-zeroed frame not a free frame"));
	poke(&d.state[f], FS_FREE);
	CHECK(frame_audit());
	CHECK(frame_free(g));			/* g on top of the stack */
	for (size_t i = 0; i < slots; i++)
		if (d.stack[i] == g)
			slot = i;
	CHECK(slot != SIZE_MAX);
	poke(&d.stack[slot], f);		/* f stacked as well as zeroed */
	CHECK(!frame_audit() && last_error_has("also stacked"));
	poke(&d.stack[slot], g);
	CHECK(frame_audit());
}
