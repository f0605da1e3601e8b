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

static const struct kobj_ops dummy_ops = {
	.name = "dummy",
	.destroy = dummy_destroy,
	.last_handle_closed = dummy_last_handle,
};

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
	handle_table_init(&t, 16, NULL);
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
	handle_table_init(&t, 1, NULL); /* one slot: it must be reused */
	struct kobject *a = new_dummy(OBJ_VMO, &d1, &lh);
	handle_t ha, hb;
	CHECK_EQ(handle_alloc(&t, a, RIGHT_READ, &ha), 0);
	kobj_put(a);
	CHECK_EQ(handle_close(&t, ha), 0);
	/* The only free slot is reused, with a new generation. */
	struct kobject *b = new_dummy(OBJ_VMO, &d2, &lh);
	CHECK_EQ(handle_alloc(&t, b, RIGHT_READ, &hb), 0);
	kobj_put(b);
	CHECK((hb & (HANDLE_MAX_SLOTS - 1)) == (ha & (HANDLE_MAX_SLOTS - 1)));
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
	handle_table_init(&t, 8, NULL);
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
	handle_table_init(&t, 40, NULL); /* forces two growths past 16 */
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
	handle_table_init(&a, 8, NULL);
	handle_table_init(&b, 8, NULL);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t h, hb;
	CHECK_EQ(handle_alloc(&a, o, RIGHT_READ, &h), 0);
	kobj_put(o);
	struct kobject *moved;
	uint32_t rights;
	CHECK_EQ(handle_take_many(&a, 1, &h, RIGHT_TRANSFER, NULL, &moved,
				  &rights),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(handle_take_many(&a, 1, &h, 0, NULL, &moved, &rights), 0);
	CHECK_EQ(handle_count(&a), 0);
	CHECK_EQ(o->handles, 1); /* in transit */
	CHECK_EQ(handle_alloc(&b, moved, rights, &hb), 0);
	handle_transit_done(moved); /* the reference that travelled */
	CHECK_EQ(o->handles, 1);
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
	handle_table_init(&t, 2, NULL);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	/* Cycle one slot through many generations. */
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

TEST(handle_slot_is_retired_when_its_generations_run_out)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 1, NULL);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t first, h, prev = HANDLE_INVALID;
	CHECK_EQ(handle_alloc(&t, o, 0, &first), 0);
	CHECK_EQ(handle_close(&t, first), 0);
	/* Slot 0 gives every non-zero generation exactly once: 2^21 - 1
	 * values, none of them 0 and none repeated (the sequence is a full
	 * cycle of an odd step, so coming back to the start means all
	 * were used). Then the slot is retired and slot 1 is used. */
	uint32_t uses = 1, index0 = first & (HANDLE_MAX_SLOTS - 1);
	for (;;) {
		CHECK_EQ(handle_alloc(&t, o, 0, &h), 0);
		CHECK(h != HANDLE_INVALID);
		CHECK(h != prev);
		prev = h;
		if ((h & (HANDLE_MAX_SLOTS - 1)) != index0)
			break;
		CHECK(h != first);
		uses++;
		CHECK_EQ(handle_close(&t, h), 0);
	}
	CHECK_EQ(uses, HANDLE_GEN_MASK);
	CHECK_EQ(t.retired, 1);
	/* The retired slot's last value stays invalid. */
	struct kobject *got;
	CHECK_EQ(handle_get(&t, first, OBJ_NONE, 0, &got, NULL),
		 ERR_BAD_HANDLE);
	CHECK_EQ(handle_close(&t, h), 0);
	kobj_put(o);
	CHECK_EQ(d, 1);
	handle_table_destroy(&t);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

TEST(handle_values_are_not_simply_consecutive)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t1, t2;
	handle_table_init(&t1, 8, NULL);
	handle_table_init(&t2, 8, NULL);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t a, b, c;
	CHECK_EQ(handle_alloc(&t1, o, 0, &a), 0);
	CHECK_EQ(handle_alloc(&t2, o, 0, &c), 0);
	CHECK(a != c); /* per-table seeds */
	CHECK_EQ(handle_close(&t1, a), 0);
	/* FIFO reuse: the other 15 free slots come before a's again. */
	CHECK_EQ(handle_alloc(&t1, o, 0, &b), 0);
	CHECK((b & (HANDLE_MAX_SLOTS - 1)) != (a & (HANDLE_MAX_SLOTS - 1)));
	kobj_put(o);
	handle_table_destroy(&t1);
	handle_table_destroy(&t2);
	CHECK_EQ(d, 1);
}

TEST(handle_reserve_commit_cancel_all_or_nothing)
{
	CHECK_EQ(host_mm_setup(), 0);
	int d = 0, lh = 0;
	struct handle_table t;
	handle_table_init(&t, 4, NULL);
	struct kobject *o = new_dummy(OBJ_VMO, &d, &lh);
	handle_t hv[5];
	CHECK_EQ(handle_reserve(&t, 5, hv), ERR_NO_RESOURCES);
	CHECK_EQ(handle_count(&t), 0);
	CHECK_EQ(handle_reserve(&t, 3, hv), 0);
	CHECK_EQ(handle_count(&t), 3);
	/* Reserved values name nothing yet. */
	struct kobject *got;
	CHECK_EQ(handle_get(&t, hv[0], OBJ_NONE, 0, &got, NULL),
		 ERR_BAD_HANDLE);
	CHECK_EQ(handle_close(&t, hv[1]), ERR_BAD_HANDLE);
	struct kobject *objs[2] = {o, o};
	uint32_t rights[2] = {RIGHT_READ, RIGHT_WRITE};
	CHECK_EQ(handle_commit(&t, 2, hv, objs, rights), 0);
	handle_cancel(&t, 1, &hv[2]);
	CHECK_EQ(handle_count(&t), 2);
	CHECK_EQ(o->handles, 2);
	uint32_t r;
	CHECK_EQ(handle_get(&t, hv[1], OBJ_VMO, 0, &got, &r), 0);
	CHECK_EQ(r, RIGHT_WRITE);
	kobj_put(got);
	CHECK_EQ(handle_get(&t, hv[2], OBJ_NONE, 0, &got, NULL),
		 ERR_BAD_HANDLE);
	/* A take of several handles is all or nothing: one bad value (or a
	 * duplicate, or a missing right) leaves every handle in place. */
	handle_t take[3] = {hv[0], hv[1], hv[2]};
	struct kobject *out[3];
	uint32_t orights[3];
	CHECK_EQ(handle_take_many(&t, 3, take, 0, NULL, out, orights),
		 ERR_BAD_HANDLE);
	take[2] = hv[0];
	CHECK_EQ(handle_take_many(&t, 3, take, 0, NULL, out, orights),
		 ERR_INVALID_ARGS);
	CHECK_EQ(handle_take_many(&t, 2, take, RIGHT_READ, NULL, out, orights),
		 ERR_ACCESS_DENIED);
	struct kobject *wrong[2] = {o, NULL};
	CHECK_EQ(handle_take_many(&t, 2, take, 0, wrong, out, orights),
		 ERR_BAD_HANDLE);
	CHECK_EQ(handle_count(&t), 2);
	CHECK_EQ(handle_take_many(&t, 2, take, 0, objs, out, orights), 0);
	CHECK_EQ(handle_count(&t), 0);
	CHECK_EQ(o->handles, 2); /* in transit */
	CHECK_EQ(lh, 0);
	handle_transit_done(out[0]);
	handle_transit_done(out[1]);
	CHECK_EQ(lh, 1);
	/* A closed table refuses commits; the reservation is gone. */
	CHECK_EQ(handle_reserve(&t, 1, hv), 0);
	struct handle_table *tp = &t;
	handle_table_destroy(tp);
	CHECK_EQ(handle_commit(&t, 1, hv, objs, rights), ERR_BAD_STATE);
	kobj_put(o);
	CHECK_EQ(d, 1);
	CHECK_EQ(kmem_objects_in_use(), 0);
}

static int unreachable_calls;
static struct kobject *self_task_of(struct kobject *o)
{
	return o;
}
static void count_unreachable(struct kobject *o)
{
	unreachable_calls++;
}
static void task_dummy_destroy(struct kobject *o)
{
	kfree(o);
}
static const struct kobj_ops taskish_ops = {
	.name = "taskish",
	.destroy = task_dummy_destroy,
	.task_of = self_task_of,
	.unreachable = count_unreachable,
};

TEST(handle_outside_count_ignores_the_owner_table)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct kobject *task = kmalloc(sizeof(*task));
	kobj_init(task, OBJ_TASK, &taskish_ops);
	struct handle_table own, other;
	handle_table_init(&own, 8, task);
	handle_table_init(&other, 8, NULL);
	unreachable_calls = 0;
	handle_t ho, hs, hs2;
	CHECK_EQ(handle_alloc(&other, task, RIGHT_TRANSFER, &ho), 0);
	CHECK_EQ(handle_alloc(&own, task, RIGHT_TRANSFER, &hs), 0);
	CHECK_EQ(task->outside, 1);
	/* A self handle taken out is in transit: outside until installed
	 * back in the owner's table. */
	struct kobject *m;
	uint32_t r;
	CHECK_EQ(handle_take_many(&own, 1, &hs, 0, NULL, &m, &r), 0);
	CHECK_EQ(task->outside, 2);
	CHECK_EQ(handle_alloc(&own, m, r, &hs2), 0);
	handle_transit_done(m);
	CHECK_EQ(task->outside, 1);
	CHECK_EQ(unreachable_calls, 0);
	CHECK_EQ(handle_close(&other, ho), 0);
	CHECK_EQ(unreachable_calls, 1);
	CHECK_EQ(task->outside, 0);
	/* The table of a task that never ran does not keep others
	 * reachable until that task goes live. */
	struct kobject *t2 = kmalloc(sizeof(*t2));
	kobj_init(t2, OBJ_TASK, &taskish_ops);
	struct handle_table t2tab;
	handle_table_init(&t2tab, 8, t2);
	handle_t in_t2;
	CHECK_EQ(handle_alloc(&t2tab, task, 0, &in_t2), 0);
	CHECK_EQ(task->outside, 0);
	handle_table_go_live(&t2tab);
	CHECK_EQ(task->outside, 1);
	handle_table_destroy(&t2tab);
	CHECK_EQ(task->outside, 0);
	CHECK_EQ(unreachable_calls, 2);
	kobj_put(t2);
	handle_table_destroy(&own);
	handle_table_destroy(&other);
	kobj_put(task);
	CHECK_EQ(kmem_objects_in_use(), 0);
}
