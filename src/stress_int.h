#ifndef SRC_STRESS_INT_H
#define SRC_STRESS_INT_H

/*
 * Inside the stress runs (src/stress.c, the workloads and their patterns;
 * src/stress_run.c, the driver that runs one stream on every CPU).
 *
 * Promises: a struct run is one CPU's stream: only the CPU running it
 * touches it while the streams run (the boot CPU reads it after
 * smp_wait).  An allocation's pattern depends on its id and the run's
 * seed alone, so any CPU can check an allocation another made; ids are
 * unique over all the streams (n * streams + cpu).
 * Context: kernel, interrupts on; the allocator's own locks only.
 */
#include "mm/platform.h"

#define MAXLIVE 2048

struct live {
	uint8_t *p;
	uint32_t size, id;
};

struct run {
	uint32_t seed, rng, ops, next_id;
	uint32_t cpu, streams;		/* this stream's CPU, how many run */
	struct live live[MAXLIVE];
	uint32_t nlive, live_max;
	uint64_t nulls, allocs, frees, handed, taken, done;
	size_t min_free, max_free;
	bool failed;
};

/* One workload: its name and one operation i of it. */
struct workload {
	const char *name;
	void (*op)(struct run *r, uint32_t i);
};

const struct workload *stress_find(const char *name);
/* A fresh stream for cpu of `streams`, from the run's seed. */
void stress_start(struct run *r, uint32_t seed, uint32_t ops, unsigned cpu, unsigned streams);
uint32_t stress_below(struct run *r, uint32_t n);
/* Check l's pattern; false (the first wrong byte reported, r failed) if it is wrong. */
bool stress_verify(struct run *r, const struct live *l, const char *when);
/* Take l into r's live set (it was made elsewhere); false if the set is full. */
bool stress_adopt(struct run *r, const struct live *l);
/* Remove live allocation k from r's set, into *out (its pattern checked first). */
bool stress_remove(struct run *r, uint32_t k, struct live *out, const char *when);
void stress_free_all(struct run *r);
/* Check every live allocation of r (a checkpoint). */
void stress_check_all(struct run *r);

#endif
