/*
 * The size-class table and its lookup array (mm/sizeclass.h).
 */
#include "mm/sizeclass.h"

/*
 * Multiples of 16 (so every class above 8 is 16-aligned), four classes
 * to each doubling from 64 up: no object wastes more than a fifth of
 * itself to rounding, nor a page run more than a page.
 */
const uint16_t slab_class_sizes[SLAB_CLASSES] = {
	8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448,
	512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
	5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384,
};

/* Class by (size + 15) / 16: the smallest class holding size. */
uint8_t slab_class_for[SLAB_MAX / 16 + 1];

void sizeclass_init(void)
{
	unsigned c = 0;

	for (unsigned i = 1; i < SLAB_CLASSES; i++)
		KASSERT(slab_class_sizes[i] % 16 == 0 && slab_class_sizes[i] > slab_class_sizes[i - 1]);
	KASSERT(slab_class_sizes[SLAB_CLASSES - 1] == SLAB_MAX);
	for (unsigned k = 0; k <= SLAB_MAX / 16; k++) {
		while (slab_class_sizes[c] < k * 16)
			c++;
		slab_class_for[k] = (uint8_t)c;
	}
}
