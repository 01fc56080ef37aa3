/*
 * The test runner shared by the kernel and the host.
 */
#include "tests/ktest.h"
#include "src/log.h"
#include "src/lib.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

static bool failed;

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("  check failed at %s:%d: %s", file, line, msg);
	failed = true;
}

/* Cases named harness_* run only when asked for by that prefix. */
TEST(harness_deliberate_failure)
{
	CHECKF(false, "this case fails on purpose, to prove a failure fails the run");
}

int ktest_run(const char *prefix)
{
	bool harness = !strncmp(prefix, "harness_", 8);
	int pass = 0, fail = 0;

	/* The linker's bounds of one section: comparing them is meant. */
	/* cppcheck-suppress comparePointers */
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		if (strncmp(t->name, prefix, strlen(prefix)))
			continue;
		if (!harness && !strncmp(t->name, "harness_", 8))
			continue;
		failed = false;
		t->fn();
		kprintf("%s %s", failed ? "FAIL" : "ok", t->name);
		if (failed)
			fail++;
		else
			pass++;
	}
	if (pass + fail == 0) {
		klog(LOG_ERROR, "ktest: no test matches the prefix '%s'", prefix);
		fail = 1;		/* a filter that runs nothing is a typo, not a pass */
	}
	kprintf("%d passed, %d failed", pass, fail);
	return fail;
}
