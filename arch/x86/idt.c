/*
 * IDT: interrupt gates for the 32 exceptions and the 16 PIC IRQs, and a
 * task gate for #DF.  trap_dispatch sends #PF to the fault path, other
 * exceptions to the fatal diagnostic, and IRQs to their handlers.
 */
#include "arch/x86/trap.h"
#include "fault/fault.h"
#include "fault/diag.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct gate idt[48];
static irq_handler_fn irq_handlers[16];
extern const uint32_t isr_table[48];
uint16_t gdt_df_selector(void);

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

void idt_init(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr;

	for (unsigned i = 0; i < 48; i++) {
		idt[i].off_lo = isr_table[i] & 0xFFFF;
		idt[i].off_hi = isr_table[i] >> 16;
		idt[i].sel = 0x08;
		idt[i].type = 0x8E;		/* present, ring 0, 32-bit interrupt gate */
	}
	idt[T_DOUBLE].off_lo = idt[T_DOUBLE].off_hi = 0;
	idt[T_DOUBLE].sel = gdt_df_selector();
	idt[T_DOUBLE].type = 0x85;		/* present, task gate */
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint32_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_set_handler(unsigned irq, irq_handler_fn fn)
{
	irq_handlers[irq] = fn;
	pic_unmask(irq);
}

void trap_dispatch(struct trapframe *tf)
{
	if (tf->vector == T_PAGE) {
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
