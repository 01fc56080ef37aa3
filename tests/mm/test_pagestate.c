/*
 * The page-state transition table, on both runners.
 */
#include "tests/ktest.h"
#include "mm/pagestate.h"

TEST(pagestate_transition_table)
{
	/* what the fault path and the scavenger rely on */
	CHECK(pagestate_allowed(PS_UNUSABLE, PS_AOW));
	CHECK(pagestate_allowed(PS_AOW, PS_PRESENT));
	CHECK(pagestate_allowed(PS_AOW, PS_ZERO));
	CHECK(pagestate_allowed(PS_ZERO, PS_PRESENT));
	CHECK(pagestate_allowed(PS_PRESENT, PS_AOW));
	CHECK(pagestate_allowed(PS_ZERO, PS_AOW));
	/* what must never happen */
	CHECK(!pagestate_allowed(PS_GUARD, PS_PRESENT));
	CHECK(!pagestate_allowed(PS_UNUSABLE, PS_PRESENT));
	CHECK(!pagestate_allowed(PS_PRESENT, PS_ZERO));
	CHECK(!pagestate_allowed(PS_MMIO, PS_AOW));
	CHECK(!pagestate_allowed(PS_WIRED, PS_AOW));
	CHECK(!pagestate_allowed(PS_AOW, PS_AOW));
	/* KEPT: entered only by a free of PRESENT, left by reuse or the scavenger */
	for (unsigned s = 0; s < PS_COUNT; s++) {
		CHECK(pagestate_allowed(s, PS_KEPT) == (s == PS_PRESENT));
		CHECK(pagestate_allowed(PS_KEPT, s) == (s == PS_PRESENT || s == PS_AOW));
	}
	CHECK(!pagestate_is_mapped(PS_KEPT) && pagestate_has_frame(PS_KEPT));
	for (unsigned s = 0; s < PS_COUNT; s++)
		CHECK(pagestate_has_frame(s) == (pagestate_is_mapped(s) || s == PS_KEPT));
	CHECK(!pagestate_allowed(PS_COUNT, PS_AOW) && !pagestate_allowed(PS_AOW, 99));
}

TEST(pagestate_names)
{
	CHECK(pagestate_name(PS_AOW)[0] == 'A' && pagestate_name(PS_ZERO)[0] == 'Z');
	CHECK(pagestate_name(42)[0] == 'I');		/* INVALID, not a crash */
	CHECK(pagestate_cause_name(PC_SCAVENGE)[0] == 's');
}
