/*
 * Tracing: one whole line per event, for scripts/trace-check to replay and
 * scripts/heapmap to draw.  docs/trace-format.md specifies every event
 * and field; TRACE_VERSION changes when a line's shape does.
 *
 * Categories are chosen at boot (trace= on the command line).  An event
 * site costs one load, test and predictable branch when its category is
 * off: TRACE_ON(cat) guards every call.
 *
 * Page events are emitted by mm/pagestate.c (through trace_event) for
 * pages inside the traced region (the heap), nowhere else: page_set_state
 * and vm_convert are the only ways a page changes state, so every
 * transition is seen.  Snapshots and figures: mm/tracepages.h.
 *
 * A sink: nothing here calls a layer of mm/ above the platform.
 *
 * Context: any, the fault path included; lines are written under the
 * trace lock (interrupts off), so sequence numbers and lines stay in one
 * order over all CPUs.  trace_hold/trace_release make a section of it:
 * what a CPU changes and traces inside one, a line of another CPU (a
 * stats line, a snapshot) sees whole or not at all (docs/trace-format.md,
 * "Order across CPUs").
 */
#ifndef MM_TRACE_H
#define MM_TRACE_H

#include "mm/platform.h"

#define TRACE_VERSION 2	/* 2: the CPU after seq */

enum trace_cat {
	TR_PAGES    = 1u << 0,	/* page-state transitions in the heap region */
	TR_HEAP     = 1u << 1,	/* kmalloc/kfree, krealloc in place */
	TR_SCAV     = 1u << 2,	/* scavenger passes */
	TR_PRESSURE = 1u << 3,	/* free frames against the watermarks */
	TR_OOM      = 1u << 4,	/* OOM and invalid-pointer diagnostics */
	TR_STATS    = 1u << 5,	/* periodic statistics */
	TR_ALL      = (1u << 6) - 1,
};

extern uint32_t trace_mask;
#define TRACE_ON(cat) __builtin_expect(trace_mask & (cat), 0)

/* Parse "pages,scav", "all" or "off"; false (and *bad names the word) on an unknown one. */
bool trace_parse(const char *spec, uint32_t *mask, char *bad, size_t badlen);
/* Start tracing: the header line, then events for [base, base + npages pages). */
void trace_start(uint32_t mask, uintptr_t base, size_t npages);
bool trace_in_region(uintptr_t va);
/* The traced region: its page count, and its base in *base. */
size_t trace_region(uintptr_t *base);

/* Hold the trace lock: this CPU's lines are written inside; release with the flags. */
unsigned long trace_hold(void);
void trace_release(unsigned long flags);

/* The platform writes one whole line (ending in '\n'). */
void trace_out(const char *line, size_t len);

void trace_alloc(const void *p, size_t size, size_t usable, int cls, uintptr_t caller);
void trace_free(const void *p, size_t usable, uintptr_t caller);
/* A live block resized in place (krealloc of a page run): its usable size was old. */
void trace_resize(const void *p, size_t old, size_t usable);
void trace_scav(const char *trigger, size_t counter, size_t released, size_t zero,
		uint64_t cycles, size_t frames_free);
void trace_pressure(size_t avail, size_t low, size_t high, bool failed);
void trace_event(uint32_t cat, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
