/*
 * The kernel command line: "key=value" words and bare "key" flags,
 * parsed in one place against one table of options (src/cmdline.c,
 * documented in docs/cmdline.md).  An unknown key is a warning naming it;
 * a value that does not parse or is out of range is rejected with a
 * message and the option keeps its default; an option that has no effect
 * with the rest of the line (seed= without stress=, a second run mode) is
 * a warning too.  The line may be of any length; kopts keeps copies of
 * what it needs, so the line need not outlive cmdline_parse.
 */
#ifndef SRC_CMDLINE_H
#define SRC_CMDLINE_H

#include "mm/platform.h"

struct kopts {
	int loglevel;		/* loglevel=error|warn|info|debug */
	bool serial;		/* serial=0|1: mirror the log to COM1 */
	bool test;		/* test or test=PREFIX: run the self-tests */
	char test_filter[64];
	bool bench;		/* bench: run the in-kernel benchmarks */
	char crash[16];		/* crash=KIND: provoke a fatal fault */
	char stress[16];	/* stress=WORKLOAD */
	uint32_t seed, ops;	/* seed=N ops=N for stress */
	char balloon[8];	/* balloon=PERCENT|wave|off */
	char trace[64];		/* trace=CATEGORIES: pages,heap,scav,pressure,oom,stats|all|off */
	uint32_t kvspace_mib;	/* kvspace=MiB: cap kernel virtual space for the heap */
	bool overcommit;	/* overcommit=0|1 */
	uint32_t scav_threshold_kib;	/* scav_threshold=KiB freed before pressure scavenges */
	uint32_t scav_bg;		/* scav_bg=PAGES released per tick in the background; 0 off */
	uint32_t scav_retain_kib;	/* scav_retain=KiB of free heap the background keeps */
	bool scavtrace;			/* scavtrace=1: a log line per scavenger pass */
	bool slabinfo;			/* slabinfo: the slab table in the demo and at poweroff */
	int heap_errors;		/* heap_errors=report|panic: is a heap misuse report fatal */
	uint32_t heapcheck;		/* heapcheck=0..3: the heap's debug level */
	bool heapleaks;			/* heapleaks: the leak report at poweroff */
	uint32_t heapsample;		/* heapsample=N: one allocation in N guarded, every level; 0 none */
	uint32_t smp;			/* smp=N: start at most N CPUs in all; 0 (default) all */
	bool noshootdown;		/* noshootdown: debug switch, TLB shootdowns do nothing */
	uint32_t apfail;		/* apfail=ID: debug switch, the AP of APIC id ID never answers; 0 off */
};

#define HEAPSAMPLE_DEFAULT 2000	/* docs/debugging.md, "Guarded blocks": its cost */

extern struct kopts kopts;

/* Parse line into kopts; returns the number of problems reported. */
int cmdline_parse(const char *line);
/* Reset kopts to the defaults (tests use it). */
void cmdline_defaults(void);

#endif
