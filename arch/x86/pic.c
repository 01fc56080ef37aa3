/*
 * The 8259 PICs, remapped to vectors 32-47 and masked; irq_set_handler
 * unmasks the lines that get a handler.
 */
#include "arch/x86/trap.h"
#include "arch/x86/cpu.h"

#define PIC1 0x20
#define PIC2 0xA0

static uint16_t mask = 0xFFFB;		/* all masked but the cascade (IRQ2) */

static void write_mask(void)
{
	outb(PIC1 + 1, mask & 0xFF);
	outb(PIC2 + 1, mask >> 8);
}

void pic_init(void)
{
	outb(PIC1, 0x11); outb(PIC2, 0x11);		/* ICW1: init, ICW4 follows */
	outb(PIC1 + 1, IRQ_BASE); outb(PIC2 + 1, IRQ_BASE + 8);
	outb(PIC1 + 1, 4); outb(PIC2 + 1, 2);		/* cascade on IRQ2 */
	outb(PIC1 + 1, 1); outb(PIC2 + 1, 1);		/* 8086 mode */
	write_mask();
}

void pic_unmask(unsigned irq)
{
	mask &= ~(1u << irq);
	write_mask();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}
