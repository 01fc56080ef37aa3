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

/* Class by (size + 7) / 8: the smallest class holding size (entry 0: size 0). */
uint8_t slab_class_for[SLAB_MAX / 8 + 1];

/*
 * Per class, for slab_class_div_exact: the inverse of the size's odd part
 * modulo 2^32 and the size's power of two.
 */
uint32_t slab_class_inv[SLAB_CLASSES];
uint8_t slab_class_shift[SLAB_CLASSES];

/* d * x == 1 (mod 2^32) for odd d: Newton's step doubles the bits right (d * d == 1 mod 8). */
static uint32_t inverse_odd(uint32_t d)
{
	uint32_t x = d;

	for (int i = 0; i < 4; i++)
		x *= 2 - d * x;
	return x;
}

static void divisors_init(void)
{
	for (unsigned i = 0; i < SLAB_CLASSES; i++) {
		unsigned k = (unsigned)__builtin_ctz(slab_class_sizes[i]);

		slab_class_shift[i] = (uint8_t)k;
		slab_class_inv[i] = inverse_odd(slab_class_sizes[i] >> k);
		KASSERT((uint32_t)(slab_class_inv[i] * (slab_class_sizes[i] >> k)) == 1);
	}
}

void sizeclass_init(void)
{
	unsigned c = 0;

	for (unsigned i = 1; i < SLAB_CLASSES; i++)
		KASSERT(slab_class_sizes[i] % 16 == 0 && slab_class_sizes[i] > slab_class_sizes[i - 1]);
	KASSERT(slab_class_sizes[SLAB_CLASSES - 1] == SLAB_MAX);
	for (unsigned k = 0; k <= SLAB_MAX / 8; k++) {
		while (slab_class_sizes[c] < k * 8)
			c++;
		slab_class_for[k] = (uint8_t)c;
	}
	divisors_init();
}
