/*
 * pagestate-tables: print the tables the trace tools copy, one item a
 * line, for tests/trace/check-tables to compare with the Python trace
 * library (scripts/kheaptrace.py, table_lines()):
 *
 *   state NAME          every state, in enum page_state order
 *   cause NAME          every cause, in enum ps_cause order
 *   mapped NAME         every state pagestate_is_mapped() accepts
 *   frame NAME          every state pagestate_has_frame() accepts
 *   edge FROM TO        every pair pagestate_allowed() accepts
 *   category NAME       the trace categories, in bit order, as the
 *                       header of trace_start(TR_ALL) names them
 *   version N           TRACE_VERSION
 *
 * Built on the host from mm/ and arch/host/ (no test harness).
 */
#include <stdio.h>
#include <string.h>
#include "mm/pagestate.h"
#include "mm/trace.h"

extern FILE *host_trace_file;		/* arch/host/platform.c */

static void print_states(void)
{
	for (unsigned s = 0; s < PS_COUNT; s++)
		printf("state %s\n", pagestate_name(s));
	for (unsigned c = 0; c < PC_COUNT; c++)
		printf("cause %s\n", pagestate_cause_name(c));
	for (unsigned s = 0; s < PS_COUNT; s++)
		if (pagestate_is_mapped(s))
			printf("mapped %s\n", pagestate_name(s));
	for (unsigned s = 0; s < PS_COUNT; s++)
		if (pagestate_has_frame(s))
			printf("frame %s\n", pagestate_name(s));
	for (unsigned from = 0; from < PS_COUNT; from++)
		for (unsigned to = 0; to < PS_COUNT; to++)
			if (pagestate_allowed(from, to))
				printf("edge %s %s\n", pagestate_name(from), pagestate_name(to));
}

/* The header line trace_start writes with every category on. */
static void print_categories(void)
{
	char line[512], *p;
	FILE *f = tmpfile();

	if (!f)
		return;
	host_trace_file = f;
	trace_start(TR_ALL, 0x100000, 1);
	host_trace_file = NULL;
	trace_start(0, 0, 0);
	rewind(f);
	if (fgets(line, sizeof(line), f) && (p = strstr(line, "categories=")))
		for (p = strtok(p + strlen("categories="), ",\n"); p; p = strtok(NULL, ",\n"))
			printf("category %s\n", p);
	fclose(f);
}

int main(void)
{
	print_states();
	print_categories();
	printf("version %d\n", TRACE_VERSION);
	return 0;
}
