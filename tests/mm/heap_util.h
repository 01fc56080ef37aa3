/*
 * Helpers for the heap cases: a seeded generator, patterns derived from
 * an allocation's id, and frame squeezing.
 */
#ifndef TESTS_MM_HEAP_UTIL_H
#define TESTS_MM_HEAP_UTIL_H

#include "mm/kheap.h"
#include "mm/frame.h"
#include "mm/scavenge.h"
#include "src/lib.h"

static inline uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static inline uint8_t pattern_byte(uint32_t id, size_t off)
{
	return (uint8_t)(id * 131 + off * 7 + (off >> 8));
}

static inline void pattern_fill(void *p, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = pattern_byte(id, i);
}

/* Offset of the first wrong byte, or -1. */
static inline long pattern_check(const void *p, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != pattern_byte(id, i))
			return (long)i;
	return -1;
}

static inline size_t frames_available(void)
{
	return frame_available();
}

static inline size_t heap_present(void)
{
	struct kheap_stats st;

	kheap_stats(&st);
	return st.by_state[PS_PRESENT];
}

/*
 * Free and reallocate 32 KiB `cycles` times below the low watermark, with
 * another frame user allocating between each free and the next kmalloc,
 * under a scavenger threshold of `threshold` bytes; returns the heap's
 * write faults (the refaults).  Restores the configuration it changes.
 */
uint64_t churn_refaults(size_t threshold, int cycles);

/* needle's first place in hay, or NULL (the kernel's library has no strstr). */
static inline const char *text_find(const char *hay, const char *needle)
{
	for (size_t n = strlen(needle); *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

#endif
