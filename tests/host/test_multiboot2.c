/*
 * The Multiboot2 parser on hand-built blocks, well-formed and broken:
 * every broken one must fail naming the tag type and offset.
 */
#include <string.h>
#include "tests/ktest.h"
#include "src/multiboot2.h"
#include "tests/host/capture.h"

static _Alignas(8) uint8_t blk[16384];
static uint32_t len;

static void put32(uint32_t v) { memcpy(blk + len, &v, 4); len += 4; }
static void put64(uint64_t v) { memcpy(blk + len, &v, 8); len += 8; }
static void align8(void) { while (len & 7) blk[len++] = 0; }
static void begin(void) { memset(blk, 0, sizeof(blk)); len = 8; }
static void finish(void) { put32(0); put32(8); memcpy(blk, &len, 4); }

static void tag_str(uint32_t type, const char *s)
{
	uint32_t n = (uint32_t)strlen(s) + 1;

	put32(type);
	put32(8 + n);
	memcpy(blk + len, s, n);
	len += n;
	align8();
}

static void tag_mmap(void)
{
	put32(6); put32(16 + 2 * 24); put32(24); put32(0);
	put64(0); put64(0x9fc00); put32(1); put32(0);
	put64(0x100000); put64(0x7f00000); put32(1); put32(0);
}

TEST(mb2_parses_a_good_block)
{
	struct boot_info bi;
	struct mb2_error err;

	begin();
	tag_str(1, "test loglevel=debug");
	tag_str(2, "GRUB 2.06");
	put32(3); put32(16 + 4); put32(0x200000); put32(0x201000); memcpy(blk + len, "mod", 4); len += 4; align8();
	put32(99); put32(12); put32(0); align8();		/* unknown tag: skipped */
	tag_mmap();
	finish();
	CHECKF(mb2_parse(blk, len, &bi, &err), "%s", err.what);
	CHECK(!strcmp(bi.cmdline, "test loglevel=debug") && !strcmp(bi.loader, "GRUB 2.06"));
	CHECK(bi.nmods == 1 && bi.mods[0].start == 0x200000 && !strcmp(bi.mods[0].name, "mod"));
	CHECK(bi.nmem == 2 && bi.mem[1].start == 0x100000 && bi.mem[1].end == 0x8000000);
	CHECK(bi.mem[1].kind == PR_RAM);
	CHECK(bi.ncut == 0);
}

/* A command line of any length comes through whole, in place. */
TEST(mb2_a_long_command_line_is_not_cut)
{
	static char line[12000];
	struct boot_info bi;
	struct mb2_error err;

	for (size_t i = 0; i < sizeof(line) - 1; i++)
		line[i] = i % 14 == 13 ? ' ' : "loglevel=warn"[i % 14];
	line[sizeof(line) - 1] = '\0';
	begin();
	tag_str(1, line);
	tag_mmap();
	finish();
	CHECKF(mb2_parse(blk, len, &bi, &err), "%s", err.what);
	CHECK(strlen(bi.cmdline) == sizeof(line) - 1 && !strcmp(bi.cmdline, line));
	CHECK((const uint8_t *)bi.cmdline == blk + 16);	/* read where it lies */
	CHECK(bi.ncut == 0);
}

/* Names too long for their fields are kept cut, and each cut is reported. */
TEST(mb2_cut_names_are_reported)
{
	char name[101];
	struct boot_info bi;
	struct mb2_error err;
	const char *said;
	bool ok;

	memset(name, 'n', 100);
	name[100] = '\0';
	begin();
	put32(3); put32(16 + 101); put32(0x200000); put32(0x201000);
	memcpy(blk + len, name, 101); len += 101; align8();
	tag_str(2, name);
	tag_mmap();
	finish();
	capture_begin();
	ok = mb2_parse(blk, len, &bi, &err);
	said = capture_end();
	CHECKF(ok, "%s", err.what);
	CHECK(bi.ncut == 2 && strlen(bi.mods[0].name) == 63 && strlen(bi.loader) == 63);
	CHECKF(strstr(said, "multiboot2: module name at offset 8 cut to 63 of its 100 characters: 'nnn"),
	       "said: %s", said);
	CHECKF(strstr(said, "multiboot2: boot loader name at offset 128 cut to 63 of its 100 characters"),
	       "said: %s", said);
}

/* Parse and require failure at (type, offset). */
static bool fails_at(uint32_t avail, uint32_t type, uint32_t off)
{
	struct boot_info bi;
	struct mb2_error err;

	if (mb2_parse(blk, avail, &bi, &err))
		return false;
	return err.type == type && err.offset == off && err.what[0];
}

TEST(mb2_tag_running_past_the_end)
{
	begin();
	tag_mmap();
	put32(1); put32(200); put32(0);			/* cmdline claims 200 bytes */
	align8();
	memcpy(blk, &len, 4);
	CHECK(fails_at(len, 1, 8 + 64));
}

TEST(mb2_truncated_block_and_missing_end_tag)
{
	begin();
	tag_mmap();
	finish();
	CHECK(fails_at(len - 8, MB2_NO_TAG, 0));	/* total_size beyond what is readable */
	len -= 8;					/* drop the end tag */
	memcpy(blk, &len, 4);
	CHECK(fails_at(len, MB2_NO_TAG, len));
}

TEST(mb2_bad_tag_contents)
{
	begin();
	put32(1); put32(12); memcpy(blk + len, "abcd", 4); len += 4; align8();	/* no NUL */
	tag_mmap();
	finish();
	CHECK(fails_at(len, 1, 8));

	begin();
	put32(6); put32(16 + 20); put32(20); put32(0); len += 20;	/* entry size 20 */
	align8();
	finish();
	CHECK(fails_at(len, 6, 8));

	begin();
	put32(3); put32(20); put32(0x300000); put32(0x200000); memcpy(blk + len, "m", 2); len += 4; align8();
	tag_mmap();
	finish();
	CHECK(fails_at(len, 3, 8));			/* module ends before it starts */

	begin();
	put32(7); put32(4);				/* size below 8 */
	finish();
	CHECK(fails_at(len, 7, 8));

	begin();
	tag_str(1, "x");
	finish();
	CHECK(fails_at(len, MB2_NO_TAG, len - 8));	/* no memory map */
}

/* The framebuffer tag (8): its fields copied out; a short or empty one refused. */
static void tag_fb(uint32_t size, uint64_t addr, uint32_t pitch, uint32_t height)
{
	put32(8); put32(size); put64(addr); put32(pitch); put32(1024); put32(height);
	blk[len++] = 32; blk[len++] = 1; len += 2;	/* bpp, RGB, reserved */
	len += size - 32;				/* colour info (none) */
	align8();
}

TEST(mb2_framebuffer_tag)
{
	struct boot_info bi;
	struct mb2_error err;

	begin();
	tag_fb(32, 0xFD000000u, 4096, 768);
	tag_mmap();
	finish();
	CHECKF(mb2_parse(blk, len, &bi, &err), "%s", err.what);
	CHECK(bi.fb.addr == 0xFD000000u && bi.fb.pitch == 4096 && bi.fb.width == 1024);
	CHECK(bi.fb.height == 768 && bi.fb.bpp == 32 && bi.fb.type == 1);
	CHECK(bi.fb.size == 4096u * 768);

	begin();
	tag_mmap();
	finish();
	CHECK(mb2_parse(blk, len, &bi, &err) && bi.fb.size == 0);	/* no tag: none */

	begin();
	put32(8); put32(24); put64(0xFD000000u); put32(4096); put32(1024);	/* 24 bytes */
	tag_mmap();
	finish();
	CHECK(fails_at(len, 8, 8));

	begin();
	tag_fb(32, 0xFD000000u, 4096, 0);		/* no lines */
	tag_mmap();
	finish();
	CHECK(fails_at(len, 8, 8));
}

static void tag_acpi(uint32_t type, uint32_t n, uint8_t fill)
{
	put32(type);
	put32(8 + n);
	memset(blk + len, fill, n);
	len += n;
	align8();
}

/* The new ACPI tag's RSDP wins over the old one's, in either order. */
TEST(mb2_keeps_the_new_acpi_rsdp)
{
	struct boot_info bi;
	struct mb2_error err;

	begin();
	tag_acpi(15, 36, 0xBB);
	tag_acpi(14, 20, 0xAA);
	tag_mmap();
	finish();
	CHECKF(mb2_parse(blk, len, &bi, &err), "%s", err.what);
	CHECK(bi.rsdp_tag == 15 && bi.rsdp_len == 36 && bi.rsdp[35] == 0xBB);
	begin();
	tag_acpi(14, 20, 0xAA);
	tag_mmap();
	finish();
	CHECKF(mb2_parse(blk, len, &bi, &err), "%s", err.what);
	CHECK(bi.rsdp_tag == 14 && bi.rsdp_len == 20 && bi.rsdp[0] == 0xAA);
}

TEST(mb2_rejects_a_short_acpi_tag)
{
	struct boot_info bi;
	struct mb2_error err;

	begin();
	tag_acpi(15, 24, 0);
	tag_mmap();
	finish();
	CHECK(!mb2_parse(blk, len, &bi, &err));
	CHECKF(err.type == 15 && err.offset == 8 && strstr(err.what, "24 bytes of RSDP, below 36"), "%s", err.what);
	begin();
	tag_acpi(14, 12, 0);
	tag_mmap();
	finish();
	CHECK(!mb2_parse(blk, len, &bi, &err));
	CHECKF(err.type == 14 && strstr(err.what, "12 bytes of RSDP, below 20"), "%s", err.what);
}
