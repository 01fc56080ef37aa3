/*
 * panic: report and stop.  Prints the message, the caller's backtrace and
 * powers off with failure.  A panic during a panic prints one line and
 * stops at once.
 */
#include "src/lib.h"
#include "src/log.h"
#include "src/power.h"
#include "fault/diag.h"
#include "arch/x86/cpu.h"

/* The kernel reports a bad free and goes on: the heap refused it unchanged. */
void platform_misuse(void) { }

void panic(const char *fmt, ...)
{
	static int panicking;
	char msg[256];
	va_list ap;

	cli();
	if (panicking++) {
		kprintf("PANIC (while panicking): %s", fmt);
		poweroff(1);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("PANIC: %s", msg);
	diag_backtrace((uintptr_t)__builtin_frame_address(0));
	poweroff(1);
}
