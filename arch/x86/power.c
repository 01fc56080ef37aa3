/*
 * Ending the machine: QEMU's isa-debug-exit device (port 0xF4; QEMU exits
 * with (value << 1) | 1) and Bochs's shutdown port (0x8900).  The status
 * line before it is what scripts read on either emulator.
 */
#include "src/power.h"
#include "src/log.h"
#include "arch/x86/cpu.h"

void poweroff(int status)
{
	const char *s = "Shutdown";

	cli();
	kprintf("poweroff: status %d (%s)", status, status ? "failure" : "success");
	outb(0xF4, status ? 1 : 0);		/* QEMU: exit 1 or 3 */
	while (*s)
		outb(0x8900, *s++);		/* Bochs */
	for (;;)
		hlt();
}
