/*
 * pagestate-tables: print the page-state tables of mm/pagestate.c, one
 * item a line, for tests/trace/check-tables to compare with the Python
 * trace library (scripts/kheaptrace.py, table_lines()):
 *
 *   state NAME          every state, in enum page_state order
 *   cause NAME          every cause, in enum ps_cause order
 *   edge FROM TO        every pair pagestate_allowed() accepts
 *
 * Built on the host from mm/ and arch/host/ (no test harness).
 */
#include <stdio.h>
#include "mm/pagestate.h"

int main(void)
{
	for (unsigned s = 0; s < PS_COUNT; s++)
		printf("state %s\n", pagestate_name(s));
	for (unsigned c = 0; c < PC_COUNT; c++)
		printf("cause %s\n", pagestate_cause_name(c));
	for (unsigned from = 0; from < PS_COUNT; from++)
		for (unsigned to = 0; to < PS_COUNT; to++)
			if (pagestate_allowed(from, to))
				printf("edge %s %s\n", pagestate_name(from), pagestate_name(to));
	return 0;
}
