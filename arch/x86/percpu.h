/*
 * Per-CPU state, for the width being built: the same names (struct
 * percpu with id first, percpu[], percpu_init_boot, percpu_enter,
 * percpu_set_gate) in arch/x86/percpu_32.h (the %fs segment) and
 * percpu_64.h (the GS base MSR).
 */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#ifdef CONFIG_X86_64
#include "arch/x86/percpu_64.h"
#else
#include "arch/x86/percpu_32.h"
#endif

#endif
