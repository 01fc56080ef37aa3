/*
 * The CPUs of the i386 kernel (arch/x86/arch_glue.h): up to CPU_MAX, each
 * with its number in its per-CPU data at %fs:0 (arch/x86/percpu_32.h,
 * src/smp.c), so cpu_id() is one load.  Valid from smp_init_boot on.
 */
#ifndef ARCH_X86_CPU_ID_32_H
#define ARCH_X86_CPU_ID_32_H

#define CPU_MAX 16
#define PERCPU_CACHE 8		/* offsetof(struct percpu, cache): checked in percpu_32.h */

static inline __attribute__((always_inline)) unsigned cpu_id(void)
{
	unsigned id;

	__asm__("movl %%fs:0, %0" : "=r"(id));
	return id;
}

/*
 * The magazine layer's cache of this CPU (mm/magazine_int.h), one load
 * from %fs:PERCPU_CACHE; cache_set_current (percpu_32.c) stores it for
 * each CPU at mag_init.
 */
static inline void *cache_current(void)
{
	void *c;

	__asm__("mov %%fs:%c1, %0" : "=r"(c) : "i"(PERCPU_CACHE));
	return c;
}

/*
 * The same cache is the base of the CPU's %gs segment (percpu_32.c,
 * SEL_CACHE), so the magazine hits (arch/x86/restart.h) address the
 * class's part of it as %gs:offset, with no load of the pointer and no
 * add (mm/platform.h, CACHE_RESTART).
 */
#define CACHE_SEG "%%gs:"

/* Store the cache of cpu for cache_current, and make it cpu's %gs base. */
void cache_set_current(unsigned cpu, void *cache);

/*
 * kmalloc and kfree (and their _from forms) take their arguments in
 * registers (mm/platform.h, KHEAP_FAST_ABI): every caller is kernel code
 * built against mm/kheap.h, and nothing calls them from assembly (a
 * module built apart would have to see the same header).  x86_64's C ABI
 * passes them in registers already: cpu_id_64.h defines nothing.
 */
#define KHEAP_FAST_ABI __attribute__((regparm(3)))

#endif
