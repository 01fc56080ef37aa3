/*
 * The interrupt entry's side of the restartable sections
 * (arch/x86/restart.h): finding the section an interrupted instruction
 * pointer is in, and sending it back to the section's start.
 *
 * Context: any entry, interrupts off, before its handler runs; the table
 * is read-only, written by the assembler.
 */
#include "arch/x86/restart.h"

bool restart_rewind_on = true;
unsigned long restart_rewinds;

const struct restart_range *restart_table(size_t *n)
{
	/* The linker's bounds of one section: comparing them is meant. */
	/* cppcheck-suppress comparePointers */
	*n = (size_t)(__stop_restart_table - __start_restart_table);
	return __start_restart_table;
}

const struct restart_range *restart_find(uintptr_t ip)
{
	size_t n;
	const struct restart_range *r = restart_table(&n);

	for (size_t i = 0; i < n; i++)
		if (ip - r[i].start < r[i].end - r[i].start)
			return &r[i];
	return NULL;
}

void restart_rewind(uintptr_t *ip)
{
	const struct restart_range *r;

	if (restart_rewind_on && (r = restart_find(*ip)) != NULL) {
		*ip = r->start;
		restart_rewinds++;
	}
}
