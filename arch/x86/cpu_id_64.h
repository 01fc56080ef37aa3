/*
 * The CPUs of the x86_64 kernel (arch/x86/arch_glue.h): one, the boot
 * CPU (src/smp_64.c starts no other), so cpu_id() is 0 and reads no
 * segment (%fs is never set up here).
 */
#ifndef ARCH_X86_CPU_ID_64_H
#define ARCH_X86_CPU_ID_64_H

#define CPU_MAX 1

static inline unsigned cpu_id(void) { return 0; }

#endif
