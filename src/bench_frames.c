/*
 * The frame allocator's contiguity figure (docs/frames.md, docs/benchmarks.md).
 *
 * One seeded churn of mixed orders runs twice over the same frames (those
 * free when it starts): on the buddy (frame_alloc_contig /
 * frame_free_contig), and on a model of the allocator it replaced, a
 * stack of freed frames over a cursor, which had no way to hand out more
 * than one frame and so serves an order-k request as 2^k single frames.
 * After each run, the same measure over the state of every frame: the
 * largest order with a wholly free aligned block, and the share of free
 * frames lying in wholly free aligned blocks of order 4 and 9 (what an
 * allocator able to find them could hand out at that order).  For the
 * buddy that is what it can allocate (free buddies are always merged); it
 * is also counted by allocating order-9 blocks until none is left.
 *
 * Runs in bench context only: the pressure hook is off while it runs, and
 * everything it takes is given back.
 */
#include "src/bench.h"
#include "src/lib.h"
#include "src/log.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"

#define SLOTS 4096
#define OPS 40000
#define SEED 1

struct slot {
	pfn_t f;		/* buddy: the block; model: the first of its frames' list */
	uint8_t order;
	bool held;
};

struct contiguity {
	uint32_t free, at4, at9;	/* free frames; those in free aligned blocks of order 4, 9 */
	unsigned largest;		/* largest order of a wholly free aligned block */
};

/* The old allocator, modelled: frame states, its stack, and a list link per frame. */
struct model {
	uint8_t *state;		/* 0 not in the pool or handed out, 1 free */
	pfn_t *stack, *link;
	pfn_t cursor, max;
	uint32_t depth;
};

static struct slot *slots;	/* SLOTS of them, from the heap while the figure runs */
static uint32_t seed;

static uint32_t next_rand(uint32_t n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

/* Mostly small orders, a quarter of requests spread over 0-9. */
static unsigned pick_order(void)
{
	return next_rand(4) ? next_rand(4) : next_rand(10);
}

/* Frames in wholly free aligned blocks of 2^order frames. */
static uint32_t free_at(bool (*is_free)(pfn_t, const struct model *), const struct model *m,
			pfn_t max, unsigned order)
{
	uint32_t n = 0, size = 1u << order;

	for (pfn_t b = 0; b + size <= max; b += size) {
		pfn_t i = 0;

		while (i < size && is_free(b + i, m))
			i++;
		n += i == size ? size : 0;
	}
	return n;
}

static void measure(bool (*is_free)(pfn_t, const struct model *), const struct model *m, pfn_t max,
		    struct contiguity *c)
{
	c->free = MAX(free_at(is_free, m, max, 0), 1u);
	c->at4 = free_at(is_free, m, max, 4);
	c->at9 = free_at(is_free, m, max, 9);
	c->largest = FRAME_MAX_ORDER;
	while (c->largest > 0 && !free_at(is_free, m, max, c->largest))
		c->largest--;
}

static bool buddy_is_free(pfn_t f, const struct model *m) { (void)m; return frame_is_free(f); }
static bool model_is_free(pfn_t f, const struct model *m) { return m->state[f] == 1; }

/* ---- the model of the old allocator ---- */

static pfn_t model_pop(struct model *m)
{
	if (m->depth)
		return m->stack[--m->depth];
	while (m->cursor < m->max && m->state[m->cursor] != 1)
		m->cursor++;
	return m->cursor < m->max ? m->cursor++ : PFN_NONE;
}

static void model_push(struct model *m, pfn_t f)
{
	m->state[f] = 1;
	if (f < m->cursor)		/* the cursor finds the others itself */
		m->stack[m->depth++] = f;
}

/* 2^order single frames, linked through m->link; all or none. */
static bool model_take(struct model *m, struct slot *s)
{
	pfn_t head = PFN_NONE;

	for (uint32_t i = 0; i < (1u << s->order); i++) {
		pfn_t f = model_pop(m);

		if (f == PFN_NONE) {
			for (; head != PFN_NONE; head = m->link[head])
				model_push(m, head);
			return false;
		}
		m->state[f] = 0;
		m->link[f] = head;
		head = f;
	}
	s->f = head;
	return true;
}

static void model_give(struct model *m, struct slot *s)
{
	for (pfn_t f = s->f, n; f != PFN_NONE; f = n) {
		n = m->link[f];
		model_push(m, f);
	}
}

static bool buddy_take(struct model *m, struct slot *s)
{
	(void)m;
	s->f = frame_alloc_contig(s->order, FRAME_ANY);
	return s->f != PFN_NONE;
}

static void buddy_give(struct model *m, struct slot *s)
{
	(void)m;
	frame_free_contig(s->f, s->order);
}

/* The churn: OPS steps on random slots, live frames kept under budget; returns failed takes. */
static uint32_t churn(bool (*take)(struct model *, struct slot *),
		      void (*give)(struct model *, struct slot *), struct model *m, uint32_t budget)
{
	uint32_t live = 0, failed = 0;

	seed = SEED;
	memset(slots, 0, SLOTS * sizeof(*slots));
	for (int op = 0; op < OPS; op++) {
		struct slot *s = &slots[next_rand(SLOTS)];
		unsigned order = pick_order();

		if (s->held) {
			give(m, s);
			live -= 1u << s->order;
			s->held = false;
		} else if (live + (1u << order) <= budget) {
			s->order = (uint8_t)order;
			s->held = take(m, s);
			live += s->held ? 1u << order : 0;
			failed += !s->held;
		}
	}
	return failed;
}

static void give_all(void (*give)(struct model *, struct slot *), struct model *m)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].held)
			give(m, &slots[i]);
}

/* Order-9 blocks the buddy can hand out now (given back after, linked through m->link). */
static uint32_t order9_blocks(struct model *m)
{
	pfn_t f, head = PFN_NONE;
	uint32_t n = 0;

	while ((f = frame_alloc_contig(9, FRAME_ANY)) != PFN_NONE) {
		m->link[f] = head;
		head = f;
		n++;
	}
	for (; head != PFN_NONE; head = f) {
		f = m->link[head];
		frame_free_contig(head, 9);
	}
	return n;
}

static void print(const char *who, const struct contiguity *c, uint32_t failed, const char *extra)
{
	kprintf("bench: contiguity, %s: largest free order %u; of %u free frames %u.%u%% at order 4, "
		"%u.%u%% at order 9; %u takes failed%s", who, c->largest, (unsigned)c->free,
		(unsigned)(c->at4 * 1000ull / c->free / 10), (unsigned)(c->at4 * 1000ull / c->free % 10),
		(unsigned)(c->at9 * 1000ull / c->free / 10), (unsigned)(c->at9 * 1000ull / c->free % 10),
		(unsigned)failed, extra);
}

static bool model_init(struct model *m, pfn_t max)
{
	slots = kmalloc(SLOTS * sizeof(*slots));
	m->state = kzalloc(max);
	m->stack = kmalloc(max * sizeof(pfn_t));
	m->link = kmalloc(max * sizeof(pfn_t));
	m->max = max;
	m->cursor = m->depth = 0;
	return slots && m->state && m->stack && m->link;
}

static void model_fini(struct model *m)
{
	kfree(slots);
	kfree(m->state);
	kfree(m->stack);
	kfree(m->link);
}

void bench_frames(void)
{
	struct frame_stats st;
	struct contiguity c;
	struct model m;
	uint32_t budget, failed;
	char extra[64];

	kheap_scavenge(SIZE_MAX);
	frame_stats(&st);
	if (!model_init(&m, st.max_pfn)) {
		kprintf("bench: contiguity: no memory for the model");
		model_fini(&m);
		return;
	}
	for (pfn_t f = 0; f < st.max_pfn; f++)
		m.state[f] = frame_is_free(f);		/* the model's pool: what is free now */
	budget = frame_available() / 2;
	frame_set_pressure_hook(NULL);
	failed = churn(buddy_take, buddy_give, &m, budget);
	measure(buddy_is_free, &m, st.max_pfn, &c);
	snprintf(extra, sizeof(extra), "; %u order-9 blocks allocatable", (unsigned)order9_blocks(&m));
	print("buddy", &c, failed, extra);
	give_all(buddy_give, &m);
	frame_set_pressure_hook(scavenge_on_pressure);
	failed = churn(model_take, model_give, &m, budget);
	measure(model_is_free, &m, st.max_pfn, &c);
	print("old cursor and stack, modelled (each order-k request as 2^k single frames)", &c, failed,
	      "; no block above order 0 allocatable: it had no contiguous allocation");
	model_fini(&m);
	kprintf("bench: contiguity: %d ops over %d slots, seed %d, at most %u frames live",
		OPS, SLOTS, SEED, (unsigned)budget);
}
