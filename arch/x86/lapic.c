/*
 * Local APIC registers (arch/x86/lapic.h).  An ICR write is two stores
 * (destination, then command); interrupts stay off between them so that
 * an interrupt handler sending its own IPI cannot come in between.
 */
#include "arch/x86/lapic.h"
#include "arch/x86/irq.h"

#define SVR_ENABLE	0x100u
#define SPURIOUS_VEC	0xFFu
#define SEND_SPINS	1000000u

volatile uint32_t *lapic_mmio;

void lapic_use(volatile uint32_t *regs) { lapic_mmio = regs; }

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VEC);
}

bool lapic_send(uint8_t apic_id, uint32_t icr)
{
	unsigned long f = irq_save();
	unsigned n = 0;

	lapic_write(LAPIC_ICR_HI, (uint32_t)apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	while ((lapic_read(LAPIC_ICR_LO) & ICR_PENDING) && ++n < SEND_SPINS)
		__asm__ volatile("pause");
	irq_restore(f);
	return n < SEND_SPINS;
}
