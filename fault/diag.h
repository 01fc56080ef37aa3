/*
 * Fatal diagnostics: everything a reader needs to fix the bug from the
 * log alone.  Used by the fault path, other exceptions, the #DF task and
 * panic.  docs/faults.md shows the format.
 */
#ifndef FAULT_DIAG_H
#define FAULT_DIAG_H

#include "arch/x86/trap.h"
#include "mm/platform.h"

/* Report a fatal exception (why: extra line, may be NULL) and power off. */
__attribute__((noreturn)) void diag_fatal(const struct trapframe *tf, const char *why);
/* Report a double fault from the #DF task; esp is the failed context's. */
__attribute__((noreturn)) void diag_double_fault(const struct trapframe *tf, uintptr_t esp);
/* The same, with a line saying which CPU and whose task state (cpu: NULL for none). */
__attribute__((noreturn)) void diag_double_fault_on(const struct trapframe *tf, uintptr_t esp,
						    const char *cpu);
/* Print a frame-pointer backtrace starting from frame pointer ebp. */
void diag_backtrace(uintptr_t ebp);
/* A page fault on an instruction fetch: the CPU says so (NX on), or cr2 is the eip. */
bool diag_pf_is_fetch(const struct trapframe *tf);
/* Print the page-fault error code as words. */
void diag_decode_pf_error(uint32_t err, char *buf, size_t len);

#endif
