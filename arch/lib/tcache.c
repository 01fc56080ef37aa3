/*
 * Per-thread caches of freed small objects (promises in tcache.h).
 *
 * Each thread has, in its static TLS, one singly linked list per cached
 * class.  A cached object's first word is the link, stored xor a
 * process secret, and its second the key, secret ^ its own address.  The
 * secret's top bit is set, so no key is ever a user-space pointer: a live
 * object that happens to hold its own address (an empty list head) never
 * looks cached.
 *
 * Context: a thread touches only its own lists, without the lock.  The
 * registry of caches and every call into the heap are under the heap lock.
 * A thread's cache is flushed by the pthread key destructor when it exits;
 * after that its frees go straight to the heap.  In a child after fork,
 * the caches of the parent's other threads are left as they were: their
 * objects stay allocated (a bounded leak, and the child usually execs).
 *
 * Invariants: an object is on at most one list; every listed object is a
 * live small object of the list's class to the heap; count[c] is the
 * length of head[c] and at most cap[c]; a listed object's key is
 * secret ^ its address, and no other object in the heap carries its key.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/auxv.h>
#include "arch/lib/tcache.h"
#include "mm/kheap.h"

#define TC_CLASSES	21		/* classes 0..20: 8 to 1024 bytes */
#define TC_FIRST	1		/* class 0 (8 bytes) has no room for the key */

enum { TC_NEW, TC_ON, TC_OFF };

struct tc_obj { uintptr_t link, key; };

struct tcache {
	struct tc_obj *head[TC_CLASSES];
	uint16_t count[TC_CLASSES];
	uint8_t state;
	struct tcache *next, *prev;		/* the registry; heap lock */
};

static __thread struct tcache tc __attribute__((tls_model("initial-exec")));
static uintptr_t secret;
static bool enabled;
static pthread_key_t exit_key;
static struct tcache *caches;
static uint16_t cap[TC_CLASSES];

static uintptr_t key_of(const void *p) { return secret ^ (uintptr_t)p; }

void tcache_init(bool on)
{
	const uintptr_t *r = (const uintptr_t *)getauxval(AT_RANDOM);

	if (slab_class_of(TCACHE_MAX) != TC_CLASSES - 1)
		panic("tcache: TC_CLASSES does not match the slab classes");
	secret = (r ? r[1] : (uintptr_t)&tc * 0x9E3779B97F4A7C15u) | (1ul << 63);
	for (unsigned c = TC_FIRST; c < TC_CLASSES; c++)
		cap[c] = (uint16_t)MIN(64u, MAX(8u, 8192u / slab_class_size(c)));
	enabled = on;
}

static void corrupt(const void *p, uintptr_t caller)
{
	kheap_report_from("malloc", p, "a freed object was written while in a thread cache "
			  "(use after free?)", caller);
}

static struct tc_obj *take(struct tcache *t, unsigned c, uintptr_t caller)
{
	struct tc_obj *o = t->head[c], *next = (struct tc_obj *)(o->link ^ secret);

	if (o->key != key_of(o) || (next && (((uintptr_t)next & 15) || !kheap_contains((uintptr_t)next))))
		corrupt(o, caller);
	t->head[c] = next;
	t->count[c]--;
	o->key = 0;
	return o;
}

void *tcache_pop(size_t n, uintptr_t caller)
{
	unsigned c;

	if (n - 9 > TCACHE_MAX - 9)		/* n <= 8 is class 0 */
		return NULL;
	c = slab_class_of(n);
	return tc.head[c] ? take(&tc, c, caller) : NULL;
}

/* Give n objects of class c back to the heap, under one lock. */
static void flush(struct tcache *t, unsigned c, unsigned n, uintptr_t caller)
{
	unsigned long f = irq_save();

	while (n-- && t->head[c])
		kheap_free_from(take(t, c, caller), caller);
	irq_restore(f);
}

static void flush_all(struct tcache *t)
{
	unsigned long f = irq_save();

	for (unsigned c = TC_FIRST; c < TC_CLASSES; c++)
		flush(t, c, cap[c], 0);
	irq_restore(f);
}

void tcache_flush_mine(void) { flush_all(&tc); }

static void on_thread_exit(void *arg)
{
	struct tcache *t = arg;
	unsigned long f;

	t->state = TC_OFF;
	flush_all(t);
	f = irq_save();
	if (t->prev)
		t->prev->next = t->next;
	else
		caches = t->next;
	if (t->next)
		t->next->prev = t->prev;
	irq_restore(f);
}

/* This thread's first free: join the registry and ask for the exit flush. */
static bool join(void)
{
	static bool have_key;
	unsigned long f;
	bool ok;

	tc.state = TC_OFF;			/* no caching while we join */
	if (!enabled)
		return false;
	f = irq_save();
	if (!have_key)
		have_key = !pthread_key_create(&exit_key, on_thread_exit);
	ok = have_key && !pthread_setspecific(exit_key, &tc);
	if (ok) {
		tc.next = caches;
		tc.prev = NULL;
		if (caches)
			caches->prev = &tc;
		caches = &tc;
		tc.state = TC_ON;
	}
	irq_restore(f);
	return ok;
}

static bool cacheable(unsigned c) { return c >= TC_FIRST && c < TC_CLASSES; }

/* p is a live object of class c to the heap: report it if a cache holds it. */
static void check_not_cached(const void *p, unsigned c, const char *fn, uintptr_t caller)
{
	if (cacheable(c) && ((const struct tc_obj *)p)->key == key_of(p))
		kheap_report_from(fn, p, "already free, in a thread cache (double free?)", caller);
}

void tcache_check_not_cached(const void *p, const char *fn, uintptr_t caller)
{
	check_not_cached(p, kheap_small_class(p), fn, caller);
}

int tcache_push(void *p, uintptr_t caller)
{
	unsigned c = kheap_small_class(p);
	struct tc_obj *o = p;
	int flushed = 0;

	if (!cacheable(c))
		return 0;			/* not cacheable, or not live: the heap says which */
	check_not_cached(p, c, "kfree", caller);
	if (tc.state != TC_ON && (tc.state == TC_OFF || !join()))
		return 0;
	if (tc.count[c] == cap[c]) {
		flush(&tc, c, cap[c] / 2, caller);
		flushed = 1;
	}
	o->link = (uintptr_t)tc.head[c] ^ secret;
	o->key = key_of(o);
	tc.head[c] = o;
	tc.count[c]++;
	return 1 + flushed;
}

void tcache_after_fork_child(void)
{
	caches = tc.state == TC_ON ? &tc : NULL;
	tc.next = tc.prev = NULL;
}
