#ifndef SRC_BALLOON_H
#define SRC_BALLOON_H

#include "mm/platform.h"

/*
 * The balloon: frames taken straight from the frame allocator and held,
 * standing in for user processes and caches, so the heap meets real
 * memory pressure.  It takes only frames nobody was promised, so it never
 * breaks the heap's commit promise; taking them below the low watermark
 * is what wakes the scavenger.
 */
bool balloon_init(size_t max_frames);		/* false: no memory for its list */
/* Take or give back frames until frames available (free, unpromised) is near target. */
void balloon_set_target(size_t avail_target);
size_t balloon_held(void);
void balloon_release_all(void);

#endif
