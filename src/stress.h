#ifndef SRC_STRESS_H
#define SRC_STRESS_H

#include "mm/platform.h"

/*
 * stress=NAME seed=N ops=N balloon=PERCENT|wave: a seeded workload that
 * writes a pattern into every allocation and checks it before each free
 * and at checkpoints, while a balloon takes frames from under the heap.
 * With several CPUs, one stream of ops operations on each of `cpus` of
 * them at once (0: every CPU online), handing allocations on to be
 * freed by another CPU.  Prints progress, then one "stress: cpu N:" line
 * per CPU (with several) and one "stress: result=" summary line;
 * returns 0 on pass.  Workloads: churn fragment spike slab large
 * realloc mixed.  Context: the boot CPU, interrupts on.
 */
int stress_run(const char *name, uint32_t seed, uint32_t ops, const char *balloon, unsigned cpus);
/* The i-th workload's name, or NULL past the last (the table of src/stress.c). */
const char *stress_workload(unsigned i);

#endif
