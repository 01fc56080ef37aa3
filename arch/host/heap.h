#ifndef ARCH_HOST_HEAP_H
#define ARCH_HOST_HEAP_H

#include "mm/platform.h"

/* A heap of region_pages over a simulated machine with `frames` frames. */
void host_heap_init(size_t region_pages, uint32_t frames, bool overcommit);

#endif
