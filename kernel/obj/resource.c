/* Resource objects (kern/resource.h). */
#include <kern/handle.h>
#include <kern/resource.h>
#include <kern/task.h>
#include <kern/slab.h>
#include <kern/syscall.h>

static void resource_destroy(struct kobject *o)
{
	kfree(container_of(o, struct resource, obj));
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
	*out = r;
	return 0;
}

int resource_get(handle_t h, uint32_t kind, uint32_t rights,
		 struct resource **out)
{
	/* Checked in the usual order: handle, type (kind), then rights. */
	struct kobject *o;
	uint32_t held;
	int err = handle_get(&cur_task()->handles, h, OBJ_RESOURCE, 0, &o,
			     &held);
	if (err)
		return err;
	struct resource *r = container_of(o, struct resource, obj);
	if (r->kind != kind)
		err = ERR_WRONG_TYPE;
	else if ((held & rights) != rights)
		err = ERR_ACCESS_DENIED;
	if (err) {
		kobj_put(o);
		return err;
	}
	*out = r;
	return 0;
}
