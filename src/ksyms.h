/*
 * The kernel's own symbol table, embedded at build time (second link):
 * function names for backtraces and diagnostics.
 */
#ifndef SRC_KSYMS_H
#define SRC_KSYMS_H

#include "mm/platform.h"

/* Name of the function containing addr, and the offset into it; NULL if none. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *off);
/* Address of a symbol by name, 0 if absent (tests use it). */
uintptr_t ksym_address(const char *name);

#endif
