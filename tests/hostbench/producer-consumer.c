/*
 * producer-consumer: objects allocated by one thread and freed by another.
 * The main thread allocates blocks (mostly 16-512 bytes, one in 32 of 4-64
 * KiB), writes them and hands them over a single-producer single-consumer
 * ring of 4096 slots; a second thread reads each block's first and last
 * byte and frees it.  Every free is remote: the allocator's per-thread
 * caches fill on the consumer's side and empty on the producer's.
 *   producer-consumer [-q]	(-q or HOSTBENCH_QUICK=1: 1/8 of the operations)
 * Prints one line: workload= ops= peak_live= checksum= rss_start= rss_after_free= peak_rss=
 * The checksum is a sum over the blocks (the same whatever the interleaving).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SLOTS 4096

static struct { void *p; size_t n; } ring[SLOTS];
static _Atomic unsigned long head, tail;	/* head: next to fill; tail: next to take */
static _Atomic unsigned long freed_bytes;
static unsigned long consumed, consumer_sum;

static size_t block_size(void)
{
	return rnd() % 32 ? 16 + rnd() % 497 : 4096 + rnd() % 61441;
}

static void *consume(void *arg)
{
	long total = (long)(intptr_t)arg;

	for (long i = 0; i < total; i++) {
		unsigned long t = atomic_load_explicit(&tail, memory_order_relaxed);
		const unsigned char *c;
		size_t n;

		while (atomic_load_explicit(&head, memory_order_acquire) == t)
			sched_yield();
		c = ring[t % SLOTS].p;
		n = ring[t % SLOTS].n;
		consumer_sum += c[0] + c[n - 1];
		free(ring[t % SLOTS].p);
		atomic_fetch_add_explicit(&freed_bytes, n, memory_order_relaxed);
		atomic_store_explicit(&tail, t + 1, memory_order_release);
		consumed++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long total = quick(argc, argv) ? 250000 : 2000000;
	unsigned long produced = 0;
	pthread_t t;

	if (pthread_create(&t, NULL, consume, (void *)(intptr_t)total)) {
		perror("pthread_create");
		return 1;
	}
	for (long i = 0; i < total; i++) {
		unsigned long h = atomic_load_explicit(&head, memory_order_relaxed);
		size_t n = block_size();

		while (h - atomic_load_explicit(&tail, memory_order_acquire) == SLOTS)
			sched_yield();
		ring[h % SLOTS].p = track(malloc(n), n, "malloc");
		ring[h % SLOTS].n = n;
		produced += n;
		live = produced - atomic_load_explicit(&freed_bytes, memory_order_relaxed);
		peak = live > peak ? live : peak;
		atomic_store_explicit(&head, h + 1, memory_order_release);
	}
	pthread_join(t, NULL);
	nops += consumed;
	sum = consumer_sum;
	live = 0;
	report("producer-consumer");
	return 0;
}
