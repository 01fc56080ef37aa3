/*
 * Heap misuse reports: the two-line format of mm/heapreport.h, the
 * per-kind counts, the last report kept for tests, and the policy
 * (carry on, abort, or panic on heap_errors=panic).
 *
 * Locking: reports come from any CPU, under the heap lock, the fault
 * lock or neither.  The counts are atomic; the last-report buffer is
 * under report_spin (rank report, docs/heap.md), so two reports at once
 * leave one whole report there, never a mix, and lose no count.
 */
#include "mm/heapreport.h"
#include "mm/spinlock.h"
#include "mm/trace.h"

static const char *const kind_name[HR_COUNT] = {
	[HR_DOUBLE_FREE] = "double free",
	[HR_INVALID_FREE] = "invalid free",
	[HR_INTERIOR_FREE] = "interior free",
	[HR_OVERFLOW] = "overflow",
	[HR_UNDERFLOW] = "underflow",
	[HR_UAF_WRITE] = "use after free write",
	[HR_UAF_READ] = "use after free read",
	[HR_WILD_ACCESS] = "wild access",
	[HR_CORRUPT_META] = "corrupted metadata",
};

static unsigned long counts[HR_COUNT];	/* atomic (a word: i386 has no 64-bit atomic add) */
static struct spinlock report_spin = SPINLOCK_INIT(LOCK_REPORT);
static bool errors_panic;
static char last[2 * HEAP_REPORT_LINE + 2];

const char *heap_report_kind_name(unsigned kind)
{
	return kind < HR_COUNT ? kind_name[kind] : "unknown misuse";
}

uint64_t heap_report_count(unsigned kind)
{
	return kind < HR_COUNT ? __atomic_load_n(&counts[kind], __ATOMIC_RELAXED) : 0;
}

const char *heap_report_last(void) { return last; }
void heap_report_set_panic(bool on) { errors_panic = on; }

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

/* " <where>" for ptr against the object, or "" when no object is known. */
static void format_where(const struct heap_report *r, char *buf, size_t len)
{
	uintptr_t end = r->obj + r->obj_size;
	const char *rel;
	size_t n;

	buf[0] = '\0';
	if (!r->obj)
		return;
	if (r->ptr == r->obj) {
		snprintf(buf, len, " at the start of %#lx (%zu bytes)", (unsigned long)r->obj,
			 r->obj_size);
		return;
	}
	if (r->ptr < r->obj) {
		n = r->obj - r->ptr;
		rel = "before";
	} else if (r->ptr < end) {
		n = r->ptr - r->obj;
		rel = "into";
	} else {
		n = r->ptr - end + 1;
		rel = "past the end of";
	}
	snprintf(buf, len, " %zu byte%s %s %#lx (%zu bytes)", n, plural(n), rel,
		 (unsigned long)r->obj, r->obj_size);
}

/* A code address as symbol+offset, or "-" when there is none. */
static void format_site(uintptr_t site, char *buf, size_t len)
{
	if (site)
		ksym_format(site, buf, len);
	else
		snprintf(buf, len, "-");
}

/* Write into buf; a line cut short ends in "..." rather than silently. */
static void put_line(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put_line(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n >= (int)len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

void heap_report_log(const struct heap_report *r)
{
	char where[96], caller[64], alloc[64], freed[64];
	char one[HEAP_REPORT_LINE], two[HEAP_REPORT_LINE];
	const char *kind = heap_report_kind_name(r->what->kind);
	unsigned long f;

	format_where(r, where, sizeof(where));
	format_site(r->caller, caller, sizeof(caller));
	format_site(r->alloc_site, alloc, sizeof(alloc));
	format_site(r->free_site, freed, sizeof(freed));
	put_line(one, sizeof(one), "kheap: %s ptr=%#lx%s in %s; caller=%s", kind,
		 (unsigned long)r->ptr, where, r->op, caller);
	put_line(two, sizeof(two), "kheap:   %s; alloc@%s free@%s", r->what->detail, alloc, freed);
	__atomic_fetch_add(&counts[r->what->kind < HR_COUNT ? r->what->kind : HR_CORRUPT_META], 1,
			   __ATOMIC_RELAXED);
	f = spin_lock(&report_spin);
	snprintf(last, sizeof(last), "%s\n%s", one, two);
	spin_unlock(&report_spin, f);
	klog(LOG_ERROR, "%s", one);
	klog(LOG_ERROR, "%s", two);
	if (TRACE_ON(TR_OOM))
		trace_event(TR_OOM, "badptr", "fn=%s ptr=%#lx caller=%s what=\"%s: %s\"", r->op,
			    (unsigned long)r->ptr, caller, kind, r->what->detail);
}

void heap_report(const struct heap_report *r)
{
	heap_report_log(r);
	if (errors_panic)
		panic("kheap: %s at %#lx, and heap_errors=panic",
		      heap_report_kind_name(r->what->kind), (unsigned long)r->ptr);
	platform_misuse();
}
