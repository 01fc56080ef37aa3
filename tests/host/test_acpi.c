/*
 * The ACPI parser (src/acpi.c) on tables built in a simulated physical
 * memory: a good set through the XSDT and through the RSDT, then one
 * broken structure per check, each of which must fail with its own
 * diagnostic.  Every map is matched by an unmap, on every path.
 */
#include <string.h>
#include "tests/ktest.h"
#include "src/acpi.h"

#define PHYS_SIZE 0x6000
#define XSDT_PA	0x1000
#define RSDT_PA	0x2000
#define FACP_PA	0x3000
#define MADT_PA	0x4000

static _Alignas(8) uint8_t phys[PHYS_SIZE];
static uint8_t rsdp[36];
static int maps;

static const void *sim_map(void *ctx, uint64_t pa, size_t len)
{
	(void)ctx;
	if (pa >= PHYS_SIZE || len > PHYS_SIZE - pa)
		return NULL;
	maps++;
	return phys + pa;
}

static void sim_unmap(void *ctx, const void *p, size_t len)
{
	(void)ctx; (void)p; (void)len;
	maps--;
}

static const struct acpi_io io = { sim_map, sim_unmap, NULL };

static void put32(uint32_t pa, uint32_t v) { memcpy(phys + pa, &v, 4); }
static void put64(uint32_t pa, uint64_t v) { memcpy(phys + pa, &v, 8); }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Fix the checksum byte (offset 9) of the table at pa. */
static void seal(uint32_t pa)
{
	uint32_t len;

	memcpy(&len, phys + pa + 4, 4);
	phys[pa + 9] = 0;
	phys[pa + 9] = (uint8_t)-sum(phys + pa, len);
}

static void header(uint32_t pa, const char *sig, uint32_t len)
{
	memcpy(phys + pa, sig, 4);
	put32(pa + 4, len);
	phys[pa + 8] = 1;
}

static uint32_t madt_len;

static void madt_cpu(uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
	uint8_t *e = phys + MADT_PA + madt_len;

	e[0] = 0; e[1] = 8; e[2] = acpi_id; e[3] = apic_id;
	memcpy(e + 4, &flags, 4);
	madt_len += 8;
}

static void madt_finish(void)
{
	header(MADT_PA, "APIC", madt_len);
	seal(MADT_PA);
}

static void seal_rsdp(void)
{
	rsdp[8] = 0;
	rsdp[8] = (uint8_t)-sum(rsdp, 20);
	rsdp[32] = 0;
	rsdp[32] = (uint8_t)-sum(rsdp, 36);
}

/* An RSDP 2.0 -> XSDT and RSDT -> FACP, MADT with two CPUs and a disabled one. */
static void build(void)
{
	memset(phys, 0, sizeof(phys));
	memset(rsdp, 0, sizeof(rsdp));
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	memcpy(rsdp + 16, &(uint32_t){ RSDT_PA }, 4);
	memcpy(rsdp + 20, &(uint32_t){ 36 }, 4);
	memcpy(rsdp + 24, &(uint64_t){ XSDT_PA }, 8);
	seal_rsdp();
	header(XSDT_PA, "XSDT", 36 + 16);
	put64(XSDT_PA + 36, FACP_PA);
	put64(XSDT_PA + 44, MADT_PA);
	seal(XSDT_PA);
	header(RSDT_PA, "RSDT", 36 + 8);
	put32(RSDT_PA + 36, FACP_PA);
	put32(RSDT_PA + 40, MADT_PA);
	seal(RSDT_PA);
	header(FACP_PA, "FACP", 36);
	seal(FACP_PA);
	madt_len = 44;
	put32(MADT_PA + 36, 0xFEE00000);
	madt_cpu(0, 0, 1);
	madt_cpu(1, 3, 1);
	madt_cpu(2, 7, 0);
	madt_finish();
	maps = 0;
}

static bool run(struct acpi_cpus *c, struct acpi_error *e)
{
	bool ok = acpi_find_cpus(rsdp, sizeof(rsdp), &io, c, e);

	return ok;
}

/* Fails naming `what`, with every map undone. */
#define CHECK_FAILS(msg) do {						\
	struct acpi_cpus c_;						\
	struct acpi_error e_;						\
	CHECKF(!run(&c_, &e_), "accepted a table broken as: %s", msg); \
	CHECKF(strstr(e_.what, msg), "'%s' does not say '%s'", e_.what, msg); \
	CHECKF(maps == 0, "%d maps left after '%s'", maps, e_.what);	\
} while (0)

TEST(acpi_finds_cpus_through_the_xsdt)
{
	struct acpi_cpus c;
	struct acpi_error e;

	build();
	CHECKF(run(&c, &e), "%s", e.what);
	CHECK(!strcmp(c.root, "XSDT") && c.lapic_phys == 0xFEE00000);
	CHECK(c.ncpus == 2 && c.apic_id[0] == 0 && c.apic_id[1] == 3 && c.acpi_id[1] == 1);
	CHECK(c.ndisabled == 1 && c.nskipped == 0 && maps == 0);
}

TEST(acpi_an_acpi1_rsdp_uses_the_rsdt)
{
	struct acpi_cpus c;
	struct acpi_error e;

	build();
	rsdp[15] = 0;
	seal_rsdp();
	CHECKF(acpi_find_cpus(rsdp, 20, &io, &c, &e), "%s", e.what);
	CHECK(!strcmp(c.root, "RSDT") && c.ncpus == 2 && maps == 0);
}

TEST(acpi_override_and_too_many_cpus)
{
	struct acpi_cpus c;
	struct acpi_error e;

	build();
	madt_len = 44;
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 2; i++)
		madt_cpu((uint8_t)i, (uint8_t)i, 1);
	phys[MADT_PA + madt_len] = 5;
	phys[MADT_PA + madt_len + 1] = 12;
	put64(MADT_PA + madt_len + 4, 0xFED00000);
	madt_len += 12;
	madt_finish();
	CHECKF(run(&c, &e), "%s", e.what);
	CHECK(c.ncpus == ACPI_MAX_CPUS && c.nskipped == 2 && c.lapic_phys == 0xFED00000);
}

TEST(acpi_rejects_a_broken_rsdp)
{
	build(); rsdp[0] = 'X'; CHECK_FAILS("RSDP signature");
	build(); rsdp[16] ^= 1; CHECK_FAILS("RSDP checksum");
	build(); rsdp[30] ^= 1; CHECK_FAILS("RSDP extended checksum");
	build(); rsdp[20] = 40; seal_rsdp(); CHECK_FAILS("RSDP length 40");
	{
		struct acpi_cpus c;
		struct acpi_error e;

		build();
		CHECK(!acpi_find_cpus(rsdp, 24, &io, &c, &e) && strstr(e.what, "shorter than 36"));
		CHECK(!acpi_find_cpus(rsdp, 12, &io, &c, &e) && strstr(e.what, "shorter than its 20"));
	}
}

TEST(acpi_rejects_a_broken_root_table)
{
	build(); phys[XSDT_PA + 40] ^= 1; CHECK_FAILS("XSDT at phys 0x1000: checksum");
	build(); phys[XSDT_PA] = 'Y'; CHECK_FAILS("not XSDT");
	build(); put32(XSDT_PA + 4, 36 + 12); seal(XSDT_PA); CHECK_FAILS("not a whole number");
	build(); put32(XSDT_PA + 4, 20); CHECK_FAILS("length 20 is not within");
	build(); put32(XSDT_PA + 4, PHYS_SIZE); CHECK_FAILS("cannot be mapped");
	build(); put64(XSDT_PA + 44, FACP_PA); seal(XSDT_PA); CHECK_FAILS("no MADT");
	build(); memcpy(rsdp + 24, &(uint64_t){ 0x100000 }, 8); seal_rsdp(); CHECK_FAILS("cannot be mapped");
}

TEST(acpi_rejects_a_broken_madt)
{
	build(); phys[MADT_PA + 50] ^= 1; CHECK_FAILS("APIC at phys 0x4000: checksum");
	build(); phys[MADT_PA + 45] = 0; seal(MADT_PA); CHECK_FAILS("entry at offset 44 has length 0");
	build(); phys[MADT_PA + 53] = 20; seal(MADT_PA); CHECK_FAILS("entry at offset 52 has length 20");
	build(); phys[MADT_PA + 45] = 4; phys[MADT_PA + 49] = 4; seal(MADT_PA);
	CHECK_FAILS("entry type 0 at offset 44 has length 4");
	build(); madt_len = 44; madt_cpu(0, 0, 0); madt_finish(); CHECK_FAILS("no enabled processor");
	build(); madt_len = 40; madt_finish(); CHECK_FAILS("shorter than its 44-byte header");
}
