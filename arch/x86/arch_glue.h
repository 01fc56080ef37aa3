/*
 * The i386 kernel's side of mm/platform.h: inline primitives.
 */
#ifndef ARCH_X86_ARCH_GLUE_H
#define ARCH_X86_ARCH_GLUE_H

#include "arch/x86/irq.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096u

static inline uint64_t cycles(void) { return rdtsc(); }

#endif
