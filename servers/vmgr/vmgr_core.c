/* vmgr's bookkeeping (vmgr_core.h). Fixed tables: a client cannot make
 * vmgr allocate; every table full is ERR_NO_RESOURCES. */
#include <string.h>

#include <execrt/errors.h>

#include "vmgr_core.h"

#define PAGE 4096ull

void vmgr_init(struct vmgr *v, uint64_t ledger_limit)
{
	memset(v, 0, sizeof(*v));
	v->next_id = 1;
	v->ledger_limit = ledger_limit;
}

uint64_t vmgr_limit_of(const struct vmgr *v, uint64_t koid)
{
	for (unsigned i = 0; koid && i < VMGR_MAX_LIMITS; i++)
		if (v->limits[i].koid == koid)
			return v->limits[i].bytes;
	return v->ledger_limit;
}

void vmgr_set_limit(struct vmgr *v, uint64_t koid, uint64_t bytes)
{
	if (!koid)
		return;
	struct vmgr_limit *slot = NULL;
	for (unsigned i = 0; i < VMGR_MAX_LIMITS; i++) {
		struct vmgr_limit *l = &v->limits[i];
		if (l->koid == koid) {
			slot = l;
			break;
		}
		if (!slot || (slot->koid && (!l->koid || l->seq < slot->seq)))
			slot = l; /* a free one, else the oldest */
	}
	if (bytes) {
		slot->koid = koid;
		slot->bytes = bytes;
		slot->seq = ++v->limit_seq;
	} else if (slot->koid == koid) {
		memset(slot, 0, sizeof(*slot));
	}
	for (unsigned i = 0; i < VMGR_MAX_CONNS; i++)
		if (v->conns[i].id && v->conns[i].task_koid == koid)
			v->conns[i].limit = vmgr_limit_of(v, koid);
}

int64_t vmgr_connect(struct vmgr *v, uint64_t koid, handle_t task)
{
	/* A task cannot take the table (nor multiply its ledger) by
	 * connecting again and again. */
	unsigned same = 0;
	for (unsigned i = 0; i < VMGR_MAX_CONNS; i++)
		same += v->conns[i].id && v->conns[i].task_koid == koid;
	if (same >= VMGR_CONNS_PER_TASK)
		return ERR_NO_RESOURCES;
	for (unsigned i = 0; i < VMGR_MAX_CONNS; i++) {
		struct vmgr_conn *c = &v->conns[i];
		if (c->id)
			continue;
		memset(c, 0, sizeof(*c));
		c->id = v->next_id++;
		c->task_koid = koid;
		c->task = task;
		c->limit = vmgr_limit_of(v, koid);
		return (int64_t)c->id;
	}
	return ERR_NO_RESOURCES;
}

/* What the task behind c holds on all its connections. */
static uint64_t task_ledger(const struct vmgr *v, const struct vmgr_conn *c)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < VMGR_MAX_CONNS; i++)
		if (v->conns[i].id && v->conns[i].task_koid == c->task_koid)
			sum += v->conns[i].ledger;
	return sum;
}

struct vmgr_conn *vmgr_conn(struct vmgr *v, uint64_t id)
{
	for (unsigned i = 0; id && i < VMGR_MAX_CONNS; i++)
		if (v->conns[i].id == id)
			return &v->conns[i];
	return NULL;
}

int vmgr_buf_reserve(struct vmgr *v, struct vmgr_conn *c, uint64_t size)
{
	if (!size)
		return ERR_INVALID_ARGS;
	if (size > VMGR_BUF_MAX)
		return ERR_OUT_OF_RANGE;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	uint64_t held = task_ledger(v, c);
	if (size > c->limit || held > c->limit - size)
		return ERR_NO_MEMORY;
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++) {
		struct vmgr_buf *b = &v->bufs[i];
		if (b->id || b->conn)
			continue;
		b->conn = c->id;
		b->id = v->next_id++; /* the notice's badge needs it */
		b->size = size;
		c->ledger += size;
		return (int)i;
	}
	return ERR_NO_RESOURCES;
}

uint64_t vmgr_buf_commit(struct vmgr *v, int slot, handle_t vmo)
{
	struct vmgr_buf *b = &v->bufs[slot];
	b->vmo = vmo;
	return b->id;
}

static void buf_free(struct vmgr *v, struct vmgr_buf *b)
{
	struct vmgr_conn *c = vmgr_conn(v, b->conn);
	if (c)
		c->ledger -= b->size;
	memset(b, 0, sizeof(*b));
}

void vmgr_buf_abort(struct vmgr *v, int slot)
{
	buf_free(v, &v->bufs[slot]);
}

static void drop(struct vmgr_drop *d, handle_t h)
{
	if (h && d->n < sizeof(d->h) / sizeof(d->h[0]))
		d->h[d->n++] = h;
}

/* A lazy object's handles (and its window mapping) go to d. */
static void lazy_drop(struct vmgr_lazy *l, struct vmgr_drop *d)
{
	if (l->win_addr && d->nu < sizeof(d->unmap) / sizeof(d->unmap[0]))
		d->unmap[d->nu++] = l->win_addr;
	drop(d, l->vmo);
	drop(d, l->file);
	drop(d, l->win);
	memset(l, 0, sizeof(*l));
}

int vmgr_buf_release(struct vmgr *v, struct vmgr_conn *c, uint64_t id,
		     struct vmgr_drop *d)
{
	for (unsigned i = 0; id && i < VMGR_MAX_BUFS; i++) {
		struct vmgr_buf *b = &v->bufs[i];
		if (b->id != id || b->conn != c->id || b->released)
			continue;
		drop(d, b->vmo);
		b->vmo = 0;
		b->released = true;
		return 0;
	}
	return ERR_NOT_FOUND;
}

int vmgr_buf_gone(struct vmgr *v, uint64_t id, struct vmgr_drop *d)
{
	for (unsigned i = 0; id && i < VMGR_MAX_BUFS; i++) {
		struct vmgr_buf *b = &v->bufs[i];
		if (b->id != id)
			continue;
		drop(d, b->vmo); /* 0 unless released */
		buf_free(v, b);
		return 0;
	}
	return ERR_NOT_FOUND;
}

uint64_t vmgr_supply_len(const struct vmgr_lazy *l, uint64_t offset)
{
	if (offset >= l->size)
		return 0;
	uint64_t len = VMGR_AHEAD * PAGE;
	return len < l->size - offset ? len : l->size - offset;
}

uint64_t vmgr_file_bytes(const struct vmgr_lazy *l, uint64_t offset)
{
	if (offset >= l->fsize)
		return 0;
	return l->fsize - offset < PAGE ? l->fsize - offset : PAGE;
}

uint64_t vmgr_file_span(const struct vmgr_lazy *l, uint64_t offset,
			uint64_t *file)
{
	uint64_t len = vmgr_supply_len(l, offset);
	if (len > l->win_len)
		len = l->win_len & ~(PAGE - 1);
	*file = offset >= l->fsize	  ? 0
		: l->fsize - offset < len ? l->fsize - offset
					  : len;
	return len;
}

int vmgr_lazy_add(struct vmgr *v, struct vmgr_conn *c, uint64_t key,
		  handle_t vmo, uint64_t size)
{
	if (vmgr_lazy_find(v, c->id, key))
		return ERR_ALREADY_EXISTS;
	for (unsigned i = 0; i < VMGR_MAX_LAZY; i++) {
		struct vmgr_lazy *l = &v->lazy[i];
		if (l->conn)
			continue;
		l->conn = c->id;
		l->key = key;
		l->vmo = vmo;
		l->size = size;
		return 0;
	}
	return ERR_NO_RESOURCES;
}

struct vmgr_lazy *vmgr_lazy_find(struct vmgr *v, uint64_t conn, uint64_t key)
{
	for (unsigned i = 0; conn && i < VMGR_MAX_LAZY; i++)
		if (v->lazy[i].conn == conn && v->lazy[i].key == key)
			return &v->lazy[i];
	return NULL;
}

int vmgr_lazy_release(struct vmgr *v, struct vmgr_conn *c, uint64_t key,
		      struct vmgr_drop *d)
{
	struct vmgr_lazy *l = vmgr_lazy_find(v, c->id, key);
	if (!l)
		return ERR_NOT_FOUND;
	c->lazy_pages -= l->pages < c->lazy_pages ? l->pages : c->lazy_pages;
	lazy_drop(l, d);
	return 0;
}

void vmgr_disconnect(struct vmgr *v, struct vmgr_conn *c, struct vmgr_drop *d)
{
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++) {
		struct vmgr_buf *b = &v->bufs[i];
		if (b->conn != c->id)
			continue;
		drop(d, b->vmo);
		b->vmo = 0;
		b->released = true;
		b->conn = 0; /* the slot goes with the notice */
	}
	for (unsigned i = 0; i < VMGR_MAX_LAZY; i++)
		if (v->lazy[i].conn == c->id)
			lazy_drop(&v->lazy[i], d);
	drop(d, c->task);
	memset(c, 0, sizeof(*c));
}

void vmgr_usage(const struct vmgr *v, const struct task_stats *ts, unsigned n,
		struct vmgr_usage *out)
{
	for (unsigned i = 0; i < n; i++) {
		struct vmgr_usage *u = &out[i];
		memset(u, 0, sizeof(*u));
		u->koid = ts[i].koid;
		u->parent_koid = ts[i].parent_koid;
		memcpy(u->name, ts[i].name, sizeof(u->name));
		u->name[sizeof(u->name) - 1] = 0;
		u->quota = ts[i].mem_quota;
		u->used = ts[i].mem_used;
		for (unsigned k = 0; k < VMGR_MAX_CONNS; k++) {
			const struct vmgr_conn *c = &v->conns[k];
			if (!c->id || c->task_koid != u->koid)
				continue;
			u->shared += c->ledger;
			u->lazy_pages += c->lazy_pages;
		}
	}
}
