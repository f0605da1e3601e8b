/* End notifications (SYS_OBJECT_NOTIFY): a task or thread holds a small
 * fixed array of (notification, bits) registrations; when it ends, each
 * notification is signalled with its bits and its reference dropped.
 * Registering on an object that has already ended signals at once.
 *
 * The array is embedded in the object (no allocation, nothing to charge)
 * and guarded by the object's exit_wq.lock, the same lock under which its
 * `dead` / `exited` flag is set: a registration either lands before the
 * end (and is fired by it) or sees the end (and fires itself), and a
 * waiter woken by the bits always finds SYS_OBJECT_WAIT done. Signalling
 * and dropping the references happen after that lock is released
 * (notification wq.lock and the slab are never taken under it). */
#pragma once
#include <kern/types.h>

#define END_NOTIFY_MAX 4

struct notification;
struct kobject;

struct end_notify {
	struct {
		struct notification *n; /* holds a reference; NULL: free */
		uint64_t bits;
	} reg[END_NOTIFY_MAX];
};

/* SYS_OBJECT_NOTIFY on a task or thread object o: bits != 0 adds or
 * updates n's registration (ERR_NO_RESOURCES when all slots are taken),
 * bits == 0 removes it (0 also when there was none). */
int object_notify(struct kobject *o, struct notification *n, uint64_t bits);

/* The object ended (its lock held): moves the registrations to *out. */
void end_notify_take_locked(struct end_notify *e, struct end_notify *out);
/* Then, with no lock held: signals each and drops the references. */
void end_notify_fire(struct end_notify *taken);
/* The object is freed without having ended (a thread never started):
 * drops the references, signals nothing. */
void end_notify_drop(struct end_notify *e);
