/*
 * Free kernel virtual ranges, sorted by address, in a static table.
 * Invariant: ranges are non-empty, page-aligned, sorted, and never touch
 * (touching ranges are merged).
 */
#include "mm/vspace.h"

struct vrange { uintptr_t start, end; };

static struct vrange vr[VSPACE_MAX_RANGES];
static size_t nvr;

static void remove_at(size_t i)
{
	for (; i + 1 < nvr; i++)
		vr[i] = vr[i + 1];
	nvr--;
}

static void insert_at(size_t i, uintptr_t start, uintptr_t end)
{
	if (nvr == VSPACE_MAX_RANGES)
		panic("vspace: more than %d free ranges while freeing %#lx-%#lx",
		      VSPACE_MAX_RANGES, (unsigned long)start, (unsigned long)end);
	for (size_t j = nvr; j > i; j--)
		vr[j] = vr[j - 1];
	vr[i].start = start;
	vr[i].end = end;
	nvr++;
}

void vspace_init(uintptr_t start, uintptr_t end)
{
	nvr = 0;
	start = (start + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
	end &= ~(uintptr_t)(PAGE_SIZE - 1);
	if (end > start)
		insert_at(0, start, end);
}

/* Cut [va, va+len) out of range i, which contains it. */
static void cut(size_t i, uintptr_t va, uintptr_t len)
{
	uintptr_t end = vr[i].end;

	if (va == vr[i].start && va + len == end) {
		remove_at(i);
		return;
	}
	if (va == vr[i].start) {
		vr[i].start += len;
		return;
	}
	vr[i].end = va;
	if (va + len < end)
		insert_at(i + 1, va + len, end);
}

uintptr_t vspace_alloc(size_t npages)
{
	uintptr_t len = (uintptr_t)npages * PAGE_SIZE;

	for (size_t i = 0; i < nvr; i++) {
		if (npages && vr[i].end - vr[i].start >= len) {
			uintptr_t va = vr[i].start;

			cut(i, va, len);
			return va;
		}
	}
	return 0;
}

bool vspace_take(uintptr_t va, size_t npages)
{
	uintptr_t len = (uintptr_t)npages * PAGE_SIZE;

	for (size_t i = 0; i < nvr; i++) {
		if (va >= vr[i].start && va + len <= vr[i].end && va + len > va) {
			cut(i, va, len);
			return true;
		}
	}
	return false;
}

void vspace_free(uintptr_t va, size_t npages)
{
	uintptr_t end = va + (uintptr_t)npages * PAGE_SIZE;
	size_t i = 0;

	while (i < nvr && vr[i].end <= va)
		i++;
	if (i < nvr && vr[i].start < end)
		panic("vspace: freeing %#lx-%#lx, which overlaps free %#lx-%#lx",
		      (unsigned long)va, (unsigned long)end,
		      (unsigned long)vr[i].start, (unsigned long)vr[i].end);
	if (i > 0 && vr[i - 1].end == va) {
		vr[i - 1].end = end;
		if (i < nvr && vr[i].start == end) {
			vr[i - 1].end = vr[i].end;
			remove_at(i);
		}
	} else if (i < nvr && vr[i].start == end) {
		vr[i].start = va;
	} else {
		insert_at(i, va, end);
	}
}

size_t vspace_largest(uintptr_t *start)
{
	size_t best = 0;

	for (size_t i = 0; i < nvr; i++) {
		size_t n = (vr[i].end - vr[i].start) / PAGE_SIZE;

		if (n > best) {
			best = n;
			*start = vr[i].start;
		}
	}
	return best;
}

size_t vspace_free_pages(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nvr; i++)
		n += (vr[i].end - vr[i].start) / PAGE_SIZE;
	return n;
}
