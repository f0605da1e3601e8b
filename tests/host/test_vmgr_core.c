/* vmgr's bookkeeping (servers/vmgr/vmgr_core.c): connections, ledgers,
 * shared buffers, lazy objects, what a dead client leaves, the usage
 * join. Handles are plain numbers here. */
#include <string.h>

#include <execrt/errors.h>

#include "harness.h"
#include "vmgr_core.h"

static struct vmgr v;

TEST(vmgr_connect_and_find)
{
	vmgr_init(&v, 1 << 20);
	int64_t a = vmgr_connect(&v, 100, 11), b = vmgr_connect(&v, 200, 12);
	CHECK(a > 0 && b > 0 && a != b);
	CHECK(vmgr_conn(&v, (uint64_t)a)->task_koid == 100);
	CHECK(vmgr_conn(&v, (uint64_t)b)->task == 12);
	CHECK(vmgr_conn(&v, 0) == NULL);
	CHECK(vmgr_conn(&v, 999) == NULL);
	for (unsigned i = 2; i < VMGR_MAX_CONNS; i++)
		CHECK(vmgr_connect(&v, 300 + i, 20 + i) > 0);
	CHECK_EQ(vmgr_connect(&v, 1, 1), ERR_NO_RESOURCES);
}

TEST(vmgr_ledger_limits_buffers)
{
	vmgr_init(&v, 3 * 4096);
	struct vmgr_conn *c = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	CHECK_EQ(vmgr_buf_reserve(&v, c, 0), ERR_INVALID_ARGS);
	CHECK_EQ(vmgr_buf_reserve(&v, c, VMGR_BUF_MAX + 1), ERR_OUT_OF_RANGE);
	int s1 = vmgr_buf_reserve(&v, c, 1); /* one page */
	CHECK(s1 >= 0);
	CHECK_EQ(c->ledger, 4096);
	uint64_t id1 = vmgr_buf_commit(&v, s1, 77);
	int s2 = vmgr_buf_reserve(&v, c, 8192);
	CHECK(s2 >= 0 && s2 != s1);
	CHECK_EQ(vmgr_buf_reserve(&v, c, 1), ERR_NO_MEMORY);
	vmgr_buf_abort(&v, s2); /* the create failed: charge back */
	CHECK_EQ(c->ledger, 4096);
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_buf_release(&v, c, id1 + 100, &d), ERR_NOT_FOUND);
	CHECK_EQ(vmgr_buf_release(&v, c, id1, &d), 0);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.h[0], 77);
	CHECK_EQ(c->ledger, 4096); /* until its memory is gone */
	CHECK_EQ(vmgr_buf_release(&v, c, id1, &d), ERR_NOT_FOUND);
	CHECK_EQ(vmgr_buf_gone(&v, id1, &d), 0);
	CHECK_EQ(d.n, 1); /* nothing more to close */
	CHECK_EQ(c->ledger, 0);
}

/* REVIEW-18 R4: a released buffer whose grant someone still holds stays
 * on the ledger; only its memory-gone notice takes it off. */
TEST(vmgr_released_but_held_buffers_count)
{
	vmgr_init(&v, 4 * 4096);
	struct vmgr_conn *c = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	uint64_t id[4];
	struct vmgr_drop d = {0};
	for (int i = 0; i < 4; i++) {
		id[i] = vmgr_buf_commit(&v, vmgr_buf_reserve(&v, c, 4096),
					(handle_t)(80 + i));
		CHECK_EQ(vmgr_buf_release(&v, c, id[i], &d), 0);
	}
	CHECK_EQ(d.n, 4);
	CHECK_EQ(c->ledger, 4 * 4096);
	CHECK_EQ(vmgr_buf_reserve(&v, c, 1), ERR_NO_MEMORY);
	/* Another connection of the same task does not get round it. */
	struct vmgr_conn *c2 = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 6));
	CHECK_EQ(vmgr_buf_reserve(&v, c2, 1), ERR_NO_MEMORY);
	/* The notices, in any order; a stray one changes nothing. */
	CHECK_EQ(vmgr_buf_gone(&v, id[2], &d), 0);
	CHECK_EQ(vmgr_buf_gone(&v, id[2], &d), ERR_NOT_FOUND);
	CHECK_EQ(vmgr_buf_gone(&v, 0, &d), ERR_NOT_FOUND);
	CHECK_EQ(c->ledger, 3 * 4096);
	int s = vmgr_buf_reserve(&v, c2, 4096);
	CHECK(s >= 0);
	CHECK_EQ(vmgr_buf_reserve(&v, c, 1), ERR_NO_MEMORY);
	vmgr_buf_abort(&v, s);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			CHECK_EQ(vmgr_buf_gone(&v, id[i], &d), 0);
	CHECK_EQ(c->ledger, 0);
	CHECK_EQ(d.n, 4);
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++)
		CHECK(!v.bufs[i].id && !v.bufs[i].conn);
}

/* A notice that comes before the release (vmgr closed its handle on an
 * error path) frees the buffer too; an aborted alloc's notice (its id
 * never committed) finds nothing. */
TEST(vmgr_buffer_notice_before_release_and_aborted)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *c = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	int s = vmgr_buf_reserve(&v, c, 4096);
	uint64_t aborted = v.bufs[s].id;
	vmgr_buf_abort(&v, s);
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_buf_gone(&v, aborted, &d), ERR_NOT_FOUND);
	uint64_t id = vmgr_buf_commit(&v, vmgr_buf_reserve(&v, c, 4096), 9);
	CHECK(id != aborted);
	CHECK_EQ(vmgr_buf_gone(&v, id, &d), 0);
	CHECK_EQ(d.n, 1);
	CHECK_EQ(d.h[0], 9);
	CHECK_EQ(c->ledger, 0);
	CHECK_EQ(vmgr_buf_release(&v, c, id, &d), ERR_NOT_FOUND);
}

/* A dead client's buffers keep their slots (their memory may live on in
 * other holders) until their notices, charged to no ledger. */
TEST(vmgr_dead_clients_buffers_wait_for_their_notice)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *c = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	uint64_t a = vmgr_buf_commit(&v, vmgr_buf_reserve(&v, c, 4096), 30);
	uint64_t b = vmgr_buf_commit(&v, vmgr_buf_reserve(&v, c, 8192), 31);
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_buf_release(&v, c, a, &d), 0);
	vmgr_disconnect(&v, c, &d);
	CHECK_EQ(d.n, 3); /* a, b, the task */
	unsigned held = 0;
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++)
		held += v.bufs[i].id != 0;
	CHECK_EQ(held, 2);
	/* A new client of the same koid starts with an empty ledger. */
	struct vmgr_conn *n = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 6));
	CHECK_EQ(n->ledger, 0);
	CHECK_EQ(vmgr_buf_gone(&v, b, &d), 0);
	CHECK_EQ(vmgr_buf_gone(&v, a, &d), 0);
	CHECK_EQ(d.n, 3);
	CHECK_EQ(n->ledger, 0);
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++)
		CHECK(!v.bufs[i].id);
}

/* A buffer is released only by the connection it is charged to. */
TEST(vmgr_buffer_of_another_connection)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	struct vmgr_conn *b = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 2, 6));
	uint64_t id = vmgr_buf_commit(&v, vmgr_buf_reserve(&v, a, 4096), 9);
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_buf_release(&v, b, id, &d), ERR_NOT_FOUND);
	CHECK_EQ(d.n, 0);
	CHECK_EQ(a->ledger, 4096);
}

TEST(vmgr_lazy_objects)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	struct vmgr_conn *b = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 2, 6));
	CHECK_EQ(vmgr_lazy_add(&v, a, 7, 40, 16 * 4096), 0);
	CHECK_EQ(vmgr_lazy_add(&v, a, 7, 41, 16 * 4096), ERR_ALREADY_EXISTS);
	CHECK_EQ(vmgr_lazy_add(&v, b, 7, 42, 16 * 4096),
		 0); /* keys are per client */
	CHECK_EQ(vmgr_lazy_find(&v, a->id, 7)->vmo, 40);
	CHECK_EQ(vmgr_lazy_find(&v, b->id, 7)->vmo, 42);
	CHECK(vmgr_lazy_find(&v, a->id, 8) == NULL);
	CHECK(vmgr_lazy_find(&v, 0, 7) == NULL);
	/* Read-ahead stays inside the object (16 pages here). */
	struct vmgr_lazy *l = vmgr_lazy_find(&v, a->id, 7);
	CHECK_EQ(vmgr_supply_len(l, 0), VMGR_AHEAD * 4096);
	CHECK_EQ(vmgr_supply_len(l, 15 * 4096), 4096);
	CHECK_EQ(vmgr_supply_len(l, 10 * 4096), 6 * 4096);
	CHECK_EQ(vmgr_supply_len(l, 16 * 4096), 0);
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_lazy_release(&v, a, 7, &d), 0);
	CHECK_EQ(vmgr_lazy_release(&v, a, 7, &d), ERR_NOT_FOUND);
	CHECK_EQ(d.n, 1);
	for (unsigned i = 1; i < VMGR_MAX_LAZY; i++)
		CHECK_EQ(vmgr_lazy_add(&v, a, 100 + i, 50, 16 * 4096), 0);
	CHECK_EQ(vmgr_lazy_add(&v, a, 1, 50, 16 * 4096), ERR_NO_RESOURCES);
}

/* A released object's pages leave its connection's count (usage shows
 * what is live), the other objects' stay. */
TEST(vmgr_lazy_release_takes_its_pages_off)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	CHECK_EQ(vmgr_lazy_add(&v, a, 1, 40, 64 * 4096), 0);
	CHECK_EQ(vmgr_lazy_add(&v, a, 2, 41, 64 * 4096), 0);
	vmgr_lazy_find(&v, a->id, 1)->pages = 16;
	vmgr_lazy_find(&v, a->id, 2)->pages = 32;
	a->lazy_pages = 48;
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_lazy_release(&v, a, 1, &d), 0);
	CHECK_EQ(a->lazy_pages, 32);
	CHECK_EQ(vmgr_lazy_release(&v, a, 2, &d), 0);
	CHECK_EQ(a->lazy_pages, 0);
}

/* init's limits: by task koid, for connections made before and after,
 * 0 back to the default; a full table drops the oldest. */
TEST(vmgr_limits_per_task)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	CHECK_EQ(a->limit, 1 << 20);
	vmgr_set_limit(&v, 1, 8192);
	CHECK_EQ(a->limit, 8192);
	CHECK_EQ(vmgr_buf_reserve(&v, a, 12288), ERR_NO_MEMORY);
	int s = vmgr_buf_reserve(&v, a, 8192);
	CHECK(s >= 0);
	vmgr_buf_abort(&v, s);
	vmgr_set_limit(&v, 2, 3 * 4096); /* before it connects */
	struct vmgr_conn *b = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 2, 6));
	CHECK_EQ(b->limit, 3 * 4096);
	struct vmgr_conn *a2 = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 7));
	CHECK_EQ(a2->limit, 8192);
	vmgr_set_limit(&v, 1, 0);
	CHECK_EQ(a->limit, 1 << 20);
	CHECK_EQ(a2->limit, 1 << 20);
	vmgr_set_limit(&v, 0, 4096); /* no task 0 */
	CHECK_EQ(vmgr_limit_of(&v, 0), 1 << 20);
	for (uint64_t k = 100; k < 100 + VMGR_MAX_LIMITS; k++)
		vmgr_set_limit(&v, k, 4096 * k);
	CHECK_EQ(vmgr_limit_of(&v, 2), 1 << 20); /* the oldest went */
	CHECK_EQ(vmgr_limit_of(&v, 100), 4096 * 100);
	vmgr_set_limit(&v, 100, 4096); /* replaced in place */
	CHECK_EQ(vmgr_limit_of(&v, 100), 4096);
	CHECK_EQ(vmgr_limit_of(&v, 100 + VMGR_MAX_LIMITS - 1),
		 4096 * (100 + VMGR_MAX_LIMITS - 1));
}

/* A dead client's handles (buffers, lazy objects, task) all go; its slot
 * is free again and its id never comes back (its buffers wait for their
 * notices on no connection). */
TEST(vmgr_disconnect_frees_everything)
{
	vmgr_init(&v, 1 << 20);
	int64_t ida = vmgr_connect(&v, 1, 5);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)ida);
	vmgr_buf_commit(&v, vmgr_buf_reserve(&v, a, 4096), 30);
	vmgr_buf_commit(&v, vmgr_buf_reserve(&v, a, 4096), 31);
	vmgr_lazy_add(&v, a, 1, 32, 16 * 4096);
	struct vmgr_drop d = {0};
	vmgr_disconnect(&v, a, &d);
	CHECK_EQ(d.n, 4);
	CHECK_EQ(d.h[0] + d.h[1] + d.h[2] + d.h[3], 30 + 31 + 32 + 5);
	CHECK(vmgr_conn(&v, (uint64_t)ida) == NULL);
	CHECK(vmgr_lazy_find(&v, (uint64_t)ida, 1) == NULL);
	int64_t idb = vmgr_connect(&v, 2, 6);
	CHECK(idb > ida);
	for (unsigned i = 0; i < VMGR_MAX_BUFS; i++)
		CHECK_EQ(v.bufs[i].conn, 0);
}

TEST(vmgr_usage_joins_ledgers_by_koid)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 10, 5));
	struct vmgr_conn *a2 = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 10, 6));
	vmgr_buf_commit(&v, vmgr_buf_reserve(&v, a, 8192), 30);
	vmgr_buf_commit(&v, vmgr_buf_reserve(&v, a2, 4096), 31);
	a2->lazy_pages = 3;
	struct task_stats ts[2];
	memset(ts, 0, sizeof(ts));
	ts[0].koid = 10;
	ts[0].mem_quota = 1000;
	ts[0].mem_used = 500;
	memset(ts[0].name, 'x', sizeof(ts[0].name)); /* no NUL: cut */
	ts[1].koid = 11;
	strcpy(ts[1].name, "other");
	struct vmgr_usage u[2];
	vmgr_usage(&v, ts, 2, u);
	CHECK_EQ(u[0].shared, 12288);
	CHECK_EQ(u[0].lazy_pages, 3);
	CHECK_EQ(u[0].quota, 1000);
	CHECK_EQ(u[0].used, 500);
	CHECK_EQ(strlen(u[0].name), sizeof(u[0].name) - 1);
	CHECK_EQ(u[1].shared, 0);
	CHECK(!strcmp(u[1].name, "other"));
}

TEST(vmgr_file_pages_end_at_the_file)
{
	struct vmgr_lazy l = {
		.conn = 1, .size = 3 * 4096, .fsize = 2 * 4096 + 100};
	CHECK_EQ(vmgr_file_bytes(&l, 0), 4096);
	CHECK_EQ(vmgr_file_bytes(&l, 4096), 4096);
	CHECK_EQ(vmgr_file_bytes(&l, 2 * 4096), 100);
	CHECK_EQ(vmgr_file_bytes(&l, 3 * 4096), 0);
	l.fsize = 0;
	CHECK_EQ(vmgr_file_bytes(&l, 0), 0);
}

/* A file mapping's file endpoint goes with it. */
TEST(vmgr_release_closes_the_file)
{
	vmgr_init(&v, 1 << 20);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 1, 5));
	CHECK_EQ(vmgr_lazy_add(&v, a, 3, 40, 4096), 0);
	vmgr_lazy_find(&v, a->id, 3)->file = 41;
	struct vmgr_drop d = {0};
	CHECK_EQ(vmgr_lazy_release(&v, a, 3, &d), 0);
	CHECK_EQ(d.n, 2);
	CHECK_EQ(d.h[0] + d.h[1], 81);
}

/* With a bulk window: up to 16 pages per fault, at most the window, and
 * how many of them are file bytes. */
TEST(vmgr_file_span_with_a_window)
{
	struct vmgr_lazy l = {.conn = 1,
			      .size = 40 * 4096,
			      .fsize = 20 * 4096 + 7,
			      .win_len = 16 * 4096};
	uint64_t f = 99;
	CHECK_EQ(vmgr_file_span(&l, 0, &f), 16 * 4096);
	CHECK_EQ(f, 16 * 4096);
	CHECK_EQ(vmgr_file_span(&l, 16 * 4096, &f), 16 * 4096);
	CHECK_EQ(f, 4 * 4096 + 7);
	CHECK_EQ(vmgr_file_span(&l, 32 * 4096, &f), 8 * 4096);
	CHECK_EQ(f, 0);
	l.win_len = 8 * 4096; /* a smaller window bounds it */
	CHECK_EQ(vmgr_file_span(&l, 0, &f), 8 * 4096);
	CHECK_EQ(f, 8 * 4096);
}

/* review13: the ledger was per connection and connections were free: a
 * client connected again (same task handle) for another 16 MiB, and 64
 * connects took vmgr's table from everyone. Now the ledger is the task's
 * (its connections together) and a task has at most 4 connections. */
TEST(vmgr_ledger_is_per_task_and_connections_are_bounded)
{
	vmgr_init(&v, 3 * 4096);
	struct vmgr_conn *a = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 7, 5));
	struct vmgr_conn *a2 = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 7, 6));
	struct vmgr_conn *b = vmgr_conn(&v, (uint64_t)vmgr_connect(&v, 8, 9));
	CHECK(a && a2 && b);
	int s1 = vmgr_buf_reserve(&v, a, 2 * 4096);
	CHECK(s1 >= 0);
	vmgr_buf_commit(&v, s1, 40);
	CHECK_EQ(vmgr_buf_reserve(&v, a2, 2 * 4096), ERR_NO_MEMORY);
	int s2 = vmgr_buf_reserve(&v, a2, 4096);
	CHECK(s2 >= 0);
	CHECK_EQ(vmgr_buf_reserve(&v, a, 1), ERR_NO_MEMORY);
	/* another task's ledger is its own */
	CHECK(vmgr_buf_reserve(&v, b, 3 * 4096) >= 0);
	CHECK(vmgr_connect(&v, 7, 10) > 0);
	CHECK(vmgr_connect(&v, 7, 11) > 0);
	CHECK_EQ(vmgr_connect(&v, 7, 12), ERR_NO_RESOURCES);
	CHECK(vmgr_connect(&v, 8, 13) > 0);
	/* a dropped connection makes room again */
	struct vmgr_drop d = {0};
	vmgr_disconnect(&v, a2, &d);
	CHECK(vmgr_connect(&v, 7, 14) > 0);
}
