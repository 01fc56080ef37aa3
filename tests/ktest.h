/*
 * One test source, two runners: a TEST() here runs on the host (tests/host
 * links it into a program) and in the kernel (boot with "test").  Cases
 * are collected from the "ktests" section; each reports by name, and the
 * run ends with "N passed, N failed".
 */
#ifndef TESTS_KTEST_H
#define TESTS_KTEST_H

#include "mm/platform.h"

struct ktest {
	const char *name;
	void (*fn)(void);
};

#define TEST(name)							\
	static void test_##name(void);					\
	static const struct ktest ktest_##name				\
	__attribute__((used, section("ktests"), aligned(sizeof(void *)))) = \
		{ #name, test_##name };					\
	static void test_##name(void)

/* A failed check ends the case (return) after recording where. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		ktest_fail(__FILE__, __LINE__, "%s", #cond);		\
		return;							\
	}								\
} while (0)

#define CHECKF(cond, ...) do {						\
	if (!(cond)) {							\
		ktest_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		return;							\
	}								\
} while (0)

/*
 * Heap cases call this first: on the host it builds a fresh heap over a
 * fresh simulated machine; in the kernel the live heap is used as it is,
 * so cases must not assume an empty heap.
 */
void ktest_heap_setup(void);

void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Run every case whose name starts with prefix ("" for all); returns failures. */
int ktest_run(const char *prefix);

#endif
