/*
 * Arena cases (mm/vmem.h), on both runners: fits, spans imported and
 * returned, bad frees reported, exact ranges.  The arenas here manage
 * plain integer ranges that are never dereferenced, so the same numbers
 * work on the host and in the kernel; only the tags live in real pages.
 */
#include "tests/ktest.h"
#include "tests/mm/vmem_util.h"

#define P PAGE_SIZE
#define BASE 0x10000000u

/* Allocate 3, 1, 5, 1 pages and the rest; free the 3 and the 5. */
static void make_holes(vmem_t *vm, uintptr_t *three, uintptr_t *five)
{
	*three = vmem_alloc(vm, 3 * P, VM_INSTANTFIT);
	vmem_alloc(vm, P, VM_INSTANTFIT);
	*five = vmem_alloc(vm, 5 * P, VM_INSTANTFIT);
	vmem_alloc(vm, P, VM_INSTANTFIT);
	vmem_free(vm, *three, 3 * P);
	vmem_free(vm, *five, 5 * P);
}

TEST(vmem_instant_fit_vs_best_fit)
{
	vmem_t *vm;
	uintptr_t three, five, a;

	ktest_vmem_setup();
	vm = vmem_create("fit", BASE, 64 * P, P, NULL, 0);
	CHECK(vm);
	make_holes(vm, &three, &five);
	CHECK(three == BASE && five == BASE + 4 * P);
	/* 3 pages: instant fit looks only at lists whose every segment fits (>= 4 pages) */
	a = vmem_alloc(vm, 3 * P, VM_INSTANTFIT);
	CHECKF(a == five, "instant fit took %#lx, not the 5-page hole", (unsigned long)a);
	CHECK(vmem_free(vm, a, 3 * P));
	/* best fit finds the exact hole */
	a = vmem_alloc(vm, 3 * P, VM_BESTFIT);
	CHECKF(a == three, "best fit took %#lx, not the 3-page hole", (unsigned long)a);
	CHECK(vmem_alloc(vm, 5 * P, VM_BESTFIT) == five);
	/* no list above 54 pages: the search of its own list */
	CHECK(vmem_alloc(vm, 54 * P, VM_INSTANTFIT) == BASE + 10 * P);
	CHECK(vmem_free(vm, three, 3 * P));
	CHECK(vmem_alloc(vm, 3 * P, VM_INSTANTFIT) == three);	/* from the lower list */
	CHECK(vmem_alloc(vm, P, VM_INSTANTFIT) == 0);		/* full */
	CHECK(vmem_audit(vm));
	vmem_destroy(vm);
}

/* Two holes on one list (7 pages, then 5 at its head's back): best fit must look past the head. */
TEST(vmem_best_fit_searches_the_list)
{
	vmem_t *vm = vmem_create("fit2", BASE, 64 * P, P, NULL, 0);
	uintptr_t seven, five;

	CHECK(vm);
	seven = vmem_alloc(vm, 7 * P, 0);
	vmem_alloc(vm, P, 0);
	five = vmem_alloc(vm, 5 * P, 0);
	vmem_alloc(vm, P, 0);
	CHECK(vmem_free(vm, five, 5 * P) && vmem_free(vm, seven, 7 * P));
	CHECK(vmem_alloc(vm, 5 * P, VM_BESTFIT) == five);
	CHECK(vmem_alloc(vm, 5 * P, VM_INSTANTFIT) == BASE + 14 * P);	/* the tail's list */
	CHECK(vmem_alloc(vm, 6 * P, VM_BESTFIT) == seven);
	CHECK(vmem_audit(vm));
	vmem_destroy(vm);
}

TEST(vmem_first_alloc_take_and_merge)
{
	vmem_t *vm = vmem_create("merge", BASE, 100 * P, P, NULL, 0);
	struct vmem_stats st;
	uintptr_t a, b, c, start = 0;

	CHECK(vm);
	a = vmem_alloc(vm, 10 * P, 0);
	b = vmem_alloc(vm, 10 * P, 0);
	c = vmem_alloc(vm, 10 * P, 0);
	CHECK(a == BASE && b == a + 10 * P && c == b + 10 * P);
	CHECK(vmem_free(vm, b, 10 * P));
	CHECK(vmem_largest_free(vm, &start) == 70 * P && start == c + 10 * P);
	CHECK(vmem_alloc(vm, 5 * P, 0) == b);	/* the hole's list comes first */
	CHECK(vmem_free(vm, b, 5 * P) && vmem_free(vm, a, 10 * P) && vmem_free(vm, c, 10 * P));
	vmem_stats(vm, &st);
	CHECK(st.nfree == 1 && st.nbusy == 0 && st.free_bytes == 100 * P);	/* all merged */
	CHECK(vmem_xalloc(vm, 10 * P, 0, BASE + 50 * P, BASE + 60 * P, 0) == BASE + 50 * P);
	CHECK(vmem_xalloc(vm, 10 * P, 0, BASE + 55 * P, BASE + 65 * P, 0) == 0);	/* taken */
	CHECK(vmem_xalloc(vm, 4 * P, 8 * P, BASE + P, BASE + 50 * P, 0) == BASE + 8 * P);
	vmem_stats(vm, &st);
	CHECK(st.free_bytes == 86 * P && st.nfree == 3);
	CHECK(vmem_alloc(vm, 41 * P, 0) == 0);	/* no single range that large */
	CHECK(vmem_audit(vm));
	vmem_destroy(vm);
}

/* A parent, a child that imports 16-page spans, a grandchild importing from the child. */
TEST(vmem_import_and_return_spans)
{
	vmem_t *root, *kid, *grand;
	struct vmem_stats rs, ks, gs;
	uintptr_t a, b, c;

	ktest_vmem_setup();
	root = vmem_create("root", BASE, 256 * P, P, NULL, 0);
	kid = vmem_create("kid", 0, 0, 64, root, 16 * P);
	grand = vmem_create("grand", 0, 0, P, kid, 4 * P);
	CHECK(root && kid && grand);
	a = vmem_alloc(kid, 100, 0);			/* imports one 16-page span */
	vmem_stats(root, &rs);
	vmem_stats(kid, &ks);
	CHECK(a && ks.imports == 1 && ks.span_bytes == 16 * P && rs.busy_bytes == 16 * P);
	CHECK(a >= BASE && a + 128 <= BASE + 16 * P);	/* inside the imported span */
	b = vmem_alloc(kid, 17 * P, 0);			/* larger than the import quantum */
	vmem_stats(kid, &ks);
	CHECK(b && ks.imports == 2 && ks.span_bytes == 33 * P);
	c = vmem_alloc(grand, P, 0);		/* grand imports from kid's first span */
	vmem_stats(kid, &ks);
	vmem_stats(grand, &gs);
	CHECK(c && gs.imports == 1 && ks.imports == 2 && ks.busy_bytes == 128 + 17 * P + 4 * P);
	CHECK(vmem_audit(root) && vmem_audit(kid) && vmem_audit(grand));
	CHECK(vmem_free(kid, b, 17 * P));		/* its span goes straight back */
	vmem_stats(kid, &ks);
	vmem_stats(root, &rs);
	CHECK(ks.releases == 1 && ks.span_bytes == 16 * P && rs.busy_bytes == 16 * P);
	CHECK(vmem_free(grand, c, P));			/* grand's span back to kid */
	CHECK(vmem_free(kid, a, 100));			/* kid's last span back to root */
	vmem_stats(root, &rs);
	vmem_stats(kid, &ks);
	vmem_stats(grand, &gs);
	CHECK(gs.span_bytes == 0 && ks.span_bytes == 0 && ks.releases == 2);
	CHECK(rs.busy_bytes == 0 && rs.nfree == 1 && rs.free_bytes == 256 * P);
	CHECK(vmem_audit(root) && vmem_audit(kid) && vmem_audit(grand));
	CHECK(vmem_destroy(grand) && vmem_destroy(kid) && vmem_destroy(root));
}

/* The import fails when the parent is full, and nothing is left behind. */
TEST(vmem_import_fails_cleanly)
{
	vmem_t *root = vmem_create("small", BASE, 8 * P, P, NULL, 0);
	vmem_t *kid = vmem_create("kid", 0, 0, P, root, 4 * P);
	struct vmem_stats ks;

	CHECK(root && kid);
	CHECK(vmem_alloc(kid, 9 * P, 0) == 0);
	vmem_stats(kid, &ks);
	CHECK(ks.span_bytes == 0 && ks.failures == 1);
	CHECK(vmem_alloc(kid, 8 * P, 0) != 0);
	CHECK(vmem_audit(kid) && vmem_audit(root));
	vmem_destroy(kid);				/* reports the leak, returns the span */
	vmem_stats(root, &ks);
	CHECK(ks.busy_bytes == 0);
	vmem_destroy(root);
}

TEST(vmem_bad_frees_reported)
{
	vmem_t *vm = vmem_create("badfree", BASE, 64 * P, P, NULL, 0);
	uintptr_t who = (uintptr_t)vmem_audit + 4, a;
	struct vmem_stats st;
	char where[32], caller[96];

	CHECK(vm);
	a = vmem_alloc(vm, 3 * P, 0);
	vmem_alloc(vm, P, 0);
	snprintf(where, sizeof(where), "%#lx", (unsigned long)(a + P));
	ksym_format(who, caller, sizeof(caller));
	CHECK(!vmem_free_from(vm, a + P, 2 * P, who));		/* inside, not the start */
	CHECKF(text_has(vmem_last_report(), "'badfree'") && text_has(vmem_last_report(), where) &&
	       text_has(vmem_last_report(), caller) &&
	       text_has(vmem_last_report(), "not its start"),
	       "report: %s", vmem_last_report());
	CHECK(!vmem_free(vm, a, 2 * P));			/* size disagrees */
	CHECKF(text_has(vmem_last_report(), "disagrees"), "report: %s", vmem_last_report());
	CHECK(vmem_free(vm, a, 3 * P));
	CHECK(!vmem_free(vm, a, 3 * P));			/* double free */
	CHECKF(text_has(vmem_last_report(), "double free"), "report: %s", vmem_last_report());
	CHECK(!vmem_free(vm, BASE + 64 * P, P));		/* outside */
	CHECKF(text_has(vmem_last_report(), "not in any span"), "report: %s", vmem_last_report());
	vmem_stats(vm, &st);
	CHECK(st.bad_frees == 4 && st.nbusy == 1 && st.busy_bytes == P);	/* unchanged */
	CHECK(vmem_audit(vm));
	vmem_destroy(vm);
}

TEST(vmem_bad_arguments_reported)
{
	vmem_t *vm = vmem_create("args", BASE, 16 * P, P, NULL, 0);

	CHECK(vm);
	CHECK(vmem_alloc(vm, 0, 0) == 0 && text_has(vmem_last_report(), "size is 0"));
	CHECK(vmem_xalloc(vm, P, 3 * P, 0, 0, 0) == 0);
	CHECK(text_has(vmem_last_report(), "power of two"));
	CHECK(vmem_xalloc(vm, P, 0, BASE + P, BASE, 0) == 0);
	CHECK(text_has(vmem_last_report(), "window"));
	CHECK(vmem_alloc(vm, P, 0x40) == 0 && text_has(vmem_last_report(), "flags"));
	CHECK(!vmem_add(vm, BASE + 8 * P, 16 * P) && text_has(vmem_last_report(), "overlaps"));
	CHECK(!vmem_add(vm, BASE + 100, P) && text_has(vmem_last_report(), "quantum"));
	CHECK(vmem_create("bad", BASE, P, 3, NULL, 0) == NULL);
	CHECK(vmem_create("a-name-far-too-long", BASE, P, P, NULL, 0) == NULL);
	CHECK(vmem_create("zero", 0, P, P, NULL, 0) == NULL);
	CHECK(vmem_add(vm, BASE + 32 * P, 8 * P));		/* a second span */
	CHECK(vmem_alloc(vm, 8 * P, VM_BESTFIT) == BASE + 32 * P);
	CHECK(vmem_audit(vm));
	vmem_destroy(vm);
}
