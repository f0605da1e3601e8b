/* netd's socket service against a hostile or careless client: counters
 * that lie, datagram records that do not fit, malformed requests, too
 * many sockets or connections, memory beyond netd's bound, answers the
 * client is not there to take, and a client that dies mid-transfer.
 * Each bad socket is closed with EINVAL; nothing else is disturbed and
 * nothing leaks. */
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

static int tcp_pair(struct nx_conn *c, uint16_t port, struct nx_sock *cl,
		    struct nx_sock *sv)
{
	struct nx_sock lsn;
	if (nx_socket(c, 1, 0, &lsn) || nx_bind(&lsn, port) ||
	    nx_listen(&lsn, 4) || nx_socket(c, 1, 0, cl) ||
	    nx_connect_to(cl, port))
		return -1;
	nx_run(5);
	if (nx_accept(&lsn, sv, NULL))
		return -2;
	return nx_close(&lsn);
}

static bool broken(const struct nx_sock *s)
{
	return (nx_state(s) & (NET_ST_ERROR | NET_ST_CLOSED)) ==
		       (NET_ST_ERROR | NET_ST_CLOSED) &&
	       s->shm->error == 22;
}

TEST(netd_sock_hostile_stream_counters)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock cl, sv, cl2, sv2, cl3, sv3;
	CHECK_EQ(tcp_pair(&c, 7101, &cl, &sv), 0);
	CHECK_EQ(tcp_pair(&c, 7102, &cl2, &sv2), 0);
	CHECK_EQ(tcp_pair(&c, 7103, &cl3, &sv3), 0);
	/* tx_head claims more than the ring holds. */
	cl.shm->tx_head = cl.tx_size + 1;
	nx_doorbell(&c);
	CHECK(broken(&cl));
	nx_run(5);
	CHECK(nx_state(&sv) & NET_ST_ERROR); /* the peer got a reset */
	CHECK_EQ(sv.shm->error, 104);
	/* rx_tail beyond what netd produced. */
	CHECK_EQ(nx_write(&sv2, "abc", 3), 3);
	nx_run(3);
	cl2.shm->rx_tail = cl2.shm->rx_head + 1;
	nx_doorbell(&c);
	CHECK(broken(&cl2));
	/* rx_tail going backwards, after a read. */
	CHECK_EQ(nx_write(&sv3, "abcdef", 6), 6);
	nx_run(3);
	char b[8];
	CHECK_EQ(nx_read(&cl3, b, 4), 4);
	cl3.shm->rx_tail = 1;
	nx_doorbell(&c);
	CHECK(broken(&cl3));
	/* The broken sockets still close; the connection lives on. */
	CHECK_EQ(nx_close(&cl), 0);
	CHECK_EQ(nx_close(&cl2), 0);
	CHECK_EQ(nx_close(&cl3), 0);
	struct nx_sock a, s;
	CHECK_EQ(tcp_pair(&c, 7104, &a, &s), 0);
	CHECK_EQ(nx_write(&a, "ok", 2), 2);
	nx_run(3);
	CHECK_EQ(nx_read(&s, b, sizeof(b)), 2);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.hostile, 3);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_hostile_dgram_records)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock s[5];
	for (int i = 0; i < 5; i++)
		CHECK_EQ(nx_socket(&c, 2, 0, &s[i]), 0);
	struct net_dgram h = {.len = 100000};
	h.addr = nx_addr(127, 0, 0, 1, 9);
	/* 0: a record longer than the ring. */
	memcpy(s[0].tx, &h, sizeof(h));
	s[0].shm->tx_head = 4096;
	/* 1: a record longer than what was published. */
	h.len = 500;
	memcpy(s[1].tx, &h, sizeof(h));
	s[1].shm->tx_head = 64;
	/* 2: an unaligned head (a partial record). */
	h.len = 4;
	memcpy(s[2].tx, &h, sizeof(h));
	s[2].shm->tx_head = 37;
	/* 3: a WRAP marker that skips more than was published. */
	uint32_t w = NET_DGRAM_WRAP;
	memcpy(s[3].tx, &w, 4);
	s[3].shm->tx_head = 8;
	/* 4: a header cut by the ring's end. */
	s[4].shm->tx_head = s[4].tx_size - 16;
	s[4].shm->tx_tail = 0;
	nx_doorbell(&c);
	CHECK(broken(&s[0]));
	CHECK(broken(&s[1]));
	CHECK(broken(&s[2]));
	CHECK(broken(&s[3]));
	/* s[4]: records of zeros (len 0) up to 16 bytes before the end:
	 * valid empty datagrams with no address, then a cut header. */
	CHECK(broken(&s[4]));
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_hostile_requests)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c, c2;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK_EQ(nx_connect(&c2), 0);
	CHECK(c.badge != c2.badge);
	struct nx_sock s;
	CHECK_EQ(nx_socket(&c, 1, 0, &s), 0);
	/* Unknown ids, another connection's socket, unknown ops. */
	CHECK_EQ(nx_req(&c, NET_LISTEN, s.id + 256, 1, 0, 0, NULL, 0, NULL),
		 -9);
	CHECK_EQ(nx_req(&c2, NET_LISTEN, s.id, 1, 0, 0, NULL, 0, NULL), -9);
	CHECK_EQ(nx_req(&c, 99, s.id, 0, 0, 0, NULL, 0, NULL), -22);
	CHECK_EQ(nx_req(&c, NET_CONNECT, 0, 1, 0, 0, NULL, 0, NULL), -22);
	/* Addresses of the wrong size or family. */
	CHECK_EQ(nx_req(&c, NET_BIND, s.id, 0, 0, 0, "x", 1, NULL), -22);
	struct net_addr a6 = {.family = 10};
	CHECK_EQ(nx_req(&c, NET_BIND, s.id, 0, 0, 0, &a6, sizeof(a6), NULL),
		 -97);
	/* Socket kinds netd does not make. */
	CHECK_EQ(nx_req(&c, NET_SOCKET, 0, 10, 1, 0, NULL, 0, NULL), -97);
	CHECK_EQ(nx_req(&c, NET_SOCKET, 0, 2, 1, 17, NULL, 0, NULL), -93);
	CHECK_EQ(nx_req(&c, NET_SOCKET, 0, 2, 5, 0, NULL, 0, NULL), -93);
	/* Options: short values, a bad level. */
	CHECK_EQ(nx_req(&c, NET_SETSOCKOPT, s.id, 1, 2, 0, "ab", 2, NULL), -22);
	CHECK_EQ(nx_req(&c, NET_SETSOCKOPT, s.id, 1, 13, 0, "abcd", 4, NULL),
		 -22);
	CHECK_EQ(nx_setopt_int(&s, 77, 1, 1), -92);
	/* Requests on the wrong kind of socket. */
	struct nx_sock u;
	CHECK_EQ(nx_socket(&c, 2, 0, &u), 0);
	CHECK_EQ(nx_listen(&u, 1), -95);
	CHECK_EQ(nx_req(&c, NET_ACCEPT, u.id, 0, 0, 0, NULL, 0, NULL), -95);
	CHECK_EQ(nx_req(&c, NET_ACCEPT, s.id, 0, 0, 0, NULL, 0, NULL), -22);
	CHECK_EQ(nx_req(&c, NET_SHUTDOWN, s.id, 1, 0, 0, NULL, 0, NULL), -107);
	CHECK_EQ(nx_req(&c, NET_SHUTDOWN, s.id, 7, 0, 0, NULL, 0, NULL), -22);
	/* A resolve without its NUL, too long, empty. */
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 0, 0, 0, "abc", 3, NULL), -22);
	static char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 0, 0, 0, longname, sizeof(longname),
			NULL),
		 -22);
	CHECK_EQ(nx_req(&c, NET_RESOLVE, 0, 0, 0, 0, "", 1, NULL), -22);
	/* A stale badge (a connection that ended). */
	struct nx_conn old = c2;
	nx_disconnect(&c2);
	CHECK_EQ(nx_req(&old, NET_SOCKET, 0, 2, 1, 0, NULL, 0, NULL), -9);
	sock_on_closed(old.badge); /* a second notice changes nothing */
	sock_on_closed(0x1234);	   /* nor one for a badge never minted */
	/* A plain send (no reply handle) is dropped. */
	struct net_req q = {.op = NET_SOCKET, .a = 2, .b = 1};
	struct sock_msg m = {.badge = c.badge, .data = &q, .len = sizeof(q)};
	sock_on_request(&m);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.socks, 2);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_hostile_limits)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	CHECK_EQ(nx_connect(&c), 0);
	/* NET_SOCKS_PER_CONN, then EMFILE; under the memory bound the
	 * later sockets get smaller rings. (TCP: lwIP has 64 UDP pcbs.) */
	static struct nx_sock s[NET_SOCKS_PER_CONN];
	uint32_t small = 0;
	for (uint32_t i = 0; i < NET_SOCKS_PER_CONN; i++) {
		CHECK_EQ(nx_socket(&c, 1, 0, &s[i]), 0);
		if (s[i].rx_size < NET_RING_DEFAULT)
			small++;
	}
	CHECK(small > 0);
	struct nx_sock x;
	CHECK_EQ(nx_socket(&c, 1, 0, &x), -24);
	CHECK_EQ(nx_close(&s[17]), 0);
	CHECK_EQ(nx_socket(&c, 1, 0, &s[17]), 0);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK(st.mem_used <= st.mem_limit);
	CHECK(st.refused >= 1);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);

	/* A tight bound: smaller rings, then ENOBUFS. */
	CHECK_EQ(nx_setup(64 << 10), 0);
	CHECK_EQ(nx_connect(&c), 0);
	int err = 0, n = 0;
	while (!err && n < 100)
		if (!(err = nx_socket(&c, 1, 0, &x)))
			n++;
	CHECK_EQ(err, -105);
	CHECK_EQ(n, 2); /* a connection gets half: 2 regions of 12 KiB */
	sock_get_stats(&st);
	CHECK(st.mem_used <= 32 << 10);
	nx_disconnect(&c);
	CHECK_EQ(nx_teardown(), 0);

	/* Connections per client task. */
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn cs[9];
	for (int i = 0; i < 8; i++)
		CHECK_EQ(nx_connect(&cs[i]), 0);
	CHECK_EQ(nx_connect(&cs[8]), -24);
	nx_disconnect(&cs[3]);
	CHECK_EQ(nx_connect(&cs[3]), 0);
	for (int i = 0; i < 8; i++)
		nx_disconnect(&cs[i]);
	CHECK_EQ(nx_teardown(), 0);
}

TEST(netd_sock_hostile_client_gone)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c, d;
	CHECK_EQ(nx_connect(&c), 0);
	CHECK_EQ(nx_connect(&d), 0);
	/* Answers that find the caller gone: nothing is kept. */
	nx_reply_fails = true;
	struct nx_sock s;
	CHECK_EQ(nx_req(&c, NET_SOCKET, 0, 2, 1, 0, NULL, 0, NULL), NX_GONE);
	struct nx_conn e;
	CHECK_EQ(nx_connect(&e), NX_GONE);
	nx_reply_fails = false;
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(st.socks, 0);
	CHECK_EQ(st.conns, 2);
	CHECK_EQ(nx_netd_handles(), 2 + 2 * 0); /* c's and d's wake-ups */
	/* A client dies in the middle of a transfer to another client. */
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(nx_socket(&d, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7201), 0);
	CHECK_EQ(nx_listen(&lsn, 4), 0);
	CHECK_EQ(nx_socket(&c, 1, 0, &cl), 0);
	CHECK_EQ(nx_connect_to(&cl, 7201), 0);
	nx_run(5);
	CHECK_EQ(nx_accept(&lsn, &sv, NULL), 0);
	static uint8_t buf[1 << 16];
	memset(buf, 7, sizeof(buf));
	for (int i = 0; i < 20; i++) {
		nx_write(&cl, buf, sizeof(buf));
		nx_run(1);
		uint8_t t[100];
		nx_read(&sv, t, sizeof(t));
	}
	/* A resolve parked on the dying connection (no DNS server). */
	handle_t parked = 0;
	int r = nx_req(&c, NET_RESOLVE, 0, 0, 0, 0, "example.org", 12, &parked);
	CHECK(r == NX_PARKED || r == -2);
	nx_disconnect(&c);
	CHECK(!nx_mapped(&cl));
	nx_run(5);
	CHECK(nx_state(&sv) & NET_ST_ERROR);
	CHECK_EQ(sv.shm->error, 104);
	sock_get_stats(&st);
	CHECK_EQ(st.conns, 1);
	CHECK_EQ(st.socks, 2);
	(void)s;
	nx_disconnect(&d);
	CHECK_EQ(nx_teardown(), 0);
}
