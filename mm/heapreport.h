/*
 * Heap misuse reports: one format for the kernel and libkheap.
 *
 * Every misuse the heap finds (at free, at a check, or in a fault on heap
 * space) is reported in exactly two lines, stable enough for a script or
 * a test to match field by field (docs/debugging.md, "Reports"):
 *
 *   kheap: <kind> ptr=<addr>[ <where>] in <op>; caller=<symbol+off>
 *   kheap:   <detail>; alloc@<site> free@<site>
 *
 * <kind> is one of the names of enum heap_misuse_kind below.  <where>
 * places ptr against the object it hit, when one is known:
 * "at the start of 0xc0312010 (48 bytes)", "16 bytes into 0x... (48 bytes)",
 * "1 byte past the end of 0x... (48 bytes)" (the first byte after the
 * object is 1 byte past its end), "8 bytes before 0x... (48 bytes)".
 * <op> is the call or access that found it (kfree, krealloc, ksize,
 * kmalloc, kheap_check, read, write).  A site not recorded is "-".
 *
 * Promises:
 *  - heap_report() writes both lines, the trace's badptr event (trace
 *    category oom) and counts the report by kind, then applies the policy:
 *    panic when heap_errors=panic was asked for, otherwise
 *    platform_misuse() (the kernel and the test host carry on; libkheap
 *    aborts).  heap_report_log() does all but the policy, for callers
 *    that stop the machine themselves (fatal faults).
 *  - The two lines of the last report are kept for tests
 *    (heap_report_last()); nothing is truncated silently: a line too long
 *    for the buffer ends in "...".
 *
 * Context: any, the fault path included; the caller holds whatever lock
 * keeps the reported object still.  Allocates nothing.
 */
#ifndef MM_HEAPREPORT_H
#define MM_HEAPREPORT_H

#include "mm/platform.h"

enum heap_misuse_kind {
	HR_DOUBLE_FREE,
	HR_INVALID_FREE,
	HR_INTERIOR_FREE,
	HR_OVERFLOW,
	HR_UNDERFLOW,
	HR_UAF_WRITE,
	HR_UAF_READ,
	HR_WILD_ACCESS,
	HR_CORRUPT_META,
	HR_COUNT
};

/* A kind of misuse and what was wrong, in words: the reporters' constants. */
struct heap_misuse {
	unsigned kind;
	const char *detail;
};

struct heap_report {
	const struct heap_misuse *what;
	const char *op;			/* the call or access that found it */
	uintptr_t ptr;
	uintptr_t obj;			/* the object ptr hit; 0 when none is known */
	size_t obj_size;
	uintptr_t caller;		/* 0 when unknown */
	uintptr_t alloc_site;		/* 0 when not recorded */
	uintptr_t free_site;
};

#define HEAP_REPORT_LINE 192

void heap_report(const struct heap_report *r);
void heap_report_log(const struct heap_report *r);
/* heap_errors=panic: every report is fatal. */
void heap_report_set_panic(bool on);
const char *heap_report_kind_name(unsigned kind);
/* Reports of one kind since boot. */
uint64_t heap_report_count(unsigned kind);
/* The last report's two lines, "\n"-joined ("" before the first). */
const char *heap_report_last(void);

#endif
