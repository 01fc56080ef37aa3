/*
 * The kernel's fixed owners in the owner index (mm/owner.h): the image's
 * sections, the boot stack and its guard (inside .bss), the null
 * page, the recursive page-table window.  Registered once, at the start
 * of boot_mm_init; other owners register where they are made (frame
 * database, heap, modules, MMIO, stacks, vmalloc).
 *
 * Context: boot, one CPU.
 */
#ifndef SRC_OWNERS_H
#define SRC_OWNERS_H

void owners_boot_init(void);

#endif
