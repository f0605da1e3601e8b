/* Resource objects (kern/resource.h). */
#include <kern/resource.h>
#include <kern/slab.h>
#include <execrt/errors.h>

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
