/*
 * The CPUs of the x86_64 kernel (arch/x86/arch_glue.h): up to CPU_MAX, each
 * with its number in its per-CPU data at %gs:0 (the GS base MSR,
 * arch/x86/percpu_64.h, src/smp.c), so cpu_id() is one load.  Valid from
 * smp_init_boot on.
 */
#ifndef ARCH_X86_CPU_ID_64_H
#define ARCH_X86_CPU_ID_64_H

#define CPU_MAX 16
#define PERCPU_CACHE 8		/* offsetof(struct percpu, cache): checked in percpu_64.h */

static inline __attribute__((always_inline)) unsigned cpu_id(void)
{
	unsigned id;

	__asm__("movl %%gs:0, %0" : "=r"(id));
	return id;
}

/*
 * The magazine layer's cache of this CPU (mm/magazine_int.h), one load
 * from %gs:PERCPU_CACHE; cache_set_current (percpu_64.c) stores it for
 * each CPU at mag_init.
 */
static inline void *cache_current(void)
{
	void *c;

	__asm__("mov %%gs:%c1, %0" : "=r"(c) : "i"(PERCPU_CACHE));
	return c;
}

/*
 * The same cache is the CPU's FS base (percpu_64.c, MSR_FS_BASE: nothing
 * loads %fs after boot), so the magazine hits (arch/x86/restart.h)
 * address the class's part of it as %fs:offset, with no load of the
 * pointer and no add (mm/platform.h, CACHE_RESTART).
 */
#define CACHE_SEG "%%fs:"

/* Store the cache of cpu for cache_current, and make it cpu's FS base. */
void cache_set_current(unsigned cpu, void *cache);

#endif
