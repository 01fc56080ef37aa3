/*
 * Stopping other threads' fast paths, so the idle pass may empty their
 * loaded magazines (platform_cache_stop, mm/platform.h).  A thread that
 * stopped calling malloc and free (asleep, or idle in a poll loop) would
 * otherwise keep its loaded magazines, and the slabs under their objects,
 * until it exits.
 *
 * The protocol is Dekker's, made cheap for the owner by membarrier(2):
 *  - owner (cache_pin, arch/lib/arch_glue.h): store lib_pinned = 1, then
 *    load lib_stop; if set, clear the mark and wait (lib_pin_wait) until
 *    lib_stop is clear, then try again.  No atomic, no fence: the compiler
 *    keeps the order, the CPU may not (a store may pass a later load).
 *  - stopper (the idle pass, heap lock held): store lib_stop = 1, then
 *    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full
 *    barrier on every CPU running one of the process's threads, then load
 *    each owner's mark.  After it, either the owner's load sees lib_stop
 *    (it waits, touching nothing), or its mark is seen (it is inside: the
 *    stopper waits a little for the mark to clear, else leaves that cache
 *    alone).  A thread not running passes through a context switch, a
 *    full barrier, before it runs again.
 *  - lib_stop is cleared when the heap lock is let go (lib_stop_end, from
 *    irq_restore), so the stopped caches stay stopped for the whole pass.
 *
 * Where an owner's mark is: lib_pinned and mag_thread_cache are both
 * initial-exec TLS of this library, so the distance between them is the
 * same in every thread; it is taken from the first thread's cache and
 * checked against every later one (a mismatch turns the stopping off).
 *
 * Fork: the child's only thread is the forking one, which held the heap
 * lock (pthread_atfork), so no stop was under way; the membarrier
 * registration is redone before each use (it is per process, and cheap).
 * Without membarrier (Linux before 4.14, or a sandbox that refuses it)
 * nothing is stopped: the loaded magazines stay, as they did before.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "arch/lib/lib.h"

__thread unsigned char lib_pinned __attribute__((tls_model("initial-exec")));
int lib_stop;

static ptrdiff_t mark_off;		/* &lib_pinned - &mag_thread_cache, every thread */
static bool have_off, off_bad;

#define STOP_WAIT_YIELDS 64		/* how long an owner inside may keep the stopper */

/* Slow side of cache_pin: a stop is under way and this thread is not the stopper. */
void lib_pin_wait(void)
{
	while (__atomic_load_n(&lib_stop, __ATOMIC_ACQUIRE) && !lib_lock_mine()) {
		__atomic_store_n(&lib_pinned, 0, __ATOMIC_RELEASE);
		while (__atomic_load_n(&lib_stop, __ATOMIC_ACQUIRE))
			sched_yield();
		lib_pinned = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
}

/* A thread's cache joined: where its mark lies, the same for all (checked). */
void lib_stop_note_cache(struct mag_cache *c)
{
	ptrdiff_t off = (char *)&lib_pinned - (char *)c;

	if (!have_off) {
		mark_off = off;
		have_off = true;
	} else if (off != mark_off && !off_bad) {
		off_bad = true;
		klog(LOG_WARN, "thread-local layout differs between threads: idle threads keep their magazines");
	}
}

static long membarrier(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0); }

/* Every owner from here on sees lib_stop: false where membarrier is refused. */
static bool stop_begin(void)
{
	if (__atomic_load_n(&lib_stop, __ATOMIC_RELAXED))
		return true;
	if (!have_off || off_bad || membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		return false;
	__atomic_store_n(&lib_stop, 1, __ATOMIC_SEQ_CST);
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return true;
	__atomic_store_n(&lib_stop, 0, __ATOMIC_RELEASE);
	return false;
}

bool platform_cache_stop(struct mag_cache *c)
{
	const unsigned char *mark = (const unsigned char *)c + mark_off;

	if (mark == &lib_pinned)
		return true;			/* our own: pinned by the caller if need be */
	if (!stop_begin())
		return false;
	for (unsigned i = 0; i < STOP_WAIT_YIELDS; i++) {
		if (!__atomic_load_n(mark, __ATOMIC_ACQUIRE))
			return true;
		sched_yield();
	}
	return false;
}

/* The heap lock is being let go: the stopped owners may go on. */
void lib_stop_end(void)
{
	__atomic_store_n(&lib_stop, 0, __ATOMIC_RELEASE);
}
