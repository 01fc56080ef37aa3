/*
 * GDT with flat kernel code and data, a TSS for the running task and a
 * second TSS for the double-fault task.  #DF goes through a task gate so
 * that a kernel stack overflow (a fault that cannot push its frame) lands
 * on a known-good stack and is reported instead of triple-faulting.
 */
#include "arch/x86/trap.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tss_32.h"
#include "arch/x86/lapic.h"
#include "fault/diag.h"
#include "src/lib.h"


#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18
#define SEL_DFTSS 0x20

static uint64_t gdt[5];
static struct tss tss_main, tss_df;
static uint8_t df_stack[8192] __attribute__((aligned(16)));

extern void double_fault_entry(void);

static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xF) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

void gdt_init(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr;

	gdt[0] = 0;
	gdt[1] = seg(0, 0xFFFFF, 0x9A, 0xC);
	gdt[2] = seg(0, 0xFFFFF, 0x92, 0xC);
	gdt[3] = seg((uint32_t)&tss_main, sizeof(tss_main) - 1, 0x89, 0);
	gdt[4] = seg((uint32_t)&tss_df, sizeof(tss_df) - 1, 0x89, 0);

	tss_main.iomap = sizeof(tss_main);
	tss_df.iomap = sizeof(tss_df);
	tss_df.eip = (uint32_t)double_fault_entry;
	tss_df.esp = (uint32_t)(df_stack + sizeof(df_stack));
	tss_df.cs = SEL_KCODE;
	tss_df.ss = tss_df.ds = tss_df.es = tss_df.fs = tss_df.gs = SEL_KDATA;
	tss_df.eflags = 0x2;		/* interrupts off */
	tss_df.cr3 = read_cr3();

	gdtr.limit = sizeof(gdt) - 1;
	gdtr.base = (uint32_t)gdt;
	__asm__ volatile(
		"lgdt %0\n"
		"ljmp %1, $1f\n"
		"1: mov %2, %%ax\n"
		"mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss\n"
		"mov %%ax, %%fs; mov %%ax, %%gs\n"
		"ltr %w3\n"
		: : "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS) : "eax", "memory");
}

uint16_t gdt_df_selector(void) { return SEL_DFTSS; }

/* The TSS whose descriptor selector sel names in this CPU's GDT. */
static const struct tss *tss_at(uint16_t sel)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr;
	uint64_t d;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	d = ((const uint64_t *)gdtr.base)[sel >> 3];
	return (const struct tss *)((uint32_t)((d >> 16) & 0xFFFFFF) | (uint32_t)((d >> 56) << 24));
}

/*
 * Runs as the #DF task of the CPU that faulted (each CPU has its own,
 * arch/x86/percpu_32.c): the task register names that CPU's #DF TSS,
 * whose back link names the TSS the faulting context was saved in.
 */
void double_fault_report(void)
{
	uint16_t tr;
	const struct tss *df, *t;
	struct trapframe tf;
	char cpu[128];

	__asm__ volatile("str %0" : "=r"(tr));
	df = tss_at(tr);
	t = tss_at(df->link);
	memset(&tf, 0, sizeof(tf));
	tf.vector = T_DOUBLE;
	tf.cr2 = read_cr2();
	tf.eip = t->eip;
	tf.eflags = t->eflags;
	tf.cs = t->cs;
	tf.eax = t->eax; tf.ebx = t->ebx; tf.ecx = t->ecx;
	tf.edx = t->edx; tf.esi = t->esi; tf.edi = t->edi;
	tf.ebp = t->ebp; tf.esp_pusha = t->esp;
	snprintf(cpu, sizeof(cpu), "%u (APIC id %d), its task state at %p, its #DF task's at %p "
		 "(stack top %#lx)", cpu_id(), lapic_mmio ? (int)lapic_id() : -1, (const void *)t,
		 (const void *)df, (unsigned long)df->esp);
	diag_double_fault_on(&tf, t->esp, cpu);
}
