/*
 * Where the AP trampoline lies (arch/x86/trampoline_32.S or _64.S,
 * src/smp.c): four pages below 1 MiB, which the frame allocator never
 * hands out: the code, then the page tables the trampoline turns paging
 * on with (src/smp_32.c: a directory and one table; src/smp_64.c: a PML4,
 * a PDPT and a PD).  Constants only: assembly includes it.
 */
#ifndef ARCH_X86_SMP_BOOT_H
#define ARCH_X86_SMP_BOOT_H

#define TRAMP_PA	0x8000
#define TRAMP_TABLE(n)	(0x1000 * ((n) + 1))	/* table page n: the code has the page before */
#define TRAMP_SIZE	0x4000
#define VEC_WAKE	0xF0
#define VEC_SHOOTDOWN	0xF1
#define VEC_SPURIOUS	0xFF

#endif
