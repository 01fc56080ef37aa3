/*
 * Where the AP trampoline lies (arch/x86/trampoline_32.S, src/smp_32.c): three
 * pages below 1 MiB, which the frame allocator never hands out: the code,
 * the trampoline page directory, and its page table for the identity map
 * of the code page.  Constants only: assembly includes it.
 */
#ifndef ARCH_X86_SMP_BOOT_H
#define ARCH_X86_SMP_BOOT_H

#define TRAMP_PA	0x8000
#define TRAMP_PD_OFF	0x1000
#define TRAMP_PT_OFF	0x2000
#define TRAMP_SIZE	0x3000
#define VEC_WAKE	0xF0
#define VEC_SHOOTDOWN	0xF1
#define VEC_SPURIOUS	0xFF

#endif
