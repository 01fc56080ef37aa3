/*
 * What src/smp.c (the bring-up, both widths) and src/smp_32.c or
 * smp_64.c (the width's trampoline page tables) say to each other.
 * Context: smp_init, boot CPU, before any application processor starts.
 */
#ifndef SRC_SMP_INT_H
#define SRC_SMP_INT_H

#include <stdint.h>

/*
 * Fill the trampoline's table pages (arch/x86/smp_boot.h, TRAMP_TABLE):
 * t maps TRAMP_PA..+TRAMP_SIZE, the code already copied to its start.
 * The tables the trampoline enters paging with must map the kernel image
 * at its own addresses and the code page at TRAMP_PA.
 */
void trampoline_tables(uint8_t *t);

#endif
