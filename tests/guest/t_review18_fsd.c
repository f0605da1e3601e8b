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
