/* netd's socket service, TCP over lwIP's loopback (127.0.0.1), driven
 * through the shared-memory protocol the runtime speaks: listen/accept/
 * connect, a megabyte each way with its checksum, backpressure from a
 * client that stops reading, shutdown, close with lingering data, the
 * listener's buffer sizes passed to accepted sockets, getname. Every
 * test ends with netd holding no handle, region, pcb or pbuf. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

/* A listener on `port`, a client connected to it, the accepted side. */
static int pair(struct nx_conn *c, uint16_t port, struct nx_sock *lsn,
		struct nx_sock *cl, struct nx_sock *sv)
{
	if (nx_socket(c, 1, 0, lsn) || nx_bind(lsn, port) ||
	    nx_listen(lsn, 8) || nx_socket(c, 1, 0, cl) ||
	    nx_connect_to(cl, port))
		return -1;
	if (!(nx_state(cl) & NET_ST_CONNECTING))
		return -2;
	nx_run(5);
	if (!(nx_state(cl) & NET_ST_CONNECTED) ||
	    !(nx_state(lsn) & NET_ST_ACCEPTABLE) ||
	    lsn->shm->accept_pending != 1)
		return -3;
	struct net_addr peer;
	if (nx_accept(lsn, sv, &peer))
		return -4;
	if (peer.family != 2 || peer.addr[0] != 127 ||
	    !(nx_state(sv) & NET_ST_CONNECTED) ||
	    (nx_state(lsn) & NET_ST_ACCEPTABLE))
		return -5;
	return 0;
}

/* Moves `total` bytes from a to b, checking every byte; the reader
 * starts after `idle` ms. Returns the milliseconds it took, or < 0. */
static int transfer_idle(struct nx_sock *a, struct nx_sock *b, uint64_t total,
			 uint32_t chunk, int idle)
{
	static uint8_t buf[1 << 16];
	uint64_t sent = 0, got = 0;
	int rounds;
	for (rounds = 0; got < total; rounds++) {
		if (rounds > 200000)
			return -1;
		uint32_t n =
			(uint32_t)(total - sent < chunk ? total - sent : chunk);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(sent + i);
		sent += nx_write(a, buf, n);
		nx_run(1);
		uint32_t r;
		while (rounds >= idle &&
		       (r = nx_read(b, buf, sizeof(buf))) > 0) {
			for (uint32_t i = 0; i < r; i++)
				if (buf[i] != pattern(got + i))
					return -2;
			got += r;
		}
	}
	return rounds;
}

static int transfer(struct nx_sock *a, struct nx_sock *b, uint64_t total,
		    uint32_t chunk)
{
	int r = transfer_idle(a, b, total, chunk, 0);
	return r < 0 ? r : 0;
}

TEST(netd_sock_tcp_connect_transfer_close)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK(c.db_bits >> 16);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7001, &lsn, &cl, &sv), 0);
	CHECK(nx_wakes(&c) & cl.wake_bit);
	CHECK_EQ(cl.shm->magic, NET_SHM_MAGIC);
	CHECK_EQ(cl.rx_size, NET_RING_DEFAULT);
	/* Nothing to accept now. */
	CHECK_EQ(nx_req(&c, NET_ACCEPT, lsn.id, 0, 0, 0, NULL, 0, NULL), -11);
	/* 1 MiB each way, in odd-sized pieces. */
	CHECK_EQ(transfer(&cl, &sv, 1 << 20, 7001), 0);
	CHECK_EQ(transfer(&sv, &cl, 1 << 20, 65536), 0);
	/* getname: the listener's port on both ends of the server side. */
	CHECK_EQ(nx_req(&c, NET_GETNAME, sv.id, 0, 0, 0, NULL, 0, NULL), 0);
	struct net_addr a;
	memcpy(&a, nx_ans.data, sizeof(a));
	CHECK_EQ(a.port, nx_addr(0, 0, 0, 0, 7001).port);
	CHECK_EQ(nx_req(&c, NET_GETNAME, cl.id, 1, 0, 0, NULL, 0, NULL), 0);
	memcpy(&a, nx_ans.data, sizeof(a));
	CHECK_EQ(a.port, nx_addr(0, 0, 0, 0, 7001).port);
	CHECK_EQ(nx_req(&c, NET_GETNAME, lsn.id, 1, 0, 0, NULL, 0, NULL), -107);
	/* Close the client: the server sees EOF, its region goes away. */
	CHECK_EQ(nx_close(&cl), 0);
	CHECK(!nx_mapped(&cl));
	nx_run(5);
	CHECK(nx_state(&sv) & NET_ST_RX_EOF);
	CHECK_EQ(nx_req(&c, NET_CLOSE, cl.id, 0, 0, 0, NULL, 0, NULL), -9);
	CHECK_EQ(nx_close(&sv), 0);
	CHECK_EQ(nx_close(&lsn), 0);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.socks, 0);
	CHECK_EQ(st.mem_used, 0);
	CHECK(st.rx_bytes >= 2u << 20);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_tcp_backpressure)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7002, &lsn, &cl, &sv), 0);
	/* The server never reads: the client's writes must stop. */
	static uint8_t buf[1 << 16];
	memset(buf, 0x5a, sizeof(buf));
	uint64_t written = 0;
	for (int i = 0; i < 400; i++) {
		written += nx_write(&cl, buf, sizeof(buf));
		nx_run(2);
	}
	/* Bounded by: the server's ring + lwIP's window + send buffer +
	 * the client's ring; far below the 25 MiB offered. */
	CHECK(written < 1u << 20);
	CHECK_EQ(sv.shm->rx_head - sv.shm->rx_tail, sv.rx_size);
	CHECK_EQ(cl.shm->tx_head - cl.shm->tx_tail, cl.tx_size);
	uint64_t stuck = cl.shm->tx_tail;
	nx_run(300); /* timers (persist probes) change nothing */
	CHECK_EQ(cl.shm->tx_tail, stuck);
	/* Reading drains everything: the flow resumes. */
	uint64_t got = 0;
	for (int i = 0; i < 2000 && got < written; i++) {
		uint32_t r;
		while ((r = nx_read(&sv, buf, sizeof(buf))) > 0)
			got += r;
		nx_run(1);
	}
	CHECK_EQ(got, written);
	CHECK_EQ(cl.shm->tx_tail, cl.shm->tx_head);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_tcp_shutdown_and_linger)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7003, &lsn, &cl, &sv), 0);
	/* SHUT_WR after data: the peer gets the data, then EOF. */
	CHECK_EQ(nx_write(&cl, "hello", 5), 5);
	CHECK_EQ(nx_req(&c, NET_SHUTDOWN, cl.id, 1, 0, 0, NULL, 0, NULL), 0);
	nx_run(5);
	char b[16];
	CHECK_EQ(nx_read(&sv, b, sizeof(b)), 5);
	CHECK(!memcmp(b, "hello", 5));
	CHECK(nx_state(&sv) & NET_ST_RX_EOF);
	/* The other way still works (half close). */
	CHECK_EQ(nx_write(&sv, "back", 4), 4);
	nx_run(5);
	CHECK_EQ(nx_read(&cl, b, sizeof(b)), 4);
	/* Close with a full ring the peer is not reading yet: the data
	 * still arrives after the client's close (netd lingers). */
	static uint8_t big[1 << 16];
	for (uint32_t i = 0; i < sizeof(big); i++)
		big[i] = pattern(i);
	uint32_t w = nx_write(&sv, big, sizeof(big));
	CHECK_EQ(w, sv.tx_size);
	CHECK_EQ(nx_close(&sv), 0);
	CHECK(!nx_mapped(&sv));
	uint64_t got = 0;
	for (int i = 0; i < 30000 && got < w; i++) {
		uint32_t r = nx_read(&cl, b, sizeof(b));
		for (uint32_t k = 0; k < r; k++)
			CHECK_EQ(b[k], (char)pattern(got + k));
		got += r;
		nx_run(1);
	}
	CHECK_EQ(cl.shm->error, 0);
	CHECK_EQ(got, w);
	CHECK(nx_state(&cl) & NET_ST_RX_EOF);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.socks, 2);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

/* SHUT_RD with data unread, more data after it, then close: what was
 * dropped still counts as consumed, so the close is a FIN, not a reset. */
TEST(netd_sock_tcp_shut_rd_then_close_is_graceful)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7008, &lsn, &cl, &sv), 0);
	static uint8_t big[40000];
	memset(big, 3, sizeof(big));
	CHECK_EQ(nx_write(&cl, big, sizeof(big)), sizeof(big));
	nx_run(600); /* Nagle waits for the delayed ack */
	CHECK_EQ(sv.shm->rx_head, sizeof(big));
	CHECK_EQ(nx_req(&c, NET_SHUTDOWN, sv.id, 0, 0, 0, NULL, 0, NULL), 0);
	CHECK_EQ(nx_req(&c, NET_SHUTDOWN, sv.id, 0, 0, 0, NULL, 0, NULL), 0);
	CHECK(nx_state(&sv) & NET_ST_RX_EOF);
	CHECK_EQ(nx_write(&cl, big, sizeof(big)), sizeof(big));
	nx_run(600); /* Nagle waits for the delayed ack */
	CHECK_EQ(cl.shm->tx_tail, cl.shm->tx_head); /* taken, dropped */
	CHECK_EQ(sv.shm->rx_head, sizeof(big));
	CHECK_EQ(nx_close(&sv), 0);
	nx_run(5);
	CHECK(nx_state(&cl) & NET_ST_RX_EOF);
	CHECK(!(nx_state(&cl) & NET_ST_ERROR));
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_tcp_linger_zero_resets)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7004, &lsn, &cl, &sv), 0);
	int l[2] = {1, 0};
	CHECK_EQ(
		nx_req(&c, NET_SETSOCKOPT, sv.id, 1, 13, 0, l, sizeof(l), NULL),
		0);
	CHECK_EQ(nx_write(&sv, "x", 1), 1);
	CHECK_EQ(nx_close(&sv), 0);
	nx_run(5);
	CHECK(nx_state(&cl) & NET_ST_ERROR);
	CHECK(nx_state(&cl) & NET_ST_CLOSED);
	CHECK_EQ(cl.shm->error, 104); /* ECONNRESET */
	/* Writes to a reset connection are taken and dropped. */
	CHECK_EQ(nx_write(&cl, "y", 1), 1);
	nx_run(1);
	CHECK_EQ(cl.shm->tx_tail, cl.shm->tx_head);
	/* Connect to a port nobody listens on: refused. */
	struct nx_sock x;
	CHECK_EQ(nx_socket(&c, 1, 0, &x), 0);
	CHECK_EQ(nx_connect_to(&x, 7999), 0);
	nx_run(5);
	CHECK(nx_state(&x) & NET_ST_ERROR);
	CHECK_EQ(x.shm->error, 111);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_tcp_accept_inherits_buffers)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(nx_socket(&c, 1, 0, &lsn), 0);
	CHECK_EQ(nx_setopt_int(&lsn, 1, 8, 4096), 0);  /* SO_RCVBUF */
	CHECK_EQ(nx_setopt_int(&lsn, 1, 7, 16384), 0); /* SO_SNDBUF */
	CHECK_EQ(nx_setopt_int(&lsn, 6, 1, 1), 0);     /* TCP_NODELAY */
	CHECK_EQ(nx_setopt_int(&lsn, 1, 2, 1), 0);     /* SO_REUSEADDR */
	CHECK_EQ(nx_bind(&lsn, 7005), 0);
	CHECK_EQ(nx_listen(&lsn, 4), 0);
	int v = 0;
	CHECK_EQ(nx_getopt_int(&lsn, 1, 30, &v), 0); /* SO_ACCEPTCONN */
	CHECK_EQ(v, 1);
	CHECK_EQ(nx_socket(&c, 1, 0, &cl), 0);
	CHECK_EQ(nx_connect_to(&cl, 7005), 0);
	nx_run(5);
	CHECK_EQ(nx_accept(&lsn, &sv, NULL), 0);
	CHECK_EQ(sv.rx_size, 4096);
	CHECK_EQ(sv.tx_size, 16384);
	CHECK_EQ(nx_getopt_int(&sv, 6, 1, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(nx_getopt_int(&sv, 1, 3, &v), 0); /* SO_TYPE */
	CHECK_EQ(v, 1);
	CHECK_EQ(nx_getopt_int(&sv, 1, 99, &v), -92);
	/* A small ring still carries a large transfer; with the reader
	 * late, lwIP's whole window (128 KiB) waits in netd and nothing is
	 * refused or resent: well under one retransmission timeout. */
	CHECK_EQ(transfer(&cl, &sv, 300000, 5000), 0);
	int ms = transfer_idle(&cl, &sv, 400000, 65536, 100);
	CHECK(ms >= 100);
	CHECK(ms < 300);
	/* A second listener on the same port: in use. */
	struct nx_sock l2;
	CHECK_EQ(nx_socket(&c, 1, 0, &l2), 0);
	CHECK_EQ(nx_bind(&l2, 7005), -98);
	/* An address that is not netd's: not available. */
	struct net_addr far = nx_addr(10, 9, 8, 7, 7006);
	CHECK_EQ(nx_req(&c, NET_BIND, l2.id, 0, 0, 0, &far, sizeof(far), NULL),
		 -99);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_tcp_backlog_bounded)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn;
	CHECK_EQ(nx_socket(&c, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7007), 0);
	CHECK_EQ(nx_listen(&lsn, 2), 0);
	struct nx_sock cl[5];
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(nx_socket(&c, 1, 0, &cl[i]), 0);
		CHECK_EQ(nx_connect_to(&cl[i], 7007), 0);
		nx_run(3);
	}
	/* Two wait; the others are not accepted (lwIP drops their SYNs). */
	CHECK_EQ(lsn.shm->accept_pending, 2);
	struct nx_sock sv;
	CHECK_EQ(nx_accept(&lsn, &sv, NULL), 0);
	CHECK_EQ(lsn.shm->accept_pending, 1);
	/* A waiting connection that is reset leaves the queue. */
	int l[2] = {1, 0};
	CHECK_EQ(nx_req(&c, NET_SETSOCKOPT, cl[1].id, 1, 13, 0, l, sizeof(l),
			NULL),
		 0);
	CHECK_EQ(nx_close(&cl[1]), 0);
	nx_run(3);
	CHECK_EQ(lsn.shm->accept_pending, 0);
	CHECK(!(nx_state(&lsn) & NET_ST_ACCEPTABLE));
	/* Closing the listener with connections waiting aborts them. */
	nx_run(10000); /* SYN retries of the others get in now */
	CHECK(lsn.shm->accept_pending >= 1);
	CHECK_EQ(nx_close(&lsn), 0);
	nx_run(5);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}
