/*
 * The ACPI walk from the RSDP to the MADT's processors (src/acpi.h).
 * Layouts (ACPI 6.x, little-endian):
 *   RSDP: "RSD PTR " [0,8), checksum over [0,20), revision [15], RSDT
 *         address u32 [16]; revision >= 2: length u32 [20], XSDT address
 *         u64 [24], extended checksum over [0,length).
 *   header of every table: signature [0,4), length u32 [4], checksum
 *         over [0,length); 36 bytes.  RSDT: u32 addresses from 36, XSDT:
 *         u64 addresses.
 *   MADT ("APIC"): local APIC address u32 [36], flags u32 [40], entries
 *         {u8 type, u8 length, ...} from 44.  Type 0, length 8: processor
 *         id [2], APIC id [3], flags u32 [4] (bit 0 enabled, bit 1 online
 *         capable); type 5, length 12: local APIC address override u64 [4];
 *         type 9, length 16: x2APIC (ids past 255: not startable here).
 * Each table is mapped twice: its header to learn the length, then whole.
 */
#include "src/acpi.h"
#include "src/lib.h"

#define HDR_LEN		36
#define MADT_ENTRIES	44
#define TABLE_MAX	(1u << 20)	/* no table this walk reads is near 1 MiB */

__attribute__((format(printf, 2, 3)))
static bool fail(struct acpi_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->what, sizeof(err->what), fmt, ap);
	va_end(ap);
	return false;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The root table's address from the RSDP, and its signature. */
static bool check_rsdp(const uint8_t *r, size_t len, uint64_t *root, const char **sig,
		       struct acpi_error *err)
{
	uint32_t xlen;

	if (len < 20)
		return fail(err, "RSDP of %zu bytes is shorter than its 20-byte ACPI 1.0 part", len);
	if (memcmp(r, "RSD PTR ", 8))
		return fail(err, "RSDP signature is not 'RSD PTR '");
	if (sum(r, 20))
		return fail(err, "RSDP checksum over its first 20 bytes is %#x, not 0", sum(r, 20));
	*root = rd32(r + 16);
	*sig = "RSDT";
	if (r[15] < 2)
		return true;
	if (len < 36)
		return fail(err, "ACPI %u RSDP of %zu bytes is shorter than 36", r[15], len);
	xlen = rd32(r + 20);
	if (xlen < 36 || xlen > len)
		return fail(err, "RSDP length %u is not within 36..%zu (the bytes handed over)", xlen, len);
	if (sum(r, xlen))
		return fail(err, "RSDP extended checksum is %#x, not 0", sum(r, xlen));
	if (rd64(r + 24)) {
		*root = rd64(r + 24);
		*sig = "XSDT";
	}
	return true;
}

/* The table at pa, whole and checked, signature sig; NULL with *err. */
static const uint8_t *map_table(const struct acpi_io *io, uint64_t pa, const char *sig,
				uint32_t *lenp, struct acpi_error *err)
{
	const uint8_t *h = io->map(io->ctx, pa, HDR_LEN);
	const uint8_t *t;
	uint32_t len;

	if (!h)
		return fail(err, "%s at phys %#llx cannot be mapped", sig, (unsigned long long)pa), NULL;
	len = rd32(h + 4);
	if (memcmp(h, sig, 4)) {
		fail(err, "table at phys %#llx has signature '%.4s', not %s", (unsigned long long)pa,
		     (const char *)h, sig);
		io->unmap(io->ctx, h, HDR_LEN);
		return NULL;
	}
	io->unmap(io->ctx, h, HDR_LEN);
	if (len < HDR_LEN || len > TABLE_MAX)
		return fail(err, "%s at phys %#llx: length %u is not within %d..%u", sig,
			    (unsigned long long)pa, len, HDR_LEN, TABLE_MAX), NULL;
	t = io->map(io->ctx, pa, len);
	if (!t)
		return fail(err, "%s at phys %#llx (%u bytes) cannot be mapped", sig,
			    (unsigned long long)pa, len), NULL;
	if (sum(t, len)) {
		fail(err, "%s at phys %#llx: checksum is %#x, not 0", sig, (unsigned long long)pa, sum(t, len));
		io->unmap(io->ctx, t, len);
		return NULL;
	}
	*lenp = len;
	return t;
}

/* Does the table at pa have signature sig?  (Its header alone; no checksum.) */
static bool has_sig(const struct acpi_io *io, uint64_t pa, const char *sig)
{
	const uint8_t *h = io->map(io->ctx, pa, HDR_LEN);
	bool yes = h && !memcmp(h, sig, 4);

	if (h)
		io->unmap(io->ctx, h, HDR_LEN);
	return yes;
}

/* The MADT's address from the root table t[len] of esize-byte entries; 0 if none. */
static bool find_madt(const uint8_t *t, uint32_t len, unsigned esize, const char *sig,
		      const struct acpi_io *io, uint64_t *madt, struct acpi_error *err)
{
	if ((len - HDR_LEN) % esize)
		return fail(err, "%s body of %u bytes is not a whole number of %u-byte addresses",
			    sig, len - HDR_LEN, esize);
	for (uint32_t off = HDR_LEN; off < len; off += esize) {
		uint64_t pa = esize == 8 ? rd64(t + off) : rd32(t + off);

		if (pa && has_sig(io, pa, "APIC")) {
			*madt = pa;
			return true;
		}
	}
	return fail(err, "%s lists %u tables and no MADT ('APIC')", sig, (len - HDR_LEN) / esize);
}

static void add_cpu(struct acpi_cpus *c, uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
	if (!(flags & 3)) {
		c->ndisabled++;
	} else if (c->ncpus == ACPI_MAX_CPUS) {
		c->nskipped++;
	} else {
		c->acpi_id[c->ncpus] = acpi_id;
		c->apic_id[c->ncpus++] = apic_id;
	}
}

/* One MADT entry e of elen bytes at offset off. */
static bool madt_entry(const uint8_t *e, uint8_t elen, uint32_t off, uint64_t pa,
		       struct acpi_cpus *c, struct acpi_error *err)
{
	static const uint8_t need[16] = { [0] = 8, [5] = 12, [9] = 16 };
	uint8_t type = e[0];

	if (type < 16 && need[type] && elen < need[type])
		return fail(err, "MADT at phys %#llx: entry type %u at offset %u has length %u, "
			    "below its %u", (unsigned long long)pa, type, off, elen, need[type]);
	if (type == 0)
		add_cpu(c, e[2], e[3], rd32(e + 4));
	else if (type == 5)
		c->lapic_phys = rd64(e + 4);
	else if (type == 9 && (rd32(e + 8) & 3))
		c->nskipped++;		/* an x2APIC-only processor: no xAPIC id to start */
	return true;
}

static bool parse_madt(const uint8_t *t, uint32_t len, uint64_t pa, struct acpi_cpus *c,
		       struct acpi_error *err)
{
	uint32_t off = MADT_ENTRIES;

	if (len < MADT_ENTRIES)
		return fail(err, "MADT at phys %#llx: %u bytes, shorter than its 44-byte header",
			    (unsigned long long)pa, len);
	c->lapic_phys = rd32(t + 36);
	while (off < len) {
		uint8_t elen = off + 2 <= len ? t[off + 1] : 0;

		if (elen < 2 || elen > len - off)
			return fail(err, "MADT at phys %#llx: entry at offset %u has length %u, "
				    "outside 2..%u", (unsigned long long)pa, off, elen, len - off);
		if (!madt_entry(t + off, elen, off, pa, c, err))
			return false;
		off += elen;
	}
	if (!c->ncpus)
		return fail(err, "MADT at phys %#llx lists no enabled processor", (unsigned long long)pa);
	return true;
}

bool acpi_find_cpus(const uint8_t *rsdp, size_t len, const struct acpi_io *io,
		    struct acpi_cpus *out, struct acpi_error *err)
{
	const char *sig = "RSDT";
	const uint8_t *t;
	uint64_t root = 0, madt = 0;
	uint32_t tlen;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!check_rsdp(rsdp, len, &root, &sig, err))
		return false;
	memcpy(out->root, sig, 5);
	if (!(t = map_table(io, root, sig, &tlen, err)))
		return false;
	ok = find_madt(t, tlen, sig[0] == 'X' ? 8 : 4, sig, io, &madt, err);
	io->unmap(io->ctx, t, tlen);
	if (!ok || !(t = map_table(io, madt, "APIC", &tlen, err)))
		return false;
	ok = parse_madt(t, tlen, madt, out, err);
	io->unmap(io->ctx, t, tlen);
	return ok;
}
