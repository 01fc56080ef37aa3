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

/* Runs as the #DF task: the faulting context is saved in tss_main. */
void double_fault_report(void)
{
	struct trapframe tf;

	memset(&tf, 0, sizeof(tf));
	tf.vector = T_DOUBLE;
	tf.cr2 = read_cr2();
	tf.eip = tss_main.eip;
	tf.eflags = tss_main.eflags;
	tf.cs = tss_main.cs;
	tf.eax = tss_main.eax; tf.ebx = tss_main.ebx; tf.ecx = tss_main.ecx;
	tf.edx = tss_main.edx; tf.esi = tss_main.esi; tf.edi = tss_main.edi;
	tf.ebp = tss_main.ebp; tf.esp_pusha = tss_main.esp;
	diag_double_fault(&tf, tss_main.esp);
}
