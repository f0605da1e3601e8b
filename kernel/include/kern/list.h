/* Intrusive circular doubly linked lists. */
#pragma once
#include <kern/types.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_INIT(name) {&(name), &(name)}

static inline void list_init(struct list_node *l)
{
	l->next = l->prev = l;
}

static inline bool list_empty(const struct list_node *l)
{
	return l->next == l;
}

static inline void list_insert_after(struct list_node *pos,
				     struct list_node *n)
{
	n->next = pos->next;
	n->prev = pos;
	pos->next->prev = n;
	pos->next = n;
}

static inline void list_push_back(struct list_node *l, struct list_node *n)
{
	list_insert_after(l->prev, n);
}

static inline void list_push_front(struct list_node *l, struct list_node *n)
{
	list_insert_after(l, n);
}

static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

/* Is n linked into some list? (Nodes are self-linked when removed.) */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

static inline struct list_node *list_pop_front(struct list_node *l)
{
	if (list_empty(l))
		return NULL;
	struct list_node *n = l->next;
	list_remove(n);
	return n;
}

#define list_entry(node, type, member) container_of(node, type, member)
#define list_for_each(it, head) \
	for (struct list_node *it = (head)->next; it != (head); it = it->next)
#define list_for_each_safe(it, tmp, head)                                   \
	for (struct list_node *it = (head)->next, *tmp = it->next;         \
	     it != (head); it = tmp, tmp = it->next)
