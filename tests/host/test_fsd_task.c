/* fsd's per-task limits (servers/fsd/fsd_srv.h): connections, open files
 * and bulk bytes counted by the client task (port_rx.sender), which a
 * task cannot multiply the way it can connections. */
#include <stdio.h>

#include "fsd_fake.h"
#include "harness.h"

TEST(fsd_limits_count_per_task_not_per_connection)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	fk_srv.sender = 42;
	uint64_t c[FSD_CONN_PER_TASK];
	for (int i = 0; i < FSD_CONN_PER_TASK; i++)
		c[i] = fk_connect(FSD_BADGE_PUBLIC);
	/* A fifth connection of task 42 is refused; task 43 still gets one. */
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0,
			0, NULL, NULL),
		 -FS_EMFILE);
	fk_srv.sender = 43;
	uint64_t other = fk_connect(FSD_BADGE_PUBLIC);
	/* Files: at most FSD_FILES_PER_TASK over all of 42's connections,
	 * FS_OPEN_MAX on each. */
	fk_srv.sender = 42;
	int err = 0, opened = 0;
	char p[32];
	for (int i = 0; i < FSD_CONN_PER_TASK && !err; i++)
		for (unsigned j = 0; j < FS_OPEN_MAX && !err; j++) {
			snprintf(p, sizeof(p), "/tmp/f%d", opened);
			if (fk_open(c[i], p, FS_O_READ | FS_O_CREATE, &err))
				opened++;
		}
	CHECK_EQ(err, -FS_EMFILE);
	CHECK_EQ(opened, FSD_FILES_PER_TASK);
	/* The other task is not held up. */
	fk_srv.sender = 43;
	CHECK(fk_open(other, "/tmp/g", FS_O_READ | FS_O_CREATE, &err) != 0);
	CHECK_EQ(err, 0);
	fk_teardown();
}

TEST(fsd_unknown_sender_has_no_task_limit)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	fk_srv.sender = 0; /* host callers that do not say */
	for (int i = 0; i < FSD_CONN_PER_TASK + 2; i++)
		fk_connect(FSD_BADGE_PUBLIC);
	fk_teardown();
}

/* REVIEW-18 R3: a connection handed to another task is useless to it;
 * an open file handed on (stdout on a file) still works. */
TEST(fsd_connection_only_its_maker_may_call)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	fk_srv.sender = 42;
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	int err = 0;
	uint64_t f = fk_open(c, "/tmp/out", FS_O_WRITE | FS_O_CREATE, &err);
	CHECK(f != 0);
	fk_srv.sender = 43;
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/tmp", NULL), -FS_EPERM);
	CHECK(fk_open(c, "/tmp/x", FS_O_READ | FS_O_CREATE, &err) == 0);
	CHECK_EQ(err, -FS_EPERM);
	CHECK_EQ(fk_write(f, "hi"), 0);
	fk_srv.sender = 42;
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/tmp", NULL), 0);
	fk_teardown();
}

/* REVIEW-18 R3: helpers connect, hand the connections on and end. When
 * the table is full their connections are freed; one whose file is still
 * held stays (unusable) until the file is closed, and no longer counts. */
TEST(fsd_dead_makers_connections_freed_when_full)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint32_t n = 0;
	uint64_t first = 0, f = 0;
	int err = 0;
	for (uint64_t t = 1000; n < FSD_CONN_MAX; t++) {
		fk_srv.sender = t;
		for (int i = 0; i < FSD_CONN_PER_TASK && n < FSD_CONN_MAX;
		     i++, n++) {
			uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
			if (!first) {
				first = c;
				f = fk_open(c, "/tmp/kept",
					    FS_O_WRITE | FS_O_CREATE, &err);
			}
		}
	}
	CHECK(f != 0);
	fk_srv.sender = 7;
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
			NULL, NULL),
		 -FS_ENFILE); /* all makers alive: full */
	fk_dead_lo = 1000;
	fk_dead_hi = 2000;
	uint64_t mine = fk_connect(FSD_BADGE_PUBLIC);
	CHECK(mine != 0);
	/* The orphan keeps its slot for the file, which still works. */
	CHECK(fk_srv.conns[first & 0xffff].badge == first);
	CHECK(fk_srv.conns[first & 0xffff].orphan);
	CHECK_EQ(fk_req(first, FS_STAT, 0, 0, 0, 0, "/tmp", NULL), -FS_EBADF);
	CHECK_EQ(fk_write(f, "x"), 0);
	fk_gone(fk_last_handle);
	CHECK_EQ(fk_srv.conns[first & 0xffff].badge, 0);
	fk_teardown();
}
