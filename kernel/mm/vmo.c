/* Memory objects. Anonymous objects get zeroed frames on first use; their
 * whole size, pages array and header are charged to the creating task's
 * account when they are created, so using them never fails for quota (no
 * overcommit: what a task was given, it can use, deterministically).
 *
 * The charge is the object's kobject charge: it holds the account, not the
 * task (a task's mappings and handles hold objects, so that would be a
 * cycle), and returns when the object goes, however long it outlives its
 * creator. The quota check comes before any allocation sized by the
 * caller. */
#include <execrt/errors.h>
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pager.h>
#include <kern/pmm.h>
#include <kern/port.h>
#include <kern/slab.h>
#include <kern/task.h>
#include <kern/uaccess.h>
#include <kern/uvm.h>
#include <kern/vmo.h>

static const uint8_t zero_page[PAGE_SIZE] __attribute__((aligned(4096)));

static void vmo_destroy(struct kobject *o)
{
	struct vmo *v = container_of(o, struct vmo, obj);
	if (v->dma) {
		pmm_free_contig(v->phys_base, v->npages);
		dma_auth_return(v->dma_auth, v->size);
	} else if (!v->physical) {
		for (uint64_t i = 0; i < v->npages; i++)
			if (v->pages[i])
				pmm_free(v->pages[i]);
		kfree(v->pages);
	}
	/* Supplied pages were added to obj.charge: kobj_put returns them. */
	if (v->pager)
		kobj_put(&v->pager->obj);
	struct kobject *notice = v->notice;
	kfree(v);
	/* Last, with the frames free (their charge returns as this same
	 * put ends): the endpoint's handle goes, its holder hears. */
	if (notice)
		handle_transit_done(notice);
}

static const struct kobj_ops vmo_ops = {
	.name = "vmo",
	.destroy = vmo_destroy,
};

static void vmo_init_fields(struct vmo *v, uint64_t size)
{
	v->lock = (spinlock_t)SPINLOCK_INIT;
	v->size = size;
	v->npages = size / PAGE_SIZE;
	wait_queue_init(&v->pager_wq);
	list_init(&v->pager_reqs);
}

int vmo_create(struct task *t, uint64_t size, struct vmo **out)
{
	return vmo_create_common(t, size, true, out);
}

int vmo_create_common(struct task *t, uint64_t size, bool commit_pages,
		      struct vmo **out)
{
	if (!size)
		return ERR_INVALID_ARGS;
	if (size > VMO_MAX_SIZE)
		return ERR_OUT_OF_RANGE;
	size = ALIGN_UP(size, PAGE_SIZE);
	uint64_t array = size / PAGE_SIZE * sizeof(phys_addr_t);
	uint64_t commit = (commit_pages ? size : 0) +
			  kmalloc_footprint(array) +
			  kmalloc_footprint(sizeof(struct vmo));
	struct charge ch = {0};
	int err = t ? charge_take(&ch, t->acct, commit) : 0;
	if (err)
		return err;
	struct vmo *v = kmalloc(sizeof(*v));
	phys_addr_t *pages = v ? kmalloc(array) : NULL;
	if (!pages) {
		kfree(v);
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	vmo_init_fields(v, size);
	v->pages = pages;
	kobj_init_charged(&v->obj, OBJ_VMO, &vmo_ops, &ch);
	*out = v;
	return 0;
}

int vmo_create_dma(struct task *t, uint64_t size, struct vmo **out)
{
	if (!size)
		return ERR_INVALID_ARGS;
	if (size > VMO_DMA_MAX)
		return ERR_OUT_OF_RANGE;
	size = ALIGN_UP(size, PAGE_SIZE);
	struct charge ch = {0};
	int err = t ? charge_take(&ch, t->acct,
				  size + kmalloc_footprint(sizeof(struct vmo)))
		    : 0;
	if (err)
		return err;
	struct vmo *v = kmalloc(sizeof(*v));
	phys_addr_t pa = v ? pmm_alloc_contig(size / PAGE_SIZE, 1, 0) : 0;
	if (!pa) {
		kfree(v);
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	vmo_init_fields(v, size);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		memset(phys_to_virt(pa + off), 0, PAGE_SIZE);
	v->phys_base = pa;
	v->physical = true; /* contiguous: every access goes by phys_base */
	v->dma = true;
	kobj_init_charged(&v->obj, OBJ_VMO, &vmo_ops, &ch);
	*out = v;
	return 0;
}

int vmo_create_physical(phys_addr_t base, uint64_t size, unsigned cache,
			struct vmo **out)
{
	if (!size || !IS_ALIGNED(base, PAGE_SIZE) || cache > VM_CACHE_WC)
		return ERR_INVALID_ARGS;
	size = ALIGN_UP(size, PAGE_SIZE);
	if (!size || base + size < base || base + size > (1ull << 52))
		return ERR_OUT_OF_RANGE;
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct vmo));
	if (err)
		return err;
	struct vmo *v = kmalloc(sizeof(*v));
	if (!v) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	vmo_init_fields(v, size);
	v->phys_base = base;
	v->physical = true;
	v->cache = (uint8_t)cache;
	kobj_init_charged(&v->obj, OBJ_VMO, &vmo_ops, &ch);
	*out = v;
	return 0;
}

phys_addr_t vmo_get_page(struct vmo *v, uint64_t index)
{
	if (index >= v->npages)
		return 0;
	if (v->physical)
		return v->phys_base + index * PAGE_SIZE;
	phys_addr_t pa = __atomic_load_n(&v->pages[index], __ATOMIC_ACQUIRE);
	if (pa || v->pager)
		return pa; /* a pager's pages come only from the pager */
	unsigned long f = spin_lock_irqsave(&v->lock);
	pa = v->pages[index];
	/* Committed (charged) at creation. */
	if (!pa) {
		pa = pmm_alloc();
		if (pa) {
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
			__atomic_store_n(&v->pages[index], pa,
					 __ATOMIC_RELEASE);
		}
	}
	spin_unlock_irqrestore(&v->lock, f);
	return pa;
}

/* Kernel address of page `index` for reading: the frame, or zeros when
 * it was never allocated (no allocation on reads). */
static const uint8_t *read_ptr(struct vmo *v, uint64_t index)
{
	if (v->physical)
		return phys_to_virt(v->phys_base + index * PAGE_SIZE);
	phys_addr_t pa = __atomic_load_n(&v->pages[index], __ATOMIC_ACQUIRE);
	return pa ? phys_to_virt(pa) : zero_page;
}

static int check_range(struct vmo *v, uint64_t offset, size_t len)
{
	if (offset > v->size || len > v->size - offset)
		return ERR_OUT_OF_RANGE;
	/* Device memory is not in the direct map. */
	if (vmo_is_device(v))
		return ERR_NOT_SUPPORTED;
	return 0;
}

/* Allocates every page a write will touch first, so running out of memory
 * changes no data. */
static int populate(struct vmo *v, uint64_t offset, size_t len)
{
	if (!len)
		return 0;
	for (uint64_t i = offset / PAGE_SIZE;
	     i <= (offset + len - 1) / PAGE_SIZE; i++)
		if (!vmo_get_page(v, i))
			return v->pager ? ERR_NOT_SUPPORTED : ERR_NO_MEMORY;
	return 0;
}

/* Kernel address of byte offset + pos and the length *n of the chunk up
 * to the end of its page (or of the request). */
static uint8_t *chunk(struct vmo *v, uint64_t offset, size_t pos, size_t len,
		      size_t *n)
{
	uint64_t o = offset + pos;
	*n = MIN(len - pos, PAGE_SIZE - o % PAGE_SIZE);
	return (uint8_t *)read_ptr(v, o / PAGE_SIZE) + o % PAGE_SIZE;
}

int vmo_read(struct vmo *v, uint64_t offset, void *buf, size_t len)
{
	int err = check_range(v, offset, len);
	if (err)
		return err;
	for (size_t pos = 0, n; pos < len; pos += n) {
		const uint8_t *kp = chunk(v, offset, pos, len, &n);
		memcpy((uint8_t *)buf + pos, kp, n);
	}
	return 0;
}

int vmo_write(struct vmo *v, uint64_t offset, const void *buf, size_t len)
{
	int err = check_range(v, offset, len);
	if (!err)
		err = populate(v, offset, len);
	if (err)
		return err;
	for (size_t pos = 0, n; pos < len; pos += n) {
		uint8_t *kp = chunk(v, offset, pos, len, &n);
		memcpy(kp, (const uint8_t *)buf + pos, n);
	}
	return 0;
}

int vmo_read_user(struct vmo *v, uint64_t offset, void *ubuf, size_t len)
{
	int err = check_range(v, offset, len);
	if (err)
		return err;
	if (!user_range_ok((uintptr_t)ubuf, len))
		return ERR_FAULT;
	for (size_t pos = 0, n; pos < len && !err; pos += n) {
		const uint8_t *kp = chunk(v, offset, pos, len, &n);
		err = copy_to_user((uint8_t *)ubuf + pos, kp, n);
	}
	return err;
}

int vmo_write_user(struct vmo *v, uint64_t offset, const void *ubuf, size_t len)
{
	int err = check_range(v, offset, len);
	if (err)
		return err;
	if (!user_range_ok((uintptr_t)ubuf, len))
		return ERR_FAULT;
	if ((err = populate(v, offset, len)))
		return err;
	for (size_t pos = 0, n; pos < len && !err; pos += n) {
		uint8_t *kp = chunk(v, offset, pos, len, &n);
		err = copy_from_user(kp, (const uint8_t *)ubuf + pos, n);
	}
	return err;
}
