/* User address spaces: a sorted list of mappings of memory objects over a
 * task's own page tables (kern/vm.h). Frames are mapped eagerly, so a user
 * page fault is always an error, never a page-in, except on pager-backed
 * objects, whose pages are mapped by their faults (uvm_fault.c).
 *
 * Locking: u->lock is held with interrupts off but acquired with them on
 * (lock_uvm), because vm_unmap/vm_protect shoot down TLBs and wait for
 * other CPUs: a CPU spinning for the lock with interrupts off could not
 * answer. A grant's lock nests inside it (grant_link), never around it. Slow
 * work (allocating and zeroing frames, kmalloc, dropping vmo references)
 * happens outside the lock.
 *
 * Quota: frames and pages arrays through the vmos (vmo.c); page-table
 * pages by tables_charged, kept equal to the space's table count after
 * every operation (vm_protect charges the worst case ahead, so making a
 * reservation accessible cannot outrun the quota); each mapping record
 * from its allocation to its free (rec_alloc/rec_free; a spare for a split
 * is charged when the split uses it, so unmapping or protecting whole
 * mappings never needs quota). All to the task's account;
 * the uvm itself is part of what creating the task cost its parent. */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/arch.h>
#include <kern/grant.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/uvm.h>
#include <kern/vm.h>
#include <kern/vmo.h>

#include "uvm_priv.h"

#define PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)

#define REC_CHARGE kmalloc_footprint(sizeof(struct uvm_mapping))

static struct uvm_mapping *rec_alloc(struct uvm *u)
{
	if (task_charge(u->task, REC_CHARGE))
		return NULL;
	struct uvm_mapping *m = kmalloc(sizeof(*m));
	if (!m)
		task_uncharge(u->task, REC_CHARGE);
	return m;
}

static void rec_free(struct uvm *u, struct uvm_mapping *m)
{
	if (!m)
		return;
	kfree(m);
	task_uncharge(u->task, REC_CHARGE);
}

/* After the shootdown: the frames may go now, and the grant hears of it. */
static void free_dead(struct uvm *u, struct list_node *dead)
{
	struct list_node *n;
	while ((n = list_pop_front(dead))) {
		struct uvm_mapping *m = mapping_of(n);
		if (m->gmap)
			grant_mapping_gone(m->gmap);
		kobj_put(&m->vmo->obj);
		rec_free(u, m);
	}
}

/* Charges or returns the difference between the page tables in use and
 * what is charged. Shrinking always works. */
int uvm_sync_tables(struct uvm *u)
{
	uint64_t now = vm_space_tables(u->space) * PAGE_SIZE;
	if (now < u->tables_charged)
		task_uncharge(u->task, u->tables_charged - now);
	else if (now > u->tables_charged) {
		int err = task_charge(u->task, now - u->tables_charged);
		if (err)
			return err;
	}
	u->tables_charged = now;
	return 0;
}

int uvm_create(struct task *task, struct uvm **out)
{
	struct uvm *u = kmalloc(sizeof(*u));
	if (!u)
		return ERR_NO_MEMORY;
	u->lock = (spinlock_t)SPINLOCK_INIT;
	list_init(&u->mappings);
	u->task = task;
	u->space = vm_space_create();
	if (!u->space || uvm_sync_tables(u)) {
		vm_space_destroy(u->space);
		kfree(u);
		return ERR_NO_MEMORY;
	}
	*out = u;
	return 0;
}

/* Takes m's pages out of the page tables. A reservation (prot 0) has
 * none: skipping it matters, as vm_unmap looks at every page of the range
 * with interrupts off, and reservations can be huge. */
static void unmap_ptes(struct uvm *u, struct uvm_mapping *m)
{
	if (m->prot)
		BUG_ON(vm_unmap(u->space, m->start, m->len));
}

void uvm_release(struct uvm *u)
{
	struct list_node dead = LIST_INIT(dead);
	unsigned long f = lock_uvm(u);
	u->dead = true;
	struct list_node *n;
	while ((n = list_pop_front(&u->mappings))) {
		struct uvm_mapping *m = mapping_of(n);
		unmap_ptes(u, m);
		u->mapped_bytes -= m->len;
		list_push_back(&dead, &m->node);
	}
	uvm_sync_tables(u);
	unlock_uvm(u, f);
	free_dead(u, &dead);
}

void uvm_destroy(struct uvm *u)
{
	/* The scheduler reads task->uvm on every switch: if the exiting thread
	 * is preempted from here on, it must come back to kernel tables, not
	 * to a freed space. */
	if (u->task && u->task->uvm == u)
		WRITE_ONCE(u->task->uvm, NULL);
	/* Dropping the space from every CPU flushes its TLB entries, so the
	 * frames can go without unmapping page by page. */
	vm_space_destroy(u->space);
	task_uncharge(u->task, u->tables_charged);
	free_dead(u, &u->mappings);
	kfree(u);
}

void uvm_activate(struct uvm *u)
{
	if (u)
		vm_space_activate(u->space);
	else
		vm_space_lazy(); /* no user memory touched: keep what is loaded */
}

/* prot 0 is a reservation (guard pages, address space held for later):
 * no page-table entries and no frames until protected to something. */
static int check_prot(uint32_t prot)
{
	if (prot & ~PROT_ALL)
		return ERR_INVALID_ARGS;
	if ((prot & VM_PROT_WRITE) && (prot & VM_PROT_EXEC))
		return ERR_INVALID_ARGS; /* W^X */
	return 0;
}

static inline bool in_user(uint64_t addr, uint64_t len)
{
	return addr >= USER_BASE && addr < USER_TOP && len <= USER_TOP - addr;
}

/* First free range of len at or above from; 0 when none. */
static uint64_t find_free(struct uvm *u, uint64_t from, uint64_t len)
{
	uint64_t cand = from;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (mend(m) <= cand)
			continue;
		if (cand + len <= m->start)
			return cand;
		cand = mend(m);
	}
	return len <= USER_TOP - cand ? cand : 0;
}

static bool range_free(struct uvm *u, uint64_t addr, uint64_t len)
{
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (m->start < addr + len && addr < mend(m))
			return false;
	}
	return true;
}

static void insert_sorted(struct uvm *u, struct uvm_mapping *nm)
{
	struct list_node *pos = &u->mappings;
	list_for_each(it, &u->mappings)
	{
		if (mapping_of(it)->start > nm->start)
			break;
		pos = it;
	}
	list_insert_after(pos, &nm->node);
}

/* Maps m's pages, in runs of physically contiguous frames. Pager memory
 * is mapped a page at a time by its faults (uvm_fault_map). */
static int map_pages(struct uvm *u, struct uvm_mapping *m)
{
	if (m->vmo->pager)
		return 0;
	uint64_t first = m->offset / PAGE_SIZE, n = m->len / PAGE_SIZE;
	for (uint64_t i = 0; i < n;) {
		phys_addr_t pa = vmo_get_page(m->vmo, first + i);
		uint64_t run = 1;
		while (i + run < n && vmo_get_page(m->vmo, first + i + run) ==
					      pa + run * PAGE_SIZE)
			run++;
		if (vm_map(u->space, m->start + i * PAGE_SIZE, pa,
			   run * PAGE_SIZE, vm_flags(m, m->prot), false)) {
			if (i)
				vm_unmap(u->space, m->start, i * PAGE_SIZE);
			return ERR_NO_MEMORY;
		}
		i += run;
	}
	return 0;
}

static int map_common(struct uvm *u, struct vmo *vmo, uint64_t addr,
		      uint64_t len, uint64_t offset, uint32_t prot,
		      uint32_t flags, struct grant_map *gm, uint64_t *out)
{
	uint32_t max = (flags >> 8) & PROT_ALL;
	if (!max)
		max = PROT_ALL;
	if (!len || !IS_ALIGNED(addr, PAGE_SIZE) ||
	    !IS_ALIGNED(len, PAGE_SIZE) || !IS_ALIGNED(offset, PAGE_SIZE) ||
	    (flags & ~(VM_MAP_FIXED | UVM_MAP_MAX_PROT(PROT_ALL))))
		return ERR_INVALID_ARGS;
	int err = check_prot(prot);
	if (err)
		return err;
	if (prot & ~max)
		return ERR_ACCESS_DENIED;
	bool fixed = flags & VM_MAP_FIXED;
	if (fixed && !in_user(addr, len))
		return ERR_OUT_OF_RANGE;
	if (vmo && (offset > vmo->size || len > vmo->size - offset))
		return ERR_OUT_OF_RANGE;
	if (!vmo && offset)
		return ERR_OUT_OF_RANGE;
	if (len > USER_TOP - USER_BASE)
		return ERR_OUT_OF_RANGE; /* larger than user space itself */

	if (vmo)
		kobj_get(&vmo->obj);
	else if ((err = vmo_create(u->task, len, &vmo)))
		return err;
	struct uvm_mapping *m = rec_alloc(u);
	if (!m) {
		err = ERR_NO_MEMORY;
		goto out_put;
	}
	/* Every frame now, outside the lock (allocating zeroes them); a
	 * reservation (prot 0) gets its frames when it is protected. */
	for (uint64_t i = 0; prot && !vmo->pager && i < len / PAGE_SIZE; i++)
		if (!vmo_get_page(vmo, offset / PAGE_SIZE + i)) {
			err = ERR_NO_MEMORY;
			goto out_free;
		}
	m->len = len;
	m->prot = prot;
	m->max_prot = max;
	m->vmo = vmo;
	m->offset = offset;
	m->gmap = gm;

	unsigned long f = lock_uvm(u);
	if (u->dead)
		err = ERR_BAD_STATE; /* the task died */
	else if (fixed) {
		m->start = addr;
		if (!range_free(u, addr, len))
			err = ERR_ALREADY_EXISTS;
	} else {
		uint64_t hint = in_user(addr, len) ? addr : USER_BASE;
		m->start = find_free(u, hint, len);
		if (!m->start && hint != USER_BASE)
			m->start = find_free(u, USER_BASE, len);
		if (!m->start)
			err = ERR_NO_MEMORY;
	}
	if (!err && prot)
		err = map_pages(u, m);
	if (!err && (err = uvm_sync_tables(u)))
		vm_unmap(u->space, m->start, len);
	/* A grant's record is linked in the same critical section that
	 * inserts the mapping: a revoke that finds the record finds the
	 * mapping, and one that ran first makes this map fail. */
	if (!err && gm && !grant_link(gm)) {
		err = ERR_BAD_STATE;
		vm_unmap(u->space, m->start, len);
	}
	if (!err) {
		insert_sorted(u, m);
		u->mapped_bytes += len;
	}
	if (err)
		uvm_sync_tables(u); /* tables pruned by the roll-back */
	unlock_uvm(u, f);
	if (!err) {
		*out = m->start;
		return 0;
	}
out_free:
	rec_free(u, m);
out_put:
	kobj_put(&vmo->obj);
	return err;
}

int uvm_map(struct uvm *u, struct vmo *vmo, uint64_t addr, uint64_t len,
	    uint64_t offset, uint32_t prot, uint32_t flags, uint64_t *out)
{
	return map_common(u, vmo, addr, len, offset, prot, flags, NULL, out);
}

int uvm_map_grant(struct uvm *u, struct vmo *vmo, uint64_t hint, uint64_t len,
		  uint64_t offset, uint32_t prot, uint32_t max_prot,
		  struct grant_map *gm, uint64_t *out)
{
	if (!vmo || !gm || !max_prot)
		return ERR_INVALID_ARGS;
	return map_common(u, vmo, hint, len, offset, prot,
			  UVM_MAP_MAX_PROT(max_prot), gm, out);
}

/* Splits m at addr (inside it): m keeps the lower part, spare becomes the
 * upper part (with its own vmo reference). */
static void split(struct uvm *u, struct uvm_mapping *m, uint64_t addr,
		  struct uvm_mapping *spare)
{
	uint64_t low = addr - m->start;
	*spare = *m;
	spare->start = addr;
	spare->len = m->len - low;
	spare->offset = m->offset + low;
	m->len = low;
	kobj_get(&m->vmo->obj);
	list_insert_after(&m->node, &spare->node);
}

static int check_range(uint64_t addr, uint64_t len)
{
	if (!len || !IS_ALIGNED(addr, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	return in_user(addr, len) ? 0 : ERR_OUT_OF_RANGE;
}

/* Grant mappings go whole or not at all: true when addr or end falls
 * strictly inside one. */
static bool cuts_grant(struct uvm *u, uint64_t addr, uint64_t end)
{
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (!m->gmap)
			continue;
		if ((m->start < addr && addr < mend(m)) ||
		    (m->start < end && end < mend(m)))
			return true;
	}
	return false;
}

/* How many mappings straddle addr or end (the splits cut() will make). */
static unsigned count_cuts(struct uvm *u, uint64_t addr, uint64_t end)
{
	unsigned n = 0;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		n += m->start < addr && addr < mend(m);
		n += m->start < end && end < mend(m);
	}
	return n;
}

/* Makes mapping boundaries fall on addr and end (splits at most two
 * mappings, using the spares; a used spare is set to NULL). The caller
 * charged one record per split (count_cuts) under the same lock hold. */
static void cut(struct uvm *u, uint64_t addr, uint64_t end,
		struct uvm_mapping **spare)
{
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		for (int k = 0; k < 2; k++) {
			uint64_t at = k ? end : addr;
			if (m->start < at && at < mend(m)) {
				struct uvm_mapping **s =
					spare[0] ? &spare[0] : &spare[1];
				split(u, m, at, *s);
				*s = NULL;
			}
		}
	}
}

/* Charges the records a cut of [addr, end) needs (lock held). Unmapping
 * or protecting whole mappings needs none, so it never needs quota. */
static int charge_cuts(struct uvm *u, uint64_t addr, uint64_t end)
{
	unsigned n = count_cuts(u, addr, end);
	return n ? task_charge(u->task, n * REC_CHARGE) : 0;
}

/* Spare records are allocated before the lock (kmalloc) but charged only
 * when a split uses them (charge_cuts); unused ones go back uncharged. */
static void spares_free(struct uvm_mapping **spare)
{
	kfree(spare[0]);
	kfree(spare[1]);
}

/* Page-table pages a mapping of [start, end) can need at most: one per
 * 2 MiB, 1 GiB and 512 GiB region it touches (the root always exists). */
static uint64_t tables_worst(uint64_t start, uint64_t end)
{
	uint64_t n = 0;
	for (unsigned shift = 21; shift <= 39; shift += 9)
		n += ((end - 1) >> shift) - (start >> shift) + 1;
	return n * PAGE_SIZE;
}

int uvm_unmap(struct uvm *u, uint64_t addr, uint64_t len)
{
	int err = check_range(addr, len);
	if (err)
		return err;
	uint64_t end = addr + len;
	struct uvm_mapping *spare[2] = {kmalloc(sizeof(struct uvm_mapping)),
					kmalloc(sizeof(struct uvm_mapping))};
	struct list_node dead = LIST_INIT(dead);
	if (!spare[0] || !spare[1]) {
		err = ERR_NO_MEMORY;
		goto out;
	}
	unsigned long f = lock_uvm(u);
	if (u->dead)
		err = ERR_BAD_STATE;
	else if (cuts_grant(u, addr, end))
		err = ERR_INVALID_ARGS;
	else
		err = charge_cuts(u, addr, end);
	if (err) {
		unlock_uvm(u, f);
		goto out;
	}
	cut(u, addr, end, spare);
	list_for_each_safe(it, tmp, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (m->start >= end)
			break;
		if (m->start < addr)
			continue;
		unmap_ptes(u, m);
		u->mapped_bytes -= m->len;
		list_remove(&m->node);
		list_push_back(&dead, &m->node);
	}
	uvm_sync_tables(u); /* fewer tables: only returns charges */
	unlock_uvm(u, f);
	free_dead(u, &dead);
out:
	spares_free(spare);
	return err;
}

int uvm_protect(struct uvm *u, uint64_t addr, uint64_t len, uint32_t prot)
{
	int err = check_range(addr, len);
	if (!err)
		err = check_prot(prot);
	if (err)
		return err;
	uint64_t end = addr + len;
	struct uvm_mapping *spare[2] = {kmalloc(sizeof(struct uvm_mapping)),
					kmalloc(sizeof(struct uvm_mapping))};
	if (!spare[0] || !spare[1]) {
		err = ERR_NO_MEMORY;
		goto out;
	}
	uint64_t tables = 0; /* page tables charged ahead (worst case) */
	unsigned long f = lock_uvm(u);
	if (u->dead)
		err = ERR_BAD_STATE;
	/* All or nothing: the range must be covered without holes, and
	 * every mapping must allow prot. */
	uint64_t covered = addr;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (mend(m) <= covered || m->start >= end)
			continue;
		if (m->start > covered)
			break;
		if (prot & ~m->max_prot)
			err = ERR_ACCESS_DENIED;
		covered = mend(m);
	}
	if (!err && covered < end)
		err = ERR_NOT_FOUND;
	if (!err && cuts_grant(u, addr, end))
		err = ERR_INVALID_ARGS;
	if (!err)
		err = charge_cuts(u, addr, end);
	if (!err) {
		cut(u, addr, end, spare);
		/* Reservations becoming accessible need their frames first;
		 * a failure here changes no protection. */
		list_for_each(it, &u->mappings)
		{
			struct uvm_mapping *m = mapping_of(it);
			if (m->start < addr || m->start >= end || m->prot ||
			    !prot)
				continue;
			tables += tables_worst(m->start, mend(m));
			if (m->vmo->pager)
				continue; /* its pages come by faults */
			for (uint64_t i = 0; i < m->len / PAGE_SIZE && !err;
			     i++)
				if (!vmo_get_page(m->vmo,
						  m->offset / PAGE_SIZE + i))
					err = ERR_NO_MEMORY;
		}
		/* The page tables those reservations may need are charged
		 * before any is made: nothing below can then exceed the
		 * quota, and sync_tables() only returns the excess. */
		/* Per mapping the bound double-counts shared tables; the
		 * whole range bounds them all. */
		tables = MIN(tables, tables_worst(addr, end));
		if (!err && tables)
			err = task_charge(u->task, tables);
		if (!err)
			u->tables_charged += tables;
	}
	if (!err) {
		list_for_each(it, &u->mappings)
		{
			struct uvm_mapping *m = mapping_of(it);
			if (m->start < addr || m->start >= end)
				continue;
			uint32_t old = m->prot;
			if (!prot)
				unmap_ptes(u, m); /* under its old prot */
			m->prot = prot;
			if (!prot || old == prot)
				continue;
			if (!old)
				err = map_pages(u, m);
			else if (m->vmo->pager)
				unmap_ptes(u, m); /* holes: faults remap */
			else
				BUG_ON(vm_protect(u->space, m->start, m->len,
						  vm_flags(m, prot)));
			if (err) {
				m->prot = 0; /* page tables: out of memory */
				break;
			}
		}
		uvm_sync_tables(u); /* within what was charged ahead */
	}
	unlock_uvm(u, f);
out:
	spares_free(spare);
	return err;
}

int uvm_unmap_grant(struct uvm *u, struct grant_map *gm, uint64_t addr)
{
	struct list_node dead = LIST_INIT(dead);
	int err = ERR_NOT_FOUND;
	unsigned long f = lock_uvm(u);
	if (u->dead)
		err = ERR_BAD_STATE;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (err == ERR_BAD_STATE || !m->gmap)
			continue;
		if (gm ? m->gmap != gm : m->start != addr)
			continue;
		BUG_ON(vm_unmap(u->space, m->start, m->len));
		u->mapped_bytes -= m->len;
		list_remove(&m->node);
		list_push_back(&dead, &m->node);
		err = 0;
		break;
	}
	uvm_sync_tables(u);
	unlock_uvm(u, f);
	free_dead(u, &dead);
	return err;
}

int uvm_lookup_vmo(struct uvm *u, uint64_t addr, uint64_t len, struct vmo **vmo,
		   uint64_t *offset, uint32_t *prot)
{
	int err = check_range(addr, len);
	if (err)
		return err;
	err = ERR_NOT_FOUND;
	unsigned long f = lock_uvm(u);
	if (u->dead)
		err = ERR_BAD_STATE;
	list_for_each(it, &u->mappings)
	{
		struct uvm_mapping *m = mapping_of(it);
		if (err == ERR_BAD_STATE)
			break;
		if (m->start > addr || mend(m) < addr + len)
			continue;
		if (m->gmap) {
			err = ERR_ACCESS_DENIED;
			break;
		}
		kobj_get(&m->vmo->obj);
		*vmo = m->vmo;
		*offset = m->offset + (addr - m->start);
		*prot = m->prot;
		err = 0;
		break;
	}
	unlock_uvm(u, f);
	return err;
}
