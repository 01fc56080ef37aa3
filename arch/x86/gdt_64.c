/*
 * The x86_64 GDT: flat 64-bit kernel code, data, and the 64-bit TSS,
 * whose only use here is IST slot 1: the stack #DF runs on (idt_64.c), so
 * that a kernel stack overflow (a fault that cannot push its frame) is
 * reported instead of triple-faulting.  The selectors are the i386
 * kernel's (0x08 code, 0x10 data) and boot_64.S's.
 */
#include "arch/x86/trap.h"
#include "arch/x86/layout.h"
#include "arch/x86/cpu.h"
#include "fault/diag.h"

struct tss {
	uint32_t r0;
	uint64_t rsp[3];
	uint64_t r1;
	uint64_t ist[7];
	uint64_t r2;
	uint16_t r3, iomap;
} __attribute__((packed));

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS   0x18

static uint64_t gdt[5];			/* the TSS descriptor takes two slots */
static struct tss tss;
static uint8_t df_stack[8192] __attribute__((aligned(16)));

void gdt_init(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull;		/* code: present, ring 0, L */
	gdt[2] = 0x00CF92000000FFFFull;		/* data */
	gdt[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[4] = base >> 32;
	tss.iomap = sizeof(tss);
	tss.ist[0] = (uintptr_t)(df_stack + sizeof(df_stack));

	gdtr.limit = sizeof(gdt) - 1;
	gdtr.base = (uintptr_t)gdt;
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

/* Reached from isr8 on the IST stack, with the faulting context's frame. */
void double_fault_report(struct trapframe *tf)
{
	tf->cr2 = read_cr2();
	diag_double_fault(tf, tf_esp(tf));
}
