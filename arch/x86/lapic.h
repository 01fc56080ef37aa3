/*
 * The local APIC, as SMP uses it: its id, software enable, end of
 * interrupt, and inter-processor interrupts (INIT, STARTUP, fixed).
 *
 * Promises: nothing here maps the registers; lapic_use takes the mapping
 * src/ioremap.c made at boot.  Every function but lapic_use needs it.
 * Context: any CPU, interrupts off around an ICR write (lapic_send).
 */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include <stdint.h>
#include <stdbool.h>

#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0B0
#define LAPIC_SVR	0x0F0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310

#define ICR_INIT	0x00000500u
#define ICR_STARTUP	0x00000600u
#define ICR_FIXED	0x00000000u
#define ICR_ASSERT	0x00004000u
#define ICR_PENDING	0x00001000u	/* delivery status: not yet accepted */
#define ICR_ALL_BUT_SELF 0x000C0000u

extern volatile uint32_t *lapic_mmio;

static inline uint32_t lapic_read(unsigned reg) { return lapic_mmio[reg / 4]; }
static inline void lapic_write(unsigned reg, uint32_t v) { lapic_mmio[reg / 4] = v; }
static inline uint8_t lapic_id(void) { return (uint8_t)(lapic_read(LAPIC_ID) >> 24); }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void lapic_use(volatile uint32_t *regs);
/* Software-enable this CPU's local APIC, spurious vector 0xFF. */
void lapic_enable(void);
/* Send icr (delivery mode | vector | shorthand) to apic_id; false if never accepted. */
bool lapic_send(uint8_t apic_id, uint32_t icr);

#endif
