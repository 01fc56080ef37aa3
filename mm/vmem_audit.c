/*
 * Looking at arenas: figures, the largest free segment, the boot-log
 * line, and vmem_audit, which checks every invariant mm/vmem.c states.
 * Each runs under the arena's lock and changes nothing.
 */
#include "mm/vmem_int.h"

void vmem_stats(vmem_t *vm, struct vmem_stats *st)
{
	unsigned long f = vmem_lock(vm);

	*st = vm->st;
	vmem_unlock(vm, f);
}

size_t vmem_largest_free(vmem_t *vm, uintptr_t *start)
{
	unsigned long f = vmem_lock(vm);
	size_t best = 0;

	if (vm->freemap) {
		unsigned i = VMEM_LISTS - 1 - (unsigned)__builtin_clzl((unsigned long)vm->freemap);

		for (struct vmem_tag *t = vm->free[i]; t; t = t->lnext)
			if (t->size > best) {
				best = t->size;
				*start = t->start;
			}
	}
	vmem_unlock(vm, f);
	return best;
}

void vmem_log(vmem_t *vm, const char *use)
{
	struct vmem_stats st;
	struct vmem_tag *span = vm->head.snext;

	vmem_stats(vm, &st);
	if (vm->source)
		kprintf("vmem: arena %s imports from %s (spans of %zu KiB), quantum %zu: %s",
			vm->name, vm->source->name, vm->import_quantum / 1024, vm->quantum, use);
	else if (st.nspans == 1)
		kprintf("vmem: arena %s %#lx-%#lx (%zu KiB), quantum %zu: %s", vm->name,
			(unsigned long)span->start, (unsigned long)(span->start + span->size),
			span->size / 1024, vm->quantum, use);
	else
		kprintf("vmem: arena %s %zu spans (%zu KiB), quantum %zu: %s", vm->name,
			st.nspans, st.span_bytes / 1024, vm->quantum, use);
}

void vmem_log_tags(void)
{
	struct vmem_tag_stats ts;
	size_t all;

	vmem_tag_stats(&ts);
	all = ts.boot + ts.pages * ts.per_page;
	kprintf("vmem: tags: %zu in use, %zu free (%zu static, %zu pages of %zu), "
		"%zu kept for refills",
		all - ts.free, ts.free, ts.boot, ts.pages, ts.per_page, ts.reserve);
}

/* ---- the audit ---- */

struct tally {
	size_t nfree, nbusy, nspans, free_bytes, busy_bytes, span_bytes, imported_bytes;
};

static bool bad(vmem_t *vm, const char *what, uintptr_t addr)
{
	klog(LOG_ERROR, "vmem: audit of arena '%s': %s at %#lx", vm->name, what,
	     (unsigned long)addr);
	return false;
}

static bool is_span(const struct vmem_tag *t) { return t->type == VT_SPAN || t->type == VT_IMPORT; }

/* The segments after span tag s tile it; *next is the tag after them. */
static bool check_span(vmem_t *vm, struct vmem_tag *s, struct tally *n, struct vmem_tag **next)
{
	uintptr_t at = s->start;
	struct vmem_tag *t;

	for (t = s->snext; t != &vm->head && !is_span(t); t = t->snext) {
		if (t->snext->sprev != t || (t->type != VT_FREE && t->type != VT_BUSY))
			return bad(vm, "a broken segment link or type", t->start);
		if (t->start != at || !t->size || (t->size & (vm->quantum - 1)))
			return bad(vm, "a segment that does not tile its span", t->start);
		if (t->type == VT_FREE && t->snext->type == VT_FREE)
			return bad(vm, "two touching free segments", t->start);
		if (s->type == VT_IMPORT && t->type == VT_FREE && t->size == s->size)
			return bad(vm, "a wholly free imported span kept", s->start);
		at += t->size;
		*(t->type == VT_FREE ? &n->nfree : &n->nbusy) += 1;
		*(t->type == VT_FREE ? &n->free_bytes : &n->busy_bytes) += t->size;
	}
	*next = t;
	if (at != s->start + s->size)
		return bad(vm, "segments that stop short of the span's end", at);
	return true;
}

static bool check_segments(vmem_t *vm, struct tally *n)
{
	uintptr_t end = 0;
	struct vmem_tag *s = vm->head.snext;

	while (s != &vm->head) {
		if (!is_span(s) || s->start < end || s->sprev->snext != s)
			return bad(vm, "a span out of order or overlapping", s->start);
		end = s->start + s->size;
		n->nspans++;
		n->span_bytes += s->size;
		if (s->type == VT_IMPORT)
			n->imported_bytes += s->size;
		if (!check_span(vm, s, n, &s))
			return false;
	}
	return true;
}

static bool check_lists(vmem_t *vm, const struct tally *n)
{
	size_t nfree = 0, nbusy = 0;

	for (unsigned i = 0; i < VMEM_LISTS; i++) {
		if (!vm->free[i] != !(vm->freemap & ((size_t)1 << i)))
			return bad(vm, "a free map bit that disagrees with its list", i);
		for (struct vmem_tag *t = vm->free[i]; t; t = t->lnext, nfree++)
			if (t->type != VT_FREE || vmem_flist(t->size) != i ||
			    (t->lnext && t->lnext->lprev != t))
				return bad(vm, "a segment on the wrong free list", t->start);
	}
	for (unsigned b = 0; b < VMEM_HASH; b++)
		for (struct vmem_tag *t = vm->hash[b]; t; t = t->lnext, nbusy++)
			if (t->type != VT_BUSY || vmem_bucket(vm, t->start) != b)
				return bad(vm, "a segment in the wrong hash bucket", t->start);
	if (nfree != n->nfree || nbusy != n->nbusy)
		return bad(vm, "free lists or hash that miss segments", 0);
	return true;
}

static bool check_figures(vmem_t *vm, const struct tally *n)
{
	const struct vmem_stats *s = &vm->st;

	if (s->nfree != n->nfree || s->nbusy != n->nbusy || s->nspans != n->nspans ||
	    s->free_bytes != n->free_bytes || s->busy_bytes != n->busy_bytes ||
	    s->span_bytes != n->span_bytes || s->imported_bytes != n->imported_bytes)
		return bad(vm, "figures that disagree with the segments", 0);
	return true;
}

bool vmem_audit(vmem_t *vm)
{
	struct tally n = { 0 };
	unsigned long f = vmem_lock(vm);
	bool ok = check_segments(vm, &n) && check_lists(vm, &n) && check_figures(vm, &n);

	vmem_unlock(vm, f);
	return ok;
}
