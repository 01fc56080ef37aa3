/*
 * The PIT on channel 0 as the periodic tick (IRQ0).  Each tick counts and
 * calls the tick hook, which later work uses for paced background jobs.
 */
#include "arch/x86/trap.h"
#include "arch/x86/cpu.h"

static volatile uint64_t ticks;
static tick_fn tick_hook;

static void pit_irq(struct trapframe *tf)
{
	(void)tf;
	ticks++;
	if (tick_hook)
		tick_hook();
}

void pit_init(unsigned hz)
{
	uint32_t div = 1193182 / hz;

	outb(0x43, 0x36);			/* channel 0, lo/hi, rate generator */
	outb(0x40, div & 0xFF);
	outb(0x40, div >> 8);
	irq_set_handler(0, pit_irq);
}

uint64_t pit_ticks(void) { return ticks; }
void pit_set_tick_hook(tick_fn fn) { tick_hook = fn; }
