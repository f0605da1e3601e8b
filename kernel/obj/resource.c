/* Resource objects (kern/resource.h). */
#include <kern/pager.h>
#include <kern/resource.h>
#include <kern/slab.h>
#include <execrt/errors.h>

/* A chain of derived DMA budgets is as long as its holder made it: the
 * parents are let go in a loop, not by recursing through kobj_put. */
static void resource_destroy(struct kobject *o)
{
	struct resource *r = container_of(o, struct resource, obj);
	struct resource *p = r->parent;
	kfree(r);
	while (p && kobj_put_last(&p->obj)) {
		struct resource *next = p->parent;
		struct charge c = p->obj.charge;
		kfree(p);
		charge_drop(&c);
		p = next;
	}
}

static const struct kobj_ops resource_ops = {
	.name = "resource",
	.destroy = resource_destroy,
};

int resource_create(uint32_t kind, uint64_t base, uint64_t size,
		    struct resource **out)
{
	struct resource *r = kmalloc(sizeof(*r));
	if (!r)
		return ERR_NO_MEMORY;
	kobj_init(&r->obj, OBJ_RESOURCE, &resource_ops);
	r->kind = kind;
	r->base = base;
	r->size = size;
	r->dma_used = 0;
	r->parent = NULL;
	*out = r;
	return 0;
}

/* Kinds whose authority is a range of numbers or addresses. */
static bool ranged(uint32_t kind)
{
	return kind == RES_IOPORT || kind == RES_MMIO || kind == RES_IRQ ||
	       kind == RES_DMA || kind == RES_PCI;
}

int resource_check_narrow(const struct resource *r, uint64_t base,
			  uint64_t size)
{
	if (!ranged(r->kind))
		return base || size ? ERR_INVALID_ARGS : 0;
	if (!size || base + size < base)
		return ERR_INVALID_ARGS;
	/* Inside [r->base, r->base + r->size), without forming either end
	 * (the parent's range may end at 2^64). */
	if (base < r->base || base - r->base > r->size ||
	    size > r->size - (base - r->base))
		return ERR_OUT_OF_RANGE;
	return 0;
}

int resource_derive(struct resource *r, uint64_t base, uint64_t size,
		    struct resource **out)
{
	int err = resource_check_narrow(r, base, size);
	if (err)
		return err;
	/* Charged to the caller like any object it makes. */
	struct charge ch;
	if ((err = kobj_precharge(&ch, sizeof(struct resource))))
		return err;
	struct resource *c = kmalloc(sizeof(*c));
	if (!c) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	kobj_init_charged(&c->obj, OBJ_RESOURCE, &resource_ops, &ch);
	c->kind = r->kind;
	c->base = ranged(r->kind) ? base : r->base;
	c->size = ranged(r->kind) ? size : r->size;
	c->dma_used = 0;
	c->parent = NULL;
	if (r->kind == RES_DMA) {
		kobj_get(&r->obj);
		c->parent = r;
	}
	*out = c;
	return 0;
}

/* Gives bytes back to r and every budget above it. */
static void dma_unwind(struct resource *r, struct resource *stop,
		       uint64_t bytes)
{
	for (; r != stop; r = r->parent)
		__atomic_fetch_sub(&r->dma_used, bytes, __ATOMIC_RELAXED);
}

/* A RES_DMA budget: DMA memory made from r counts against r and every
 * budget it was derived from (a driver given `dma 1M` holds at most
 * 1 MiB at once, however many budgets it derives from it); the memory
 * itself is charged to the allocating task's quota as well. The chain
 * stays while r is held (each holds its parent). */
int dma_auth_take(struct resource *r, uint64_t bytes)
{
	for (struct resource *p = r; p; p = p->parent) {
		uint64_t used = __atomic_load_n(&p->dma_used, __ATOMIC_RELAXED);
		do {
			if (bytes > p->size || used > p->size - bytes) {
				dma_unwind(r, p, bytes);
				return ERR_NO_RESOURCES;
			}
		} while (!__atomic_compare_exchange_n(
			&p->dma_used, &used, used + bytes, false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED));
	}
	kobj_get(&r->obj);
	return 0;
}

void dma_auth_return(struct resource *r, uint64_t bytes)
{
	if (!r)
		return;
	dma_unwind(r, NULL, bytes);
	kobj_put(&r->obj);
}
