/* Per-task handle tables. A handle value encodes a slot index and the
 * slot's generation, so a closed handle's value stays invalid even after
 * the slot is reused: a stale handle never reaches a newer object. */
#pragma once
#include <execrt/types.h>
#include <kern/object.h>
#include <kern/spinlock.h>
#include <kern/types.h>

#define HANDLE_INDEX_BITS 16
#define HANDLE_MAX_SLOTS  (1u << HANDLE_INDEX_BITS)
#define HANDLE_GEN_MASK   0xffffu

struct handle_slot {
	struct kobject *obj; /* NULL: free */
	uint32_t rights;
	uint16_t gen;        /* bumped on every close */
	uint16_t next_free;  /* free-list link (index + 1, 0 = end) */
};

struct handle_table {
	spinlock_t lock;
	struct handle_slot *slots;
	uint32_t cap;       /* slots allocated */
	uint32_t used;
	uint32_t quota;     /* maximum live handles */
	uint32_t free_head; /* index + 1, 0 = none */
	bool closed;        /* destroyed: no new handles (dead task) */
	struct account *acct; /* charged for growth (the owner's, no ref) */
};

int handle_table_init(struct handle_table *t, uint32_t quota);
/* Closes every handle (dropping references) and frees the table. */
void handle_table_destroy(struct handle_table *t);

/* Installs a new handle to o with rights; takes a new reference to o.
 * Returns ERR_NO_RESOURCES at the quota, ERR_NO_MEMORY if the table
 * cannot grow. */
int handle_alloc(struct handle_table *t, struct kobject *o, uint32_t rights,
		 handle_t *out);
/* Looks h up; checks type (OBJ_NONE: any) and that every bit of
 * `need` is held. On success returns 0 with a new reference in *out
 * (the caller kobj_put()s it) and the handle's rights in *rights. */
int handle_get(struct handle_table *t, handle_t h, uint32_t type,
	       uint32_t need, struct kobject **out, uint32_t *rights);
int handle_close(struct handle_table *t, handle_t h);
/* New handle with rights & the old ones (RIGHT_SAME: unchanged). Requires
 * RIGHT_DUPLICATE; asking for rights not held is ERR_ACCESS_DENIED. */
int handle_dup(struct handle_table *t, handle_t h, uint32_t rights,
	       handle_t *out);
/* Removes h and returns its object and rights without dropping the
 * reference (for moving handles between tables). Requires `need`. */
int handle_take(struct handle_table *t, handle_t h, uint32_t need,
		struct kobject **obj, uint32_t *rights);
/* Drops a reference obtained by handle_take() that will not be installed
 * anywhere (e.g. its message was discarded). */
void handle_discard(struct kobject *o);
uint32_t handle_count(struct handle_table *t);
