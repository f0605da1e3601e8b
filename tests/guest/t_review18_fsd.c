/* REVIEW-18 R3 (fsd, docs/fsd.md "Per task, not per connection"): fsd
 * charges a connection (and the files opened on it) to the task that
 * made it, but the endpoint can be handed on. A program spawns short-lived
 * helper tasks (guest-child-fsconn); each makes its 4 connections, sends
 * them to the program and exits. The program ends up holding every
 * connection fsd has, and any other program's FS_CONNECT is ENFILE: one
 * program fills the table the per-task limit was meant to keep it from.
 *
 * Fixed: only a connection's maker may call on it (FS_EPERM), and when
 * the table is full fsd frees the connections of makers that have ended
 * (docs/fsd.md "A connection is its maker's"). Failed on the old code
 * (64 helpers, 255 connections held, another's connect refused). */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>

#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"

#define HELD_MAX 320

static handle_t held[HELD_MAX];

GTEST(review18_fsd_connections_handed_on_fill_table)
{
	SETUP("--tmp-size 256K");
	handle_t recv, send;
	FCHECK(sys_port_create(0, &recv, &send) == 0);
	g_spawn_names = fe.lookup;
	uint32_t nheld = 0, rounds = 0;
	long err = 0;
	while (nheld + 8 <= HELD_MAX && rounds < 80 && !err) {
		struct child c;
		int64_t st = -1;
		handle_t s = g_dup(send, RIGHT_SAME);
		if (!s || g_spawn_ex("guest-child-fsconn", "@", 2ull << 20, 0,
				     s, RIGHT_SAME, &c) < 0) {
			err = -1;
			break;
		}
		rounds++;
		if (g_reap(&c, 5000 * MS, &st) < 0 || st < 0 || st >= 100) {
			err = 100 + st;
			break;
		}
		if (st == 0)
			break; /* fsd gave this helper nothing: the table is
				  full */
		uint8_t b[8];
		struct port_rx rx = {.buf = b,
				     .cap = sizeof(b),
				     .handles = held + nheld,
				     .hcap = 8};
		if (sys_port_recv(recv, &rx, DEADLINE_POLL) < 0) {
			err = -2;
			break;
		}
		nheld += rx.nhandles;
	}
	g_spawn_names = HANDLE_INVALID;
	/* Another program (this task, whose own count is 1: fc) connects. */
	handle_t mine = fconnect(fe.pub);
	printf("    %u helpers, %u connections held by one program; "
	       "another's connect: %s\n",
	       rounds, nheld, mine ? "ok" : "refused");
	if (mine)
		sys_handle_close(mine);
	/* A handed-on connection is useless to its holder. */
	long use =
		nheld ? fs(held[nheld - 1], FS_STAT, 0, 0, 0, 0, "/tmp", NULL)
		      : 0;
	for (uint32_t i = 0; i < nheld; i++)
		sys_handle_close(held[i]);
	sys_handle_close(recv);
	sys_handle_close(send);
	FCHECK_EQ(err, 0);
	FCHECK(mine != 0);
	FCHECK_EQ(use, -FS_EPERM);
	fs_teardown();
}

/* REVIEW-18 R3, files (docs/fsd.md "Files handed on"): helpers open
 * their 128 files each, hand the endpoints on and exit; 16 of them filled
 * the 2048-file table and every other open was ENFILE (the old code).
 * This task keeps the first helper's files and uses 8 of them; the
 * others wait in port queues (in transit: a task holds 1024 handles at
 * most). Now, when the table is full, files of ended makers go to their
 * last user within its share (the 8 used ones: still working) and the
 * rest are freed (EBADF on use), so this task's own open succeeds. */
#define FPORTS 7
GTEST(review18_fsd_files_handed_on_fill_table)
{
	SETUP("--tmp-size 256K");
	handle_t recv[FPORTS], send[FPORTS];
	for (int i = 0; i < FPORTS; i++)
		FCHECK(sys_port_create(0, &recv[i], &send[i]) == 0);
	g_spawn_names = fe.lookup;
	uint32_t nheld = 0, rounds = 0, files = 0;
	long err = 0, used = 0;
	while (rounds < 3 * (FPORTS - 1) + 1 && !err) {
		/* 3 helpers (48 messages) per queue of 64; the first's into
		 * our table. */
		int pi = rounds ? 1 + (int)(rounds - 1) / 3 : 0;
		struct child c;
		int64_t st = -1;
		handle_t s = g_dup(send[pi], RIGHT_SAME);
		if (!s || g_spawn_ex("guest-child-fsconn", "@ files",
				     2ull << 20, 0, s, RIGHT_SAME, &c) < 0) {
			err = -1;
			break;
		}
		rounds++;
		if (g_reap(&c, 10000 * MS, &st) < 0 || st < 0 || st >= 200) {
			err = 100 + st;
			break;
		}
		files += (uint32_t)st;
		if (st == 0)
			break; /* fsd gave this helper nothing: full */
		while (pi == 0 && nheld + 8 <= HELD_MAX) {
			uint8_t b[8];
			struct port_rx rx = {.buf = b,
					     .cap = sizeof(b),
					     .handles = held + nheld,
					     .hcap = 8};
			if (sys_port_recv(recv[0], &rx, DEADLINE_POLL) < 0)
				break;
			nheld += rx.nhandles;
		}
		/* This task uses 8 of them while the table fills. */
		for (uint32_t i = 0; pi == 0 && i < 8 && i < nheld; i++)
			used += fs(held[i], FS_FSTAT, 0, 0, 0, 0, NULL, NULL) !=
				0;
	}
	g_spawn_names = HANDLE_INVALID;
	long mine_err = 0;
	handle_t mine =
		fs_open("/tmp/mine", FS_O_READ | FS_O_CREATE, &mine_err);
	printf("    %u helpers opened %u files, handed on; this task's "
	       "open: %ld\n",
	       rounds, files, mine_err);
	int64_t reclaimed = fs_status("reclaimed");
	printf("    fsd freed %lld files of ended tasks, %lld open\n",
	       (long long)reclaimed, (long long)fs_status("files"));
	long kept = nheld ? fs(held[0], FS_FSTAT, 0, 0, 0, 0, NULL, NULL) : -1;
	long freed =
		nheld > 9 ? fs(held[9], FS_FSTAT, 0, 0, 0, 0, NULL, NULL) : -1;
	if (mine)
		sys_handle_close(mine);
	for (uint32_t i = 0; i < nheld; i++)
		sys_handle_close(held[i]);
	for (int i = 0; i < FPORTS; i++) {
		sys_handle_close(recv[i]); /* the queued files go with it */
		sys_handle_close(send[i]);
	}
	FCHECK_EQ(err, 0);
	FCHECK(files >= 2048);
	FCHECK_EQ(used, 0);
	FCHECK_EQ(mine_err, 0);
	FCHECK_EQ(kept, 0);
	FCHECK_EQ(freed, -FS_EBADF);
	FCHECK(reclaimed >= 2048 - 8);
	fs_teardown();
}
