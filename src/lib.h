/*
 * The kernel's small C library: string and memory routines with the
 * standard signatures, so the same call sites build for the host too.
 */
#ifndef SRC_LIB_H
#define SRC_LIB_H

#include "mm/platform.h"	/* standard types, MIN/MAX/ARRAY_SIZE */

void *memmove(void *dst, const void *src, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/*
 * v, hidden from the compiler and the static analyzers (make check): for
 * code that misuses memory on purpose, the provoked faults of src/crash.c
 * and the heap's misuse tests, so neither folds nor flags what is meant.
 */
static inline uintptr_t hide_addr(uintptr_t v)
{
	__asm__("" : "+r"(v));
	return v;
}


#endif
