/* Intrusive red-black trees, for the scheduler's ordered queues (EDF
 * deadlines, fair-share vruntime). The caller embeds a struct rb_node and
 * supplies a "less" function; equal keys keep FIFO order. The leftmost node
 * is cached, so peeking at the minimum is O(1). No locking: callers hold
 * whatever lock guards the tree. */
#pragma once
#include <kern/types.h>

struct rb_node {
	struct rb_node *parent, *left, *right;
	bool red;
};

struct rb_root {
	struct rb_node *root;
	struct rb_node *leftmost; /* cached: rb_first() is O(1) */
};

typedef bool (*rb_less_fn)(const struct rb_node *a, const struct rb_node *b);

void rb_init(struct rb_root *t);
void rb_node_init(struct rb_node *n);	 /* marks n as not in any tree */
/* n is in a tree (inline: the scheduler asks at every wake-up) */
static inline bool rb_linked(const struct rb_node *n)
{
	return n->parent != n;
}
/* Inserts n (not linked); a node equal to existing ones goes after them, so
 * equal keys leave in FIFO order. O(log n). */
void rb_insert(struct rb_root *t, struct rb_node *n, rb_less_fn less);
/* Removes n (linked in t); n is unlinked afterwards (rb_linked false).
 * O(log n). */
void rb_erase(struct rb_root *t, struct rb_node *n);
/* Puts n (not linked) where old (linked in t) is, and unlinks old: O(1).
 * The caller keeps the order: n sorts after old's predecessor and before
 * its successor. */
void rb_replace(struct rb_root *t, struct rb_node *old, struct rb_node *n);
/* NULL when empty. Inline: the scheduler asks at every decision. */
static inline struct rb_node *rb_first(const struct rb_root *t)
{
	return t->leftmost;
}
struct rb_node *rb_last(const struct rb_root *t);
struct rb_node *rb_next(const struct rb_node *n); /* successor or NULL */
/* The first node in order for which above(node, arg) holds, where above
 * is false for a prefix of the order and true for the rest (a search by
 * key: "key > arg"); NULL if none. One descent, O(log n). */
struct rb_node *rb_lower_bound(const struct rb_root *t,
			       bool (*above)(const struct rb_node *n,
					     const void *arg),
			       const void *arg);
bool rb_empty(const struct rb_root *t);

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
