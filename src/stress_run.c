/*
 * The stress driver (docs/stress.md): one seeded stream on every CPU at
 * once (src/stress.c), the boot CPU's also driving the balloon; with
 * more than one CPU each stream hands some of its allocations to the
 * next CPU's mailbox, which checks and keeps or frees them, so objects
 * are freed by a CPU other than the one that made them.  Then the heap
 * check, the frame audit, and a summary: one line per CPU and the run's.
 *
 * Locking: a mailbox has one producer (the CPU before it) and one
 * consumer (its own CPU): a ring whose head only the producer writes
 * and whose tail only the consumer writes, released and acquired.  The
 * balloon is the boot CPU's alone.  `stop` is set by a failing stream
 * and read by all.  With one CPU the run is the one stream, as before.
 */
#include "src/stress.h"
#include "src/stress_int.h"
#include "src/balloon.h"
#include "src/smp.h"
#include "src/lib.h"
#include "src/log.h"
#include "src/modules.h"
#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "mm/magazine.h"

#define MAILBOX 64		/* hand-offs in flight to one CPU */
#define HANDOFF_ONE_IN 16	/* with several CPUs, 1 operation in 16 hands one off */

struct mailbox {
	struct live slot[MAILBOX];
	uint32_t head, tail;	/* head: the producer's; tail: the consumer's */
};

/*
 * The boot CPU's stream is static, as the one stream always was; the
 * others' streams and the mailboxes come from the heap when there are
 * several CPUs (a stream is about 25 KiB: CPU_MAX of them would be
 * image space that one CPU never uses).
 */
static struct run run0;
static struct run *others;		/* CPUs 1..g.streams-1; NULL with one */
static struct mailbox *mail;		/* g.streams of them; NULL with one */

static struct {
	const struct workload *wl;
	bool wave;
	size_t top, bottom, held_max;
	unsigned streams;
	volatile bool stop;
} g;

static bool mail_full(unsigned cpu)
{
	return mail[cpu].head - __atomic_load_n(&mail[cpu].tail, __ATOMIC_ACQUIRE) == MAILBOX;
}

/* CPU c's stream. */
static struct run *stream(unsigned c)
{
	return c ? &others[c - 1] : &run0;
}

/* Give l to cpu's mailbox; false if it is full. */
static bool mail_give(unsigned cpu, const struct live *l)
{
	struct mailbox *m = &mail[cpu];
	uint32_t h = m->head;

	if (mail_full(cpu))
		return false;
	m->slot[h % MAILBOX] = *l;
	__atomic_store_n(&m->head, h + 1, __ATOMIC_RELEASE);
	return true;
}

/* The next allocation in cpu's mailbox into *l; false if it is empty. */
static bool mail_take(unsigned cpu, struct live *l)
{
	struct mailbox *m = &mail[cpu];
	uint32_t t = m->tail;

	if (t == __atomic_load_n(&m->head, __ATOMIC_ACQUIRE))
		return false;
	*l = m->slot[t % MAILBOX];
	__atomic_store_n(&m->tail, t + 1, __ATOMIC_RELEASE);
	return true;
}

/* Check what other CPUs handed r's CPU; keep it live, or free it when r is full. */
static void take_handed(struct run *r)
{
	struct live l;

	while (mail && !r->failed && mail_take(r->cpu, &l)) {
		r->taken++;
		if (!stress_verify(r, &l, "after a hand-off") || stress_adopt(r, &l))
			continue;
		kfree(l.p);
		r->frees++;
	}
}

/* Now and then, one live allocation (checked first) to the next CPU. */
static void hand_one(struct run *r)
{
	struct live l;
	uint32_t k;

	if (r->streams < 2 || !r->nlive || stress_below(r, HANDOFF_ONE_IN))
		return;
	k = stress_below(r, r->nlive);
	if (mail_full((r->cpu + 1) % r->streams))
		return;
	if (stress_remove(r, k, &l, "before a hand-off") &&
	    mail_give((r->cpu + 1) % r->streams, &l))
		r->handed++;
}

static size_t available(void)
{
	return frame_available();
}

/* Balloon target for operation i: a triangle wave from all to below the low mark. */
static size_t wave_target(uint32_t ops, uint32_t i)
{
	uint32_t half = MAX(ops / 8, 32u), t = i % (2 * half);
	uint32_t tri = t < half ? t : 2 * half - t;		/* 0 .. half */

	return g.top - (size_t)((uint64_t)(g.top - g.bottom) * tri / half);
}

/* The boot CPU's share besides its stream: the balloon, before operation i... */
static void drive_before(struct run *r, uint32_t i)
{
	if (g.wave && i % 32 == 0)
		balloon_set_target(wave_target(r->ops, i));
}

/* ...and after it, the balloon's peak and a progress line every tenth of the run. */
static void drive_after(struct run *r, uint32_t i, size_t avail)
{
	g.held_max = MAX(g.held_max, balloon_held());
	if (r->ops >= 10 && i % (r->ops / 10) == 0 && i)
		kprintf("stress: progress %u/%u ops, %u live, %zu frames available, balloon %zu",
			(unsigned)i, (unsigned)r->ops, (unsigned)r->nlive, avail, balloon_held());
}

/* One CPU's stream, to the end or until a stream fails. */
static void run_stream(void *arg)
{
	struct run *r = arg;

	for (uint32_t i = 0; i < r->ops && !r->failed && !g.stop; i++) {
		size_t avail;

		take_handed(r);
		if (r->cpu == 0)
			drive_before(r, i);
		g.wl->op(r, i);
		hand_one(r);
		avail = available();
		r->min_free = MIN(r->min_free, avail);
		r->max_free = MAX(r->max_free, avail);
		if (i % 1000 == 999)
			stress_check_all(r);
		if (r->cpu == 0)
			drive_after(r, i, avail);
		r->done = i + 1;
	}
	stress_free_all(r);
	if (r->failed)
		g.stop = true;
}

/* What is left in the mailboxes once every stream has ended: checked and freed. */
static void drain_mail(void)
{
	for (unsigned c = 0; mail && c < g.streams; c++) {
		struct run *r = stream(c);
		struct live l;

		while (!r->failed && mail_take(c, &l)) {
			r->taken++;
			if (stress_verify(r, &l, "after a hand-off, at the end")) {
				kfree(l.p);
				r->frees++;
			}
		}
	}
}

/* Every stream at once: the application processors', then the boot CPU's. */
static void run_streams(uint32_t seed, uint32_t ops)
{
	uint32_t called = 1;		/* bit c: cpu c runs its stream (the boot CPU does) */

	for (unsigned c = 0; c < g.streams; c++)
		stress_start(stream(c), seed, ops, c, g.streams);
	if (mail)
		memset(mail, 0, g.streams * sizeof(*mail));
	for (unsigned c = 1; c < g.streams; c++) {
		if (smp_call(c, run_stream, stream(c)))
			called |= 1u << c;
		else
			kprintf("stress: FAIL cpu %u would not take its stream", c);
	}
	run_stream(stream(0));
	for (unsigned c = 0; c < g.streams; c++) {
		if (c && (called >> c & 1))
			smp_wait(c);
		stream(c)->failed |= !(called >> c & 1);
	}
	drain_mail();
}

static void drop_streams(void)
{
	kfree(others);
	kfree(mail);
	others = NULL;
	mail = NULL;
}

/* The streams of the CPUs past the boot CPU's, and the mailboxes; false (said) without memory. */
static bool give_streams(void)
{
	if (g.streams == 1)
		return true;
	others = kmalloc((g.streams - 1) * sizeof(*others));
	mail = kmalloc(g.streams * sizeof(*mail));
	if (others && mail)
		return true;
	kprintf("stress: no memory for the streams of %u CPUs", g.streams);
	drop_streams();
	return false;
}

/* balloon=P: P, or -1 (reported) when it is neither a percentage 0..95, wave nor off. */
static int balloon_pct(const char *balloon)
{
	uint64_t v = 0;

	if (!strcmp(balloon, "wave") || !balloon[0] || !strcmp(balloon, "off"))
		return 0;
	for (const char *c = balloon; *c; c++)
		v = *c >= '0' && *c <= '9' && v < 1000 ? v * 10 + (*c - '0') : 1000;
	if (v > 95) {
		kprintf("stress: balloon=%s: expected a percentage 0..95, 'wave' or 'off'", balloon);
		return -1;
	}
	return (int)v;
}

static void print_unknown(const char *name)
{
	char list[96];
	size_t len = 0;

	for (unsigned i = 0; stress_workload(i); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s", i ? " " : "", stress_workload(i));
	kprintf("stress: unknown workload '%s' (%s)", name, list);
}

/* Hits in percent of the calls the magazines saw (100 when they saw none). */
static unsigned hit_pct(uint64_t hits, uint64_t misses)
{
	return (hits + misses) ? (unsigned)(hits * 100 / (hits + misses)) : 100;
}

/* With several CPUs, one line per stream: what it did and whether it passed. */
static void print_streams(void)
{
	for (unsigned c = 0; g.streams > 1 && c < g.streams; c++) {
		const struct run *r = stream(c);

		kprintf("stress: cpu %u: result=%s ops=%llu allocs=%llu frees=%llu handed=%llu "
			"taken=%llu nulls=%llu live_max=%u", c, r->failed ? "FAIL" : "pass",
			(unsigned long long)r->done, (unsigned long long)r->allocs,
			(unsigned long long)r->frees, (unsigned long long)r->handed,
			(unsigned long long)r->taken, (unsigned long long)r->nulls,
			(unsigned)r->live_max);
	}
}

/* The streams' sums. */
struct sums {
	bool failed;
	uint64_t nulls, handed;
	size_t lo, hi;		/* fewest and most frames available */
};

static void sum_streams(struct sums *t)
{
	memset(t, 0, sizeof(*t));
	t->lo = t->hi = g.top;
	for (unsigned c = 0; c < g.streams; c++) {
		const struct run *r = stream(c);

		t->failed |= r->failed;
		t->nulls += r->nulls;
		t->handed += r->handed;
		t->lo = MIN(t->lo, r->min_free);
		t->hi = MAX(t->hi, r->max_free);
	}
}

/*
 * After the run: the heap check and the frame audit (unless a pattern
 * already failed it), the GRUB modules; true if all held.
 */
static bool check_after(bool failed)
{
	bool ok = !failed;

	if (!failed && !(kheap_check() && frame_audit())) {
		kprintf("stress: FAIL the heap check or frame audit failed (above)");
		ok = false;
	}
	if (!modules_check("after the stress run")) {
		kprintf("stress: FAIL a GRUB module changed (above)");
		ok = false;
	}
	return ok;
}

struct before {
	struct scav_stats s;
	struct kheap_stats h;
	struct mag_stats m;
};

static uint64_t passes(const struct scav_stats *s)
{
	return s->passes[0] + s->passes[1] + s->passes[2] + s->passes[3];
}

static void print_result(bool failed, const char *w, uint32_t seed, uint32_t ops,
			 const char *balloon, const struct before *b)
{
	struct scav_stats s1;
	struct kheap_stats h1;
	struct mag_stats m1;
	struct sums t;
	char cpus[48] = "";

	sum_streams(&t);
	scavenge_stats(&s1);
	kheap_stats(&h1);
	mag_stats(&m1);
	if (g.streams > 1)
		snprintf(cpus, sizeof(cpus), " cpus=%u handoffs=%llu", g.streams,
			 (unsigned long long)t.handed);
	kprintf("stress: result=%s workload=%s seed=%u ops=%u balloon=%s min_avail=%zu max_avail=%zu "
		"balloon_max=%zu passes=%llu released=%llu nulls=%llu faults=%llu/%llu/%llu "
		"skipped=%llu pass_cycles=%llu mag_hits=%u%%/%u%% prezeroed=%llu%s",
		failed || t.failed ? "FAIL" : "pass", w, (unsigned)seed, (unsigned)ops,
		balloon[0] ? balloon : "off", t.lo, t.hi, g.held_max,
		(unsigned long long)(passes(&s1) - passes(&b->s)),
		(unsigned long long)(s1.pages_released - b->s.pages_released),
		(unsigned long long)t.nulls,
		(unsigned long long)(h1.faults_write_aow - b->h.faults_write_aow),
		(unsigned long long)(h1.faults_read_aow - b->h.faults_read_aow),
		(unsigned long long)(h1.faults_write_zero - b->h.faults_write_zero),
		(unsigned long long)(s1.skipped_dry - b->s.skipped_dry),
		(unsigned long long)(s1.cycles - b->s.cycles),
		hit_pct(m1.alloc_hits - b->m.alloc_hits, m1.alloc_misses - b->m.alloc_misses),
		hit_pct(m1.free_hits - b->m.free_hits, m1.free_misses - b->m.free_misses),
		(unsigned long long)(h1.faults_prezeroed - b->h.faults_prezeroed), cpus);
}

int stress_run(const char *w, uint32_t seed, uint32_t ops, const char *balloon, unsigned cpus)
{
	struct frame_stats fs;
	struct before b;
	struct sums t;
	int pct = balloon_pct(balloon);
	bool failed;

	memset(&g, 0, sizeof(g));
	g.wl = stress_find(w);
	if (!g.wl) {
		print_unknown(w);
		return 1;
	}
	if (pct < 0)
		return 1;
	g.wave = !strcmp(balloon, "wave");
	g.streams = cpus && cpus < smp_ncpus() ? cpus : smp_ncpus();
	if (!give_streams())
		return 1;
	frame_stats(&fs);
	g.top = available();
	g.bottom = fs.low / 2;
	if ((g.wave || pct) && !balloon_init(g.top)) {
		kprintf("stress: no memory for the balloon's list");
		drop_streams();
		return 1;
	}
	if (pct)
		balloon_set_target(g.top - g.top * (size_t)pct / 100);
	scavenge_stats(&b.s);
	kheap_stats(&b.h);
	mag_stats(&b.m);
	kprintf("stress: start workload=%s seed=%u ops=%u balloon=%s frames available %zu, low %u, high %u%s",
		w, (unsigned)seed, (unsigned)ops, balloon[0] ? balloon : "off", g.top,
		(unsigned)fs.low, (unsigned)fs.high, g.streams > 1 ? ", a stream on every CPU" : "");
	run_streams(seed, ops);
	if (g.wave || pct)
		balloon_release_all();
	sum_streams(&t);
	failed = !check_after(t.failed);
	print_streams();
	print_result(failed, w, seed, ops, balloon, &b);
	drop_streams();
	return failed;
}
