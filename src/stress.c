/*
 * Seeded memory-pressure workloads (docs/stress.md): one stream of
 * operations (struct run, src/stress_int.h).  Every allocation carries a
 * pattern derived from its id and the seed, written when it is made and
 * checked before it is freed, resized or handed to another CPU, and at
 * checkpoints; the first wrong byte fails the run, naming the allocation,
 * offset and bytes.  Locking: a stream is its CPU's alone; the heap's
 * own locks serialize what the streams share.
 */
#include "src/stress.h"
#include "src/stress_int.h"
#include "src/lib.h"
#include "src/log.h"
#include "mm/kheap.h"

static uint32_t rnd(struct run *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 17;
	r->rng ^= r->rng << 5;
	return r->rng;
}

static uint32_t below(struct run *r, uint32_t n) { return n ? rnd(r) % n : 0; }

uint32_t stress_below(struct run *r, uint32_t n) { return below(r, n); }

static uint8_t pat(const struct run *r, uint32_t id, uint32_t off)
{
	uint32_t x = (id + 1) * 2654435761u ^ r->seed ^ (off * 40503u);

	return (uint8_t)(x ^ (x >> 13) ^ (x >> 24));
}

static void fill(const struct run *r, struct live *l, uint32_t from)
{
	for (uint32_t i = from; i < l->size; i++)
		l->p[i] = pat(r, l->id, i);
}

static bool verify(struct run *r, const struct live *l, const char *when)
{
	for (uint32_t i = 0; i < l->size; i++) {
		if (l->p[i] != pat(r, l->id, i)) {
			kprintf("stress: FAIL allocation id=%u (%u bytes at %p) offset %u %s: "
				"expected %#x, found %#x", (unsigned)l->id, (unsigned)l->size,
				l->p, (unsigned)i, when, pat(r, l->id, i), l->p[i]);
			r->failed = true;
			return false;
		}
	}
	return true;
}

/* Sizes: log-uniform from 1 to max, so small sizes dominate as in kernels. */
static uint32_t size_up_to(struct run *r, uint32_t min, uint32_t max)
{
	uint32_t bits = 0, s;

	while ((1u << bits) < max)
		bits++;
	s = 1u << below(r, bits + 1);
	s += below(r, s);
	return s < min ? min : s > max ? max : s;
}

static void do_alloc(struct run *r, uint32_t size)
{
	struct live *l;

	if (r->nlive == MAXLIVE)
		return;
	l = &r->live[r->nlive];
	l->p = kmalloc(size);
	if (!l->p) {
		r->nulls++;
		return;
	}
	l->size = size;
	l->id = r->next_id++ * r->streams + r->cpu;	/* unique over the streams */
	r->allocs++;
	fill(r, l, 0);
	r->nlive++;
	r->live_max = MAX(r->live_max, r->nlive);
}

static void do_free(struct run *r, uint32_t k)
{
	if (!verify(r, &r->live[k], "before kfree"))
		return;
	kfree(r->live[k].p);
	r->frees++;
	r->live[k] = r->live[--r->nlive];
}

static void do_realloc(struct run *r, uint32_t k, uint32_t size)
{
	struct live *l = &r->live[k];
	uint8_t *q;

	if (!verify(r, l, "before krealloc"))
		return;
	q = krealloc(l->p, size);
	if (!q) {
		r->nulls++;
		verify(r, l, "after a failed krealloc");
		return;
	}
	l->p = q;
	if (!verify(r, &(struct live){ q, MIN(size, l->size), l->id }, "after krealloc"))
		return;
	l->size = size;
	fill(r, l, 0);
}

static void free_all(struct run *r)
{
	while (r->nlive && !r->failed)
		do_free(r, r->nlive - 1);
}

/* One operation of each workload. */
static void op_churn(struct run *r, uint32_t i)
{
	(void)i;
	if (r->nlive && (r->nlive > MAXLIVE / 2 || below(r, 2)))
		do_free(r, below(r, r->nlive));
	else
		do_alloc(r, size_up_to(r, 1, 65536));
}

static void op_fragment(struct run *r, uint32_t i)
{
	uint32_t phase = i % 600;

	if (phase < 300)				/* fill */
		do_alloc(r, size_up_to(r, 16, 4096));
	else if (phase < 450 && r->nlive)		/* free every other */
		do_free(r, below(r, r->nlive) & ~1u);
	else						/* then larger ones */
		do_alloc(r, size_up_to(r, 8192, 65536));
}

static void op_spike(struct run *r, uint32_t i)
{
	uint64_t before = r->nulls;

	(void)i;
	do_alloc(r, size_up_to(r, 1024, 65536));
	if (r->nulls != before || r->nlive == MAXLIVE)	/* at the commit limit */
		free_all(r);
}

static void op_realloc(struct run *r, uint32_t i)
{
	(void)i;
	if (r->nlive < 64 || below(r, 8) == 0) {
		do_alloc(r, size_up_to(r, 1, 4096));
		return;
	}
	do_realloc(r, below(r, r->nlive), size_up_to(r, 1, 131072));
}

static void op_slab(struct run *r, uint32_t i)
{
	(void)i;
	if (r->nlive && below(r, 2))
		do_free(r, below(r, r->nlive));
	else
		do_alloc(r, size_up_to(r, 1, SLAB_MAX));
}

static void op_large(struct run *r, uint32_t i)
{
	(void)i;
	if (r->nlive > 256 || (r->nlive && below(r, 2)))
		do_free(r, below(r, r->nlive));
	else
		do_alloc(r, size_up_to(r, PAGE_SIZE, 262144));
}

static void op_mixed(struct run *r, uint32_t i);

/*
 * The workloads: the one list (stress=NAME, the usage message, mixed's
 * rotation; docs/stress.md describes each).  Adding one is adding a row.
 */
static const struct workload workloads[] = {
	{ "churn",    op_churn },
	{ "fragment", op_fragment },
	{ "spike",    op_spike },
	{ "slab",     op_slab },
	{ "large",    op_large },
	{ "realloc",  op_realloc },
	{ "mixed",    op_mixed },		/* last: it rotates through the others */
};

/* Every 500 operations (give or take one), the next of the other workloads. */
static void op_mixed(struct run *r, uint32_t i)
{
	size_t others = ARRAY_SIZE(workloads) - 1;

	workloads[(i / 500 + below(r, 2)) % others].op(r, i);
}

const char *stress_workload(unsigned i)
{
	return i < ARRAY_SIZE(workloads) ? workloads[i].name : NULL;
}


const struct workload *stress_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(name, workloads[i].name))
			return &workloads[i];
	return NULL;
}

void stress_start(struct run *r, uint32_t seed, uint32_t ops, unsigned cpu, unsigned streams)
{
	memset(r, 0, sizeof(*r));
	r->seed = seed ? seed : 1;
	r->rng = r->seed + cpu * 0x9e3779b9u;		/* cpu 0: the seed, as with one CPU */
	r->rng = r->rng ? r->rng : 1;
	r->ops = ops;
	r->cpu = cpu;
	r->streams = streams;
	r->min_free = SIZE_MAX;
}

bool stress_verify(struct run *r, const struct live *l, const char *when)
{
	return verify(r, l, when);
}

bool stress_adopt(struct run *r, const struct live *l)
{
	if (r->nlive == MAXLIVE)
		return false;
	r->live[r->nlive++] = *l;
	r->live_max = MAX(r->live_max, r->nlive);
	return true;
}

bool stress_remove(struct run *r, uint32_t k, struct live *out, const char *when)
{
	if (!verify(r, &r->live[k], when))
		return false;
	*out = r->live[k];
	r->live[k] = r->live[--r->nlive];
	return true;
}

void stress_free_all(struct run *r) { free_all(r); }

void stress_check_all(struct run *r)
{
	for (uint32_t k = 0; k < r->nlive && !r->failed; k++)
		verify(r, &r->live[k], "at a checkpoint");
}
