/* Per-task handle tables. A handle value encodes a slot index and the
 * slot's generation, so a closed handle's value stays invalid even after
 * the slot is reused: a stale handle never reaches a newer object.
 *
 * Value layout (32 bits): generation << HANDLE_INDEX_BITS | index. Each
 * slot walks its own sequence of generations: a first value and an odd
 * step, both derived from a per-table seed (the TSC at creation), so
 * consecutive values are not simply +1. An odd step visits every 21-bit
 * value once before coming back, 0 is skipped (no handle is ever 0), and
 * a slot whose sequence would come back to its first generation is
 * retired for good: a value is never reused for a different handle.
 *
 * Every entry holds one reference and one count in obj->handles; both are
 * taken under the table lock, at the moment the entry becomes visible, so
 * no other thread can close the new handle before its reference exists.
 * Handles travelling in a message (taken out, not yet installed) keep
 * their count in obj->handles ("in transit"). */
#pragma once
#include <execrt/types.h>
#include <kern/object.h>
#include <kern/spinlock.h>
#include <kern/types.h>

#define HANDLE_INDEX_BITS 11 /* room for the quota plus retired slots */
#define HANDLE_MAX_SLOTS  (1u << HANDLE_INDEX_BITS)
#define HANDLE_GEN_BITS	  (32 - HANDLE_INDEX_BITS)
#define HANDLE_GEN_MASK	  ((1u << HANDLE_GEN_BITS) - 1)
#define HANDLE_TXN_MAX	  16 /* handles per reservation */

struct handle_slot {
	struct kobject *obj; /* NULL: free, reserved or retired */
	uint32_t gen;	     /* current generation; 0: retired */
	uint16_t rights;
	uint16_t next_free; /* free-list link (index + 1, 0 = end) */
};

struct handle_table {
	spinlock_t lock;
	struct handle_slot *slots;
	struct kobject *owner;	       /* the task owning the table (or NULL) */
	uint64_t seed;		       /* generation sequences of the slots */
	uint32_t cap;		       /* slots allocated */
	uint32_t used;		       /* live + reserved */
	uint32_t retired;	       /* slots whose generations ran out */
	uint32_t quota;		       /* maximum live + reserved handles */
	uint32_t free_head, free_tail; /* FIFO of free slots, index + 1 */
	bool closed; /* destroyed: no new handles (dead task) */
	bool live;   /* the owner ran: its handles count as outside */
	struct account *acct; /* charged for growth (the owner's, no ref) */
};

/* owner: the task whose table this is (handles to it and its threads in
 * its own table do not count as "outside" handles, see object.h). */
int handle_table_init(struct handle_table *t, uint32_t quota,
		      struct kobject *owner);
/* Closes every handle (dropping references) and frees the table. */
void handle_table_destroy(struct handle_table *t);
/* The owner started running: from now on its handles to other tasks (and
 * their threads) keep those reachable. Until then they do not, so tasks
 * that never ran cannot keep each other alive. */
void handle_table_go_live(struct handle_table *t);

/* Installs a new handle to o with rights; takes a new reference to o.
 * ERR_NO_RESOURCES at the quota, ERR_NO_MEMORY if the table cannot grow,
 * ERR_BAD_STATE if the table is closed. */
int handle_alloc(struct handle_table *t, struct kobject *o, uint32_t rights,
		 handle_t *out);
/* Looks h up; checks type (OBJ_NONE: any) and that every bit of
 * `need` is held. On success returns 0 with a new reference in *out
 * (the caller kobj_put()s it) and the handle's rights in *rights. */
int handle_get(struct handle_table *t, handle_t h, uint32_t type, uint32_t need,
	       struct kobject **out, uint32_t *rights);
int handle_close(struct handle_table *t, handle_t h);
/* New handle with rights & the old ones (RIGHT_SAME: unchanged). Requires
 * RIGHT_DUPLICATE; asking for rights not held is ERR_ACCESS_DENIED. */
int handle_dup(struct handle_table *t, handle_t h, uint32_t rights,
	       handle_t *out);
uint32_t handle_count(struct handle_table *t);

/* Transactions (moves between tables, IPC). All of them act on several
 * handles under one hold of the table lock: all or nothing.
 *
 * handle_reserve: n slots are set aside and their values returned; they
 * count against the quota but name nothing yet (a lookup fails), so the
 * caller can publish the values (copy them out) before anything is
 * visible. handle_commit then makes them live (a new reference and handle
 * count per object, like handle_alloc); handle_cancel frees them. Commit
 * fails only when the table was closed meanwhile (ERR_BAD_STATE: nothing
 * installed, reservation gone). */
int handle_reserve(struct handle_table *t, uint32_t n, handle_t *hv);
int handle_commit(struct handle_table *t, uint32_t n, const handle_t *hv,
		  struct kobject *const *objs, const uint32_t *rights);
void handle_cancel(struct handle_table *t, uint32_t n, const handle_t *hv);
/* Takes n handles out of t at once: each must be live, hold `need` and,
 * if expect is given, still name expect[i] (the objects the caller pinned
 * while checking). Otherwise nothing changes (ERR_BAD_HANDLE or
 * ERR_ACCESS_DENIED). The references and handle counts go to the caller:
 * the handles are in transit until handle_transit_done(), called once
 * each has been installed elsewhere (handle_commit) or is dropped. */
int handle_take_many(struct handle_table *t, uint32_t n, const handle_t *hv,
		     uint32_t need, struct kobject *const *expect,
		     struct kobject **objs, uint32_t *rights);
void handle_transit_done(struct kobject *o);
/* Drops a reference to an object that never had a handle, running its
 * last-handle hook (e.g. an IRQ object whose handle could not be made). */
void handle_abandon(struct kobject *o);
