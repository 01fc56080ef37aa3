/*
 * libkheap's decay thread: runs the scavenger's decay schedule
 * (scavenge_decay, mm/scavenge.h) when the program no longer calls free,
 * so the pages a program freed last still go back after KHEAP_DECAY_MS,
 * and after one more quiet decay time everything free does.
 *
 * Lazily started: the first pass that leaves pages waiting on the
 * schedule (lib_decay_kick, from free after the heap lock was let go)
 * starts it; a program that never frees much never has it.  It blocks
 * every signal (they are the program's), sleeps until the schedule's next
 * time comes, runs the pass (which takes the heap lock like any caller)
 * and parks on a condition variable once nothing waits, until the next
 * kick.  Nothing here allocates: pthread_create may (its thread's TLS),
 * which is why it is never called under the heap lock.
 *
 * Fork: the child has no such thread.  lib_decay_after_fork_child resets
 * the state and says whether the parent had one; the child's next free
 * runs the schedule (arch/lib/malloc.c), which starts the child's own.
 *
 * Locking: mu guards started, kicked and the condition; the schedule is
 * the scavenger's, under the heap lock.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "arch/lib/lib.h"
#include "mm/scavenge.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool started, kicked;

uint64_t lib_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&t, &t))
		;
}

static void park(void)
{
	pthread_mutex_lock(&mu);
	while (!kicked)
		pthread_cond_wait(&wake, &mu);
	kicked = false;
	pthread_mutex_unlock(&mu);
}

static void *decay_main(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t wait;

		park();
		while ((wait = scavenge_decay(lib_now_ms())) != 0)
			sleep_ms(wait);
	}
	return NULL;
}

/* A detached thread with every signal blocked; false if Linux refused one. */
static bool start(void)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 64u << 10);
	err = pthread_create(&t, &a, decay_main, NULL);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err == 0;
}

/*
 * Pages wait on the schedule: wake the thread, starting it the first
 * time.  Never with the heap lock held.  If no thread can be had, the
 * schedule still runs at each paced pass (free).
 */
void lib_decay_kick(void)
{
	bool first;

	pthread_mutex_lock(&mu);
	first = !started;
	started = true;
	kicked = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
	if (first && !start())
		klog(LOG_WARN, "no decay thread: free pages go back only when free is called");
}

/* In a fork child (single-threaded): no thread yet; true if the parent had one. */
bool lib_decay_after_fork_child(void)
{
	bool had = started;

	pthread_mutex_init(&mu, NULL);
	pthread_cond_init(&wake, NULL);
	started = kicked = false;
	return had;
}
