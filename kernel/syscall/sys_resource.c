/* Resource calls: deriving a narrower authority (kern/resource.h). */
#include <kern/resource.h>
#include <kern/syscall.h>

SYSCALL5(sys_resource_derive, HANDLE, res_h, U64, base, U64, size, RIGHTS,
	 rights, UPTR, out)
{
	struct kobject *o;
	uint32_t held;
	int err = cap_get(res_h, OBJ_RESOURCE, RIGHT_DUPLICATE, &o, &held);
	if (err)
		return err;
	struct resource *r = container_of(o, struct resource, obj);
	if (rights == RIGHT_SAME)
		rights = held;
	else if (rights & ~held)
		err = ERR_ACCESS_DENIED;
	if (!err)
		err = resource_check_narrow(r, base, size);
	struct new_handle nh;
	if (!err)
		err = newh_reserve(&nh, out);
	struct resource *child = NULL;
	if (!err) {
		err = resource_derive(r, base, size, &child);
		if (err)
			newh_cancel(&nh);
	}
	kobj_put(o);
	if (err)
		return err;
	err = newh_commit(&nh, &child->obj, rights);
	kobj_put(&child->obj);
	return err;
}
