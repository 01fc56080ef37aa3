/*
 * GRUB modules (module2 lines) mapped into kernel virtual space: the
 * arena modules (docs/vmem.md), a child of kva importing 64 KiB spans.
 *
 * Promises: after modules_map, each module's bytes are readable at
 * module_get(i)->va, mapped WIRED on the module's own frames, which the
 * frame allocator never hands out (boot_mm_init holds them as PR_KERNEL).
 * The boot log names each module with its range and an FNV-1a checksum
 * of its bytes (module_checksum computes it again).  A module that
 * cannot be mapped is reported and left out.
 *
 * Context: boot (modules_map, once, after the heap is set up); then any.
 */
#ifndef SRC_MODULES_H
#define SRC_MODULES_H

#include "src/multiboot2.h"
#include "mm/vmem.h"

struct kmodule {
	char name[64];
	uint32_t phys, size;	/* bytes, as GRUB loaded them */
	const uint8_t *va;
	uint32_t boot_sum;	/* the checksum taken when it was mapped */
};

/* Create the arena and note the modules (boot_mm_init). */
void modules_init(vmem_t *kva, const struct boot_info *bi);
void modules_map(void);
size_t module_count(void);
const struct kmodule *module_get(size_t i);
uint32_t module_checksum(const uint8_t *p, size_t n);
/* Each page of m WIRED on its own used frame, in order: the index of a bad one, or -1. */
long module_bad_page(const struct kmodule *m);
/* Every module's pages and bytes as at boot: one log line each ("intact <when>" or FAIL). */
bool modules_check(const char *when);

#endif
