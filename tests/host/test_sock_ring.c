/* The runtime's socket rings (libs/runtime/sock_ring.c) against a fake
 * netd (sock_fake.h): attach checks, byte streams and records both ways
 * with wrap-around (counters also crossing 2^64), peek, EAGAIN/EMSGSIZE,
 * readiness, and netd breaking the protocol (counters and record headers
 * out of range, random garbage): EIO and a dead socket, never a read or
 * write outside the region (ASan). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "harness.h"
#include "sock_fake.h"

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static struct net_addr addr4(uint32_t ip, uint16_t port)
{
	struct net_addr a = {.family = AF_INET, .port = htons(port)};
	uint32_t n = htonl(ip);
	memcpy(a.addr, &n, 4);
	return a;
}

TEST(sock_ring_attach_checks_the_region)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 8192, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	CHECK_EQ(rtsr_tx_room(&s), 8192);
	CHECK_EQ(rtsr_rx_fill(&s), 0);
	/* The mapping shorter than the rings. */
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size - 1, &f.info, false), -EIO);
	CHECK(s.bad);
	struct net_sock_info bad = f.info;
	bad.rx_size = 3000; /* not a power of two */
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &bad, false), -EIO);
	bad = f.info;
	bad.rx_size = 2048; /* below NET_RING_MIN */
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &bad, false), -EIO);
	bad = f.info;
	bad.shm_size = 4096;
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &bad, false), -EIO);
	bad = f.info;
	bad.tx_size = 4096; /* disagrees with the header */
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &bad, false), -EIO);
	fake_shm(&f)->magic = 0;
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), -EIO);
	fake_shm(&f)->magic = NET_SHM_MAGIC;
	fake_shm(&f)->version = 99;
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), -EIO);
	fake_shm(&f)->version = NET_PROTO_VERSION;
	fake_shm(&f)->rx_head = 5000; /* more than the ring holds */
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), -EIO);
	CHECK_EQ(rtsr_read(&s, NULL, 0, 0, false), -EIO);
	fake_free(&f);
}

/* Random bytes both ways through small rings: every byte arrives in
 * order, across many wraps; counters start just below 2^64. */
static void stream_round(uint64_t start)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 4096, start);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	static uint8_t src[300000], got[300000], tmp[9000];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)rnd();
	size_t sent = 0, recvd = 0; /* client -> netd */
	size_t put = 0, read = 0;   /* netd -> client */
	while (recvd < sizeof(src) || read < sizeof(src)) {
		/* client writes with a random iovec split and skip */
		size_t want = rnd() % 7000;
		if (want > sizeof(src) - sent)
			want = sizeof(src) - sent;
		size_t skip = rnd() % 3;
		if (skip > sent)
			skip = 0;
		size_t a = want ? rnd() % want : 0;
		struct iovec iov[3] = {
			{.iov_base = src + sent - skip, .iov_len = a / 2},
			{.iov_base = src + sent - skip + a / 2,
			 .iov_len = a - a / 2},
			{.iov_base = src + sent - skip + a,
			 .iov_len = want - a + skip},
		};
		long w = rtsr_write(&s, iov, 3, skip);
		CHECK(w >= 0 && (size_t)w <= want);
		sent += (size_t)w;
		CHECK_EQ(rtsr_tx_room(&s), 4096 - (fake_shm(&f)->tx_head -
						   fake_shm(&f)->tx_tail));
		recvd += fake_stream_take(&f, got + recvd, rnd() % 5000);
		/* netd writes, client reads (peeking now and then) */
		size_t n = rnd() % 6000;
		if (n > sizeof(src) - put)
			n = sizeof(src) - put;
		put += fake_stream_put(&f, src + put, n);
		size_t cap = rnd() % sizeof(tmp);
		struct iovec r[2] = {
			{.iov_base = tmp, .iov_len = cap / 3},
			{.iov_base = tmp + cap / 3, .iov_len = cap - cap / 3}};
		bool peek = rnd() % 4 == 0;
		long fill = rtsr_rx_fill(&s);
		long k = rtsr_read(&s, r, 2, 0, peek);
		CHECK(k >= 0 && (size_t)k <= cap && k <= fill);
		CHECK(memcmp(tmp, src + read, (size_t)k) == 0);
		if (!peek)
			read += (size_t)k;
		CHECK_EQ(fake_shm(&f)->rx_tail, start + read);
	}
	CHECK(memcmp(got, src, sizeof(src)) == 0);
	CHECK(!s.bad);
	fake_free(&f);
}

TEST(sock_ring_stream_both_ways_with_wraps)
{
	stream_round(0);
	stream_round(UINT64_MAX - 10000); /* the counters cross 2^64 */
}

TEST(sock_ring_stream_full_and_empty)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 4096, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	static uint8_t big[10000];
	struct iovec v = {.iov_base = big, .iov_len = sizeof(big)};
	CHECK_EQ(rtsr_write(&s, &v, 1, 0), 4096);
	CHECK_EQ(rtsr_write(&s, &v, 1, 0), 0); /* full: nothing, no error */
	CHECK_EQ(rtsr_tx_room(&s), 0);
	CHECK_EQ(rtsr_read(&s, &v, 1, 0, false), 0); /* empty */
	CHECK_EQ(rtsr_write(&s, &v, 1, sizeof(big) + 1), -EINVAL);
	fake_free(&f);

	/* Reading on into the iovecs (MSG_WAITALL): skip what is filled. */
	fake_init(&f, 4096, 4096, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	char a[3] = "..", b[5] = "....";
	struct iovec two[2] = {{.iov_base = a, .iov_len = 2},
			       {.iov_base = b, .iov_len = 4}};
	CHECK_EQ(fake_stream_put(&f, "xy", 2), 2);
	CHECK_EQ(rtsr_read(&s, two, 2, 0, false), 2);
	CHECK_EQ(fake_stream_put(&f, "z12345", 6), 6);
	CHECK_EQ(rtsr_read(&s, two, 2, 3, false), 3); /* b[1..3] */
	STR_EQ(a, "xy");
	STR_EQ(b, ".z12");
	CHECK_EQ(rtsr_rx_fill(&s), 3);
	fake_free(&f);
}

/* Records both ways, random sizes up to the maximum: each arrives whole
 * with its address; WRAP markers at the ring's end are skipped. */
static void dgram_round(uint64_t start)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 8192, 4096, start);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, true), 0);
	CHECK_EQ(rtsr_rec_max(&s), 4096 / 2 - SR_REC_HDR);
	static uint8_t buf[5000], out[5000], in[5000];
	uint32_t next_tx = 0, next_take = 0, next_put = 0, next_read = 0;
	for (int round = 0; round < 20000; round++) {
		/* client -> netd */
		uint32_t len = rnd() % (rtsr_rec_max(&s) + 1);
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(next_tx * 31 + i);
		struct iovec v[2] = {
			{.iov_base = buf, .iov_len = len / 2},
			{.iov_base = buf + len / 2, .iov_len = len - len / 2}};
		struct net_addr to = addr4(0x7f000001, (uint16_t)next_tx);
		long fits = rtsr_rec_fits(&s, len);
		long w = rtsr_rec_write(&s, v, 2, len, &to);
		CHECK(w == (long)len || w == -EAGAIN);
		CHECK_EQ(fits, w == (long)len);
		if (w >= 0)
			next_tx++;
		if (rnd() % 3) {
			struct net_addr a;
			long k = fake_rec_take(&f, out, sizeof(out), &a);
			CHECK(k != -2);
			if (k >= 0) {
				for (long i = 0; i < k; i++)
					CHECK_EQ(out[i],
						 (uint8_t)(next_take * 31 + i));
				CHECK_EQ(ntohs(a.port), (uint16_t)next_take);
				next_take++;
			}
		}
		/* netd -> client */
		uint32_t plen = rnd() % 3000;
		for (uint32_t i = 0; i < plen; i++)
			buf[i] = (uint8_t)(next_put * 7 + i);
		struct net_addr from = addr4(0x0a000002, (uint16_t)next_put);
		if (fake_rec_put(&f, buf, plen, &from))
			next_put++;
		if (rnd() % 3) {
			uint32_t cap = rnd() % 3500;
			struct iovec r = {.iov_base = in, .iov_len = cap};
			struct net_addr a;
			bool peek = rnd() % 5 == 0;
			long k = rtsr_rec_read(&s, &r, 1, &a, peek);
			CHECK(k >= 0 || k == -EAGAIN);
			if (k >= 0) {
				uint32_t n =
					(uint32_t)k < cap ? (uint32_t)k : cap;
				for (uint32_t i = 0; i < n; i++)
					CHECK_EQ(in[i],
						 (uint8_t)(next_read * 7 + i));
				CHECK_EQ(ntohs(a.port), (uint16_t)next_read);
				if (!peek)
					next_read++;
			}
		}
	}
	CHECK(next_take > 1000 && next_read > 1000);
	CHECK(!s.bad);
	/* An oversized record. */
	struct iovec v = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct net_addr to = addr4(1, 1);
	CHECK_EQ(rtsr_rec_write(&s, &v, 1, rtsr_rec_max(&s) + 1, &to),
		 -EMSGSIZE);
	fake_free(&f);
}

TEST(sock_ring_records_both_ways_with_wraps)
{
	dgram_round(0);
	dgram_round((UINT64_MAX - 3000) & ~7ull); /* records: 8-aligned */
}

/* The largest record fits an empty ring whatever the head's offset. */
TEST(sock_ring_largest_record_always_fits_an_empty_ring)
{
	static uint8_t buf[4096];
	for (uint32_t off = 0; off < 4096; off += 8) {
		struct fake_region f;
		struct rtsr_sock s;
		fake_init(&f, 4096, 4096, off);
		CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, true), 0);
		struct iovec v = {.iov_base = buf, .iov_len = rtsr_rec_max(&s)};
		struct net_addr to = addr4(1, 2);
		CHECK_EQ(rtsr_rec_write(&s, &v, 1, v.iov_len, &to),
			 (long)v.iov_len);
		CHECK_EQ(fake_rec_take(&f, buf, sizeof(buf), &to),
			 (long)v.iov_len);
		fake_free(&f);
	}
}

static long hostile_rx(uint32_t len, uint32_t fill, uint32_t off,
		       bool wrap_first)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 4096, off);
	if (rtsr_attach(&s, f.base, f.shm_size, &f.info, true))
		return -100;
	uint32_t o = off & 4095;
	if (wrap_first) {
		uint32_t w = NET_DGRAM_WRAP;
		memcpy(fake_rx(&f) + o, &w, 4);
	} else {
		struct net_dgram h = {.len = len};
		memcpy(fake_rx(&f) + o, &h,
		       o + sizeof(h) <= 4096 ? sizeof(h) : 4);
	}
	fake_shm(&f)->rx_head = off + fill;
	uint8_t b[64];
	struct iovec v = {.iov_base = b, .iov_len = sizeof(b)};
	long r = rtsr_rec_read(&s, &v, 1, NULL, false);
	long r2 = rtsr_rec_read(&s, &v, 1, NULL, false);
	fake_free(&f);
	if (r == -EIO && r2 != -EIO)
		return -101; /* bad must stick */
	return r;
}

TEST(sock_ring_hostile_records_are_eio)
{
	CHECK_EQ(hostile_rx(8, 40, 0, false), 8);	  /* sane */
	CHECK_EQ(hostile_rx(8, 39, 0, false), -EIO);	  /* short fill */
	CHECK_EQ(hostile_rx(5000, 4096, 0, false), -EIO); /* len > ring */
	CHECK_EQ(hostile_rx(0xfffffff0u, 4096, 0, false), -EIO);
	CHECK_EQ(hostile_rx(8, 40, 4088, false), -EIO);	   /* header cut */
	CHECK_EQ(hostile_rx(100, 200, 4000, false), -EIO); /* past end */
	CHECK_EQ(hostile_rx(0, 4, 0, false), -EIO);	   /* fill < hdr */
	CHECK_EQ(hostile_rx(0, 4097, 0, false), -EIO);	   /* fill > ring */
	CHECK_EQ(hostile_rx(0, 8, 4088, true), -EAGAIN);   /* wrap, empty */
	CHECK_EQ(hostile_rx(0, 4, 4088, true), -EIO);	   /* wrap unpaid */
	CHECK_EQ(hostile_rx(0, 4096, 0, true), -EIO);	   /* wrap at 0 */
}

TEST(sock_ring_hostile_counters_are_eio)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 4096, 1000);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	uint8_t b[16] = {0};
	struct iovec v = {.iov_base = b, .iov_len = sizeof(b)};
	CHECK_EQ(rtsr_write(&s, &v, 1, 0), 16);
	fake_shm(&f)->tx_tail = 2000; /* past what we produced */
	CHECK_EQ(rtsr_write(&s, &v, 1, 0), -EIO);
	CHECK_EQ(rtsr_read(&s, &v, 1, 0, false), -EIO); /* dead for good */
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN | POLLOUT | POLLERR | POLLHUP);
	fake_free(&f);

	fake_init(&f, 4096, 4096, 1000);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	fake_shm(&f)->rx_head = 999; /* behind our tail */
	CHECK_EQ(rtsr_rx_fill(&s), -EIO);
	fake_free(&f);

	/* netd scribbling over OUR counters changes nothing: we keep ours. */
	fake_init(&f, 4096, 4096, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	fake_stream_put(&f, "abcdef", 6);
	fake_shm(&f)->rx_tail = 12345678;
	fake_shm(&f)->tx_head = 999999;
	CHECK_EQ(rtsr_rx_fill(&s), 6);
	CHECK_EQ(rtsr_tx_room(&s), 4096);
	fake_free(&f);
}

/* Random region contents and counters: whatever netd does, calls end in
 * a result within bounds or EIO (ASan watches the copies). */
TEST(sock_ring_random_garbage_from_netd)
{
	static uint8_t b[9000];
	for (int round = 0; round < 3000; round++) {
		struct fake_region f;
		struct rtsr_sock s;
		bool dgram = round & 1;
		fake_init(&f, 4096, 4096, (uint64_t)rnd() << 3);
		CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, dgram),
			 0);
		for (int step = 0; step < 20; step++) {
			for (int k = 0; k < 8; k++)
				fake_rx(&f)[rnd() % 4096] = (uint8_t)rnd();
			if (rnd() % 3 == 0) {
				uint32_t l = rnd() % 5000;
				memcpy(fake_rx(&f) + (rnd() % 512) * 8, &l, 4);
			}
			struct net_shm *sh = fake_shm(&f);
			switch (rnd() % 4) {
			case 0:
				sh->rx_head += rnd() % 600;
				break;
			case 1:
				sh->tx_tail += rnd() % 100;
				break;
			case 2:
				sh->rx_head = ((uint64_t)rnd() << 32) | rnd();
				break;
			default:
				sh->state = rnd();
			}
			struct iovec v = {.iov_base = b,
					  .iov_len = rnd() % sizeof(b)};
			long r;
			if (dgram) {
				struct net_addr a;
				r = rtsr_rec_read(&s, &v, 1, &a, rnd() & 1);
				CHECK(r == -EIO || r == -EAGAIN ||
				      (r >= 0 && r <= 4096));
				struct net_addr to = addr4(1, 1);
				size_t n = rnd() % 2100;
				r = rtsr_rec_write(
					&s, &v, 1,
					n < v.iov_len ? n : v.iov_len, &to);
				CHECK(r == -EIO || r == -EAGAIN ||
				      r == -EMSGSIZE || r >= 0);
			} else {
				r = rtsr_read(&s, &v, 1, 0, rnd() & 1);
				CHECK(r == -EIO || (r >= 0 && r <= 4096));
				r = rtsr_write(&s, &v, 1, 0);
				CHECK(r == -EIO || (r >= 0 && r <= 4096));
			}
			rtsr_poll(&s, rnd() & 15);
		}
		fake_free(&f);
	}
}

TEST(sock_ring_poll_follows_the_state)
{
	struct fake_region f;
	struct rtsr_sock s;
	fake_init(&f, 4096, 4096, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, false), 0);
	struct net_shm *sh = fake_shm(&f);
	/* Fresh: nothing will come. */
	CHECK_EQ(rtsr_poll(&s, 0), POLLOUT | POLLHUP);
	CHECK_EQ(rtsr_poll(&s, SR_L_CONNECTING), 0);
	sh->state = NET_ST_CONNECTING;
	CHECK_EQ(rtsr_poll(&s, 0), 0);
	sh->state = NET_ST_CONNECTED;
	CHECK_EQ(rtsr_poll(&s, 0), POLLOUT);
	fake_stream_put(&f, "x", 1);
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN | POLLOUT);
	CHECK_EQ(rtsr_poll(&s, SR_L_SHUT_WR), POLLIN);
	sh->state = NET_ST_CONNECTED | NET_ST_RX_EOF;
	CHECK_EQ(rtsr_poll(&s, SR_L_SHUT_WR), POLLIN | POLLRDHUP | POLLHUP);
	sh->state = NET_ST_ERROR | NET_ST_CLOSED;
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN | POLLOUT | POLLERR | POLLHUP);
	sh->state = NET_ST_LISTENING;
	CHECK_EQ(rtsr_poll(&s, 0), 0);
	sh->accept_pending = 1;
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN);
	CHECK_EQ(rtsr_poll(&s, SR_L_DEAD),
		 POLLIN | POLLOUT | POLLERR | POLLHUP);
	/* Full tx: no POLLOUT. */
	sh->state = NET_ST_CONNECTED;
	sh->accept_pending = 0;
	static uint8_t big[4096];
	struct iovec v = {.iov_base = big, .iov_len = sizeof(big)};
	CHECK_EQ(rtsr_write(&s, &v, 1, 0), 4096);
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN);
	fake_free(&f);

	fake_init(&f, 4096, 4096, 0);
	CHECK_EQ(rtsr_attach(&s, f.base, f.shm_size, &f.info, true), 0);
	CHECK_EQ(rtsr_poll(&s, 0), POLLOUT);
	struct net_addr a = addr4(1, 1);
	CHECK(fake_rec_put(&f, "hi", 2, &a));
	CHECK_EQ(rtsr_poll(&s, 0), POLLIN | POLLOUT);
	fake_free(&f);
}

TEST(sock_ring_addresses)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(80),
				 .sin_addr.s_addr = htonl(0x7f000001)};
	struct net_addr a;
	CHECK_EQ(rtsr_addr_from(&in, sizeof(in), &a, false), 0);
	CHECK_EQ(a.family, AF_INET);
	CHECK_EQ(a.port, htons(80));
	CHECK_EQ(a.addr[0], 127);
	CHECK_EQ(a.addr[3], 1);
	CHECK_EQ(rtsr_addr_from(&in, sizeof(in) - 1, &a, false), -EINVAL);
	CHECK_EQ(rtsr_addr_from(NULL, 16, &a, false), -EINVAL);
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(7),
				   .sin6_scope_id = 3};
	in6.sin6_addr.s6_addr[15] = 1;
	CHECK_EQ(rtsr_addr_from(&in6, sizeof(in6), &a, false), 0);
	CHECK_EQ(a.family, AF_INET6);
	CHECK_EQ(a.scope, 3);
	CHECK_EQ(a.addr[15], 1);
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK_EQ(rtsr_addr_from(&un, sizeof(un), &a, false), -EAFNOSUPPORT);
	un.sa_family = AF_UNSPEC;
	CHECK_EQ(rtsr_addr_from(&un, sizeof(un), &a, false), -EAFNOSUPPORT);
	CHECK_EQ(rtsr_addr_from(&un, sizeof(un), &a, true), 0);
	CHECK_EQ(a.family, AF_UNSPEC);

	/* Back: truncated to the caller's length, full length reported. */
	struct sockaddr_in out;
	uint32_t len = sizeof(out);
	struct net_addr b = addr4(0x0a000205, 5353);
	rtsr_addr_to(&b, &out, &len);
	CHECK_EQ(len, sizeof(out));
	CHECK_EQ(out.sin_family, AF_INET);
	CHECK_EQ(ntohs(out.sin_port), 5353);
	CHECK_EQ(ntohl(out.sin_addr.s_addr), 0x0a000205);
	uint8_t small[4] = {0xee, 0xee, 0xee, 0xee};
	len = 2;
	rtsr_addr_to(&b, small, &len);
	CHECK_EQ(len, sizeof(struct sockaddr_in));
	CHECK_EQ(small[2], 0xee);
	struct sockaddr_in6 o6;
	len = sizeof(o6);
	rtsr_addr_to(&a, &o6, &len);
	CHECK_EQ(len, sizeof(sa_family_t));
}
