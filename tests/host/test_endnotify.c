/* End notifications (kernel/task/endnotify.c): the per-object slots,
 * replacement and removal, firing once, the references to the
 * notifications, and registering after the end. Task and thread records
 * are stand-ins: the code reads only their type, end flag, exit_wq.lock
 * and slots. */
#include <stdlib.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/endnotify.h>
#include <kern/notification.h>
#include <kern/task.h>
#include <kern/thread.h>

static struct thread *fake_thread(void)
{
	struct thread *t = calloc(1, sizeof(*t));
	t->obj.type = OBJ_THREAD;
	wait_queue_init(&t->exit_wq);
	return t;
}

static struct notification *notif(void)
{
	struct notification *n = NULL;
	if (notification_create(&n))
		abort(); /* the host arena is large: never */
	return n;
}

TEST(endnotify_slots_replace_remove_fire)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	struct thread *t = fake_thread();
	struct notification *n[5];
	for (int i = 0; i < 5; i++)
		n[i] = notif();
	for (int i = 0; i < 4; i++)
		CHECK_EQ(object_notify(&t->obj, n[i], 1ull << i), 0);
	CHECK_EQ(object_notify(&t->obj, n[4], 1), ERR_NO_RESOURCES);
	CHECK_EQ(n[0]->obj.refcount, 2); /* ours and the slot's */
	CHECK_EQ(n[4]->obj.refcount, 1);
	CHECK_EQ(object_notify(&t->obj, n[1], 0x30), 0); /* same slot */
	CHECK_EQ(object_notify(&t->obj, n[4], 1), ERR_NO_RESOURCES);
	CHECK_EQ(object_notify(&t->obj, n[0], 0), 0); /* removed */
	CHECK_EQ(n[0]->obj.refcount, 1);
	CHECK_EQ(object_notify(&t->obj, n[0], 0), 0); /* nothing to remove */
	CHECK_EQ(object_notify(&t->obj, n[4], 0x40), 0);
	/* Nothing is signalled before the end. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(n[i]->pending, 0);
	/* The end, as thread_exit does it. */
	struct end_notify en;
	t->exited = true;
	end_notify_take_locked(&t->end_notify, &en);
	end_notify_fire(&en);
	CHECK_EQ(n[0]->pending, 0);
	CHECK_EQ(n[1]->pending, 0x30);
	CHECK_EQ(n[2]->pending, 4);
	CHECK_EQ(n[3]->pending, 8);
	CHECK_EQ(n[4]->pending, 0x40);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(n[i]->obj.refcount, 1);
	/* After the end: at once, nothing kept. */
	n[2]->pending = 0;
	CHECK_EQ(object_notify(&t->obj, n[2], 0x100), 0);
	CHECK_EQ(n[2]->pending, 0x100);
	CHECK_EQ(n[2]->obj.refcount, 1);
	for (int i = 0; i < END_NOTIFY_MAX; i++)
		CHECK(t->end_notify.reg[i].n == NULL);
	for (int i = 0; i < 5; i++)
		kobj_put(&n[i]->obj);
	free(t);
	CHECK_EQ(kobj_live_count(), live);
}

TEST(endnotify_task_and_drop_and_wrong_type)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	struct task *tk = calloc(1, sizeof(*tk));
	tk->obj.type = OBJ_TASK;
	wait_queue_init(&tk->exit_wq);
	struct notification *a = notif(), *b = notif();
	CHECK_EQ(object_notify(&tk->obj, a, 1), 0);
	CHECK_EQ(object_notify(&a->obj, b, 1), ERR_WRONG_TYPE);
	/* Freed without an end (an unstarted thread): dropped, silent. */
	struct thread *t = fake_thread();
	CHECK_EQ(object_notify(&t->obj, b, 2), 0);
	CHECK_EQ(b->obj.refcount, 2);
	end_notify_drop(&t->end_notify);
	CHECK_EQ(b->obj.refcount, 1);
	CHECK_EQ(b->pending, 0);
	/* The task ends; the last reference to a goes with the slot. */
	kobj_put(&a->obj);
	CHECK_EQ(kobj_live_count(), live + 2);
	struct end_notify en;
	tk->dead = true;
	end_notify_take_locked(&tk->end_notify, &en);
	end_notify_fire(&en);
	CHECK_EQ(kobj_live_count(), live + 1);
	kobj_put(&b->obj);
	CHECK_EQ(kobj_live_count(), live);
	free(t);
	free(tk);
}
