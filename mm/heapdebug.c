/*
 * What the debug levels write and read (mm/heapdebug.h): canary and
 * poison bytes, and the table of allocation and free sites behind the
 * leak report.
 *
 * The site table is open-addressed by code address; an entry is never
 * removed, so an index stays valid for the life of the heap.  Invariant:
 * each entry's count and bytes are those of the live recorded
 * allocations that name it as their allocation site.
 *
 * Locking: the site table under the heap lock; the byte helpers none.
 */
#include "mm/heap_int.h"
#include "mm/heapdebug.h"

unsigned heap_debug_level;

struct site {
	uintptr_t pc;
	size_t count, bytes;
};

static struct site sites[DBG_SITES];	/* index 0 is "none" */

void canary_fill(uintptr_t p, size_t from, size_t to)
{
	volatile uint8_t *b = (volatile uint8_t *)p;	/* another's memory: read later */

	for (size_t i = from; i < to; i++)
		b[i] = canary_byte(p + i);
}

size_t canary_find(uintptr_t p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (((const uint8_t *)p)[i] != canary_byte(p + i))
			return i;
	return to;
}

size_t canary_find_last(uintptr_t p, size_t from, size_t to)
{
	for (size_t i = to; i > from; i--)
		if (((const uint8_t *)p)[i - 1] != canary_byte(p + i - 1))
			return i - 1;
	return to;
}

size_t canary_find_tail(uintptr_t p, size_t from, size_t to)
{
	size_t i = to;

	while (i > from && ((const uint8_t *)p)[i - 1] != canary_byte(p + i - 1))
		i--;
	return i == to ? to : i;
}

void poison_fill(uintptr_t p, size_t n)
{
	memset((void *)p, POISON_BYTE, n);
}

/* A word at a time while p + i is aligned, then byte by byte from the word that differs. */
size_t poison_find(uintptr_t p, size_t n)
{
	const uintptr_t word = (uintptr_t)0x6B6B6B6B6B6B6B6Bull;
	size_t i = 0;

	_Static_assert(POISON_BYTE == 0x6B, "the poison word is made of the poison byte");
	if (p % sizeof(word) == 0)
		while (i + sizeof(word) <= n && *(const uintptr_t *)(p + i) == word)
			i += sizeof(word);
	for (; i < n; i++)
		if (((const uint8_t *)p)[i] != POISON_BYTE)
			return i;
	return n;
}

size_t poison_find_tail(uintptr_t p, size_t n)
{
	size_t i = n;

	while (i > 0 && ((const uint8_t *)p)[i - 1] != POISON_BYTE)
		i--;
	return i;
}

/* The slot of pc: its own, or the empty one where it would go; 0 when full. */
static uint16_t site_slot(uintptr_t pc)
{
	uint32_t h = (uint32_t)((pc ^ (pc >> 12)) * 2654435761u) % (DBG_SITES - 1);

	for (uint32_t n = 0; n < DBG_SITES - 1; n++, h = (h + 1) % (DBG_SITES - 1))
		if (sites[h + 1].pc == pc || !sites[h + 1].pc)
			return (uint16_t)(h + 1);
	return 0;
}

uint16_t site_note(uintptr_t pc)
{
	uint16_t i;

	HEAP_ASSERT_LOCKED();
	if (!pc)
		return 0;
	i = site_slot(pc);
	if (i)
		sites[i].pc = pc;
	return i;
}

uint16_t site_index(uintptr_t pc)
{
	return heap_debug_level < 2 ? 0 : site_note(pc);
}

uintptr_t site_pc(uint16_t idx) { return idx < DBG_SITES ? sites[idx].pc : 0; }

size_t site_live(uintptr_t pc, size_t *bytes)
{
	uint16_t i = pc ? site_slot(pc) : 0;

	HEAP_ASSERT_LOCKED();
	if (!i || sites[i].pc != pc) {
		*bytes = 0;
		return 0;
	}
	*bytes = sites[i].bytes;
	return sites[i].count;
}

void site_count(uint16_t idx, size_t bytes)
{
	if (idx && idx < DBG_SITES) {
		sites[idx].count++;
		sites[idx].bytes += bytes;
	}
}

void site_uncount(uint16_t idx, size_t bytes)
{
	if (idx && idx < DBG_SITES && sites[idx].count) {
		sites[idx].count--;
		sites[idx].bytes -= MIN(bytes, sites[idx].bytes);
	}
}

void site_forget(void)
{
	for (uint16_t i = 1; i < DBG_SITES; i++)
		sites[i].count = sites[i].bytes = 0;
}

void heapdebug_init(void)
{
	heap_debug_level = 0;
	memset(sites, 0, sizeof(sites));
	guarded_init();
}

/* The site with the most live bytes that is below (bytes, idx) in that order, or 0. */
static uint16_t next_largest(size_t bytes, uint16_t idx)
{
	uint16_t best = 0;

	for (uint16_t i = 1; i < DBG_SITES; i++) {
		const struct site *s = &sites[i];
		bool below = s->bytes < bytes || (s->bytes == bytes && i > idx);

		if (s->count && below && (!best || s->bytes > sites[best].bytes))
			best = i;
	}
	return best;
}

void site_print_leaks(void)
{
	size_t allocs = 0, bytes = 0;
	char sym[64];

	HEAP_ASSERT_LOCKED();
	for (uint16_t i = 1; i < DBG_SITES; i++)
		allocs += sites[i].count, bytes += sites[i].bytes;
	kprintf("leaks: %zu live allocations, %zu bytes requested, by allocation site "
		"(heapcheck level %u)", allocs, bytes, heap_debug_level);
	for (uint16_t i = next_largest(SIZE_MAX, 0); i; i = next_largest(sites[i].bytes, i)) {
		ksym_format(sites[i].pc, sym, sizeof(sym));
		kprintf("leaks: %8zu allocations %10zu bytes at %s", sites[i].count, sites[i].bytes,
			sym);
	}
	allocs += guarded_quarantined();	/* freed, their runs not yet given back */
	if (heap.live_allocs > allocs)
		kprintf("leaks: %8zu allocations with no site recorded (made below level 2)",
			heap.live_allocs - allocs);
}
