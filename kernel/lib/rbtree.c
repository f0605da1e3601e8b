/* Red-black trees, iteratively, with NULL leaves (which count as black).
 *
 * Invariants: the root is black, a red node has no red child, and every
 * path from a node down to a leaf crosses the same number of black nodes.
 * Together they keep the height below 2*log2(n+1).
 *
 * Insert: walk down as in any search tree (equal keys go right, which
 * keeps them FIFO), hang the new node there red, then repair red-red
 * conflicts going up: a red uncle means recolour and move the problem
 * two levels up; a black uncle means one or two rotations and we stop.
 *
 * Erase: a node with two children first swaps places (links and colour)
 * with its successor, so the node to remove has at most one child. A lone
 * child must be red: it takes the node's place and turns black. A red
 * leaf just goes. A black leaf leaves its path one black short; we fix
 * that while the leaf is still in place (so its parent and side are at
 * hand), by borrowing from the sibling's side with recolouring and at
 * most three rotations, then unlink it.
 *
 * Each side is handled by one piece of code with a direction flag
 * ("dir" is the side we are on; !dir the other) rather than mirrored
 * copies. A node not in any tree points to itself as parent. */
#include <kern/rbtree.h>

static inline struct rb_node **child(struct rb_node *n, bool right)
{
	return right ? &n->right : &n->left;
}

static inline bool is_red(const struct rb_node *n)
{
	return n && n->red;
}

/* Make whatever pointed at old (parent's link or the root) point at new. */
static void replace_child(struct rb_root *t, struct rb_node *parent,
			  struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* Rotate x down towards side dir; its child on the other side takes its
 * place. dir == false is a left rotation. */
static void rotate(struct rb_root *t, struct rb_node *x, bool dir)
{
	struct rb_node *y = *child(x, !dir);
	struct rb_node *mid = *child(y, dir);

	*child(x, !dir) = mid;
	if (mid)
		mid->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	*child(y, dir) = x;
	x->parent = y;
}

void rb_init(struct rb_root *t)
{
	t->root = t->leftmost = NULL;
}

void rb_node_init(struct rb_node *n)
{
	n->parent = n;
	n->left = n->right = NULL;
	n->red = false;
}

bool rb_empty(const struct rb_root *t)
{
	return !t->root;
}

struct rb_node *rb_lower_bound(const struct rb_root *t,
			       bool (*above)(const struct rb_node *n,
					     const void *arg),
			       const void *arg)
{
	struct rb_node *n = t->root, *best = NULL;

	while (n) {
		if (above(n, arg)) {
			best = n; /* a candidate; an earlier one is left */
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct rb_node *rb_last(const struct rb_root *t)
{
	struct rb_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct rb_node *)n;
	}
	/* Up until we arrive from a left child; NULL past the root. */
	while (n->parent && n == n->parent->right)
		n = n->parent;
	return n->parent;
}

static void insert_fixup(struct rb_root *t, struct rb_node *n)
{
	struct rb_node *p, *g, *u;

	/* n is red; the only possible violation is a red parent. */
	while ((p = n->parent) && p->red) {
		g = p->parent; /* exists: a red node is never the root */
		bool dir = p == g->right;
		u = *child(g, !dir);
		if (is_red(u)) {
			p->red = u->red = false;
			g->red = true;
			n = g;
			continue;
		}
		if (n == *child(p, !dir)) {
			/* Inner grandchild: make it outer first. */
			rotate(t, p, dir);
			n = p;
			p = n->parent;
		}
		p->red = false;
		g->red = true;
		rotate(t, g, !dir);
		break;
	}
	t->root->red = false;
}

void rb_insert(struct rb_root *t, struct rb_node *n, rb_less_fn less)
{
	struct rb_node **link = &t->root, *parent = NULL;
	bool leftmost = true;

	while (*link) {
		parent = *link;
		if (less(n, parent)) {
			link = &parent->left;
		} else {
			link = &parent->right;
			leftmost = false;
		}
	}
	n->parent = parent;
	n->left = n->right = NULL;
	n->red = true;
	*link = n;
	if (leftmost)
		t->leftmost = n;
	insert_fixup(t, n);
}

/* x is a black leaf about to be unlinked: its path would lack one black.
 * Rebalance with x still in place; x stays a leaf child of its parent. */
static void erase_fixup(struct rb_root *t, struct rb_node *x)
{
	while (x != t->root && !x->red) {
		struct rb_node *p = x->parent;
		bool dir = x == p->right;
		/* Non-NULL: x's side has a black node, so the other does too.
		 */
		struct rb_node *s = *child(p, !dir);
		if (s->red) {
			/* Make the sibling black so the cases below apply. */
			s->red = false;
			p->red = true;
			rotate(t, p, dir);
			s = *child(p, !dir);
		}
		if (!is_red(s->left) && !is_red(s->right)) {
			/* Short both sides of p; push the deficit up. */
			s->red = true;
			x = p;
			continue;
		}
		if (!is_red(*child(s, !dir))) {
			/* Only the near nephew is red: make it the far one. */
			(*child(s, dir))->red = false;
			s->red = true;
			rotate(t, s, !dir);
			s = *child(p, !dir);
		}
		/* Far nephew red: one rotation gives x's side an extra black.
		 */
		s->red = p->red;
		p->red = false;
		(*child(s, !dir))->red = false;
		rotate(t, p, dir);
		return;
	}
	x->red = false;
}

/* Swap n (two children) with its successor s, links and colours, so n
 * ends up with no left child. The order in the tree is unchanged apart
 * from n and s trading places, and n is removed next anyway. */
static void swap_with_successor(struct rb_root *t, struct rb_node *n)
{
	struct rb_node *s = n->right;

	while (s->left)
		s = s->left;

	struct rb_node *sp = s->parent, *sr = s->right;
	bool red = s->red;

	replace_child(t, n->parent, n, s);
	s->parent = n->parent;
	s->left = n->left;
	s->left->parent = s;
	if (sp == n) {
		s->right = n;
		n->parent = s;
	} else {
		s->right = n->right;
		s->right->parent = s;
		sp->left = n;
		n->parent = sp;
	}
	s->red = n->red;
	n->red = red;
	n->left = NULL;
	n->right = sr;
	if (sr)
		sr->parent = n;
}

void rb_replace(struct rb_root *t, struct rb_node *old, struct rb_node *n)
{
	*n = *old;
	replace_child(t, old->parent, old, n);
	if (old->left)
		old->left->parent = n;
	if (old->right)
		old->right->parent = n;
	if (t->leftmost == old)
		t->leftmost = n;
	rb_node_init(old);
}

void rb_erase(struct rb_root *t, struct rb_node *n)
{
	if (t->leftmost == n)
		t->leftmost = rb_next(n);
	if (n->left && n->right)
		swap_with_successor(t, n);

	struct rb_node *c = n->left ? n->left : n->right;
	if (c) {
		/* Black node, red leaf child: the child inherits the black. */
		c->parent = n->parent;
		replace_child(t, n->parent, n, c);
		c->red = false;
	} else {
		if (!n->red)
			erase_fixup(t, n);
		replace_child(t, n->parent, n, NULL);
	}
	rb_node_init(n);
}
