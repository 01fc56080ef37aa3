/*
 * SMP bring-up (src/smp.h), both widths.  The order: the processors from
 * ACPI, the local APIC enabled on the boot CPU, the trampoline copied
 * below 1 MiB (its page tables are the width's: src/smp_32.c, smp_64.c),
 * then one CPU at a time: its stacks, INIT, 10 ms, STARTUP, and a second
 * STARTUP if it has not answered within a tick; it counts as started when
 * it sets its flag from ap_main, within 100 ms of the first STARTUP.
 *
 * Locking: none needed: while the boot CPU starts one, every other
 * application processor is idle in hlt, and one started does nothing
 * until smp_call gives it work.
 */
#include "src/smp.h"
#include "src/smp_int.h"
#include "src/acpi.h"
#include "src/ioremap.h"
#include "src/kstack.h"
#include "src/cmdline.h"
#include "src/lib.h"
#include "src/boot_mm.h"
#include "mm/kheap.h"
#include "mm/spinlock.h"
#include "src/log.h"
#include "arch/x86/percpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/smp_boot.h"
#include "arch/x86/tlb.h"
#include "arch/x86/mmu.h"
#include "arch/x86/trap.h"
#include "arch/x86/cpu.h"

#define START_TICKS	10	/* 100 ms at the PIT's 100 Hz */

extern const uint8_t trampoline_start[];
extern const uint32_t trampoline_size;
extern void ipi_wake_entry(void), ipi_spurious_entry(void), ipi_shootdown_entry(void);

/* The CPU being started (arch/x86/trampoline_32.S or _64.S reads these). */
volatile unsigned long ap_boot_cr3, ap_boot_stack;
volatile uint32_t ap_boot_cpu;

static unsigned ncpus = 1;
static volatile bool started[CPU_MAX];
static struct {
	void (*volatile fn)(void *);
	void *volatile arg;
	volatile bool busy;
} work[CPU_MAX];

unsigned smp_ncpus(void) { return ncpus; }

static const void *acpi_map(void *ctx, uint64_t pa, size_t len)
{
	(void)ctx;
	return ioremap(pa, len, "ACPI table");
}

static void acpi_unmap(void *ctx, const void *p, size_t len)
{
	(void)ctx;
	iounmap((void *)(uintptr_t)p, len);
}

/* The processors ACPI lists; false (and why, logged) if none can be trusted. */
static bool find_cpus(const struct boot_info *bi, struct acpi_cpus *c)
{
	static const struct acpi_io io = { acpi_map, acpi_unmap, NULL };
	struct acpi_error err;

	if (!bi->rsdp_len) {
		kprintf("smp: no ACPI tag in the Multiboot2 information; one CPU");
		return false;
	}
	if (!acpi_find_cpus(bi->rsdp, bi->rsdp_len, &io, c, &err)) {
		kprintf("smp: ACPI (RSDP from tag %u): %s; one CPU", (unsigned)bi->rsdp_tag, err.what);
		return false;
	}
	kprintf("smp: ACPI %s: MADT lists %u enabled processor%s (%u disabled, %u not startable), "
		"local APIC at phys %#llx", c->root, c->ncpus, c->ncpus == 1 ? "" : "s",
		c->ndisabled, c->nskipped, (unsigned long long)c->lapic_phys);
	return true;
}

/* Is [TRAMP_PA, +TRAMP_SIZE) RAM by the memory map, and no module's? */
static const char *trampoline_problem(const struct boot_info *bi)
{
	bool ram = false;

	if (trampoline_size > TRAMP_TABLE(0))
		return "the trampoline outgrew its page";
	for (size_t i = 0; i < bi->nmem; i++)
		ram |= bi->mem[i].kind == PR_RAM && bi->mem[i].start <= TRAMP_PA &&
		       bi->mem[i].end >= TRAMP_PA + TRAMP_SIZE;
	if (!ram)
		return "the memory map does not list it as RAM";
	for (size_t i = 0; i < bi->nmods; i++)
		if (bi->mods[i].start < TRAMP_PA + TRAMP_SIZE && bi->mods[i].end > TRAMP_PA)
			return "a module lies there";
	return NULL;
}

/* The trampoline's code and tables (src/smp_int.h), mapped; NULL if it cannot be. */
static uint8_t *trampoline_install(void)
{
	uint8_t *t = ioremap(TRAMP_PA, TRAMP_SIZE, "AP trampoline (code and tables)");

	if (!t)
		return NULL;
	memcpy(t, trampoline_start, trampoline_size);
	trampoline_tables(t);
	return t;
}

/* Wait until `ticks` PIT ticks have begun and ended, or cpu has started. */
static bool wait_started(unsigned cpu, unsigned ticks)
{
	uint64_t end = pit_ticks() + ticks + 1;

	while (!started[cpu] && pit_ticks() < end)
		hlt();
	return started[cpu];
}

/*
 * A STARTUP for apic_id, unless the debug switch apfail=ID names it (the
 * test of a CPU that fails to start): then its STARTUPs are not sent, as
 * if lost, and it never answers.
 */
static bool send_startup(uint8_t apic_id, uint32_t sipi)
{
	if (kopts.apfail && apic_id == kopts.apfail)
		return true;
	return lapic_send(apic_id, sipi);
}

/* INIT, STARTUP, STARTUP for the CPU numbered cpu at apic_id. */
static bool start_one(unsigned cpu, uint8_t apic_id)
{
	uint32_t sipi = ICR_STARTUP | ICR_ASSERT | (TRAMP_PA >> 12);

	if (!lapic_send(apic_id, ICR_INIT | ICR_ASSERT))
		return false;
	wait_started(cpu, 1);
	if (!send_startup(apic_id, sipi))
		return false;
	if (wait_started(cpu, 1))
		return true;
	send_startup(apic_id, sipi);
	return wait_started(cpu, START_TICKS);
}

/* Stacks for CPU cpu; false (reported by kstack) if there is no memory. */
static bool give_stacks(unsigned cpu)
{
	struct percpu *c = &percpu[cpu];
	char name[24];

	snprintf(name, sizeof(name), "cpu %u", cpu);
	c->stack_top = kstack_alloc(name);
	snprintf(name, sizeof(name), "cpu %u double fault", cpu);
	c->df_stack_top = c->stack_top ? kstack_alloc(name) : 0;
	if (c->stack_top && !c->df_stack_top)
		kstack_free(c->stack_top);
	return c->df_stack_top != 0;
}

static void take_stacks(unsigned cpu)
{
	kstack_free(percpu[cpu].stack_top);
	kstack_free(percpu[cpu].df_stack_top);
	percpu[cpu].stack_top = percpu[cpu].df_stack_top = 0;
}

/* Start the processor at apic_id as CPU number ncpus; report a failure. */
static void start_cpu(uint8_t apic_id)
{
	unsigned cpu = ncpus;

	if (!give_stacks(cpu)) {
		kprintf("smp: cpu with APIC id %u not started: no stack", apic_id);
		return;
	}
	percpu[cpu].apic_id = apic_id;
	ap_boot_cr3 = read_cr3();
	ap_boot_stack = percpu[cpu].stack_top;
	ap_boot_cpu = cpu;
	if (!start_one(cpu, apic_id)) {
		lapic_send(apic_id, ICR_INIT | ICR_ASSERT);	/* park it: a late start must not run */
		kprintf("smp: cpu with APIC id %u did not start (no answer within %u ms); "
			"going on without it", apic_id, START_TICKS * 10);
		take_stacks(cpu);
		return;
	}
	ncpus++;
}

/* The shootdown's list: the online CPUs' APIC ids, and nothing else's. */
static void tell_tlb(void)
{
	uint8_t ids[CPU_MAX];

	for (unsigned c = 0; c < ncpus; c++)
		ids[c] = percpu[c].apic_id;
	tlb_set_cpus(ncpus, ids);
}

/*
 * Each application processor's zeroing window (arch/x86/mmu.h): fault
 * frames are zeroed there before they are mapped.  The boot CPU's is
 * ZERO_WINDOW, from the start.
 */
static void give_scratch(void)
{
	for (unsigned c = 1; c < ncpus; c++) {
		uintptr_t va = vmem_alloc(kva_arena(), PAGE_SIZE, VM_INSTANTFIT);

		if (!va || !mmu_ensure_table(va))
			panic("smp: no scratch page for cpu %u", c);
		mmu_set_scratch(c, va);
	}
}

/* How many CPUs to run: smp=N, or all ACPI lists. */
static unsigned wanted(const struct acpi_cpus *c)
{
	unsigned n = MIN(c->ncpus, (unsigned)CPU_MAX);

	if (c->ncpus > CPU_MAX)
		kprintf("smp: %u processors listed; this kernel runs at most %d", c->ncpus, CPU_MAX);
	return kopts.smp ? MIN(n, kopts.smp) : n;
}

static void start_all(const struct acpi_cpus *c, unsigned want)
{
	for (unsigned i = 0; i < c->ncpus && ncpus < want; i++)
		if (c->apic_id[i] != percpu[0].apic_id)
			start_cpu(c->apic_id[i]);
}

void smp_init(const struct boot_info *bi)
{
	struct acpi_cpus c;
	const char *why;
	uint8_t *t;

	percpu_set_gate(VEC_WAKE, ipi_wake_entry);
	percpu_set_gate(VEC_SPURIOUS, ipi_spurious_entry);
	percpu_set_gate(VEC_SHOOTDOWN, ipi_shootdown_entry);
	if (!lapic_regs()) {
		kprintf("smp: no local APIC mapped; one CPU");
		return;
	}
	lapic_use(lapic_regs());
	lapic_enable();
	percpu[0].apic_id = lapic_id();
	kprintf("smp: cpu 0: APIC id %u (the boot CPU)", percpu[0].apic_id);
	if (!find_cpus(bi, &c) || wanted(&c) < 2)
		return;
	if ((why = trampoline_problem(bi)) || !(t = trampoline_install())) {
		kprintf("smp: no AP trampoline at phys %#x: %s; one CPU", TRAMP_PA,
			why ? why : "it cannot be mapped");
		return;
	}
	spin_smp_begin();		/* no lock held here: tickets from now on */
	start_all(&c, wanted(&c));
	iounmap(t, TRAMP_SIZE);
	if (kopts.noshootdown) {
		tlb_disable();
		kprintf("smp: TLB shootdown OFF (noshootdown): a released frame may be reused "
			"while another CPU still reaches it; for the test that shows it");
	}
	give_scratch();
	tell_tlb();
	kprintf("smp: %u of %u CPUs online%s", ncpus, c.ncpus, kopts.smp ? " (smp= limit)" : "");
}

/* The application processor's C entry (arch/x86/trampoline_32.S or _64.S), interrupts off. */
__attribute__((noreturn)) void ap_main(unsigned cpu);

void smp_init_boot(void) { percpu_init_boot(); }

void ap_main(unsigned cpu)
{
	percpu_enter(cpu);
	lapic_enable();
	kprintf("smp: cpu %u: APIC id %u online, stack %#lx-%#lx", cpu, lapic_id(),
		(unsigned long)(percpu[cpu].stack_top - KSTACK_SIZE),
		(unsigned long)percpu[cpu].stack_top);
	started[cpu] = true;
	for (;;) {
		void (*fn)(void *) = work[cpu].fn;

		if (fn) {
			sti();		/* work runs with interrupts on: IPIs reach it */
			fn(work[cpu].arg);
			cli();
			work[cpu].fn = NULL;
			__atomic_store_n(&work[cpu].busy, false, __ATOMIC_RELEASE);
		}
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
}

bool smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (cpu == 0 || cpu >= ncpus || work[cpu].busy)
		return false;
	work[cpu].busy = true;
	work[cpu].arg = arg;
	__atomic_store_n(&work[cpu].fn, fn, __ATOMIC_RELEASE);
	return lapic_send(percpu[cpu].apic_id, ICR_FIXED | ICR_ASSERT | VEC_WAKE);
}

void smp_wait(unsigned cpu)
{
	while (__atomic_load_n(&work[cpu].busy, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
}

void smp_print_stats(void)
{
	struct tlb_stats st;

	if (ncpus < 2)
		return;
	tlb_get_stats(&st);
	kprintf("tlb: %llu shootdowns on %u CPUs, %llu cycles in them (%llu per shootdown)",
		(unsigned long long)st.shootdowns, ncpus, (unsigned long long)st.cycles,
		(unsigned long long)(st.shootdowns ? st.cycles / st.shootdowns : 0));
	kprintf("smp: heap lock: %llu polls spent waiting for it, all CPUs",
		(unsigned long long)kheap_lock_spins());
}
