/*
 * The x86_64 GDT: flat 64-bit kernel code, data, and the 64-bit TSS,
 * whose only use here is IST slot 1: the stack #DF runs on (idt_64.c), so
 * that a kernel stack overflow (a fault that cannot push its frame) is
 * reported instead of triple-faulting.  The selectors are the i386
 * kernel's (0x08 code, 0x10 data) and boot_64.S's.  gdt_load builds and
 * loads one (arch/x86/tss_64.h): the boot CPU's here, each application
 * processor's in arch/x86/percpu_64.c.
 */
#include "arch/x86/trap.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "arch/x86/tss_64.h"
#include "arch/x86/lapic.h"
#include "fault/diag.h"
#include "src/lib.h"

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

static uint64_t gdt[GDT_SLOTS];
static struct tss tss;
static uint8_t df_stack[8192] __attribute__((aligned(16)));

void gdt_load(uint64_t g[GDT_SLOTS], struct tss *t, uintptr_t df_top)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;

	g[0] = 0;
	g[1] = GDT_CODE;
	g[2] = GDT_DATA;
	g[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
	       ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	g[4] = base >> 32;
	t->iomap = sizeof(*t);
	t->ist[0] = df_top;

	gdtr.limit = GDT_SLOTS * sizeof(uint64_t) - 1;
	gdtr.base = (uintptr_t)g;
	__asm__ volatile(
		"lgdt %0\n"
		"pushq %1\n"
		"leaq 1f(%%rip), %%rax\n"
		"pushq %%rax\n"
		"lretq\n"
		"1: mov %2, %%ax\n"
		"mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss\n"
		"xor %%eax, %%eax; mov %%ax, %%fs; mov %%ax, %%gs\n"
		"ltr %w3\n"
		: : "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS) : "rax", "memory");
}

/* The boot CPU's: its double-fault stack is in the image (no guard page below). */
void gdt_init(void)
{
	gdt_load(gdt, &tss, (uintptr_t)(df_stack + sizeof(df_stack)));
}

/* Reached from isr8 on the IST stack, with the faulting context's frame. */
/* The TSS the task register names, read back from this CPU's GDT (its base spans 16 bytes). */
static const struct tss *current_tss(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
	const uint64_t *d;
	uint16_t tr;

	__asm__ volatile("sgdt %0\n str %1" : "=m"(gdtr), "=r"(tr));
	d = (const uint64_t *)gdtr.base + tr / 8;
	return (const struct tss *)(((d[0] >> 16) & 0xFFFFFF) | ((d[0] >> 56) & 0xFF) << 24 |
				    d[1] << 32);
}

/* Whose #DF this is: the CPU, its APIC id, its TSS and the IST 1 stack it runs on. */
void double_fault_report(struct trapframe *tf)
{
	const struct tss *t = current_tss();
	char cpu[128];

	tf->cr2 = read_cr2();
	snprintf(cpu, sizeof(cpu), "%u (APIC id %d), its task state at %p, #DF on its IST 1 "
		 "(stack top %#lx)", cpu_id(), lapic_mmio ? (int)lapic_id() : -1, (const void *)t,
		 (unsigned long)t->ist[0]);
	diag_double_fault_on(tf, tf_esp(tf), cpu);
}
