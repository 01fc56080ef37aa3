/*
 * The balloon's frames are listed in a heap allocation made at start.
 * Inflating stops when frame_alloc fails (even after the scavenger ran).
 */
#include "src/balloon.h"
#include "mm/frame.h"
#include "mm/kheap.h"

static pfn_t *held;
static size_t nheld, cap;

bool balloon_init(size_t max_frames)
{
	cap = max_frames;
	nheld = 0;
	held = kmalloc(cap * sizeof(*held));
	return held != NULL;
}

static size_t available(void)
{
	return frame_available();
}

void balloon_set_target(size_t target)
{
	while (available() > target && nheld < cap) {
		pfn_t f = frame_alloc();

		if (f == PFN_NONE)
			break;
		held[nheld++] = f;
	}
	while (available() < target && nheld)
		frame_free(held[--nheld]);
}

size_t balloon_held(void) { return nheld; }

void balloon_release_all(void)
{
	while (nheld)
		frame_free(held[--nheld]);
	kfree(held);
	held = NULL;
	cap = 0;
}
