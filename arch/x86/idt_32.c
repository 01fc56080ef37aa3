/*
 * The i386 IDT: 32-bit interrupt gates for the 32 exceptions and the 16
 * PIC IRQs to the stubs in isr_32.S, and a task gate for #DF (gdt_32.c).
 */
#include "arch/x86/trap.h"

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct gate idt[48];
extern const uint32_t isr_table[48];
uint16_t gdt_df_selector(void);

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
