/*
 * TLB shootdown, behind mm/platform.h (the scheme, its proof and
 * its cost: docs/scavenger.md, "TLB shootdown").  A generation counter:
 * the initiator bumps `gen` after changing the entries, sends one IPI to
 * all other CPUs and waits until each has acknowledged a generation at
 * least its own.  A CPU acknowledges by reading gen, reloading CR3 (its
 * whole TLB goes) and storing what it read: from the IPI, and from every
 * spinlock wait (platform_spin_wait), so a CPU spinning with interrupts
 * off on a lock the initiator holds still answers.
 *
 * Context: any CPU, interrupts on or off.  Several initiators at once are
 * fine: each waits for its own generation and answers the others while
 * it waits.  The debug switch (noshootdown on the command line) turns the
 * initiator into nothing, for the test that shows it is needed.
 *
 * The IPI goes to each online CPU by its APIC id, never to "all but
 * self": a processor that failed to start may sit in the firmware with
 * interrupts on and no IDT of ours, and an interrupt there triple-faults
 * the machine (seen in QEMU after the parking INIT of a failed CPU).
 *
 * Both widths build it; the IPI entry that calls tlb_ipi is the width's
 * (arch/x86/ipi_32.S, ipi_64.S).  With one CPU online a shootdown
 * returns at once.
 */
#include "mm/platform.h"
#include "arch/x86/tlb.h"
#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp_boot.h"

static unsigned online = 1;
static uint8_t apic_of[CPU_MAX];
static bool disabled;
static uint32_t gen;
static uint32_t acked[CPU_MAX];
static struct tlb_stats stats[CPU_MAX];	/* each CPU's own: no atomics */

void tlb_set_cpus(unsigned n, const uint8_t *apic_ids)
{
	for (unsigned c = 0; c < n && c < CPU_MAX; c++)
		apic_of[c] = apic_ids[c];
	online = n;
}
void tlb_disable(void) { disabled = true; }
unsigned platform_cpus_online(void) { return online; }
void tlb_get_stats(struct tlb_stats *st)
{
	st->shootdowns = st->cycles = 0;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		st->shootdowns += stats[c].shootdowns;
		st->cycles += stats[c].cycles;
	}
}

void mmu_invalidate_local(uintptr_t va) { invlpg(va); }

/* Acknowledge the latest generation, if this CPU has not yet. */
static void answer(void)
{
	uint32_t g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
	unsigned me = cpu_id();

	if (__atomic_load_n(&acked[me], __ATOMIC_RELAXED) == g)
		return;
	write_cr3(read_cr3());
	__atomic_store_n(&acked[me], g, __ATOMIC_RELEASE);
}

void tlb_ipi(void);
void tlb_ipi(void)
{
	answer();
	lapic_eoi();
}

void platform_spin_wait(void)
{
	answer();
	__asm__ volatile("pause" ::: "memory");
}

static bool behind(unsigned cpu, uint32_t g)
{
	return (int32_t)(__atomic_load_n(&acked[cpu], __ATOMIC_ACQUIRE) - g) < 0;
}

void platform_tlb_shootdown(void)
{
	uint64_t t0 = rdtsc();
	unsigned me = cpu_id();
	uint32_t g;

	if (online < 2 || disabled)
		return;
	g = __atomic_add_fetch(&gen, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&acked[me], g, __ATOMIC_RELEASE);	/* its own entries: mmu_set */
	for (unsigned c = 0; c < online && c < CPU_MAX; c++)	/* not all-but-self: see atop */
		if (c != me)
			lapic_send(apic_of[c], ICR_FIXED | ICR_ASSERT | VEC_SHOOTDOWN);
	for (unsigned c = 0; c < online && c < CPU_MAX; c++)
		while (c != me && behind(c, g))
			platform_spin_wait();
	stats[me].shootdowns++;
	stats[me].cycles += rdtsc() - t0;
}
