/*
 * Trace lines (format: docs/trace-format.md).  Every line is
 *   T <seq> <cpu> <tsc> <event> <fields...>
 * formatted into a stack buffer and written whole by trace_out under the
 * trace lock (interrupts off), so neither a fault, an interrupt nor
 * another CPU can split or reorder lines: seq is one order over all CPUs.
 *
 * A sink: it formats what it is given and calls nothing of mm/ above the
 * platform, so every layer may trace.  Page events are formatted by
 * mm/pagestate.c, snapshots and figures by mm/tracepages.c.
 */
#include "mm/trace.h"
#include "mm/spinlock.h"

uint32_t trace_mask;
static uint64_t seq;
static uintptr_t region_base;
static size_t region_pages;

static const char *const cat_names[] = { "pages", "heap", "scav", "pressure", "oom", "stats" };

bool trace_parse(const char *spec, uint32_t *mask, char *bad, size_t badlen)
{
	*mask = 0;
	while (*spec) {
		size_t n = 0, i;

		while (spec[n] && spec[n] != ',')
			n++;
		if (n == 3 && !memcmp(spec, "all", 3))
			*mask |= TR_ALL;
		else if (!(n == 3 && !memcmp(spec, "off", 3))) {
			for (i = 0; i < ARRAY_SIZE(cat_names); i++)
				if (n == strlen(cat_names[i]) && !memcmp(spec, cat_names[i], n))
					break;
			if (i == ARRAY_SIZE(cat_names)) {
				snprintf(bad, badlen, "%.*s", (int)n, spec);
				return false;
			}
			*mask |= 1u << i;
		}
		spec += n + (spec[n] == ',');
	}
	return true;
}

bool trace_in_region(uintptr_t va)
{
	return va - region_base < region_pages * PAGE_SIZE;
}

size_t trace_region(uintptr_t *base)
{
	*base = region_base;
	return region_pages;
}

/*
 * The trace lock: a line's number is taken and the line written under it,
 * so seq order is output order over all CPUs.  A CPU that holds it
 * (trace_hold) writes its lines inside that section.
 */
static struct spinlock trace_spin = SPINLOCK_INIT(LOCK_TRACE);

unsigned long trace_hold(void)
{
	return spin_lock(&trace_spin);
}

void trace_release(unsigned long flags)
{
	spin_unlock(&trace_spin, flags);
}

/* Format "T seq cpu tsc " + the rest, and write it as one line (the lock held). */
static void emit_held(const char *fmt, va_list ap)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "T %llu %u %llu ", (unsigned long long)seq++,
			 cpu_id(), (unsigned long long)cycles());

	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	trace_out(line, n);
}

static void emit(const char *fmt, va_list ap)
{
	unsigned long f;

	if (spin_held(&trace_spin)) {		/* inside trace_hold */
		emit_held(fmt, ap);
		return;
	}
	f = trace_hold();
	emit_held(fmt, ap);
	trace_release(f);
}

__attribute__((format(printf, 1, 2))) static void emitf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(fmt, ap);
	va_end(ap);
}

void trace_event(uint32_t cat, const char *name, const char *fmt, ...)
{
	char rest[220];
	va_list ap;

	if (!(trace_mask & cat))
		return;
	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	emitf("%s %s", name, rest);
}

void trace_start(uint32_t mask, uintptr_t base, size_t npages)
{
	char names[64] = "";
	size_t len = 0;

	region_base = base;
	region_pages = npages;
	trace_mask = mask;
	if (!mask)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cat_names); i++)
		if (mask & (1u << i))
			len += snprintf(names + len, sizeof(names) - len, "%s%s",
					len ? "," : "", cat_names[i]);
	emitf("trace version=%d base=%#lx pages=%zu page_size=%u categories=%s",
	      TRACE_VERSION, (unsigned long)base, npages, PAGE_SIZE, names);
}

void trace_alloc(const void *p, size_t size, size_t usable, int cls, uintptr_t caller)
{
	char sym[64];

	ksym_format(caller, sym, sizeof(sym));
	if (cls >= 0)
		emitf("alloc %p size=%zu usable=%zu class=%d caller=%s", p, size, usable, cls, sym);
	else
		emitf("alloc %p size=%zu usable=%zu class=large caller=%s", p, size, usable, sym);
}

void trace_free(const void *p, size_t usable, uintptr_t caller)
{
	char sym[64];

	ksym_format(caller, sym, sizeof(sym));
	emitf("free %p usable=%zu caller=%s", p, usable, sym);
}

void trace_resize(const void *p, size_t old, size_t usable)
{
	emitf("resize %p old=%zu usable=%zu", p, old, usable);
}

void trace_scav(const char *trigger, size_t counter, size_t released, size_t zero,
		uint64_t cyc, size_t frames_free)
{
	emitf("scav trigger=%s counter=%zu released=%zu zero=%zu cycles=%llu frames_free=%zu",
	      trigger, counter, released, zero, (unsigned long long)cyc, frames_free);
}

void trace_pressure(size_t avail, size_t low, size_t high, bool failed)
{
	emitf("pressure avail=%zu low=%zu high=%zu failed=%d", avail, low, high, failed);
}
