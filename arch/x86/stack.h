/*
 * Running a function on another stack: call_on_stack(top, fn, arg) calls
 * fn(arg) with the stack pointer at top and returns what fn returns, back
 * on the caller's stack (tests/kernel/test_kstack.c runs code on a new
 * kernel stack this way).  The width's calling convention is
 * arch/x86/stack_32.h or stack_64.h.  Context: any; top must be a mapped
 * stack with room for fn.
 */
#ifndef ARCH_X86_STACK_H
#define ARCH_X86_STACK_H

#include <stdint.h>

typedef uint32_t (*stack_fn)(uint32_t);

#ifdef CONFIG_X86_64
#include "arch/x86/stack_64.h"
#else
#include "arch/x86/stack_32.h"
#endif

#endif
