/*
 * The i386 PTE constructor and decoders (arch/x86/pte.h, pte_state.h),
 * which the kernel and the host's simulated MMU share: every state packs
 * and unpacks to itself, present exactly when mapped, holding a frame
 * exactly when pagestate_has_frame says (KEPT too), and the entries are
 * those docs/page-states.md tabulates.
 */
#include "tests/ktest.h"
#include "arch/x86/pte_state.h"

static pfn_t frame_for(unsigned s, pfn_t f) { return pagestate_has_frame(s) ? f : PFN_NONE; }

TEST(pte_every_state_round_trips)
{
	static const pfn_t frames[] = { 0, 1, 0x12345, PTE_FRAME_MAX };

	for (unsigned s = 0; s < PS_COUNT; s++) {
		for (unsigned i = 0; i < ARRAY_SIZE(frames); i++) {
			uint32_t e = pte_make(s, frame_for(s, frames[i]));

			CHECKF(pte_state(e) == s, "state %u read back as %u", s, pte_state(e));
			CHECKF(!(e & PTE_P) == !pagestate_is_mapped(s), "state %u: P is %u", s, e & PTE_P);
			CHECK(!!pte_has_frame(e) == pagestate_has_frame(s));
			CHECK(!pte_has_frame(e) || pte_frame(e) == frames[i]);
			CHECK(pte_has_frame(e) || e == (uint32_t)s << PTE_STATE_SHIFT);
			CHECK(!(e & (PTE_U | PTE_G | PTE_A | PTE_D | PTE_PS)));
		}
	}
}

/* The per-state entries of docs/page-states.md, "entry for frame f". */
TEST(pte_entries_match_the_documented_table)
{
	CHECK(pte_make(PS_UNUSABLE, PFN_NONE) == 0x00000000);
	CHECK(pte_make(PS_AOW, PFN_NONE) == 0x00000200);
	CHECK(pte_make(PS_PRESENT, 5) == (5u << 12 | 0x403));
	CHECK(pte_make(PS_ZERO, 5) == (5u << 12 | 0x601));
	CHECK(pte_make(PS_GUARD, PFN_NONE) == 0x00000800);
	CHECK(pte_make(PS_MMIO, 5) == (5u << 12 | 0xA13));
	CHECK(pte_make(PS_WIRED, 5) == (5u << 12 | 0xC03));
	CHECK(pte_make(PS_KEPT, 5) == (5u << 12 | 0xE00));	/* not present, frame kept */
	CHECK(pde_make(5) == (5u << 12 | 0x003));
}
