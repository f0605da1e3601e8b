/* Per-task limits raced from two CPUs by an unprivileged program
 * (guest-child-race2, race2.h: the handles a program started by sh gets,
 * names and console; its two worker threads pinned to CPU 0 and CPU 1 by
 * the test). Each worker opens/closes or creates/destroys in a tight loop;
 * some runs are killed mid-way. Afterwards: no success ever came beyond
 * the documented limit (the refusals are the documented error), the
 * server still serves another task, and its counters (and the kernel's,
 * through the harness's leak check) are back where they were. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>

#include "fsd_env.h"
#include "gtest.h"
#include "gutil.h"
#include "race2_run.h"
#include "sock_env.h"
#include "sock_netd_fx.h"

#define KILLS 3

static const uint64_t kill_ms[KILLS] = {10, 40, 100};

/* KILLS runs killed mid-way (holding what they got), then one run to the
 * end: what it saw (its limits reached again, never passed) in *last. */
static long run_all(const char *mode, uint64_t rounds, uint64_t quota,
		    struct race2_report *last)
{
	int64_t st;
	uint64_t t0 = g_now();
	long r;
	for (int i = 0; i < KILLS; i++) {
		struct race2_report k;
		r = race2_run(mode, rounds * 20, quota, kill_ms[i] * MS, &k,
			      &st);
		if (r < 0)
			return r;
	}
	r = race2_run(mode, rounds, quota, 0, last, &st);
	race2_print(mode, last, st);
	printf("    %s: %llu ms in all\n", mode,
	       (unsigned long long)((g_now() - t0) / MS));
	if (r < 0)
		return r;
	return st == 0 && last->magic == RACE2_MAGIC ? 0 : ERR_BAD_STATE;
}

/* docs/fsd.md "Limits": 4 connections, 128 open files and 4 MiB of bulk
 * windows per task. */
GTEST(race2_fsd_conns_and_files_two_cpus)
{
	SETUP("--tmp-size 256K");
	int64_t conns = fs_status("connections"), files = fs_status("files");
	g_spawn_names = fe.lookup;
	struct race2_report p;
	long r = run_all(RACE2_FSD, 600, 4ull << 20, &p);
	g_spawn_names = HANDLE_INVALID;
	int64_t c2 = fs_status_wait("connections", conns);
	int64_t f2 = fs_status_wait("files", files);
	int64_t bulk = fs_status_wait("bulk_bytes", 0);
	/* Another task (this one) is still served. */
	long e = 0;
	handle_t f = fs_open("/tmp/race2", FS_O_READ, &e);
	if (f)
		sys_handle_close(f);
	printf("    fsd afterwards: connections %lld -> %lld, files %lld -> "
	       "%lld, another's open %s\n",
	       (long long)conns, (long long)c2, (long long)files, (long long)f2,
	       f ? "ok" : "refused");
	FCHECK_EQ(r, 0);
	FCHECK_EQ(p.over, 0);
	FCHECK_EQ(p.other, 0);
	/* Reached (EMFILE, ENOMEM seen), never passed (the bounds are what
	 * the child's kept connections and files leave). A connection
	 * closed with files still open keeps counting, so the child may
	 * hold fewer. */
	FCHECK(p.cap[0] == RACE2_FSD_CONNS - 2 && p.cap[2] > 0);
	FCHECK(p.max[0] <= p.cap[0] && p.max[1] <= p.cap[1] &&
	       p.max[2] <= p.cap[2]);
	FCHECK(p.full[0] > 0 && p.full[1] > 0 && p.full[2] > 0);
	FCHECK_EQ(bulk, 0);
	FCHECK_EQ(c2, conns);
	FCHECK_EQ(f2, files);
	FCHECK(f != 0);
	fs_teardown();
}

/* docs/net-sockd.md "Per-task shares": 32 UDP pcbs (of 128), 16 listening
 * pcbs (of 64; listen() is ENOBUFS beyond) and 8 raw pcbs (of 32; a ping
 * socket is one); socket() is EMFILE beyond. Five children at their
 * shares, three killed while holding them: a pcb leaked by a kill would
 * leave the last child short (three kills hold 96 UDP, 48 listening and
 * 24 raw pcbs), and this task must still get its own shares. */
GTEST(race2_netd_udp_listen_ping_shares_two_cpus)
{
	gtest_allow_growth();
	long s = netd_env_start();
	if (s == 1) {
		netd_env_stop();
		return;
	}
	struct race2_report p;
	long r = s < 0 ? s : run_all(RACE2_UDP, 360, 16ull << 20, &p);
	/* Another task (this one) gets its own 32 UDP and 8 ping sockets. */
	long fds[RACE2_UDP_SHARE + RACE2_PING_SHARE + 2];
	int n = 0, m = 0;
	long last = 0, lastp = 0;
	while (s == 0 && n <= RACE2_UDP_SHARE &&
	       (last = SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0)) >= 0)
		fds[n++] = last;
	while (s == 0 && m <= RACE2_PING_SHARE &&
	       (lastp = SC(socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0, 0,
			   0)) >= 0)
		fds[n + m++] = lastp;
	for (int i = 0; i < n + m; i++)
		SC(close, fds[i], 0, 0, 0, 0, 0);
	netd_env_stop();
	GCHECK_OK(s);
	GCHECK_EQ(r, 0);
	GCHECK_EQ(p.over, 0);
	GCHECK_EQ(p.other, 0);
	/* The run after the kills got every share in full. */
	GCHECK_EQ(p.max[0], RACE2_UDP_SHARE);
	GCHECK_EQ(p.max[1], RACE2_LISTEN_SHARE);
	GCHECK_EQ(p.max[2], RACE2_PING_SHARE);
	GCHECK(p.full[0] > 0 && p.full[1] > 0 && p.full[2] > 0);
	GCHECK_EQ(n, RACE2_UDP_SHARE);
	GCHECK_EQ(last, -EMFILE);
	GCHECK_EQ(m, RACE2_PING_SHARE);
	GCHECK_EQ(lastp, -EMFILE);
}

/* docs/objects-and-handles.md (handle quota 1024, ERR_NO_RESOURCES),
 * docs/tasks.md (memory quota), docs/ipc.md (PORT_QUEUE_MAX 64): handles
 * duplicated, closed and bounced through the task's own port, memory
 * mapped and unmapped, messages sent and received, on two CPUs. The
 * kernel's counters are checked by the harness afterwards. */
GTEST(race2_kernel_handle_memory_queue_two_cpus)
{
	struct race2_report p;
	long r = run_all(RACE2_KERN, 2400, 1ull << 20, &p);
	GCHECK_EQ(r, 0);
	GCHECK_EQ(p.over, 0);
	GCHECK_EQ(p.other, 0);
	/* Each limit reached (its error seen), never passed. */
	GCHECK(p.full[0] > 0 && p.full[1] > 0 && p.full[2] > 0);
	GCHECK(p.max[0] <= p.cap[0] && p.max[1] <= p.cap[1]);
	GCHECK(p.max[2] <= RACE2_QUEUE_MAX);
}
