/*
 * The CPUs of the i386 kernel (arch/x86/arch_glue.h): up to CPU_MAX, each
 * with its number in its per-CPU data at %fs:0 (arch/x86/percpu_32.h,
 * src/smp.c), so cpu_id() is one load.  Valid from smp_init_boot on.
 */
#ifndef ARCH_X86_CPU_ID_32_H
#define ARCH_X86_CPU_ID_32_H

#define CPU_MAX 16

static inline unsigned cpu_id(void)
{
	unsigned id;

	__asm__("movl %%fs:0, %0" : "=r"(id));
	return id;
}

#endif
