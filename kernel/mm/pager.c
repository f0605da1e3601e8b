/* Pager-backed memory objects (kern/pager.h, docs/vmgr.md).
 *
 * A fault on an absent page becomes a call the faulting thread itself
 * makes on the object's pager endpoint, with a kernel-built message
 * (struct pager_fault). Waiting in a call gives the failure cases for
 * free: the pager's death cancels queued and received calls
 * (ERR_PEER_CLOSED), a kill of the caller ends its wait, and the message
 * is charged to the faulting task like any message it sends. The answer's
 * content is ignored: the page is there (supplied before the answer) or
 * the fault is real.
 *
 * One request per absent page: a second thread faulting on a page that is
 * being asked for waits on the object's pager_wq for that request's end
 * (success: the page is present; the pager's failure: it fails too; the
 * asker was killed or had no memory for the message: it asks itself).
 *
 * Quota: supplied pages are charged one by one to the object's account
 * (obj.charge grows, so the object's last put returns them): a task gets
 * no more pages through a pager than its quota holds. The pager's
 * supply fails with ERR_NO_MEMORY instead, and it answers the fault,
 * which then fails (fault report). */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/lib.h>
#include <kern/mm.h>
#include <kern/pager.h>
#include <kern/pmm.h>
#include <kern/port.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

enum { REQ_PENDING, REQ_DONE, REQ_FAILED, REQ_RETRY };

struct pager_req {
	struct list_node node; /* vmo.pager_reqs while pending */
	uint64_t index;
	unsigned refs; /* the asker + waiters; under pager_wq.lock */
	int state;
};

int pager_vmo_create(struct task *t, struct port_send *send, uint64_t key,
		     uint64_t size, struct vmo **out)
{
	if (size > PAGER_VMO_MAX)
		return ERR_OUT_OF_RANGE;
	struct vmo *v;
	int err = vmo_create_common(t, size, false, &v);
	if (err)
		return err;
	kobj_get(&send->obj);
	v->pager = send;
	v->pager_key = key;
	*out = v;
	return 0;
}

/* Installs frame pa as page i unless one is there; charges it first. */
static int install(struct vmo *v, uint64_t i, phys_addr_t pa)
{
	int err = 0;
	unsigned long f = spin_lock_irqsave(&v->lock);
	if (v->pages[i])
		err = ERR_ALREADY_EXISTS;
	else if (!(err = account_charge(v->obj.charge.acct, PAGE_SIZE))) {
		v->obj.charge.bytes += PAGE_SIZE;
		v->supplied++;
		__atomic_store_n(&v->pages[i], pa, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&v->lock, f);
	return err;
}

int pager_supply(struct vmo *v, uint64_t offset, uint64_t len, uint64_t src)
{
	if (!v->pager)
		return ERR_NOT_SUPPORTED;
	if (!len || !IS_ALIGNED(offset, PAGE_SIZE) ||
	    !IS_ALIGNED(len, PAGE_SIZE))
		return ERR_INVALID_ARGS;
	if (offset > v->size || len > v->size - offset)
		return ERR_OUT_OF_RANGE;
	if (src && !user_range_ok(src, len))
		return ERR_FAULT;
	int err = 0, n = 0;
	for (uint64_t pos = 0; pos < len && !err; pos += PAGE_SIZE) {
		uint64_t i = (offset + pos) / PAGE_SIZE;
		if (__atomic_load_n(&v->pages[i], __ATOMIC_ACQUIRE))
			continue;
		phys_addr_t pa = pmm_alloc();
		if (!pa) {
			err = ERR_NO_MEMORY;
			break;
		}
		/* Filled before it is visible; no lock held. An absent
		 * page of pager memory at src fails the copy instead of
		 * asking its pager (pager_get_page): a supplier given a
		 * window by someone else (vmgr and a client's "file")
		 * would otherwise wait as long as that someone's pager
		 * likes. A present one is mapped as usual. */
		void *k = phys_to_virt(pa);
		if (src) {
			struct thread *me = thread_current();
			me->uaccess_no_pager = true;
			err = copy_from_user(k, (const void *)(src + pos),
					     PAGE_SIZE);
			me->uaccess_no_pager = false;
		} else {
			memset(k, 0, PAGE_SIZE);
		}
		if (!err)
			err = install(v, i, pa);
		if (!err)
			n++;
		if (err) {
			pmm_free(pa);
			if (err == ERR_ALREADY_EXISTS)
				err = 0; /* supplied meanwhile */
		}
	}
	/* Whatever arrived, the waiters look again. */
	if (n)
		wait_queue_wake_all(&v->pager_wq, 0);
	/* A read-ahead cut short by the quota still supplied the pages
	 * before it: the pager learns the failure only when there were
	 * none. */
	return n ? n : err;
}

/* The call: the faulting thread asks the pager for page index. 0 when the
 * pager answered (the page may or may not be there now). */
static int ask(struct vmo *v, uint64_t index, bool write)
{
	struct pager_fault pf = {
		.magic = PAGER_FAULT_MAGIC,
		.key = v->pager_key,
		.offset = index * PAGE_SIZE,
		.len = PAGE_SIZE,
		.flags = write ? PAGER_FAULT_WRITE : 0,
	};
	struct kmsg *m = kmsg_alloc(sizeof(pf));
	if (!m)
		return ERR_NO_MEMORY;
	memcpy(m->data, &pf, sizeof(pf));
	struct reply *r;
	int err = reply_create(thread_current(), v->pager->port, &r);
	if (err) {
		kmsg_free(m);
		return err;
	}
	m->badge = v->pager->badge;
	m->reply = r;
	kobj_get(reply_obj(r)); /* the message's reference */
	donate_set_calling(r);
	static const struct msg_handles none;
	err = port_send(v->pager->port, m, &none, DEADLINE_NONE);
	if (err) {
		donate_set_calling(NULL);
		kmsg_free(m); /* cancels r */
	} else {
		struct kmsg *ans = NULL;
		err = reply_wait(r, DEADLINE_NONE, &ans, NULL);
		if (ans)
			kmsg_free(ans); /* closes any handles it carried */
	}
	reply_put(r);
	return err;
}

static struct pager_req *find_req(struct vmo *v, uint64_t index)
{
	list_for_each(it, &v->pager_reqs)
	{
		struct pager_req *q = list_entry(it, struct pager_req, node);
		if (q->index == index)
			return q;
	}
	return NULL;
}

static void req_put_locked(struct pager_req *q)
{
	if (!--q->refs)
		kfree(q);
}

phys_addr_t pager_get_page(struct vmo *v, uint64_t index, bool write, int *err)
{
	*err = 0;
	/* Present already (supplied ahead, or its entry was dropped by a
	 * protect): no request. */
	phys_addr_t pa = __atomic_load_n(&v->pages[index], __ATOMIC_ACQUIRE);
	if (pa)
		return pa;
	/* pager_supply's copy from src: no waiting for a pager there. */
	if (thread_current()->uaccess_no_pager) {
		*err = ERR_FAULT;
		return 0;
	}
	struct pager_req *mine = kmalloc(sizeof(*mine));
	unsigned long f = spin_lock_irqsave(&v->pager_wq.lock);
	for (;;) {
		pa = __atomic_load_n(&v->pages[index], __ATOMIC_ACQUIRE);
		if (pa)
			break;
		struct pager_req *q = find_req(v, index);
		if (!q)
			break;
		q->refs++;
		int w = 0;
		while (q->state == REQ_PENDING && !w)
			w = wait_queue_block(&v->pager_wq, DEADLINE_NONE);
		int st = q->state;
		req_put_locked(q);
		if (w || st == REQ_FAILED) {
			*err = w ? ERR_BAD_STATE : ERR_FAULT;
			break;
		}
		/* Done (look at the page) or the asker died (ask again). */
	}
	if (pa || *err) {
		spin_unlock_irqrestore(&v->pager_wq.lock, f);
		kfree(mine);
		return pa;
	}
	if (!mine) {
		spin_unlock_irqrestore(&v->pager_wq.lock, f);
		*err = ERR_NO_MEMORY;
		return 0;
	}
	mine->index = index;
	mine->refs = 1;
	mine->state = REQ_PENDING;
	list_push_back(&v->pager_reqs, &mine->node);
	spin_unlock_irqrestore(&v->pager_wq.lock, f);

	int e = ask(v, index, write);
	bool killed =
		__atomic_load_n(&thread_current()->killed, __ATOMIC_ACQUIRE);
	f = spin_lock_irqsave(&v->pager_wq.lock);
	pa = __atomic_load_n(&v->pages[index], __ATOMIC_ACQUIRE);
	list_remove(&mine->node);
	/* Only the pager's failure is the waiters' failure: the asker's
	 * kill or its own lack of memory for the message is not. */
	mine->state = pa			     ? REQ_DONE
		      : killed || e == ERR_NO_MEMORY ? REQ_RETRY
						     : REQ_FAILED;
	wait_queue_wake_locked(&v->pager_wq, 0, ~0u);
	req_put_locked(mine);
	spin_unlock_irqrestore(&v->pager_wq.lock, f);
	if (!pa)
		*err = killed		    ? ERR_BAD_STATE
		       : e == ERR_NO_MEMORY ? e
					    : ERR_FAULT;
	return pa;
}

/* Pages after a resolved fault that the pager supplied already (ahead of
 * use) are mapped now too, up to FAULT_AROUND - 1 of them: a pager that
 * supplies ahead spares its client the traps, not only the calls. */
#define FAULT_AROUND 16

/* The faulting page pa and the present pages right after it (one lock
 * hold for all). */
static int map_around(struct uvm *u, uint64_t va, struct vmo *v, uint64_t off,
		      phys_addr_t pa)
{
	phys_addr_t run[FAULT_AROUND] = {pa};
	unsigned n = 1;
	for (; n < FAULT_AROUND && off + n * PAGE_SIZE < v->size; n++) {
		run[n] = __atomic_load_n(&v->pages[off / PAGE_SIZE + n],
					 __ATOMIC_ACQUIRE);
		if (!run[n])
			break;
	}
	return uvm_fault_map(u, va, v, off, run, n);
}

int vm_user_fault(uint64_t addr, uint32_t access, bool present)
{
	struct task *t = thread_current()->task;
	struct uvm *u = t ? t->uvm : NULL;
	/* Present pages faulted for their protection: a real fault. */
	if (!u || present || addr < USER_BASE || addr >= USER_TOP)
		return ERR_FAULT;
	uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE), off;
	struct vmo *v;
	uint32_t prot;
	if (uvm_fault_find(u, va, &v, &off, &prot))
		return ERR_FAULT;
	int err = ERR_FAULT;
	/* Only pager memory is mapped lazily; everything else is mapped
	 * whole at uvm_map, so its faults are real. */
	if (v->pager && (access & prot) == access && prot) {
		phys_addr_t pa = pager_get_page(v, off / PAGE_SIZE,
						access & VM_PROT_WRITE, &err);
		/* The mapping may have changed while we waited: the map
		 * checks it again, and a retry faults again if it went. */
		if (pa && (err = map_around(u, va, v, off, pa)) == 1)
			err = 0;
	}
	kobj_put(&v->obj);
	/* Out of memory for the call or a page table: the access fails. */
	return err && err != ERR_BAD_STATE ? ERR_FAULT : err;
}
