/* Host tests for the intrusive red-black tree. Every operation is checked
 * against a reference: an array of items kept in the expected order
 * (by key, then by insertion for equal keys). After each step the tree
 * must satisfy all red-black invariants and iterate exactly like the
 * reference. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include <kern/rbtree.h>

struct item {
	uint64_t key;
	struct rb_node node;
};

static bool item_less(const struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct item, node)->key <
	       rb_entry(b, struct item, node)->key;
}

static uint64_t key_of(const struct rb_node *n)
{
	return rb_entry(n, struct item, node)->key;
}

/* xorshift64*: fixed seed, so failures reproduce. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s ? s : 1;
}

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Reference: the items in the tree, in expected in-order sequence. */
#define MAXN 1024
static struct item *ref[MAXN];
static size_t nref;

static void ref_insert(struct item *it)
{
	size_t i = nref;
	/* After all items with key <= it->key: FIFO among equals. */
	while (i > 0 && ref[i - 1]->key > it->key)
		i--;
	memmove(&ref[i + 1], &ref[i], (nref - i) * sizeof(ref[0]));
	ref[i] = it;
	nref++;
}

static void ref_erase(struct item *it)
{
	for (size_t i = 0; i < nref; i++) {
		if (ref[i] == it) {
			memmove(&ref[i], &ref[i + 1],
				(nref - i - 1) * sizeof(ref[0]));
			nref--;
			return;
		}
	}
}

static void do_insert(struct rb_root *t, struct item *it)
{
	rb_insert(t, &it->node, item_less);
	ref_insert(it);
}

static void do_erase(struct rb_root *t, struct item *it)
{
	rb_erase(t, &it->node);
	ref_erase(it);
}

/* Black height of the subtree at n (NULL leaves count as one), or -1 if
 * some invariant below n is broken. Recursion is fine in tests. */
static int check_subtree(const struct rb_node *n, int depth, int *maxdepth,
			 size_t *count)
{
	if (!n)
		return 1;
	if (depth > MAXN) {
		fprintf(stderr, "    cycle in the tree\n");
		return -1;
	}
	if (depth > *maxdepth)
		*maxdepth = depth;
	(*count)++;
	if (!rb_linked(n)) {
		fprintf(stderr, "    node %p in tree but not linked\n",
			(const void *)n);
		return -1;
	}
	if ((n->left && n->left->parent != n) ||
	    (n->right && n->right->parent != n)) {
		fprintf(stderr, "    bad parent pointer below key %llu\n",
			(unsigned long long)key_of(n));
		return -1;
	}
	if (n->red &&
	    ((n->left && n->left->red) || (n->right && n->right->red))) {
		fprintf(stderr, "    red-red at key %llu\n",
			(unsigned long long)key_of(n));
		return -1;
	}
	if ((n->left && key_of(n->left) > key_of(n)) ||
	    (n->right && key_of(n->right) < key_of(n))) {
		fprintf(stderr, "    order broken at key %llu\n",
			(unsigned long long)key_of(n));
		return -1;
	}
	int l = check_subtree(n->left, depth + 1, maxdepth, count);
	int r = check_subtree(n->right, depth + 1, maxdepth, count);
	if (l < 0 || r < 0)
		return -1;
	if (l != r) {
		fprintf(stderr, "    black heights %d != %d at key %llu\n", l,
			r, (unsigned long long)key_of(n));
		return -1;
	}
	return l + !n->red;
}

/* The whole tree against the invariants and the reference. */
static bool tree_ok(const struct rb_root *t)
{
	if (t->root && (t->root->parent || t->root->red)) {
		fprintf(stderr, "    root has a parent or is red\n");
		return false;
	}
	int maxdepth = 0;
	size_t count = 0;
	if (check_subtree(t->root, 1, &maxdepth, &count) < 0)
		return false;
	if (count != nref) {
		fprintf(stderr, "    %zu nodes, expected %zu\n", count, nref);
		return false;
	}
	/* Height bound: 2*log2(n+1). */
	int lg = 0;
	while (((size_t)1 << lg) <= count)
		lg++;
	if (maxdepth > 2 * lg) {
		fprintf(stderr, "    depth %d for %zu nodes\n", maxdepth,
			count);
		return false;
	}
	if (rb_empty(t) != (nref == 0)) {
		fprintf(stderr, "    rb_empty wrong\n");
		return false;
	}
	if (rb_first(t) != (nref ? &ref[0]->node : NULL) ||
	    rb_last(t) != (nref ? &ref[nref - 1]->node : NULL)) {
		fprintf(stderr, "    first/last wrong\n");
		return false;
	}
	/* In-order via rb_next must be exactly the reference, pointer for
	 * pointer: that checks sortedness and FIFO among equal keys. */
	size_t i = 0;
	for (const struct rb_node *n = rb_first(t); n; n = rb_next(n), i++) {
		if (i >= nref || n != &ref[i]->node) {
			fprintf(stderr, "    iteration differs at %zu\n", i);
			return false;
		}
	}
	if (i != nref) {
		fprintf(stderr, "    iteration stopped at %zu of %zu\n", i,
			nref);
		return false;
	}
	return true;
}

static struct item items[MAXN];

static void setup(struct rb_root *t, size_t n)
{
	rb_init(t);
	nref = 0;
	for (size_t i = 0; i < n; i++) {
		items[i].key = 0;
		rb_node_init(&items[i].node);
	}
}

TEST(rbtree_empty)
{
	struct rb_root t;
	setup(&t, 1);
	CHECK(rb_empty(&t));
	CHECK(rb_first(&t) == NULL);
	CHECK(rb_last(&t) == NULL);
	CHECK(tree_ok(&t));

	items[0].key = 7;
	do_insert(&t, &items[0]);
	CHECK(!rb_empty(&t));
	CHECK(rb_first(&t) == &items[0].node);
	CHECK(rb_last(&t) == &items[0].node);
	CHECK(rb_next(&items[0].node) == NULL);
	CHECK(tree_ok(&t));

	do_erase(&t, &items[0]);
	CHECK(rb_empty(&t));
	CHECK(t.root == NULL && t.leftmost == NULL);
	CHECK(rb_first(&t) == NULL && rb_last(&t) == NULL);
	CHECK(tree_ok(&t));
}

TEST(rbtree_linked_state)
{
	struct rb_root t;
	setup(&t, 3);
	for (int i = 0; i < 3; i++)
		CHECK(!rb_linked(&items[i].node));
	for (int i = 0; i < 3; i++) {
		items[i].key = (uint64_t)i;
		do_insert(&t, &items[i]);
		CHECK(rb_linked(&items[i].node));
	}
	do_erase(&t, &items[1]);
	CHECK(!rb_linked(&items[1].node));
	CHECK(rb_linked(&items[0].node) && rb_linked(&items[2].node));
	CHECK(tree_ok(&t));
	/* An erased node can go back in. */
	do_insert(&t, &items[1]);
	CHECK(rb_linked(&items[1].node));
	CHECK(tree_ok(&t));
	/* Even the last one: erasing the root leaves it unlinked too. */
	do_erase(&t, &items[0]);
	do_erase(&t, &items[2]);
	do_erase(&t, &items[1]);
	for (int i = 0; i < 3; i++)
		CHECK(!rb_linked(&items[i].node));
	CHECK(tree_ok(&t));
}

TEST(rbtree_fifo_equal_keys)
{
	struct rb_root t;
	setup(&t, 300);
	/* Three keys, interleaved, inserted in a scrambled key order. */
	for (size_t i = 0; i < 300; i++) {
		items[i].key = (i * 7) % 3;
		do_insert(&t, &items[i]);
		CHECK(tree_ok(&t));
	}
	/* Popping the minimum must give key 0 in insertion order, then 1... */
	uint64_t last_key = 0;
	size_t last_idx = 0;
	bool started = false;
	while (!rb_empty(&t)) {
		struct item *it = rb_entry(rb_first(&t), struct item, node);
		size_t idx = (size_t)(it - items);
		if (started && it->key == last_key)
			CHECK(idx > last_idx);
		CHECK(!started || it->key >= last_key);
		last_key = it->key;
		last_idx = idx;
		started = true;
		do_erase(&t, it);
		CHECK(tree_ok(&t));
	}
}

TEST(rbtree_erase_first_last_middle)
{
	struct rb_root t;
	setup(&t, 64);
	for (size_t i = 0; i < 64; i++) {
		items[i].key = i * 10;
		do_insert(&t, &items[i]);
	}
	CHECK(tree_ok(&t));
	while (nref > 0) {
		/* First, last, middle in turn. */
		do_erase(&t, ref[0]);
		CHECK(tree_ok(&t));
		if (nref) {
			do_erase(&t, ref[nref - 1]);
			CHECK(tree_ok(&t));
		}
		if (nref) {
			do_erase(&t, ref[nref / 2]);
			CHECK(tree_ok(&t));
		}
	}
	CHECK(rb_empty(&t));
}

TEST(rbtree_sequential_inserts)
{
	struct rb_root t;
	/* Ascending, descending and all-equal: the degenerate patterns. */
	for (int pattern = 0; pattern < 3; pattern++) {
		setup(&t, MAXN);
		for (size_t i = 0; i < MAXN; i++) {
			items[i].key = pattern == 0   ? i
				       : pattern == 1 ? MAXN - i
						      : 5;
			do_insert(&t, &items[i]);
			CHECK(tree_ok(&t));
		}
		/* Erase from the root down: exercises two-child erases. */
		while (t.root) {
			do_erase(&t, rb_entry(t.root, struct item, node));
			CHECK(tree_ok(&t));
		}
	}
}

TEST(rbtree_next_iterates_in_order)
{
	struct rb_root t;
	setup(&t, 500);
	rng_seed(42);
	for (size_t i = 0; i < 500; i++) {
		items[i].key = rng() % 1000;
		do_insert(&t, &items[i]);
	}
	CHECK(tree_ok(&t));
	size_t n = 0;
	uint64_t prev = 0;
	for (struct rb_node *p = rb_first(&t); p; p = rb_next(p), n++) {
		CHECK(key_of(p) >= prev);
		prev = key_of(p);
	}
	CHECK_EQ(n, 500);
	CHECK(rb_next(rb_last(&t)) == NULL);
}

/* Random inserts and erases, each verified. Keys from a small range give
 * many duplicates, from a wide one few. */
static bool random_run(uint64_t seed, uint64_t key_range, int ops)
{
	struct rb_root t;
	setup(&t, MAXN);
	rng_seed(seed);
	for (int op = 0; op < ops; op++) {
		/* Grow for the first half of the run, shrink afterwards. */
		bool grow = op < ops / 2 ? rng() % 4 != 0 : rng() % 4 == 0;
		if ((grow && nref < MAXN) || nref == 0) {
			/* Scan from a random spot for an unlinked item; there
			 * is one (nref < MAXN) unless rb_linked is wrong. */
			size_t i = rng() % MAXN, tries = 0;
			while (rb_linked(&items[i].node) && ++tries < MAXN)
				i = (i + 1) % MAXN;
			struct item *it = &items[i];
			if (rb_linked(&it->node)) {
				fprintf(stderr, "    no unlinked item\n");
				return false;
			}
			it->key = rng() % key_range;
			do_insert(&t, it);
		} else {
			/* Erase a random linked item (from the reference). */
			do_erase(&t, ref[rng() % nref]);
		}
		if (!tree_ok(&t)) {
			fprintf(stderr, "    seed %llu op %d\n",
				(unsigned long long)seed, op);
			return false;
		}
	}
	/* Drain from the front like a run queue. */
	while (!rb_empty(&t)) {
		do_erase(&t, rb_entry(rb_first(&t), struct item, node));
		if (!tree_ok(&t))
			return false;
	}
	for (size_t i = 0; i < MAXN; i++)
		if (rb_linked(&items[i].node))
			return false;
	return true;
}

TEST(rbtree_random_ops_few_duplicates)
{
	CHECK(random_run(1, UINT64_MAX, 6000));
	CHECK(random_run(0xdeadbeef, 1000000, 6000));
}

TEST(rbtree_random_ops_many_duplicates)
{
	CHECK(random_run(7, 16, 6000));
	CHECK(random_run(99, 2, 4000));
}

static bool key_above(const struct rb_node *n, const void *arg)
{
	return key_of(n) > *(const uint64_t *)arg;
}

/* rb_lower_bound: the first node whose key is above a bound, for every
 * bound around and between the keys (with runs of equal keys: the first
 * of a run, in FIFO order), against the reference. */
TEST(rbtree_lower_bound)
{
	struct rb_root t;
	setup(&t, 400);
	uint64_t k = 77;
	CHECK(rb_lower_bound(&t, key_above, &k) == NULL);
	rng_seed(99);
	for (size_t i = 0; i < 400; i++) {
		items[i].key = rng() % 150;
		do_insert(&t, &items[i]);
	}
	CHECK(tree_ok(&t));
	for (uint64_t bound = 0; bound < 160; bound++) {
		const struct rb_node *want = NULL;
		for (size_t i = 0; i < nref && !want; i++)
			if (ref[i]->key > bound)
				want = &ref[i]->node;
		CHECK(rb_lower_bound(&t, key_above, &bound) == want);
	}
	uint64_t huge = ~0ull;
	CHECK(rb_lower_bound(&t, key_above, &huge) == NULL);
}

/* rb_replace puts a new node where an old one was, for every position
 * (root, leaves, first, last), keeping the shape and the order; the old
 * node is unlinked. What the scheduler's yield relies on (kernel/sched/
 * be.c: a yielding thread takes the place of the next one). */
TEST(rbtree_replace_every_position)
{
	struct rb_root t;
	for (size_t n = 1; n <= 33; n++) {
		for (size_t at = 0; at < n; at++) {
			setup(&t, n + 1);
			for (size_t i = 0; i < n; i++) {
				items[i].key = i * 10 + 10;
				do_insert(&t, &items[i]);
			}
			struct item *old = ref[at], *nw = &items[n];
			/* Any key between the neighbours' keeps the order. */
			nw->key = old->key - 5 + (at & 1) * 9;
			rb_replace(&t, &old->node, &nw->node);
			ref[at] = nw;
			CHECK(!rb_linked(&old->node));
			CHECK(rb_linked(&nw->node));
			CHECK(tree_ok(&t));
			/* The tree still takes inserts and erases. */
			old->key = 10 * n + 10;
			do_insert(&t, old);
			do_erase(&t, nw);
			CHECK(tree_ok(&t));
		}
	}
}
