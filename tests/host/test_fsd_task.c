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
	CHECK_EQ(fk_req(FSD_BADGE_PUBLIC, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
			NULL, NULL),
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

/* helper t's files: up to FSD_FILES_PER_TASK on two connections. */
static uint32_t helper_files(uint64_t t, uint64_t *badges)
{
	fk_srv.sender = t;
	uint32_t n = 0;
	int err = 0;
	char p[32];
	for (int k = 0; k < 2; k++) {
		uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
		for (unsigned j = 0; j < FS_OPEN_MAX; j++) {
			snprintf(p, sizeof(p), "/tmp/h%llu",
				 (unsigned long long)t);
			uint64_t f =
				fk_open(c, p, FS_O_READ | FS_O_CREATE, &err);
			if (!f)
				return n;
			badges[n++] = f;
		}
	}
	return n;
}

static uint64_t hb[16][FSD_FILES_PER_TASK];

/* REVIEW-18 R3, files: 16 helpers open their 128 files each, hand them
 * to one program (task 7) and end: the table is full. When another task
 * opens, files of the ended helpers go to the task that used them last
 * (7), up to its share; the rest are freed (their next call: EBADF). */
TEST(fsd_dead_makers_files_follow_their_user_when_full)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	for (int h = 0; h < 16; h++)
		CHECK_EQ(helper_files(1000 + (uint64_t)h, hb[h]),
			 FSD_FILES_PER_TASK);
	CHECK_EQ(fk_srv.nfiles, FSD_FILE_MAX);
	/* 7 uses 10 of helper 0's and 130 of helper 1's... */
	fk_srv.sender = 7;
	for (int i = 0; i < 10; i++)
		CHECK_EQ(fk_req(hb[0][i], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	for (int i = 0; i < FSD_FILES_PER_TASK; i++)
		CHECK_EQ(fk_req(hb[1][i], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	/* ...which stay charged to the helpers while they live. */
	uint32_t nf;
	uint64_t nb;
	fsd_task_files(&fk_srv, 7, &nf, &nb);
	CHECK_EQ(nf, 0);
	fk_srv.sender = 9;
	uint64_t c9 = fk_connect(FSD_BADGE_PUBLIC);
	int err = 0;
	CHECK(fk_open(c9, "/tmp/nine", FS_O_READ | FS_O_CREATE, &err) == 0);
	CHECK_EQ(err, -FS_ENFILE);
	fk_dead_lo = 1000; /* the helpers end */
	fk_dead_hi = 2000;
	CHECK(fk_open(c9, "/tmp/nine", FS_O_READ | FS_O_CREATE, &err) != 0);
	fsd_task_files(&fk_srv, 7, &nf, &nb);
	CHECK_EQ(nf, FSD_FILES_PER_TASK);
	CHECK_EQ(fk_srv.nfiles, FSD_FILES_PER_TASK + 1);
	CHECK_EQ(fk_srv.st.reclaimed, FSD_FILE_MAX - FSD_FILES_PER_TASK);
	/* Helper 0's used files work, its others are gone cleanly; of
	 * helper 1's, those past 7's share went too. */
	fk_srv.sender = 7;
	CHECK_EQ(fk_req(hb[0][9], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(hb[0][10], FS_FSTAT, 0, 0, 0, 0, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(hb[2][0], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	unsigned kept = 0;
	for (int i = 0; i < FSD_FILES_PER_TASK; i++)
		kept += fk_req(hb[1][i], FS_FSTAT, 0, 0, 0, 0, NULL, NULL) == 0;
	CHECK_EQ(kept, FSD_FILES_PER_TASK - 10);
	/* 7 is at its share now: its own open is EMFILE. */
	uint64_t c7 = fk_connect(FSD_BADGE_PUBLIC);
	CHECK(fk_open(c7, "/tmp/seven", FS_O_READ | FS_O_CREATE, &err) == 0);
	CHECK_EQ(err, -FS_EMFILE);
	fk_teardown();
}

/* Inherited stdio (`prog > file`): the maker ends, its child writes on;
 * the file is the child's now. A file nobody used since its maker ended
 * is freed; one whose maker lives is never touched. */
TEST(fsd_inherited_file_survives_its_maker)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	fk_srv.sender = 1500;
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	int err = 0;
	uint64_t out = fk_open(c, "/tmp/out", FS_O_WRITE | FS_O_CREATE, &err);
	uint64_t idle = fk_open(c, "/tmp/idle", FS_O_WRITE | FS_O_CREATE, &err);
	fk_srv.sender = 42;
	uint64_t c42 = fk_connect(FSD_BADGE_PUBLIC);
	uint64_t live = fk_open(c42, "/tmp/l", FS_O_WRITE | FS_O_CREATE, &err);
	fk_srv.sender = 1501; /* the child */
	CHECK_EQ(fk_write(out, "a"), 0);
	CHECK_EQ(fk_write(live, "b"), 0);
	fk_dead_lo = 1500;
	fk_dead_hi = 1501;
	fsd_reclaim_files(&fk_srv, NULL);
	CHECK_EQ(fk_write(out, "c"), 0);
	CHECK_EQ(fk_srv.files[out & 0xffff].task, 1501);
	CHECK_EQ(fk_write(idle, "d"), -FS_EBADF);
	CHECK_EQ(fk_write(live, "e"), 0);
	CHECK_EQ(fk_srv.files[live & 0xffff].task, 42);
	/* The child ends too: nobody lives to keep it. */
	fk_dead_hi = 1502;
	fsd_reclaim_files(&fk_srv, NULL);
	CHECK_EQ(fk_write(out, "f"), -FS_EBADF);
	CHECK_EQ(fk_srv.nfiles, 1);
	fk_teardown();
}

/* Bulk windows on files handed on: 4 helpers set up their 4 MiB each on
 * one file, hand it to task 7 and end; the 16 MiB are all taken. Another
 * task's set-up then moves one helper's file (4 MiB) to 7, its last user,
 * frees the others with their windows, and gets its window. */
TEST(fsd_dead_makers_bulk_windows_follow_their_user)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t f[4];
	int err = 0;
	for (int h = 0; h < 4; h++) {
		fk_srv.sender = 1000 + (uint64_t)h;
		uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
		f[h] = fk_open(c, "/tmp/b", FS_O_READ | FS_O_CREATE, &err);
		for (int w = 0; w < 4; w++)
			CHECK_EQ(fk_req(f[h], FS_BULK_SETUP, 0, 0, 0,
					FS_BULK_MAX, NULL, NULL),
				 0);
	}
	CHECK_EQ(fk_srv.bulk_total, FSD_BULK_TOTAL);
	fk_srv.sender = 7;
	for (int h = 0; h < 4; h++)
		CHECK_EQ(fk_req(f[h], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	fk_srv.sender = 9;
	uint64_t c9 = fk_connect(FSD_BADGE_PUBLIC);
	uint64_t g = fk_open(c9, "/tmp/g", FS_O_READ | FS_O_CREATE, &err);
	CHECK_EQ(fk_req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL),
		 -FS_ENOMEM);
	fk_dead_lo = 1000;
	fk_dead_hi = 2000;
	CHECK_EQ(fk_req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL), 0);
	uint32_t nf;
	uint64_t nb;
	fsd_task_files(&fk_srv, 7, &nf, &nb);
	CHECK_EQ(nf, 1);
	CHECK_EQ(nb, FSD_BULK_PER_TASK);
	CHECK_EQ(fk_srv.bulk_total, FSD_BULK_PER_TASK + FS_BULK_MAX);
	fk_srv.sender = 7;
	CHECK_EQ(fk_req(f[0], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(f[1], FS_FSTAT, 0, 0, 0, 0, NULL, NULL), -FS_EBADF);
	fk_teardown();
}
