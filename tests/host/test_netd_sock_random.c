/* netd's socket service under a random client: thousands of steps of
 * requests with random arguments, ring writes and reads, counters and
 * records scribbled with plausible and implausible values, answers that
 * find the caller gone, connections that end mid-way. Whatever happens
 * netd must not crash or trip ASan/UBSan, must keep its memory within
 * its bound, and must end with nothing left (handles, regions, lwIP's
 * pcbs and buffers). Fixed seeds, so a failure repeats. */
#include <string.h>

#include "harness.h"
#include "netd_sock_fix.h"

#define NS 24

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static uint64_t scribble(const struct nx_sock *s, uint64_t cur, uint32_t size)
{
	switch (rnd(6)) {
	case 0:
		return cur + rnd(size + 2);
	case 1:
		return cur - rnd(16);
	case 2:
		return ~0ull - rnd(4);
	case 3:
		return cur + size + rnd(4);
	case 4:
		return (uint64_t)rnd(1u << 31) << rnd(32);
	}
	(void)s;
	return cur + 8u * rnd(8);
}

static void one_run(uint64_t seed, int steps)
{
	rng = seed;
	struct nx_conn c[2];
	bool up[2] = {false, false};
	struct nx_sock s[2][NS];
	bool live[2][NS];
	memset(live, 0, sizeof(live));
	static uint8_t buf[70000];
	for (int step = 0; step < steps; step++) {
		int k = (int)rnd(2);
		if (!up[k]) {
			/* c[1] has the raw right, c[0] gets EPERM for raw. */
			if (nx_connect_via(&c[k], k ? NX_RAW_BADGE
						    : NX_PUBLIC_BADGE) == 0)
				up[k] = true;
			continue;
		}
		int i = (int)rnd(NS);
		struct nx_sock *x = &s[k][i];
		uint16_t port = (uint16_t)(8000 + rnd(6));
		switch (rnd(16)) {
		case 0:
		case 1:
			if (!live[k][i]) {
				uint32_t type = 1 + rnd(3);
				uint32_t proto = type == 3 ? 1
						 : rnd(2)  ? 0
							   : 17;
				if (rnd(20) == 0)
					nx_reply_fails = true;
				int e = nx_socket(&c[k], type, proto, x);
				nx_reply_fails = false;
				live[k][i] = e == 0 && x->shm;
			}
			break;
		case 2:
			if (live[k][i])
				nx_bind(x, port);
			break;
		case 3:
			if (live[k][i])
				nx_listen(x, rnd(4));
			break;
		case 4:
			if (live[k][i])
				nx_connect_to(x, port);
			break;
		case 5:
			if (live[k][i]) {
				int j = (int)rnd(NS);
				if (!live[k][j] &&
				    nx_accept(x, &s[k][j], NULL) == 0)
					live[k][j] = true;
			}
			break;
		case 6:
			if (live[k][i] && rnd(3) == 0) {
				nx_close(x);
				live[k][i] = false;
			}
			break;
		case 7:
			if (live[k][i]) {
				uint32_t v[5];
				for (int b = 0; b < 5; b++)
					v[b] = rnd(3) ? rnd(70000)
						      : (uint32_t)-1;
				nx_req(&c[k], NET_SETSOCKOPT, x->id, rnd(8),
				       rnd(40), 0, v, rnd(sizeof(v) + 1), NULL);
				nx_req(&c[k], NET_GETSOCKOPT, x->id, rnd(8),
				       rnd(40), 0, NULL, 0, NULL);
			}
			break;
		case 8:
		case 9:
			if (live[k][i]) {
				uint32_t n = rnd(sizeof(buf));
				memset(buf, (int)step, n);
				if (x->type == 1) {
					nx_write(x, buf, n);
				} else {
					struct net_addr a =
						nx_addr(127, 0, 0, 1, port);
					nx_sendto(x, buf, n % 2000,
						  rnd(4) ? &a : NULL);
				}
			}
			break;
		case 10:
		case 11:
			if (live[k][i]) {
				if (x->type == 1)
					nx_read(x, buf, rnd(sizeof(buf)));
				else
					nx_recvfrom(x, buf, sizeof(buf), NULL);
			}
			break;
		case 12:
			if (live[k][i] && rnd(4) == 0) {
				/* The client lies. */
				if (rnd(2))
					x->shm->tx_head = scribble(
						x, x->shm->tx_head, x->tx_size);
				else
					x->shm->rx_tail = scribble(
						x, x->shm->rx_tail, x->rx_size);
				if (rnd(2)) {
					uint32_t off =
						rnd(x->tx_size - 8) & ~7u;
					uint32_t v = rnd(3) ? rnd(1u << 17)
							    : NET_DGRAM_WRAP;
					memcpy(x->tx + off, &v, 4);
				}
				nx_doorbell(&c[k]);
			}
			break;
		case 13:
			if (live[k][i]) {
				nx_req(&c[k], NET_SHUTDOWN, x->id, rnd(4), 0, 0,
				       NULL, 0, NULL);
				nx_req(&c[k], NET_GETNAME, x->id, rnd(3), 0, 0,
				       NULL, 0, NULL);
			}
			break;
		case 14: {
			/* Random bytes as a request. */
			uint8_t raw[64];
			for (uint32_t b = 0; b < sizeof(raw); b++)
				raw[b] = (uint8_t)rnd(256);
			struct net_req q;
			memcpy(&q, raw, sizeof(q));
			q.op = rnd(16);
			if (q.op == NET_CLOSE) /* the model would lose track */
				q.op = NET_GETNAME;
			q.sock = live[k][i] && rnd(2) ? x->id : q.sock;
			q.len = rnd(3) ? (uint32_t)(sizeof(raw) - sizeof(q))
				       : q.len;
			memcpy(raw, &q, sizeof(q));
			handle_t r = 0;
			nx_req(&c[k], q.op, q.sock, q.a, q.b, q.c,
			       raw + sizeof(q), q.len < 40 ? q.len : 40, &r);
			break;
		}
		case 15:
			if (rnd(30) == 0) {
				nx_disconnect(&c[k]);
				up[k] = false;
				memset(live[k], 0, sizeof(live[k]));
			}
			break;
		}
		nx_run(1 + rnd(3));
		struct sock_stats st;
		sock_get_stats(&st);
		if (st.mem_used > st.mem_limit) {
			CHECK(st.mem_used <= st.mem_limit);
			return;
		}
	}
	struct sock_stats st;
	sock_get_stats(&st);
	printf("    seed %#llx: %llu bytes in, %llu out, %llu hostile, %llu "
	       "refused\n",
	       (unsigned long long)seed, (unsigned long long)st.rx_bytes,
	       (unsigned long long)st.tx_bytes, (unsigned long long)st.hostile,
	       (unsigned long long)st.refused);
	for (int k = 0; k < 2; k++)
		if (up[k])
			nx_disconnect(&c[k]);
}

TEST(netd_sock_random_client)
{
	static const uint64_t seeds[] = {0x9e3779b97f4a7c15ull, 12345, 777,
					 0xdeadbeef};
	for (unsigned n = 0; n < sizeof(seeds) / sizeof(seeds[0]); n++) {
		CHECK_EQ(nx_setup(n == 3 ? (1u << 20) : 0), 0);
		one_run(seeds[n], 4000);
		int left = nx_teardown();
		if (left)
			fprintf(stderr, "    seed %#llx\n",
				(unsigned long long)seeds[n]);
		CHECK_EQ(left, 0);
	}
}
