/*
 * Multiboot2 boot information: parsed out of the block GRUB hands over.
 *
 * Promises: mb2_parse bounds-checks every tag against the block's total
 * size and the bytes actually readable; on a malformed or truncated tag it
 * fails with the tag's type, its offset and what was wrong.  The memory
 * map, modules, framebuffer, loader name and the ACPI tags' RSDP are
 * copied out; a name too long for its field is kept cut and reported
 * (one warning each, counted in ncut).
 * The command line is not copied, so no length of it is ever cut: it
 * points into the block, and is valid only while the block is mapped (in
 * the kernel, until mmu_init; kmain parses and echoes it before).
 *
 * Context: boot; pure C apart from the warnings: the host tests feed it
 * broken blocks.
 */
#ifndef SRC_MULTIBOOT2_H
#define SRC_MULTIBOOT2_H

#include "mm/frame.h"

#define MB2_MAX_MEM	64
#define MB2_MAX_MODS	16

struct mb2_module {
	uint32_t start, end;
	char name[64];
};

/* The framebuffer GRUB set up (tag 8); size 0 if there is none. */
struct mb2_framebuffer {
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;		/* type 0 indexed, 1 RGB, 2 EGA text */
	uint64_t size;			/* pitch * height bytes */
};

struct boot_info {
	const char *cmdline;			/* in the block, whole; "" if no tag */
	char loader[64];
	struct phys_range mem[MB2_MAX_MEM];	/* PR_RAM or PR_FIRMWARE */
	uint32_t mem_type[MB2_MAX_MEM];		/* the map's own type numbers */
	size_t nmem;
	struct mb2_module mods[MB2_MAX_MODS];
	size_t nmods;
	struct mb2_framebuffer fb;
	uint8_t rsdp[36];			/* the ACPI tags' RSDP copy (src/acpi.h) */
	uint32_t rsdp_len;			/* bytes of it; 0: no ACPI tag */
	uint32_t rsdp_tag;			/* 14 (ACPI 1.0) or 15 (2.0+) */
	uint32_t total_size;
	unsigned ncut;				/* names cut to fit, each reported */
};

struct mb2_error {
	uint32_t type;		/* tag type, or MB2_NO_TAG for the header */
	uint32_t offset;	/* byte offset of the tag in the block */
	char what[128];
};
#define MB2_NO_TAG 0xFFFFFFFFu

/* Parse the block at info, of which avail bytes are readable. */
bool mb2_parse(const void *info, size_t avail, struct boot_info *bi,
	       struct mb2_error *err);

#endif
