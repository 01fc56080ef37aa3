/*
 * ACPI, as far as SMP needs it: the processors the MADT lists.
 *
 * Promises: acpi_find_cpus starts from the RSDP that the Multiboot2 ACPI
 * tags hand over (a copy, tag 14 for ACPI 1.0, tag 15 for 2.0+), follows
 * the XSDT (or the RSDT where there is none) to the MADT, and fills
 * struct acpi_cpus with the local APIC of each enabled processor.  Every
 * structure is checked before it is used: signatures, checksums, lengths
 * against their headers and each MADT entry against the table's end.  On
 * the first problem it fails with what was wrong and where (the table's
 * signature and physical address, the entry's offset); the caller then
 * runs on one CPU.  More processors than ACPI_MAX_CPUS: the first are
 * kept, the rest counted in nskipped.
 *
 * Context: boot; pure C over the reader in struct acpi_io (the kernel maps
 * tables with ioremap, the host tests read a simulated physical memory).
 */
#ifndef SRC_ACPI_H
#define SRC_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ACPI_MAX_CPUS	16
#define ACPI_RSDP_MAX	36	/* bytes of an ACPI 2.0 RSDP */

/* How the parser reads physical memory: map len bytes at pa (NULL: none), unmap. */
struct acpi_io {
	const void *(*map)(void *ctx, uint64_t pa, size_t len);
	void (*unmap)(void *ctx, const void *p, size_t len);
	void *ctx;
};

struct acpi_cpus {
	uint64_t lapic_phys;		/* the local APICs' address (MADT, or its override) */
	unsigned ncpus;			/* enabled processors kept */
	uint8_t apic_id[ACPI_MAX_CPUS];
	uint8_t acpi_id[ACPI_MAX_CPUS];
	unsigned ndisabled;		/* listed but neither enabled nor online-capable */
	unsigned nskipped;		/* enabled, past ACPI_MAX_CPUS or x2APIC-only */
	char root[5];			/* "XSDT" or "RSDT": the table followed */
};

struct acpi_error { char what[160]; };

/* Find the processors from the RSDP copy rsdp[len]; false with *err on a problem. */
bool acpi_find_cpus(const uint8_t *rsdp, size_t len, const struct acpi_io *io,
		    struct acpi_cpus *out, struct acpi_error *err);

#endif
