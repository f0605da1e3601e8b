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
