/*
 * Device and firmware memory mapped into kernel virtual space: the arena
 * mmio (docs/vmem.md), a child of kva that imports 64 KiB spans.
 *
 * Promises: ioremap maps the pages covering [phys, phys + len) as MMIO
 * (present, writable, cache-disabled; mm/pagestate.h) at fresh virtual
 * pages and returns the address of phys itself; NULL (and a report naming
 * the request) for an empty or wrapping range, one above 4 GiB, or no
 * space.  iounmap turns the pages UNUSABLE and gives the range back; a
 * range ioremap did not return is refused with the arena's report.  The
 * caller names device or firmware memory: RAM is not checked for.
 *
 * Context: process context, after boot_mm_init.
 */
#ifndef SRC_IOREMAP_H
#define SRC_IOREMAP_H

#include "mm/vmem.h"
#include "src/multiboot2.h"

/* Create the arena, noting the boot framebuffer (fb->size 0: none) (boot_mm_init). */
void ioremap_init(vmem_t *kva, const struct mb2_framebuffer *fb);
/*
 * Map the devices boot knows of, after the heap is set up: the local
 * APIC, and the framebuffer of the Multiboot2 tag as 'framebuffer'.
 */
void ioremap_boot_devices(void);

void *ioremap(uint64_t phys, size_t len, const char *what);
bool iounmap(void *va, size_t len);

vmem_t *mmio_arena(void);
/* The local APIC's registers as mapped at boot, or NULL if there is none. */
volatile uint32_t *lapic_regs(void);
/* The framebuffer as mapped at boot (NULL if none) and its tag. */
uint8_t *framebuffer(const struct mb2_framebuffer **fb);

#endif
