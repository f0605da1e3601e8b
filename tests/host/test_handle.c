/* Kernel objects and handle tables: rights, generations, quotas and
 * reference counts. */
#include <stdlib.h>

#include "harness.h"
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <kern/handle.h>
#include <kern/slab.h>

struct dummy {
	struct kobject obj;
	int *destroyed;
	int *last_handle;
};

static void dummy_destroy(struct kobject *o)
{
	struct dummy *d = container_of(o, struct dummy, obj);
	(*d->destroyed)++;
	kfree(d);
}

static void dummy_last_handle(struct kobject *o)
{
	struct dummy *d = container_of(o, struct dummy, obj);
	(*d->last_handle)++;
}

static const struct kobj_ops dummy_ops = {"dummy", dummy_destroy,
					  dummy_last_handle};

static struct kobject *new_dummy(uint32_t type, int *destroyed, int *lh)
{
	struct dummy *d = kmalloc(sizeof(*d));
	kobj_init(&d->obj, type, &dummy_ops);
	d->destroyed = destroyed;
	d->last_handle = lh;
	return &d->obj;
}

TEST(handle_alloc_get_close_drops_the_object)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	int destroyed = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 16);
	struct kobject *o = new_dummy(OBJ_VMO, &destroyed, &lh);
	handle_t h;
	CHECK_EQ(handle_alloc(&t, o, RIGHT_READ | RIGHT_DUPLICATE, &h), 0);
	kobj_put(o); /* the table holds the only reference now */
	CHECK(h != HANDLE_INVALID);

	struct kobject *got;
	uint32_t rights;
	CHECK_EQ(handle_get(&t, h, OBJ_VMO, RIGHT_READ, &got, &rights), 0);
	CHECK(got == o);
	CHECK_EQ(rights, RIGHT_READ | RIGHT_DUPLICATE);
	kobj_put(got);
	CHECK_EQ(handle_get(&t, h, OBJ_TASK, 0, &got, NULL), ERR_WRONG_TYPE);
	CHECK_EQ(handle_get(&t, h, OBJ_VMO, RIGHT_WRITE, &got, NULL),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(handle_get(&t, HANDLE_INVALID, OBJ_NONE, 0, &got, NULL),
		 ERR_BAD_HANDLE);

	CHECK_EQ(destroyed, 0);
	CHECK_EQ(handle_close(&t, h), 0);
	CHECK_EQ(destroyed, 1);
	CHECK_EQ(lh, 1);
	CHECK_EQ(handle_close(&t, h), ERR_BAD_HANDLE); /* closed */
	CHECK_EQ(kobj_live_count(), live);
	handle_table_destroy(&t);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

TEST(handle_stale_value_never_reaches_a_newer_object)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d1 = 0, d2 = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 4);
	struct kobject *a = new_dummy(OBJ_VMO, &d1, &lh);
	handle_t ha, hb;
	CHECK_EQ(handle_alloc(&t, a, RIGHT_READ, &ha), 0);
	kobj_put(a);
	CHECK_EQ(handle_close(&t, ha), 0);
	/* The freed slot is reused first, with a new generation. */
	struct kobject *b = new_dummy(OBJ_VMO, &d2, &lh);
	CHECK_EQ(handle_alloc(&t, b, RIGHT_READ, &hb), 0);
	kobj_put(b);
	CHECK((hb & 0xffff) == (ha & 0xffff));
	CHECK(hb != ha);
	struct kobject *got;
	CHECK_EQ(handle_get(&t, ha, OBJ_NONE, 0, &got, NULL), ERR_BAD_HANDLE);
	CHECK_EQ(handle_close(&t, ha), ERR_BAD_HANDLE);
	CHECK_EQ(d2, 0);
	handle_table_destroy(&t);
	CHECK_EQ(d2, 1);
}

TEST(handle_dup_only_keeps_or_reduces_rights)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 8);
	struct kobject *o = new_dummy(OBJ_TASK, &d, &lh);
	handle_t h, h2, h3, h4;
	CHECK_EQ(handle_alloc(&t, o, RIGHT_READ | RIGHT_DUPLICATE, &h), 0);
	kobj_put(o);
	CHECK_EQ(handle_dup(&t, h, RIGHT_READ | RIGHT_WRITE, &h2),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(handle_dup(&t, h, RIGHT_SAME, &h2), 0);
	CHECK_EQ(handle_dup(&t, h, RIGHT_READ, &h3), 0); /* drops DUPLICATE */
	CHECK_EQ(handle_dup(&t, h3, RIGHT_READ, &h4), ERR_ACCESS_DENIED);
	CHECK_EQ(handle_count(&t), 3);
	CHECK_EQ(handle_close(&t, h), 0);
	CHECK_EQ(handle_close(&t, h2), 0);
	CHECK_EQ(lh, 0); /* h3 still open */
	CHECK_EQ(d, 0);
	CHECK_EQ(handle_close(&t, h3), 0);
	CHECK_EQ(lh, 1);
	CHECK_EQ(d, 1);
	handle_table_destroy(&t);
}

TEST(handle_quota_is_enforced_and_table_stays_usable)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 40); /* forces two growths past 16 */
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t hs[40], extra;
	for (int i = 0; i < 40; i++)
		CHECK_EQ(handle_alloc(&t, o, RIGHT_DUPLICATE, &hs[i]), 0);
	CHECK_EQ(handle_alloc(&t, o, 0, &extra), ERR_NO_RESOURCES);
	CHECK_EQ(handle_dup(&t, hs[0], RIGHT_SAME, &extra), ERR_NO_RESOURCES);
	CHECK_EQ(handle_close(&t, hs[7]), 0);
	CHECK_EQ(handle_dup(&t, hs[0], RIGHT_SAME, &extra), 0);
	kobj_put(o);
	CHECK_EQ(d, 0);
	handle_table_destroy(&t);
	CHECK_EQ(d, 1);
	CHECK_EQ(lh, 1);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

TEST(handle_take_moves_the_reference)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table a, b;
	handle_table_init(&a, 8);
	handle_table_init(&b, 8);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t h, hb;
	CHECK_EQ(handle_alloc(&a, o, RIGHT_READ, &h), 0);
	kobj_put(o);
	struct kobject *moved;
	uint32_t rights;
	CHECK_EQ(handle_take(&a, h, RIGHT_TRANSFER, &moved, &rights),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(handle_take(&a, h, 0, &moved, &rights), 0);
	CHECK_EQ(handle_count(&a), 0);
	CHECK_EQ(handle_alloc(&b, moved, rights, &hb), 0);
	kobj_put(moved); /* the reference that travelled */
	CHECK_EQ(d, 0);
	CHECK_EQ(lh, 0);
	handle_table_destroy(&a);
	handle_table_destroy(&b);
	CHECK_EQ(d, 1);
	CHECK_EQ(lh, 1);
}

TEST(handle_values_for_every_slot_and_generation_are_nonzero)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 2);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	/* Cycle one slot through every generation, including the wrap. */
	for (int i = 0; i < 70000; i++) {
		handle_t h;
		CHECK_EQ(handle_alloc(&t, o, 0, &h), 0);
		CHECK(h != HANDLE_INVALID);
		CHECK_EQ(handle_close(&t, h), 0);
	}
	kobj_put(o);
	CHECK_EQ(d, 1);
	handle_table_destroy(&t);
}
