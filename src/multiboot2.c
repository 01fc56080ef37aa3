/*
 * Multiboot2 information parser.  Layout: u32 total_size, u32 reserved,
 * then tags {u32 type, u32 size, payload}, each starting 8-byte aligned,
 * ended by a type-0 tag of size 8.  Tags used here:
 *   1 command line, 2 boot loader name (NUL-terminated strings),
 *   3 module {u32 start, u32 end, string}, 6 memory map {u32 entry_size,
 *   u32 entry_version, entries of {u64 base, u64 length, u32 type, u32}},
 *   14 ACPI old (a copy of the 20-byte ACPI 1.0 RSDP), 15 ACPI new (a
 *   copy of the ACPI 2.0+ RSDP, at least 36 bytes); the new one wins.
 * Unknown tags are skipped by size.
 */
#include "src/multiboot2.h"
#include "src/lib.h"

#define TAG_END		0
#define TAG_CMDLINE	1
#define TAG_LOADER	2
#define TAG_MODULE	3
#define TAG_MMAP	6
#define TAG_FRAMEBUFFER	8
#define TAG_ACPI_OLD	14
#define TAG_ACPI_NEW	15

__attribute__((format(printf, 4, 5)))
static bool fail(struct mb2_error *err, uint32_t type, uint32_t off,
		 const char *fmt, ...)
{
	va_list ap;

	err->type = type;
	err->offset = off;
	va_start(ap, fmt);
	vsnprintf(err->what, sizeof(err->what), fmt, ap);
	va_end(ap);
	return false;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The length of a NUL-terminated string that must end inside [p, p+len). */
static bool str_len(const uint8_t *p, size_t len, size_t *n)
{
	for (*n = 0; *n < len; (*n)++)
		if (!p[*n])
			return true;
	return false;
}

/*
 * Copy the string at p (of n characters) into dst[dlen]; one too long is
 * kept cut, and reported naming the tag's offset and both lengths.
 */
static void copy_str(char *dst, size_t dlen, const uint8_t *p, size_t n,
		     const char *what, uint32_t off, struct boot_info *bi)
{
	bool fits = n < dlen;
	size_t keep = fits ? n : dlen - 1;

	memcpy(dst, p, keep);
	dst[keep] = '\0';
	if (fits)
		return;
	klog(LOG_WARN, "multiboot2: %s at offset %u cut to %zu of its %zu characters: '%s'",
	     what, (unsigned)off, keep, n, dst);
	bi->ncut++;
}

static bool parse_mmap(const uint8_t *t, uint32_t size, uint32_t off,
		       struct boot_info *bi, struct mb2_error *err)
{
	uint32_t esize, n;

	if (size < 16)
		return fail(err, TAG_MMAP, off, "memory map tag of %u bytes is shorter than its 16-byte header", size);
	esize = rd32(t + 8);
	if (esize < 24 || esize % 8)
		return fail(err, TAG_MMAP, off, "memory map entry size %u (must be a multiple of 8, at least 24)", esize);
	if ((size - 16) % esize)
		return fail(err, TAG_MMAP, off, "memory map body of %u bytes is not a whole number of %u-byte entries", size - 16, esize);
	n = (size - 16) / esize;
	if (bi->nmem + n > MB2_MAX_MEM)
		return fail(err, TAG_MMAP, off, "memory map has %u entries; this kernel keeps at most %d", (unsigned)bi->nmem + n, MB2_MAX_MEM);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = t + 16 + i * esize;
		uint64_t base = rd64(e), len = rd64(e + 8);
		uint32_t type = rd32(e + 16);
		struct phys_range *r = &bi->mem[bi->nmem];

		if (base + len < base)
			return fail(err, TAG_MMAP, off, "memory map entry %u wraps past 2^64 (length %#llx)", i, (unsigned long long)len);
		r->start = base;
		r->end = base + len;
		r->kind = type == 1 ? PR_RAM : PR_FIRMWARE;
		bi->mem_type[bi->nmem++] = type;
	}
	return true;
}

/* Tag 8: address (8 bytes), pitch, width, height, bpp (1), type (1), 2 reserved. */
static bool parse_fb(const uint8_t *t, uint32_t size, uint32_t off, struct boot_info *bi,
		     struct mb2_error *err)
{
	struct mb2_framebuffer *fb = &bi->fb;

	if (size < 30)
		return fail(err, TAG_FRAMEBUFFER, off, "framebuffer tag of %u bytes is shorter than 30", size);
	fb->addr = rd64(t + 8);
	fb->pitch = rd32(t + 16);
	fb->width = rd32(t + 20);
	fb->height = rd32(t + 24);
	fb->bpp = t[28];
	fb->type = t[29];
	fb->size = (uint64_t)fb->pitch * fb->height;
	if (!fb->size || fb->addr + fb->size < fb->addr)
		return fail(err, TAG_FRAMEBUFFER, off, "framebuffer at %#llx of %u x %u bytes is empty or wraps",
			    (unsigned long long)fb->addr, fb->pitch, fb->height);
	return true;
}

/* Keep the RSDP copy of an ACPI tag (src/acpi.c checks what it holds). */
static bool parse_acpi(const uint8_t *t, uint32_t type, uint32_t size, uint32_t off,
		       struct boot_info *bi, struct mb2_error *err)
{
	uint32_t need = type == TAG_ACPI_NEW ? 36 : 20, n = size - 8;

	if (n < need)
		return fail(err, type, off, "ACPI tag of %u bytes holds %u bytes of RSDP, below %u",
			    size, n, need);
	if (bi->rsdp_tag == TAG_ACPI_NEW)
		return true;
	bi->rsdp_len = MIN(n, (uint32_t)sizeof(bi->rsdp));
	memcpy(bi->rsdp, t + 8, bi->rsdp_len);
	bi->rsdp_tag = type;
	return true;
}

static bool parse_tag(const uint8_t *t, uint32_t type, uint32_t size,
		      uint32_t off, struct boot_info *bi, struct mb2_error *err)
{
	size_t n;

	switch (type) {
	case TAG_CMDLINE:
		if (!str_len(t + 8, size - 8, &n))
			return fail(err, type, off, "command line is not NUL-terminated within its %u-byte tag", size);
		bi->cmdline = (const char *)t + 8;
		return true;
	case TAG_LOADER:
		if (!str_len(t + 8, size - 8, &n))
			return fail(err, type, off, "boot loader name is not NUL-terminated within its %u-byte tag", size);
		copy_str(bi->loader, sizeof(bi->loader), t + 8, n, "boot loader name", off, bi);
		return true;
	case TAG_MODULE: {
		struct mb2_module *m = &bi->mods[bi->nmods];

		if (size < 17)
			return fail(err, type, off, "module tag of %u bytes is shorter than 17", size);
		if (bi->nmods == MB2_MAX_MODS)
			return fail(err, type, off, "more than %d modules", MB2_MAX_MODS);
		m->start = rd32(t + 8);
		m->end = rd32(t + 12);
		if (m->end < m->start)
			return fail(err, type, off, "module ends (%#x) before it starts (%#x)", m->end, m->start);
		if (!str_len(t + 16, size - 16, &n))
			return fail(err, type, off, "module string is not NUL-terminated within its %u-byte tag", size);
		copy_str(m->name, sizeof(m->name), t + 16, n, "module name", off, bi);
		bi->nmods++;
		return true;
	}
	case TAG_MMAP:
		return parse_mmap(t, size, off, bi, err);
	case TAG_FRAMEBUFFER:
		return parse_fb(t, size, off, bi, err);
	case TAG_ACPI_OLD:
	case TAG_ACPI_NEW:
		return parse_acpi(t, type, size, off, bi, err);
	default:
		return true;
	}
}

bool mb2_parse(const void *info, size_t avail, struct boot_info *bi,
	       struct mb2_error *err)
{
	const uint8_t *p = info;
	uint32_t total, off = 8;
	bool have_mmap = false;

	memset(bi, 0, sizeof(*bi));
	bi->cmdline = "";
	if ((uintptr_t)info & 7)
		return fail(err, MB2_NO_TAG, 0, "info block at %#x is not 8-byte aligned", (unsigned)(uintptr_t)info);
	if (avail < 8)
		return fail(err, MB2_NO_TAG, 0, "only %zu bytes readable; the header needs 8", avail);
	total = rd32(p);
	bi->total_size = total;
	if (total < 16 || total > avail)
		return fail(err, MB2_NO_TAG, 0, "total_size %u is not within 16..%zu", total, avail);
	for (;;) {
		uint32_t type, size;

		if (off + 8 > total)
			return fail(err, MB2_NO_TAG, off, "no end tag: tags run to offset %u of %u bytes", off, total);
		type = rd32(p + off);
		size = rd32(p + off + 4);
		if (size < 8)
			return fail(err, type, off, "tag size %u is below the 8-byte minimum", size);
		if (size > total - off)
			return fail(err, type, off, "tag size %u runs past the block's end (%u bytes)", size, total);
		if (type == TAG_END) {
			if (size != 8)
				return fail(err, type, off, "end tag has size %u, not 8", size);
			break;
		}
		if (!parse_tag(p + off, type, size, off, bi, err))
			return false;
		have_mmap |= type == TAG_MMAP;
		off = (off + size + 7) & ~7u;
	}
	if (!have_mmap)
		return fail(err, MB2_NO_TAG, off, "no memory map tag (type 6)");
	return true;
}
