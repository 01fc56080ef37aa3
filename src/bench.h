#ifndef SRC_BENCH_H
#define SRC_BENCH_H

/*
 * bench on the command line: measure the heap in guest instructions
 * (rdtsc under QEMU -icount shift=0) and print "bench:" lines; scripts/bench
 * boots it and tabulates them.  Figures only: nothing is asserted.
 */
void bench_run(void);
/* The frame allocator's contiguity after a churn of mixed orders (src/bench_frames.c). */
void bench_frames(void);
/* With more than one CPU, the SMP figures instead of the others (src/bench_smp.c). */
void bench_smp(void);

#endif
