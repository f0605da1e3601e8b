/* REVIEW-17 F20: close(fd) on one CPU racing dup(fd) / dup2(fd, N) on
 * the other, in the runtime's fd table (libs/runtime/fd_glue.c). Two
 * threads run flat out, one per CPU: the closer makes an fd and closes
 * it, over and over; the duper duplicates whatever fd the closer has
 * now. Either outcome of a collision is fine (the dup came first and
 * holds the object, or the fd was gone: EBADF), but a dup that succeeded
 * must be a working fd of its own, and in the end every fd and object
 * must be given back exactly once.
 *
 * The old code read the entry, took the socket's reference and
 * duplicated the handle in separate steps, outside the one lock: a close
 * in between left the dup with a copy of the freed entry (EINVAL), a
 * port fd without a handle, or a socket fd on a freed socket slot that
 * the next socket() reuses (two fds on one socket, one closing the
 * other's). Fds dup'd from stdout (no server involved) give many
 * collisions a second; sockets go through the fake netd (fake_netd.c). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <execrt/fd.h>
#include <execrt/runtime.h>

#include "fake_netd.h"
#include "gtest.h"
#include "gutil.h"
#include "sock_env.h"

#define SC(n, a, b, c, d, e, f)                                                \
	__execrt_syscall(SYS_##n, (long)(a), (long)(b), (long)(c), (long)(d),  \
			 (long)(e), (long)(f))
#define DUP2_FD 200
#define PORT_NS (4000 * MS)
#define SOCK_NS (6000 * MS)
#define SO_FAKE 42 /* the fake netd's answer to any getsockopt */

static struct fnetd fake;

static struct {
	bool sockets; /* else port fds */
	uint64_t end;
	int fd;	  /* the closer's fd now (-1: none) */
	int stop; /* set by whoever fails, or at the end */
	long fail;
	long made, dups, gone; /* closer's fds; the duper's results */
} rc;

static void fail(long why)
{
	if (!__atomic_load_n(&rc.fail, __ATOMIC_ACQUIRE))
		__atomic_store_n(&rc.fail, why, __ATOMIC_RELEASE);
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELEASE);
}

/* A socket fd works: a call that reaches netd with its id. */
static long sock_ok(long fd)
{
	int v = 0;
	socklen_t l = sizeof(v);
	long r = SC(getsockopt, fd, SOL_SOCKET, SO_RCVBUF, &v, &l, 0);
	return r == 0 && v == SO_FAKE ? 0 : r < 0 ? r : -1;
}

/* A dup of stdout is what stdout is (a port or the kernel console) with
 * a live handle of its own; the duper owns it, so reading its entry is
 * safe. */
static long port_ok(long fd)
{
	struct execrt_fd *e = execrt_fd_get(fd), *out = execrt_fd_get(1);
	struct handle_info hi;
	if (!e || !out || e->kind != out->kind || !e->owned || !e->h ||
	    e->h == out->h)
		return -1;
	return sys_handle_info(e->h, &hi) == 0 ? 0 : -2;
}

static int64_t closer(uint64_t arg)
{
	(void)arg;
	while (!__atomic_load_n(&rc.stop, __ATOMIC_ACQUIRE) &&
	       g_now() < rc.end) {
		long fd = rc.sockets
				  ? SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0)
				  : SC(dup, 1, 0, 0, 0, 0, 0);
		if (fd < 0) {
			fail(1000 - fd);
			break;
		}
		rc.made++;
		__atomic_store_n(&rc.fd, (int)fd, __ATOMIC_RELEASE);
		/* its own fd must still be its own (not closed through a
		 * dup that shares a reused socket slot) */
		long ok = rc.sockets ? sock_ok(fd) : 0;
		__atomic_store_n(&rc.fd, -1, __ATOMIC_RELEASE);
		long c = SC(close, fd, 0, 0, 0, 0, 0);
		if (ok)
			fail(2000 - ok);
		else if (c)
			fail(3000 - c);
	}
	__atomic_store_n(&rc.stop, 1, __ATOMIC_RELEASE);
	return 0;
}

static int64_t duper(uint64_t arg)
{
	(void)arg;
	long last = -1;
	for (unsigned i = 0; !__atomic_load_n(&rc.stop, __ATOMIC_ACQUIRE);
	     i++) {
		long fd = __atomic_load_n(&rc.fd, __ATOMIC_ACQUIRE);
		/* -1 is stored just before the close: the last fd seen is
		 * being closed now, which is the race wanted */
		if (fd >= 0)
			last = fd;
		else if ((fd = last) < 0)
			continue;
		long d = i & 1 ? SC(dup2, fd, DUP2_FD, 0, 0, 0, 0)
			       : SC(dup, fd, 0, 0, 0, 0, 0);
		if (d == -EBADF) {
			rc.gone++;
			continue;
		}
		if (d < 0) {
			fail(4000 - d);
			break;
		}
		rc.dups++;
		long ok = rc.sockets ? sock_ok(d) : port_ok(d);
		long c = SC(close, d, 0, 0, 0, 0, 0);
		if (ok || c) {
			fail(ok ? 5000 - ok : 6000 - c);
			break;
		}
	}
	return 0;
}

/* Runs the two threads for ns; 0 or the first failure. */
static long race(bool sockets, uint64_t ns)
{
	memset(&rc, 0, sizeof(rc));
	rc.sockets = sockets;
	rc.fd = -1;
	rc.end = g_now() + ns;
	struct gthread th[2];
	memset(th, 0, sizeof(th));
	long r = gthread_start(&th[0], closer, 0);
	if (r == 0)
		r = gthread_start(&th[1], duper, 0);
	if (r < 0)
		__atomic_store_n(&rc.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; r == 0 && i < 2 && g_ncpus() >= 2; i++)
		sys_sched_affinity(g_sched(), th[i].h, 1ull << i);
	int64_t st;
	for (int i = 0; i < 2; i++)
		if (th[i].h)
			gthread_join(&th[i], DEADLINE_NONE, &st);
	printf("    %s: %ld made, %ld dups held, %ld found closed\n",
	       sockets ? "sockets" : "ports", rc.made, rc.dups, rc.gone);
	if (rc.fail)
		printf("    failed: %ld\n", rc.fail);
	return r < 0 ? r : rc.fail;
}

GTEST(fd_close_races_dup_port_fds)
{
	gtest_allow_growth();
	int base = execrt_fd_count();
	long r = race(false, PORT_NS);
	GCHECK_EQ(r, 0);
	GCHECK(rc.dups > 0 && rc.gone > 0); /* both outcomes were seen */
	GCHECK_EQ(execrt_fd_count(), base);
}

GTEST(fd_close_races_dup_sockets)
{
	gtest_allow_growth();
	long s = sock_names_start();
	if (s == 0)
		s = fnetd_start(&fake);
	int base = execrt_fd_count();
	long r = s < 0 ? s : race(true, SOCK_NS);
	int opened = fake.calls[NET_SOCKET], closed = fake.calls[NET_CLOSE];
	int left = fnetd_open_socks(&fake), fds = execrt_fd_count();
	execrt_net_disconnect();
	fnetd_stop(&fake);
	sock_names_stop();
	GCHECK_OK(s);
	GCHECK_EQ(r, 0);
	GCHECK(rc.dups > 0 && rc.gone > 0);
	GCHECK_EQ(opened, closed); /* each socket closed exactly once */
	GCHECK_EQ(left, 0);
	GCHECK_EQ(fds, base);
}
