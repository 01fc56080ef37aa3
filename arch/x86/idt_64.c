/*
 * The x86_64 IDT: 64-bit interrupt gates for the 32 exceptions and the 16
 * PIC IRQs to the stubs in isr_64.S.  Long mode has no task gates: #DF's
 * gate names IST slot 1 instead, a stack of its own (gdt_64.c), so a
 * kernel stack overflow is still reported.
 */
#include "arch/x86/trap.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct gate idt[48];
extern const uintptr_t isr_table[48];

void idt_init(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;

	for (unsigned i = 0; i < 48; i++) {
		idt[i].off_lo = isr_table[i] & 0xFFFF;
		idt[i].off_mid = (isr_table[i] >> 16) & 0xFFFF;
		idt[i].off_hi = isr_table[i] >> 32;
		idt[i].sel = 0x08;
		idt[i].type = 0x8E;		/* present, ring 0, 64-bit interrupt gate */
	}
	idt[T_DOUBLE].ist = 1;
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
