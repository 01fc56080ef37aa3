/*
 * The i386 task-state segment: the boot CPU's two (arch/x86/gdt_32.c) and
 * each application processor's (arch/x86/percpu_32.c) use this one layout.
 */
#ifndef ARCH_X86_TSS_32_H
#define ARCH_X86_TSS_32_H

#include <stdint.h>

struct tss {
	uint16_t link, r0;
	uint32_t esp0; uint16_t ss0, r1;
	uint32_t esp1; uint16_t ss1, r2;
	uint32_t esp2; uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap;
} __attribute__((packed));

#endif
