/* netd's socket service: per client task shares (REVIEW-17 F2, F3, F4).
 * One task (port_rx.sender, nx_sender here) must not take a whole lwIP
 * pcb pool, more than half of netd's region memory, or more than its
 * share of lwIP's heap, over all its connections, counting accepted,
 * waiting and lingering connections; what it holds goes back to zero
 * when its sockets and connections end. Each test failed on the netd
 * before the shares (main cd58412). */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lwip/opt.h"
#include "lwip/stats.h"
#include "netd_sock_fix.h"

/* The shares of sock_int.h, from lwipopts.h's pools and heap. */
#define CAP_TCP	   (MEMP_NUM_TCP_PCB / 2u)	  /* 256 */
#define CAP_LISTEN (MEMP_NUM_TCP_PCB_LISTEN / 4u) /* 16 */
#define CAP_UDP	   (MEMP_NUM_UDP_PCB / 4u)	  /* 32 */
#define HEAP_SHARE ((uint64_t)MEM_SIZE / 8u)	  /* 512 KiB */

static struct nx_sock many[4][NET_SOCKS_PER_CONN];

static uint32_t open_until(struct nx_conn *c, uint32_t type,
			   struct nx_sock *out, int *err)
{
	uint32_t n = 0;
	while (n < NET_SOCKS_PER_CONN &&
	       !(*err = nx_socket(c, type, 0, &out[n])))
		n++;
	return n;
}

static bool task_gone(uint64_t sender)
{
	struct sock_task_use u;
	return !sock_task_usage(sender, &u) && !u.tcp && !u.udp && !u.mem &&
	       !u.rxbuf;
}

/* F2: a task's UDP sockets end at its share with EMFILE; another task
 * still gets one; closing gives the share back. */
TEST(netd_caps_udp_pool_share)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn a, b;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&a), 0);
	int err;
	uint32_t n = open_until(&a, 2, many[0], &err);
	fprintf(stderr, "    task 42: %u UDP sockets, then %d\n", n, err);
	CHECK_EQ(n, CAP_UDP);
	CHECK_EQ(err, -24);
	struct sock_task_use u;
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.udp, CAP_UDP);
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock s;
	CHECK_EQ(nx_socket(&b, 2, 0, &s), 0);
	nx_sender = 42;
	CHECK_EQ(nx_close(&many[0][3]), 0);
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.udp, CAP_UDP - 1);
	CHECK_EQ(nx_socket(&a, 2, 0, &many[0][3]), 0);
	nx_disconnect(&a);
	CHECK(task_gone(42));
	nx_disconnect(&b);
	CHECK(task_gone(43));
	CHECK_EQ(nx_teardown(), 0);
}

/* F2 (TCP): two connections of one task share one cap; another task's
 * listener still accepts. Listeners have their own share. */
TEST(netd_caps_tcp_pool_share_per_task)
{
	CHECK_EQ(nx_setup(64u << 20), 0);
	struct nx_conn a[2], b;
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(nx_socket(&b, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7420), 0);
	CHECK_EQ(nx_listen(&lsn, 8), 0);
	nx_sender = 42;
	uint32_t n = 0;
	int err = 0;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(nx_connect(&a[i]), 0);
		n += open_until(&a[i], 1, many[i], &err);
	}
	fprintf(stderr, "    task 42: %u TCP sockets on two connections\n", n);
	CHECK_EQ(n, CAP_TCP);
	CHECK_EQ(err, -24);
	/* Its listeners: a share of the listen pool (ENOBUFS beyond). */
	uint32_t nl = 0;
	for (uint32_t i = 0; i < 40; i++) {
		struct nx_sock *s = &many[0][i];
		err = nx_listen(s, 4);
		if (err)
			break;
		nl++;
	}
	CHECK_EQ(nl, CAP_LISTEN);
	CHECK_EQ(err, -105);
	struct sock_task_use u;
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.listen, CAP_LISTEN);
	CHECK_EQ(u.tcp, CAP_TCP - CAP_LISTEN);
	nx_sender = 43;
	CHECK_EQ(nx_socket(&b, 1, 0, &cl), 0);
	CHECK_EQ(nx_connect_to(&cl, 7420), 0);
	nx_run(5);
	CHECK_EQ(nx_accept(&lsn, &sv, NULL), 0);
	CHECK(sock_task_usage(43, &u));
	CHECK_EQ(u.tcp, 2);
	CHECK_EQ(u.listen, 1);
	nx_disconnect(&a[0]);
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.listen, 0);
	nx_disconnect(&a[1]);
	CHECK(task_gone(42));
	nx_disconnect(&b);
	CHECK(task_gone(43));
	CHECK_EQ(nx_teardown(), 0);
}

/* F2: connections waiting on a listener and accepted ones count against
 * the listener's task: beyond its share they are reset, not queued. */
TEST(netd_caps_waiting_and_accepted_count)
{
	CHECK_EQ(nx_setup(64u << 20), 0);
	struct nx_conn s1, s2, c1;
	nx_sender = 43; /* a server with 200 idle sockets */
	CHECK_EQ(nx_connect(&s1), 0);
	CHECK_EQ(nx_connect(&s2), 0);
	for (uint32_t i = 0; i < NET_SOCKS_PER_CONN - 1; i++)
		CHECK_EQ(nx_socket(&s1, 1, 0, &many[0][i]), 0);
	/* The listener is the last socket of s1. */
	struct nx_sock *lsn = &many[0][NET_SOCKS_PER_CONN - 1];
	CHECK_EQ(nx_socket(&s1, 1, 0, lsn), 0);
	CHECK_EQ(nx_bind(lsn, 7421), 0);
	CHECK_EQ(nx_listen(lsn, 128), 0);
	for (uint32_t i = 200; i < NET_SOCKS_PER_CONN - 1; i++)
		CHECK_EQ(nx_close(&many[0][i]), 0);
	struct sock_task_use u;
	CHECK(sock_task_usage(43, &u));
	CHECK_EQ(u.tcp, 200);
	CHECK_EQ(u.listen, 1);
	/* Another task connects 100 times: 56 fit into 43's share. */
	nx_sender = 44;
	CHECK_EQ(nx_connect(&c1), 0);
	for (uint32_t i = 0; i < 100; i++) {
		CHECK_EQ(nx_socket(&c1, 1, 0, &many[1][i]), 0);
		CHECK_EQ(nx_connect_to(&many[1][i], 7421), 0);
	}
	nx_run(20);
	CHECK(sock_task_usage(43, &u));
	fprintf(stderr, "    server task: %u TCP pcbs, %u waiting\n", u.tcp,
		lsn->shm->accept_pending);
	CHECK_EQ(u.tcp, CAP_TCP);
	CHECK_EQ(lsn->shm->accept_pending, CAP_TCP - 200);
	/* Accepted ones keep the charge; a reset one gives it back. */
	uint32_t acc = 0;
	while (acc < 30 && !nx_accept(lsn, &many[2][acc], NULL))
		acc++;
	CHECK_EQ(acc, 30);
	CHECK(sock_task_usage(43, &u));
	CHECK_EQ(u.tcp, CAP_TCP);
	uint32_t refused = 0;
	for (uint32_t i = 0; i < 100; i++)
		refused += !!(nx_state(&many[1][i]) & NET_ST_CLOSED);
	CHECK_EQ(refused, 100 - (CAP_TCP - 200));
	nx_sender = 44;
	nx_disconnect(&c1); /* aborts: every connection of 43's is reset */
	nx_run(20);
	/* The waiting ones left the queue, the accepted ones were reset:
	 * sockets without a pcb, charged nothing. */
	CHECK(sock_task_usage(43, &u));
	CHECK_EQ(u.tcp, 200);
	CHECK_EQ(lsn->shm->accept_pending, 0);
	CHECK(nx_state(&many[2][0]) & NET_ST_CLOSED);
	nx_disconnect(&s1);
	nx_disconnect(&s2);
	CHECK(task_gone(43));
	CHECK(task_gone(44));
	CHECK_EQ(nx_teardown(), 0);
}

/* A pair on c: client *cl connected to a fresh listener, *sv accepted. */
static int pair(struct nx_conn *c, uint16_t port, struct nx_sock *lsn,
		struct nx_sock *cl, struct nx_sock *sv)
{
	if (nx_socket(c, 1, 0, lsn) || nx_bind(lsn, port) ||
	    nx_listen(lsn, 8) || nx_socket(c, 1, 0, cl) ||
	    nx_connect_to(cl, port))
		return -1;
	nx_run(5);
	return nx_accept(lsn, sv, NULL) ? -2 : 0;
}

static uint8_t junk[64 << 10];

/* F2/F3/F4: a socket closed with data its peer has not taken lingers
 * charged to its task (pcb, region, lwIP bytes) until it really goes. */
TEST(netd_caps_lingering_socket_stays_charged)
{
	CHECK_EQ(nx_setup(0), 0);
	struct nx_conn c;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&c), 0);
	struct nx_sock lsn, cl, sv;
	CHECK_EQ(pair(&c, 7422, &lsn, &cl, &sv), 0);
	for (int i = 0; i < 8; i++) {
		nx_write(&cl, junk, sizeof(junk));
		nx_run(5);
	}
	struct sock_task_use u0, u;
	CHECK(sock_task_usage(42, &u0));
	CHECK_EQ(u0.tcp, 2);
	CHECK(u0.lwip_tx > 0);
	CHECK_EQ(nx_close(&cl), 0);
	CHECK_EQ(nx_close(&lsn), 0);
	nx_run(5);
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.tcp, 2); /* cl lingers */
	CHECK_EQ(u.listen, 0);
	CHECK(u.lwip_tx > 0);
	CHECK(u.mem > u0.mem / 2);
	/* The peer reads: cl's data drains, cl goes. */
	static uint8_t buf[64 << 10];
	for (int t = 0; t < 200 && !(nx_state(&sv) & NET_ST_RX_EOF); t++) {
		while (nx_read(&sv, buf, sizeof(buf)))
			;
		nx_run(5);
	}
	CHECK(nx_state(&sv) & NET_ST_RX_EOF);
	nx_run(50);
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.tcp, 1);
	CHECK_EQ(u.lwip_tx, 0);
	struct sock_stats st;
	sock_get_stats(&st);
	CHECK_EQ(u.mem, st.mem_used);
	CHECK_EQ(st.socks, 1);
	nx_disconnect(&c);
	CHECK(task_gone(42));
	CHECK_EQ(nx_teardown(), 0);
}

/* F3: four connections of one task share one half of netd's memory. */
TEST(netd_caps_memory_share_per_task)
{
	CHECK_EQ(nx_setup(4u << 20), 0);
	struct nx_conn a[4], b;
	nx_sender = 42;
	uint32_t n = 0;
	int err;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(nx_connect(&a[i]), 0);
		n += open_until(&a[i], 1, many[i], &err);
	}
	struct sock_stats st;
	sock_get_stats(&st);
	fprintf(stderr, "    task 42: %u sockets, %llu of %llu bytes\n", n,
		(unsigned long long)st.mem_used,
		(unsigned long long)st.mem_limit);
	CHECK(st.mem_used <= st.mem_limit / 2);
	struct sock_task_use u;
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.mem, st.mem_used);
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock s;
	CHECK_EQ(nx_socket(&b, 1, 0, &s), 0);
	fprintf(stderr, "    task 43's socket: %u-byte rings\n", s.rx_size);
	for (int i = 0; i < 4; i++)
		nx_disconnect(&a[i]);
	CHECK(task_gone(42));
	nx_disconnect(&b);
	CHECK_EQ(nx_teardown(), 0);
}

/* F3: sockets closed with data left linger with their regions; those
 * stay in the task's share, so closing and reopening cannot take more
 * than half of netd's memory. */
TEST(netd_caps_lingering_regions_stay_in_the_share)
{
	CHECK_EQ(nx_setup(2u << 20), 0);
	struct nx_conn a;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&a), 0);
	struct nx_sock lsn, cl, sv[64];
	CHECK_EQ(nx_socket(&a, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7423), 0);
	CHECK_EQ(nx_listen(&lsn, 8), 0);
	uint64_t peak = 0;
	int i = 0;
	for (; i < 64; i++) {
		if (nx_socket(&a, 1, 0, &cl) || nx_connect_to(&cl, 7423))
			break;
		nx_run(3);
		if (nx_accept(&lsn, &sv[i], NULL))
			break;
		/* Until the peer's window and lwIP are full. */
		for (int k = 0, idle = 0; k < 200 && idle < 3; k++) {
			idle = nx_write(&cl, junk, sizeof(junk)) ? 0 : idle + 1;
			nx_run(1);
		}
		CHECK_EQ(nx_close(&cl), 0); /* lingers: sv never reads */
		struct sock_stats st;
		sock_get_stats(&st);
		if (st.mem_used > peak)
			peak = st.mem_used;
	}
	fprintf(stderr, "    %d pairs, peak %llu bytes of %u\n", i,
		(unsigned long long)peak, 2u << 20);
	CHECK(peak <= 1u << 20);
	nx_disconnect(&a);
	nx_run(10);
	CHECK(task_gone(42));
	CHECK_EQ(nx_teardown(), 0);
}

/* F4: one task's senders whose receivers never read keep at most its
 * share in lwIP's heap: another task's send never meets ERR_MEM, and
 * the stopped senders resume once their peers read. */
TEST(netd_caps_lwip_heap_share)
{
	CHECK_EQ(nx_setup(64u << 20), 0);
	enum { PAIRS = 64 };
	static struct nx_sock cl[PAIRS], sv[PAIRS];
	struct nx_conn a, b;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&a), 0);
	struct nx_sock lsn;
	CHECK_EQ(nx_socket(&a, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7424), 0);
	CHECK_EQ(nx_listen(&lsn, 64), 0);
	for (int i = 0; i < PAIRS; i++) {
		CHECK_EQ(nx_socket(&a, 1, 0, &cl[i]), 0);
		CHECK_EQ(nx_connect_to(&cl[i], 7424), 0);
		nx_run(2);
		CHECK_EQ(nx_accept(&lsn, &sv[i], NULL), 0);
	}
	static uint64_t sent[PAIRS];
	for (int round = 0; round < 12; round++) {
		for (int i = 0; i < PAIRS; i++)
			sent[i] += nx_write(&cl[i], junk, sizeof(junk));
		nx_run(5);
	}
	struct sock_task_use u;
	(void)sock_task_usage(42, &u);
	fprintf(stderr,
		"    task 42: %llu bytes in lwIP; heap %u of %u used, err %u\n",
		(unsigned long long)u.lwip_tx, (unsigned)lwip_stats.mem.used,
		(unsigned)lwip_stats.mem.avail, (unsigned)lwip_stats.mem.err);
	/* Another task: 32 KiB over a fresh connection, no ERR_MEM. */
	unsigned errs = (unsigned)lwip_stats.mem.err;
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock bl, bc, bs;
	CHECK_EQ(nx_socket(&b, 1, 0, &bl), 0);
	CHECK_EQ(nx_bind(&bl, 7425), 0);
	CHECK_EQ(nx_listen(&bl, 4), 0);
	CHECK_EQ(nx_socket(&b, 1, 0, &bc), 0);
	CHECK_EQ(nx_connect_to(&bc, 7425), 0);
	nx_run(5);
	CHECK_EQ(nx_accept(&bl, &bs, NULL), 0);
	static uint8_t out[32 << 10], in[32 << 10];
	for (uint32_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7u + 1u);
	CHECK_EQ(nx_write(&bc, out, sizeof(out)), sizeof(out));
	uint32_t got = 0;
	for (int t = 0; t < 20 && got < sizeof(in); t++) {
		nx_run(5);
		got += nx_read(&bs, in + got, sizeof(in) - got);
	}
	fprintf(stderr, "    the other task got %u bytes, %u new ERR_MEM\n",
		got, (unsigned)lwip_stats.mem.err - errs);
	CHECK_EQ(got, sizeof(out));
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	CHECK_EQ((unsigned)lwip_stats.mem.err, errs);
	CHECK(lwip_stats.mem.used <= 2 * HEAP_SHARE);
	CHECK(sock_task_usage(42, &u));
	CHECK(u.lwip_tx <= HEAP_SHARE);
	CHECK(u.lwip_tx >= HEAP_SHARE - (64u << 10));
	/* Task 42's receivers read: every byte written arrives. */
	static uint8_t buf[64 << 10];
	static uint64_t rcvd[PAIRS];
	bool all = false;
	for (int t = 0; t < 2000 && !all; t++) {
		all = true;
		for (int i = 0; i < PAIRS; i++) {
			rcvd[i] += nx_read(&sv[i], buf, sizeof(buf));
			all = all && rcvd[i] == sent[i];
		}
		nx_run(1);
	}
	CHECK(all);
	CHECK(sock_task_usage(42, &u));
	CHECK_EQ(u.lwip_tx, 0);
	nx_disconnect(&a);
	nx_disconnect(&b);
	CHECK(task_gone(42));
	CHECK(task_gone(43));
	CHECK_EQ(nx_teardown(), 0);
}

/* Received data netd copies out of lwIP (chunks, 8 MiB in all): one
 * task's receivers that never read take at most a quarter, so another
 * task's connection still gets chunks rather than lwIP's refusal. */
TEST(netd_caps_rx_chunks_share)
{
	CHECK_EQ(nx_setup(4u << 20), 0); /* smallest rings: all in chunks */
	enum { PAIRS = 72 };
	static struct nx_sock cl[PAIRS], sv[PAIRS];
	struct nx_conn a, b;
	nx_sender = 42;
	CHECK_EQ(nx_connect(&a), 0);
	struct nx_sock lsn;
	CHECK_EQ(nx_socket(&a, 1, 0, &lsn), 0);
	CHECK_EQ(nx_bind(&lsn, 7426), 0);
	CHECK_EQ(nx_listen(&lsn, 64), 0);
	for (int i = 0; i < PAIRS; i++) {
		CHECK_EQ(nx_socket(&a, 1, 0, &cl[i]), 0);
		CHECK_EQ(nx_connect_to(&cl[i], 7426), 0);
		nx_run(2);
		CHECK_EQ(nx_accept(&lsn, &sv[i], NULL), 0);
	}
	for (int round = 0; round < 80; round++) {
		for (int i = 0; i < PAIRS; i++)
			nx_write(&cl[i], junk, sizeof(junk));
		nx_run(2);
	}
	struct sock_task_use u;
	(void)sock_task_usage(42, &u);
	fprintf(stderr, "    task 42: %llu bytes of received chunks\n",
		(unsigned long long)u.rxbuf);
	/* Another task: 256 KiB to a receiver that reads only later. */
	nx_sender = 43;
	CHECK_EQ(nx_connect(&b), 0);
	struct nx_sock bl, bc, bs;
	CHECK_EQ(nx_socket(&b, 1, 0, &bl), 0);
	CHECK_EQ(nx_bind(&bl, 7427), 0);
	CHECK_EQ(nx_listen(&bl, 4), 0);
	CHECK_EQ(nx_socket(&b, 1, 0, &bc), 0);
	CHECK_EQ(nx_connect_to(&bc, 7427), 0);
	nx_run(5);
	CHECK_EQ(nx_accept(&bl, &bs, NULL), 0);
	for (int k = 0; k < 4; k++) {
		nx_write(&bc, junk, sizeof(junk));
		nx_run(5);
	}
	struct sock_task_use ub;
	CHECK(sock_task_usage(43, &ub));
	fprintf(stderr, "    task 43: %llu bytes of received chunks\n",
		(unsigned long long)ub.rxbuf);
	CHECK(ub.rxbuf > 0);
	CHECK(sock_task_usage(42, &u));
	CHECK(u.rxbuf <= (8u << 20) / 4);
	CHECK(u.rxbuf >= (8u << 20) / 4 - (256u << 10));
	nx_disconnect(&a);
	CHECK(task_gone(42));
	nx_disconnect(&b);
	CHECK(task_gone(43));
	CHECK_EQ(nx_teardown(), 0);
}
