/*
 * Seeded memory-pressure workloads (docs/stress.md).  Every allocation
 * carries a pattern derived from its id and the seed, written when it is
 * made and checked before it is freed or resized and at checkpoints; the
 * first wrong byte fails the run, naming the allocation, offset and bytes.
 */
#include "src/stress.h"
#include "src/balloon.h"
#include "src/lib.h"
#include "src/log.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/magazine.h"
#include "src/modules.h"

#define MAXLIVE 2048

struct live {
	uint8_t *p;
	uint32_t size, id;
};

struct run {
	uint32_t seed, rng, ops, next_id;
	struct live live[MAXLIVE];
	uint32_t nlive;
	uint64_t nulls;
	size_t min_free, max_free;
	bool failed;
};

static struct run r;

static uint32_t rnd(void)
{
	r.rng ^= r.rng << 13;
	r.rng ^= r.rng >> 17;
	r.rng ^= r.rng << 5;
	return r.rng;
}

static uint32_t below(uint32_t n) { return n ? rnd() % n : 0; }

static uint8_t pat(uint32_t id, uint32_t off)
{
	uint32_t x = (id + 1) * 2654435761u ^ r.seed ^ (off * 40503u);

	return (uint8_t)(x ^ (x >> 13) ^ (x >> 24));
}

static void fill(struct live *l, uint32_t from)
{
	for (uint32_t i = from; i < l->size; i++)
		l->p[i] = pat(l->id, i);
}

static bool verify(const struct live *l, const char *when)
{
	for (uint32_t i = 0; i < l->size; i++) {
		if (l->p[i] != pat(l->id, i)) {
			kprintf("stress: FAIL allocation id=%u (%u bytes at %p) offset %u %s: "
				"expected %#x, found %#x", (unsigned)l->id, (unsigned)l->size,
				l->p, (unsigned)i, when, pat(l->id, i), l->p[i]);
			r.failed = true;
			return false;
		}
	}
	return true;
}

/* Sizes: log-uniform from 1 to max, so small sizes dominate as in kernels. */
static uint32_t size_up_to(uint32_t min, uint32_t max)
{
	uint32_t bits = 0, s;

	while ((1u << bits) < max)
		bits++;
	s = 1u << below(bits + 1);
	s += below(s);
	return s < min ? min : s > max ? max : s;
}

static void do_alloc(uint32_t size)
{
	struct live *l;

	if (r.nlive == MAXLIVE)
		return;
	l = &r.live[r.nlive];
	l->p = kmalloc(size);
	if (!l->p) {
		r.nulls++;
		return;
	}
	l->size = size;
	l->id = r.next_id++;
	fill(l, 0);
	r.nlive++;
}

static void do_free(uint32_t k)
{
	if (!verify(&r.live[k], "before kfree"))
		return;
	kfree(r.live[k].p);
	r.live[k] = r.live[--r.nlive];
}

static void do_realloc(uint32_t k, uint32_t size)
{
	struct live *l = &r.live[k];
	uint8_t *q;

	if (!verify(l, "before krealloc"))
		return;
	q = krealloc(l->p, size);
	if (!q) {
		r.nulls++;
		verify(l, "after a failed krealloc");
		return;
	}
	l->p = q;
	if (!verify(&(struct live){ q, MIN(size, l->size), l->id }, "after krealloc"))
		return;
	l->size = size;
	fill(l, 0);
}

static void free_all(void)
{
	while (r.nlive && !r.failed)
		do_free(r.nlive - 1);
}

/* One operation of each workload. */
static void op_churn(uint32_t i)
{
	(void)i;
	if (r.nlive && (r.nlive > MAXLIVE / 2 || below(2)))
		do_free(below(r.nlive));
	else
		do_alloc(size_up_to(1, 65536));
}

static void op_fragment(uint32_t i)
{
	uint32_t phase = i % 600;

	if (phase < 300)				/* fill */
		do_alloc(size_up_to(16, 4096));
	else if (phase < 450 && r.nlive)		/* free every other */
		do_free(below(r.nlive) & ~1u);
	else						/* then larger ones */
		do_alloc(size_up_to(8192, 65536));
}

static void op_spike(uint32_t i)
{
	uint64_t before = r.nulls;

	(void)i;
	do_alloc(size_up_to(1024, 65536));
	if (r.nulls != before || r.nlive == MAXLIVE)	/* at the commit limit */
		free_all();
}

static void op_realloc(uint32_t i)
{
	(void)i;
	if (r.nlive < 64 || below(8) == 0) {
		do_alloc(size_up_to(1, 4096));
		return;
	}
	do_realloc(below(r.nlive), size_up_to(1, 131072));
}

static void op_slab(uint32_t i)
{
	(void)i;
	if (r.nlive && below(2))
		do_free(below(r.nlive));
	else
		do_alloc(size_up_to(1, SLAB_MAX));
}

static void op_large(uint32_t i)
{
	(void)i;
	if (r.nlive > 256 || (r.nlive && below(2)))
		do_free(below(r.nlive));
	else
		do_alloc(size_up_to(PAGE_SIZE, 262144));
}

static void op_mixed(uint32_t i);

/*
 * The workloads: the one list (stress=NAME, the usage message, mixed's
 * rotation; docs/stress.md describes each).  Adding one is adding a row.
 */
static const struct workload {
	const char *name;
	void (*op)(uint32_t i);
} workloads[] = {
	{ "churn",    op_churn },
	{ "fragment", op_fragment },
	{ "spike",    op_spike },
	{ "slab",     op_slab },
	{ "large",    op_large },
	{ "realloc",  op_realloc },
	{ "mixed",    op_mixed },		/* last: it rotates through the others */
};

/* Every 500 operations (give or take one), the next of the other workloads. */
static void op_mixed(uint32_t i)
{
	size_t others = ARRAY_SIZE(workloads) - 1;

	workloads[(i / 500 + below(2)) % others].op(i);
}

const char *stress_workload(unsigned i)
{
	return i < ARRAY_SIZE(workloads) ? workloads[i].name : NULL;
}

/* Hits in percent of the calls the magazines saw (100 when they saw none). */
static unsigned hit_pct(uint64_t hits, uint64_t misses)
{
	return (hits + misses) ? (unsigned)(hits * 100 / (hits + misses)) : 100;
}

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(name, workloads[i].name))
			return &workloads[i];
	return NULL;
}

static void print_unknown(const char *name)
{
	char list[96];
	size_t len = 0;

	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s", i ? " " : "", workloads[i].name);
	kprintf("stress: unknown workload '%s' (%s)", name, list);
}
static size_t available(void)
{
	return frame_available();
}

/* Balloon target for operation i: a triangle wave from all to below the low mark. */
static size_t wave_target(uint32_t i, size_t top, size_t bottom)
{
	uint32_t half = MAX(r.ops / 8, 32u), t = i % (2 * half);
	uint32_t tri = t < half ? t : 2 * half - t;		/* 0 .. half */

	return top - (size_t)((uint64_t)(top - bottom) * tri / half);
}

int stress_run(const char *w, uint32_t seed, uint32_t ops, const char *balloon)
{
	struct frame_stats fs;
	struct scav_stats s0, s1;
	struct kheap_stats h0, h1;
	struct mag_stats m0, m1;
	size_t top, bottom, pct = 0, held_max = 0;
	bool wave = !strcmp(balloon, "wave");
	const struct workload *wl = find_workload(w);

	if (!wl) {
		print_unknown(w);
		return 1;
	}
	if (!wave && balloon[0] && strcmp(balloon, "off")) {
		uint64_t v = 0;

		for (const char *c = balloon; *c; c++)
			v = *c >= '0' && *c <= '9' && v < 1000 ? v * 10 + (*c - '0') : 1000;
		if (v > 95) {
			kprintf("stress: balloon=%s: expected a percentage 0..95, 'wave' or 'off'", balloon);
			return 1;
		}
		pct = (size_t)v;
	}
	memset(&r, 0, sizeof(r));
	r.seed = r.rng = seed ? seed : 1;
	r.ops = ops;
	frame_stats(&fs);
	top = available();
	bottom = fs.low / 2;
	r.min_free = r.max_free = top;
	if ((wave || pct) && !balloon_init(top)) {
		kprintf("stress: no memory for the balloon's list");
		return 1;
	}
	if (pct)
		balloon_set_target(top - top * pct / 100);
	scavenge_stats(&s0);
	kheap_stats(&h0);
	mag_stats(&m0);
	kprintf("stress: start workload=%s seed=%u ops=%u balloon=%s frames available %zu, low %u, high %u",
		w, (unsigned)seed, (unsigned)ops, balloon[0] ? balloon : "off", top,
		(unsigned)fs.low, (unsigned)fs.high);
	for (uint32_t i = 0; i < ops && !r.failed; i++) {
		size_t avail;

		if (wave && i % 32 == 0)
			balloon_set_target(wave_target(i, top, bottom));
		wl->op(i);
		avail = available();
		r.min_free = MIN(r.min_free, avail);
		r.max_free = MAX(r.max_free, avail);
		held_max = MAX(held_max, balloon_held());
		if (i % 1000 == 999)
			for (uint32_t k = 0; k < r.nlive && !r.failed; k++)
				verify(&r.live[k], "at a checkpoint");
		if (ops >= 10 && i % (ops / 10) == 0 && i)
			kprintf("stress: progress %u/%u ops, %u live, %zu frames available, balloon %zu",
				(unsigned)i, (unsigned)ops, (unsigned)r.nlive, avail, balloon_held());
	}
	free_all();
	if (wave || pct)
		balloon_release_all();
	if (!r.failed && !(kheap_check() && frame_audit())) {
		kprintf("stress: FAIL the heap check or frame audit failed (above)");
		r.failed = true;
	}
	if (!modules_check("after the stress run")) {
		kprintf("stress: FAIL a GRUB module changed (above)");
		r.failed = true;
	}
	scavenge_stats(&s1);
	kheap_stats(&h1);
	mag_stats(&m1);
	kprintf("stress: result=%s workload=%s seed=%u ops=%u balloon=%s min_avail=%zu max_avail=%zu "
		"balloon_max=%zu passes=%llu released=%llu nulls=%llu faults=%llu/%llu/%llu "
		"skipped=%llu pass_cycles=%llu mag_hits=%u%%/%u%% prezeroed=%llu",
		r.failed ? "FAIL" : "pass", w, (unsigned)seed, (unsigned)ops,
		balloon[0] ? balloon : "off", r.min_free, r.max_free, held_max,
		(unsigned long long)(s1.passes[0] + s1.passes[1] + s1.passes[2] + s1.passes[3] -
				     s0.passes[0] - s0.passes[1] - s0.passes[2] - s0.passes[3]),
		(unsigned long long)(s1.pages_released - s0.pages_released),
		(unsigned long long)r.nulls,
		(unsigned long long)(h1.faults_write_aow - h0.faults_write_aow),
		(unsigned long long)(h1.faults_read_aow - h0.faults_read_aow),
		(unsigned long long)(h1.faults_write_zero - h0.faults_write_zero),
		(unsigned long long)(s1.skipped_dry - s0.skipped_dry),
		(unsigned long long)(s1.cycles - s0.cycles),
		hit_pct(m1.alloc_hits - m0.alloc_hits, m1.alloc_misses - m0.alloc_misses),
		hit_pct(m1.free_hits - m0.free_hits, m1.free_misses - m0.free_misses),
		(unsigned long long)(h1.faults_prezeroed - h0.faults_prezeroed));
	return r.failed;
}
