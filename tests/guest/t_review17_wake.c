/* review17 F7 (/work/coord/REVIEW-17.md): two threads blocked in recv on
 * two sockets whose netd slots share a wake bit (slot 0 and slot 64:
 * wake_bit = 1 << (id & 63)). The notification hands the bit to the
 * EARLIEST waiter only (docs/ipc.md), so when the second socket gets a
 * datagram the first thread takes the bit, finds nothing and sleeps
 * again, and the second thread sleeps until its 200 ms liveness probe.
 * A correct runtime wakes it at once: this test wants < 100 ms. Real
 * netd on 127.0.0.1 as in t_sock_netd.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <execrt/cpio.h>

#include "gtest.h"
#include "gutil.h"
#include "sock_env.h"
#include "sock_netd_fx.h"

static long udp_bound(int port)
{
	long s = SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);
	if (s < 0)
		return s;
	struct sockaddr_in a = lo(port);
	long r = SC(bind, s, &a, sizeof(a), 0, 0, 0);
	if (r) {
		SC(close, s, 0, 0, 0, 0, 0);
		return r;
	}
	return s;
}

struct waiter {
	long fd;
	long r;
	uint64_t done_ns;
};

static int64_t recv_thread(uint64_t arg)
{
	struct waiter *w = (struct waiter *)arg;
	char b[16];
	w->r = SC(recvfrom, w->fd, b, sizeof(b), 0, 0, 0);
	__atomic_store_n(&w->done_ns, g_now(), __ATOMIC_RELEASE);
	return 0;
}

GTEST(review17_f7_shared_wake_bit_second_waiter_wakes_at_once)
{
	gtest_allow_growth();
	long st0 = netd_env_start();
	if (st0 != 0)
		netd_env_stop();
	if (st0 == 1)
		return;
	GCHECK_OK(st0);
	/* Slot 0 (bit 0), 63 fillers (slots 1..63), slot 64 (bit 0 again). */
	static long fill[63];
	long a = udp_bound(7401);
	int nfill = 0, ok = a >= 0;
	for (; ok && nfill < 63; nfill++)
		ok = (fill[nfill] = SC(socket, AF_INET, SOCK_STREAM, 0, 0, 0,
				       0)) >= 0;
	long b = ok ? udp_bound(7402) : -1;
	long tx = ok ? SC(socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0) : -1;
	printf("    a %ld, fillers %d (last %ld), b %ld, tx %ld\n", a, nfill,
	       nfill ? fill[nfill - 1] : 0, b, tx);
	struct waiter wa = {.fd = a}, wb = {.fd = b};
	struct gthread ta, tb;
	/* Control: B waiting alone is woken at once. */
	uint64_t lat0 = ~0ull;
	struct waiter w0 = {.fd = b};
	if (ok && b >= 0 && tx >= 0 &&
	    gthread_start(&tb, recv_thread, (uint64_t)&w0) == 0) {
		sys_sleep_until(g_now() + 50 * MS);
		struct sockaddr_in to = lo(7402);
		uint64_t t0 = g_now();
		SC(sendto, tx, "alone", 5, 0, &to, sizeof(to));
		int64_t st;
		gthread_join(&tb, g_now() + 2000 * MS, &st);
		lat0 = __atomic_load_n(&w0.done_ns, __ATOMIC_ACQUIRE) - t0;
		printf("    a waiter alone woke after %llu us\n",
		       (unsigned long long)(lat0 / 1000));
	}
	bool started = ok && b >= 0 && tx >= 0 &&
		       gthread_start(&ta, recv_thread, (uint64_t)&wa) == 0;
	if (started) {
		sys_sleep_until(g_now() + 50 * MS); /* A waits first */
		started = gthread_start(&tb, recv_thread, (uint64_t)&wb) == 0;
	}
	uint64_t lat = 0;
	if (started) {
		sys_sleep_until(g_now() + 50 * MS);
		struct sockaddr_in to = lo(7402);
		uint64_t t0 = g_now();
		SC(sendto, tx, "for B", 5, 0, &to, sizeof(to));
		int64_t st;
		gthread_join(&tb, g_now() + 2000 * MS, &st);
		lat = __atomic_load_n(&wb.done_ns, __ATOMIC_ACQUIRE) - t0;
		printf("    the second waiter woke after %llu us\n",
		       (unsigned long long)(lat / 1000));
		to = lo(7401);
		SC(sendto, tx, "for A", 5, 0, &to, sizeof(to));
		gthread_join(&ta, g_now() + 2000 * MS, &st);
	}
	for (int i = 0; i < nfill; i++)
		if (fill[i] >= 0)
			SC(close, fill[i], 0, 0, 0, 0, 0);
	SC(close, a, 0, 0, 0, 0, 0);
	SC(close, b, 0, 0, 0, 0, 0);
	SC(close, tx, 0, 0, 0, 0, 0);
	netd_env_stop();
	GCHECK(started);
	GCHECK_EQ(w0.r, 5);
	GCHECK(lat0 < 100 * MS);
	GCHECK_EQ(wb.r, 5);
	GCHECK_EQ(wa.r, 5);
	GCHECK(lat < 100 * MS);
}
