/*
 * The x86_64 task-state segment and the GDT around it, both the boot
 * CPU's (arch/x86/gdt_64.c) and each application processor's
 * (arch/x86/percpu_64.c): null, 64-bit code 0x08, data 0x10, and the TSS
 * at 0x18, whose descriptor takes two slots.  The TSS's one use is IST
 * slot 1, the stack #DF runs on (idt_64.c).
 *
 * Promises: gdt_load loads a GDT of this layout, reloads every segment
 * register (%fs and %gs get the null selector, which clears the GS base:
 * set it after) and the task register.
 * Context: boot, interrupts off, on the CPU whose GDT it is.
 */
#ifndef ARCH_X86_TSS_64_H
#define ARCH_X86_TSS_64_H

#include <stdint.h>

struct tss {
	uint32_t r0;
	uint64_t rsp[3];
	uint64_t r1;
	uint64_t ist[7];
	uint64_t r2;
	uint16_t r3, iomap;
} __attribute__((packed));

#define GDT_SLOTS	5
#define GDT_CODE	0x00AF9A000000FFFFull	/* present, ring 0, L */
#define GDT_DATA	0x00CF92000000FFFFull

/* gdt[0..4] as above, its TSS t (iomap set, IST 1 at df_top), then loaded. */
void gdt_load(uint64_t gdt[GDT_SLOTS], struct tss *t, uintptr_t df_top);

#endif
