/*
 * The owner index's tree: a left-leaning red-black tree (after Sedgewick,
 * 2008) of nodes embedded in their owners' records, keyed by start, over
 * a laminar family of ranges: any two nest or are disjoint.  Each node
 * keeps the innermost entry holding it (outer), so a lookup is the
 * greatest start <= va, then out through outer until a range holds va:
 * the innermost entry holding va starts at or before va's predecessor and
 * holds it, so it is on the predecessor's outer chain.
 *
 * Invariants (owner_tree_audit): keys strictly increase in order; no red
 * right link, no two reds in a row, every path has as many black links;
 * each node's outer is the innermost other entry holding its start, and
 * holds all of it.
 *
 * Context: the caller serialises inserts and removes (owner.c: interrupts
 * off); a lookup reads links only.  Recursion is 2 log2(n) deep at most.
 */
#include "mm/owner.h"

static bool holds(const struct owner *o, uintptr_t va)
{
	return va - o->start < o->size;
}

/* Does [x] lie inside [p]? */
static bool inside(const struct owner *x, const struct owner *p)
{
	return holds(p, x->start) && x->size <= p->size - (x->start - p->start);
}

static bool red(const struct owner *n) { return n && n->red; }

static struct owner *rot_left(struct owner *h)
{
	struct owner *x = h->right;

	h->right = x->left;
	x->left = h;
	x->red = h->red;
	h->red = true;
	return x;
}

static struct owner *rot_right(struct owner *h)
{
	struct owner *x = h->left;

	h->left = x->right;
	x->right = h;
	x->red = h->red;
	h->red = true;
	return x;
}

static void flip(struct owner *h)
{
	h->red = !h->red;
	h->left->red = !h->left->red;
	h->right->red = !h->right->red;
}

static struct owner *fixup(struct owner *h)
{
	if (red(h->right) && !red(h->left))
		h = rot_left(h);
	if (red(h->left) && red(h->left->left))
		h = rot_right(h);
	if (red(h->left) && red(h->right))
		flip(h);
	return h;
}

static struct owner *put(struct owner *h, struct owner *n)
{
	if (!h)
		return n;
	if (n->start < h->start)
		h->left = put(h->left, n);
	else
		h->right = put(h->right, n);
	return fixup(h);
}

static struct owner *move_red_left(struct owner *h)
{
	flip(h);
	if (red(h->right->left)) {
		h->right = rot_right(h->right);
		h = rot_left(h);
		flip(h);
	}
	return h;
}

static struct owner *move_red_right(struct owner *h)
{
	flip(h);
	if (red(h->left->left)) {
		h = rot_right(h);
		flip(h);
	}
	return h;
}

static struct owner *take_min(struct owner *h, struct owner **min)
{
	if (!h->left) {
		*min = h;
		return NULL;
	}
	if (!red(h->left) && !red(h->left->left))
		h = move_red_left(h);
	h->left = take_min(h->left, min);
	return fixup(h);
}

/* h, whose key is being removed, replaced in place by its successor. */
static struct owner *splice_successor(struct owner *h)
{
	struct owner *m;
	struct owner *rest = take_min(h->right, &m);

	m->left = h->left;
	m->right = rest;
	m->red = h->red;
	return m;
}

/* Remove the node with key (it is in the tree under h). */
static struct owner *cut(struct owner *h, uintptr_t key)
{
	if (key < h->start) {
		if (!red(h->left) && !red(h->left->left))
			h = move_red_left(h);
		h->left = cut(h->left, key);
		return fixup(h);
	}
	if (red(h->left))
		h = rot_right(h);
	if (key == h->start && !h->right)
		return NULL;
	if (!red(h->right) && !red(h->right->left))
		h = move_red_right(h);
	if (key == h->start)
		h = splice_successor(h);
	else
		h->right = cut(h->right, key);
	return fixup(h);
}

/* The node with the greatest start <= va (< va if strict), or NULL. */
static const struct owner *pred(const struct owner_tree *t, uintptr_t va, bool strict)
{
	const struct owner *best = NULL;

	for (const struct owner *n = t->root; n;) {
		if (n->start < va || (!strict && n->start == va)) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

static const struct owner *out_to(const struct owner *o, uintptr_t va)
{
	while (o && !holds(o, va))
		o = o->outer;
	return o;
}

const struct owner *owner_tree_find(const struct owner_tree *t, uintptr_t va)
{
	return out_to(pred(t, va, false), va);
}

/* Call fn on every node whose start lies in [lo, lo + size). */
static void each_in(struct owner *n, uintptr_t lo, size_t size,
		    void (*fn)(struct owner *n, void *arg), void *arg)
{
	if (!n)
		return;
	if (n->start > lo)
		each_in(n->left, lo, size, fn, arg);
	if (n->start - lo < size)
		fn(n, arg);
	if (n->start < lo || n->start - lo < size)
		each_in(n->right, lo, size, fn, arg);
}

struct reparent { const struct owner *from, *to; struct owner *within; const struct owner *bad; };

/* An entry starting inside x must end inside it. */
static void check_nested(struct owner *n, void *arg)
{
	struct reparent *r = arg;

	if (n != r->within && !inside(n, r->within) && !r->bad)
		r->bad = n;
}

static void move_outer(struct owner *n, void *arg)
{
	struct reparent *r = arg;

	if (n->outer == r->from && n != r->within)
		n->outer = r->to;
}

static char report[160];

const char *owner_last_report(void) { return report; }

/* Refuse x, naming the entry e it collides with (NULL: none). */
static bool refuse(const char *what, const struct owner *x, const struct owner *e)
{
	size_t n = (size_t)snprintf(report, sizeof(report), "owner: '%s' %#lx+%#zx refused: %s",
				    x->name, (unsigned long)x->start, x->size, what);

	if (e && n < sizeof(report))
		snprintf(report + n, sizeof(report) - n, " '%s' %#lx+%#zx", e->name,
			 (unsigned long)e->start, e->size);
	klog(LOG_ERROR, "%s; index unchanged", report);
	return false;
}

bool owner_tree_insert(struct owner_tree *t, struct owner *x)
{
	const struct owner *p = owner_tree_find(t, x->start);
	const struct owner *same = pred(t, x->start, false);
	struct reparent r = { p, x, x, NULL };

	if (!x->size || x->linked)
		return refuse(x->linked ? "already indexed" : "empty range", x, NULL);
	if (same && same->start == x->start)
		return refuse("it shares its start with", x, same);
	if (p && !inside(x, p))
		return refuse("it overlaps", x, p);
	each_in(t->root, x->start, x->size, check_nested, &r);
	if (r.bad)
		return refuse("it overlaps", x, r.bad);
	each_in(t->root, x->start, x->size, move_outer, &r);
	x->outer = p;
	x->left = x->right = NULL;
	x->red = x->linked = true;
	t->root = put(t->root, x);
	t->root->red = false;
	t->count++;
	return true;
}

void owner_tree_remove(struct owner_tree *t, struct owner *x)
{
	struct reparent r = { x, x->outer, x, NULL };

	if (!x->linked)
		return;
	each_in(t->root, x->start, x->size, move_outer, &r);
	if (!red(t->root->left) && !red(t->root->right))
		t->root->red = true;
	t->root = cut(t->root, x->start);
	if (t->root)
		t->root->red = false;
	x->linked = false;
	x->outer = NULL;
	t->count--;
}

/* --- the audit ------------------------------------------------------ */

struct audit { const struct owner_tree *t; size_t n; const char *bad; const struct owner *at; };

static void fail(struct audit *a, const char *what, const struct owner *n)
{
	if (!a->bad) {
		a->bad = what;
		a->at = n;
	}
}

/* The outer n should have: the innermost other entry holding its start. */
static const struct owner *expected_outer(const struct owner_tree *t, const struct owner *n)
{
	return out_to(pred(t, n->start, true), n->start);
}

/* Black height of the subtree at n, checking order within (lo, hi). */
static int check(struct audit *a, const struct owner *n, const struct owner *lo,
		 const struct owner *hi)
{
	int l, r;

	if (!n)
		return 0;
	a->n++;
	if ((lo && n->start <= lo->start) || (hi && n->start >= hi->start))
		fail(a, "out of order", n);
	if (red(n->right))
		fail(a, "red right link", n);
	if (red(n) && red(n->left))
		fail(a, "two reds in a row", n);
	if (n->outer != expected_outer(a->t, n) || (n->outer && !inside(n, n->outer)))
		fail(a, "wrong enclosing entry", n);
	l = check(a, n->left, lo, n);
	r = check(a, n->right, n, hi);
	if (l != r)
		fail(a, "black heights differ", n);
	return l + !red(n);
}

bool owner_tree_audit(const struct owner_tree *t)
{
	struct audit a = { t, 0, NULL, NULL };

	check(&a, t->root, NULL, NULL);
	if (red(t->root))
		fail(&a, "red root", t->root);
	if (!a.bad && a.n != t->count)
		a.bad = "count disagrees with the nodes";
	if (a.bad)
		klog(LOG_ERROR, "owner: audit: %s at '%s' %#lx", a.bad, a.at ? a.at->name : "-",
		     a.at ? (unsigned long)a.at->start : 0ul);
	return !a.bad;
}
