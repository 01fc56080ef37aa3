/*
 * Where traps go, both widths: trap_dispatch sends #PF to the fault path,
 * other exceptions to the fatal diagnostic (#DB to the debug hook first,
 * when one is set), and IRQs to their handlers.  Every trap but #DB
 * first sends an interrupted restartable section back to its start
 * (arch/x86/restart.h), before any handler can reach this CPU's cache.
 * The IDT itself (gate format, how #DF gets a good stack) is idt_32.c or
 * idt_64.c.
 */
#include "arch/x86/trap.h"
#include "arch/x86/restart.h"
#include "fault/fault.h"
#include "fault/diag.h"

static irq_handler_fn irq_handlers[16];
static irq_handler_fn debug_hook;

static const char *const names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS",
	"segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved 15", "x87 floating-point error", "alignment check",
	"machine check", "SIMD floating-point error", "virtualization exception",
	"control protection exception", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "hypervisor injection",
	"VMM communication", "security exception", "reserved 31",
};

const char *trap_name(unsigned v)
{
	if (v < 32)
		return names[v];
	return v < 48 ? "IRQ" : "unknown vector";
}

void irq_set_handler(unsigned irq, irq_handler_fn fn)
{
	irq_handlers[irq] = fn;
	pic_unmask(irq);
}

void trap_set_debug_hook(irq_handler_fn fn) { debug_hook = fn; }

void trap_dispatch(struct trapframe *tf)
{
	if (tf->vector != T_DEBUG)	/* single-stepping a section must leave it */
		restart_rewind(&tf->eip);
	if (tf->vector == T_DEBUG && debug_hook) {
		debug_hook(tf);
	} else if (tf->vector == T_PAGE) {
		page_fault(tf);
	} else if (tf->vector < IRQ_BASE) {
		diag_fatal(tf, NULL);
	} else {
		unsigned irq = tf->vector - IRQ_BASE;

		if (irq_handlers[irq])
			irq_handlers[irq](tf);
		pic_eoi(irq);
	}
}
