/* Grants: a window (offset, length, permissions) onto a memory object that
 * can be handed to another task and mapped there without copying. The
 * creator (RIGHT_MANAGE) can revoke it: every mapping made through it goes
 * at once, in every task. Lifetime rules: docs/ipc.md "## Grants". */
#pragma once
#include <kern/list.h>
#include <kern/object.h>
#include <kern/spinlock.h>
#include <kern/types.h>

struct handle_table;
struct task;
struct uvm;
struct vmo;

struct grant {
	struct kobject obj;
	struct vmo *vmo;      /* holds a reference */
	uint64_t offset, len; /* page-aligned window into vmo */
	uint32_t perms;	      /* VM_PROT_READ, optionally | VM_PROT_WRITE */
	spinlock_t lock;      /* maps, revoked, every grant_map's fields */
	bool revoked;
	struct list_node maps; /* struct grant_map.node: live mappings */
};

/* One mapping of a grant in one address space. Owned jointly (refs, under
 * the grant's lock) by the uvm mapping that carries it and by whoever is
 * working on it (a map or revoke call); freed at zero. It is linked on
 * grant.maps (grant_link, under the uvm's lock) only once its mapping
 * exists, so while linked the uvm is not destroyed yet. */
struct grant_map {
	struct list_node node;
	struct grant *grant; /* holds a reference */
	struct task *task;   /* no reference: see grant.c */
	uint32_t refs;
	struct charge charge; /* to the mapping task's account */
};

/* perms: VM_PROT_READ or VM_PROT_READ | VM_PROT_WRITE. Takes a new
 * reference to vmo. ERR_NO_MEMORY. */
int grant_create(struct vmo *vmo, uint64_t offset, uint64_t len, uint32_t perms,
		 struct grant **out);
/* Maps the grant into t (perms within the grant's; hint as uvm_map without
 * VM_MAP_FIXED). ERR_ACCESS_DENIED (perms), ERR_BAD_STATE (revoked or the
 * task died), else uvm_map's errors. */
int grant_map(struct grant *g, struct task *t, uint32_t perms, uint64_t hint,
	      uint64_t *out);
/* Removes every mapping; later grant_map calls fail with ERR_BAD_STATE.
 * Revoking twice is fine (0). */
void grant_revoke(struct grant *g);
/* Called by uvm.c with the uvm's lock held, just before the mapping
 * carrying gm is inserted: links gm on its grant unless the grant is
 * revoked (false: the mapping must not be made). */
bool grant_link(struct grant_map *gm);
/* Called by uvm.c (no uvm lock held) once a mapping carrying gm is gone
 * from its address space and page tables. */
void grant_mapping_gone(struct grant_map *gm);
/* SYS_GRANT_NOTIFY: moves send_h (a port endpoint, TRANSFER) out of t
 * into g's memory object, which keeps it (as a handle in transit) until
 * the object is freed: an endpoint minted with PORT_MINT_NOTIFY_CLOSED
 * then queues its notice. ERR_ALREADY_EXISTS: the object keeps one
 * already; cap_get's errors. */
int grant_notify(struct grant *g, struct handle_table *t, handle_t send_h);
