/*
 * Host implementations of what mm/platform.h and src/log.h declare:
 * logging to stdout, panic as abort, symbols through dladdr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "mm/platform.h"
#include "src/log.h"
#include "mm/trace.h"

int host_irq_depth;
FILE *host_trace_file;		/* where trace lines go; NULL drops them */

void trace_out(const char *line, size_t len)
{
	if (host_trace_file)
		fwrite(line, 1, len, host_trace_file);
}
static int host_log_level = LOG_WARN;
char host_last_error[256];	/* the last error logged, for tests that check a report */

void log_set_level(int level) { host_log_level = level; }

void klog(int level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	va_list ap;

	if (level == LOG_ERROR) {
		va_start(ap, fmt);
		vsnprintf(host_last_error, sizeof(host_last_error), fmt, ap);
		va_end(ap);
	}
	if (level > host_log_level)
		return;
	fputs(prefix[level], stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fputs("PANIC: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	abort();
}

/*
 * The metadata is calloc'd here: zero it, as MADV_DONTNEED would leave
 * it, so that a byte that was not zero is lost and the tests see it.
 */
void platform_meta_release(void *addr, size_t len) { memset(addr, 0, len); }
/* The simulation's entries are the kernel's, AOW is not zero in them: they stay. */
void platform_state_release(uintptr_t va, size_t n) { (void)va; (void)n; }

/* The tests provoke misuse on purpose and check the heap is unchanged. */
void platform_misuse(void) { }
void platform_spin_wait(void) { }
void platform_tlb_shootdown(void) { }
unsigned platform_cpus_online(void) { return 1; }
void mmu_invalidate_local(uintptr_t va) { (void)va; }

unsigned host_cache_id;

void ksym_format(uintptr_t addr, char *buf, size_t len)
{
	Dl_info info;

	if (dladdr((void *)addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s+0x%lx", info.dli_sname,
			 (unsigned long)(addr - (uintptr_t)info.dli_saddr));
	else
		snprintf(buf, len, "%#lx", (unsigned long)addr);
}
