/* libnetring between two honest sides sharing one region: the initial
 * ownership, frames both ways with their bytes, the indices wrapping past
 * 2^32, refused calls that change nothing, a random model run and two
 * threads streaming concurrently. test_netring_hostile.c has the broken
 * peers. */
#include <execrt/errors.h>
#include <netring/netring.h>
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"

#define NS  16
#define NRX 8

static uint8_t *region;
static size_t rsize;
static struct netring D, N; /* driver, netd */

static int pair(uint32_t nslots, uint32_t nrx)
{
	free(region);
	rsize = netring_region_size(nslots);
	region = aligned_alloc(4096, rsize);
	if (!region)
		return -1;
	memset(region, 0xa5, rsize); /* formatting must not rely on zeroes */
	if (netring_format(region, rsize, nslots, nrx))
		return -1;
	if (netring_open(&D, region, rsize, nslots, nrx, NETRING_DRIVER))
		return -1;
	return netring_open(&N, region, rsize, nslots, nrx, NETRING_NETD);
}

TEST(netring_geometry_checks)
{
	size_t sz = netring_region_size(64);
	CHECK_EQ(sz, NETDEV_SLOTS_OFFSET + 64 * 2048);
	CHECK_EQ(netring_check_geometry(64, 32, sz), 0);
	CHECK_EQ(netring_check_geometry(64, 32, sz - 1), ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(48, 32, sz), ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(1, 0, sz), ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(64, 0, sz), ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(64, 64, sz), ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(2048, 32, (size_t)1 << 30),
		 ERR_INVALID_ARGS);
	CHECK_EQ(netring_check_geometry(1024, 512, netring_region_size(1024)),
		 0);
}

TEST(netring_open_checks_the_header)
{
	CHECK_EQ(pair(NS, NRX), 0);
	struct netring x;
	/* geometry differing from the attach message */
	CHECK_EQ(netring_open(&x, region, rsize, NS, NRX + 1, NETRING_NETD),
		 ERR_INVALID_ARGS);
	CHECK_EQ(netring_open(&x, region, rsize, NS * 2, NRX, NETRING_NETD),
		 ERR_INVALID_ARGS);
	struct netdev_header *h = (void *)region;
	h->magic ^= 1;
	CHECK_EQ(netring_open(&x, region, rsize, NS, NRX, NETRING_NETD),
		 ERR_INVALID_ARGS);
	h->magic ^= 1;
	h->version = 2;
	CHECK_EQ(netring_open(&x, region, rsize, NS, NRX, NETRING_NETD),
		 ERR_INVALID_ARGS);
	h->version = NETDEV_PROTO_VERSION;
	CHECK_EQ(netring_open(&x, region, rsize, NS, NRX, 7), ERR_INVALID_ARGS);
	CHECK_EQ(netring_open(&x, region, rsize, NS, NRX, NETRING_NETD), 0);
}

TEST(netring_initial_ownership)
{
	CHECK_EQ(pair(NS, NRX), 0);
	for (uint32_t s = 0; s < NS; s++) {
		CHECK_EQ(netring_owns(&D, s), s < NRX);
		CHECK_EQ(netring_owns(&N, s), s >= NRX);
	}
	CHECK(!netring_owns(&D, NS));
	CHECK(!netring_link(&N));
	netring_set_link(&D, true);
	CHECK(netring_link(&N));
	netring_set_link(&D, false);
	CHECK(!netring_link(&N));
}

TEST(netring_frames_both_ways)
{
	CHECK_EQ(pair(NS, NRX), 0);
	struct netdev_ent e;
	/* receive: the driver fills slot 3, netd reads and frees it */
	memset(netring_slot(&D, 3), 0x33, 60);
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 0);
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, 3, 60), 0);
	CHECK(!netring_owns(&D, 3));
	CHECK_EQ(netring_avail(&N, NETRING_RX_READY), 1);
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 1);
	CHECK_EQ(e.slot, 3);
	CHECK_EQ(e.len, 60);
	CHECK(netring_owns(&N, 3));
	CHECK_EQ(((uint8_t *)netring_slot(&N, 3))[59], 0x33);
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 0);
	CHECK_EQ(netring_put(&N, NETRING_RX_FREE, 3, 0), 0);
	CHECK_EQ(netring_get(&D, NETRING_RX_FREE, &e), 1);
	CHECK_EQ(e.slot, 3);
	CHECK(netring_owns(&D, 3));
	/* transmit: netd sends slot NRX+2, the driver completes it */
	memset(netring_slot(&N, NRX + 2), 0x44, NETDEV_FRAME_MAX);
	CHECK_EQ(netring_put(&N, NETRING_TX_READY, NRX + 2, NETDEV_FRAME_MAX),
		 0);
	CHECK_EQ(netring_get(&D, NETRING_TX_READY, &e), 1);
	CHECK_EQ(e.slot, NRX + 2);
	CHECK_EQ(e.len, NETDEV_FRAME_MAX);
	CHECK_EQ(((uint8_t *)netring_slot(&D, e.slot))[1513], 0x44);
	CHECK_EQ(netring_put(&D, NETRING_TX_DONE, e.slot, 0), 0);
	CHECK_EQ(netring_get(&N, NETRING_TX_DONE, &e), 1);
	CHECK(netring_owns(&N, NRX + 2));
	CHECK(!D.broken && !N.broken);
	CHECK_EQ(D.violations + N.violations, 0);
}

TEST(netring_refused_puts_change_nothing)
{
	CHECK_EQ(pair(NS, NRX), 0);
	struct netdev_ent e;
	/* a slot not held, out of range, lengths, the wrong ring */
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, NRX, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, NS, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, 0, 13), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, 0, 1515), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&D, NETRING_TX_DONE, 0, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&D, NETRING_RX_FREE, 0, 0), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&N, NETRING_TX_READY, 0, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&N, NETRING_RX_READY, NRX, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_put(&N, 9, NRX, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_get(&N, NETRING_TX_READY, &e), ERR_INVALID_ARGS);
	CHECK_EQ(netring_get(&D, NETRING_RX_READY, &e), ERR_INVALID_ARGS);
	/* twice the same slot: the second is refused (it is netd's now) */
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, 0, 60), 0);
	CHECK_EQ(netring_put(&D, NETRING_RX_READY, 0, 60), ERR_INVALID_ARGS);
	CHECK_EQ(netring_avail(&N, NETRING_RX_READY), 1);
	CHECK(!D.broken && !N.broken);
	struct netdev_header *h = (void *)region;
	CHECK_EQ(h->rx_ready.head, 1);
	CHECK_EQ(h->tx_done.head, 0);
}

TEST(netring_every_slot_through_one_ring)
{
	/* a ring holds every slot at once: all 16 slots reach netd by rx */
	CHECK_EQ(pair(NS, NRX), 0);
	struct netdev_ent e;
	for (uint32_t s = 0; s < NS; s++) {
		if (s >= NRX) { /* netd gives its tx slots to reception */
			CHECK_EQ(netring_put(&N, NETRING_RX_FREE, s, 0), 0);
			CHECK_EQ(netring_get(&D, NETRING_RX_FREE, &e), 1);
			CHECK_EQ(e.slot, s);
		}
	}
	for (uint32_t s = 0; s < NS; s++)
		CHECK_EQ(netring_put(&D, NETRING_RX_READY, s, 100 + s), 0);
	CHECK_EQ(netring_avail(&N, NETRING_RX_READY), NS);
	for (uint32_t s = 0; s < NS; s++) {
		CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 1);
		CHECK_EQ(e.slot, s);
		CHECK_EQ(e.len, 100 + s);
	}
	CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 0);
}

/* Both sides' indices start just below 2^32 and run past it. */
TEST(netring_indices_wrap)
{
	CHECK_EQ(pair(NS, NRX), 0);
	struct netdev_header *h = (void *)region;
	uint32_t start = 0xfffffff0u;
	struct netdev_ring *rings[4] = {&h->rx_ready, &h->rx_free, &h->tx_ready,
					&h->tx_done};
	for (int i = 0; i < 4; i++) {
		rings[i]->head = rings[i]->tail = start;
		D.q[i].pos = D.q[i].peer = start;
		N.q[i].pos = N.q[i].peer = start;
	}
	struct netdev_ent e;
	for (uint32_t n = 0; n < 100; n++) {
		uint32_t s = n % NRX;
		*(uint32_t *)netring_slot(&D, s) = n;
		CHECK_EQ(netring_put(&D, NETRING_RX_READY, s, 64), 0);
		CHECK_EQ(netring_get(&N, NETRING_RX_READY, &e), 1);
		CHECK_EQ(e.slot, s);
		CHECK_EQ(*(uint32_t *)netring_slot(&N, s), n);
		CHECK_EQ(netring_put(&N, NETRING_RX_FREE, s, 0), 0);
		CHECK_EQ(netring_get(&D, NETRING_RX_FREE, &e), 1);
	}
	CHECK_EQ(h->rx_ready.head, start + 100);
	CHECK_EQ(h->rx_free.tail, start + 100);
	CHECK(!D.broken && !N.broken);
}

/* Random interleaving of every operation of both sides against a model:
 * frames carry a sequence number per direction and arrive once, in
 * order, intact; a slot is always held by exactly one side or in exactly
 * one ring. */
TEST(netring_random_model)
{
	CHECK_EQ(pair(64, 32), 0);
	srand(17);
	uint32_t rx_sent = 0, rx_seen = 0, tx_sent = 0, tx_seen = 0;
	uint32_t drv_tx[64], ndrv = 0; /* tx slots the driver holds */
	for (long step = 0; step < 300000; step++) {
		struct netdev_ent e;
		int r;
		switch (rand() % 6) {
		case 0: /* the device received into a slot the driver holds */
			for (uint32_t s = 0; s < 64; s++) {
				bool busy = false;
				for (uint32_t k = 0; k < ndrv; k++)
					busy |= drv_tx[k] == s;
				if (!netring_owns(&D, s) || busy)
					continue;
				uint32_t len = 14 + (uint32_t)rand() % 1501;
				uint8_t *p = netring_slot(&D, s);
				memcpy(p, &rx_sent, 4);
				p[len - 1] = (uint8_t)rx_sent;
				CHECK_EQ(netring_put(&D, NETRING_RX_READY, s,
						     len),
					 0);
				rx_sent++;
				break;
			}
			break;
		case 1: /* netd reads received frames and frees them */
			while ((r = netring_get(&N, NETRING_RX_READY, &e)) ==
			       1) {
				uint8_t *p = netring_slot(&N, e.slot);
				uint32_t v;
				memcpy(&v, p, 4);
				CHECK_EQ(v, rx_seen);
				CHECK_EQ(p[e.len - 1], (uint8_t)rx_seen);
				rx_seen++;
				if (rand() % 4)
					CHECK_EQ(netring_put(&N,
							     NETRING_RX_FREE,
							     e.slot, 0),
						 0);
				else /* keep it for sending later */
					break;
			}
			CHECK_EQ(r >= 0 ? 0 : r, 0);
			break;
		case 2: /* netd sends from any slot it holds */
			for (uint32_t s = 0; s < 64; s++) {
				if (!netring_owns(&N, s) ||
				    (s < 32 && rand() % 2))
					continue;
				uint8_t *p = netring_slot(&N, s);
				memcpy(p, &tx_sent, 4);
				CHECK_EQ(netring_put(&N, NETRING_TX_READY, s,
						     60),
					 0);
				tx_sent++;
				if (rand() % 2)
					break;
			}
			break;
		case 3: /* the driver takes frames to send */
			while (netring_get(&D, NETRING_TX_READY, &e) == 1) {
				uint32_t v;
				memcpy(&v, netring_slot(&D, e.slot), 4);
				CHECK_EQ(v, tx_seen);
				tx_seen++;
				drv_tx[ndrv++] = e.slot;
			}
			break;
		case 4: /* the device completes a random outstanding send */
			if (ndrv) {
				uint32_t k = (uint32_t)rand() % ndrv;
				CHECK_EQ(netring_put(&D, NETRING_TX_DONE,
						     drv_tx[k], 0),
					 0);
				drv_tx[k] = drv_tx[--ndrv];
			}
			break;
		case 5: /* completions and freed slots come back */
			while (netring_get(&N, NETRING_TX_DONE, &e) == 1)
				if (e.slot < 32) /* a kept rx slot goes back */
					CHECK_EQ(netring_put(&N,
							     NETRING_RX_FREE,
							     e.slot, 0),
						 0);
			while (netring_get(&D, NETRING_RX_FREE, &e) == 1)
				;
			break;
		}
		/* conservation: held by one side or in flight in one ring */
		uint32_t held = 0;
		for (uint32_t s = 0; s < 64; s++) {
			CHECK(!(netring_owns(&D, s) && netring_owns(&N, s)));
			held += netring_owns(&D, s) + netring_owns(&N, s);
		}
		uint32_t flight = 0;
		for (int i = 0; i < 4; i++) {
			struct netring *prod = D.q[i].mine ? &D : &N;
			struct netring *cons = D.q[i].mine ? &N : &D;
			flight += prod->q[i].pos - cons->q[i].pos;
		}
		CHECK_EQ(held + flight, 64);
	}
	CHECK(rx_seen > 10000 && tx_seen > 10000);
	CHECK_EQ(D.violations + N.violations, 0);
}

/* Two threads, each one side, 200,000 frames each way. */
#define STREAM 200000u
static void *driver_thread(void *arg)
{
	(void)arg;
	uint32_t sent = 0, got = 0;
	struct netdev_ent e;
	long bad = 0;
	while (sent < STREAM || got < STREAM) {
		for (uint32_t s = 0; s < D.nslots && sent < STREAM; s++) {
			if (!netring_owns(&D, s))
				continue;
			memcpy(netring_slot(&D, s), &sent, 4);
			if (netring_put(&D, NETRING_RX_READY, s, 64) == 0)
				sent++;
		}
		while (netring_get(&D, NETRING_TX_READY, &e) == 1) {
			uint32_t v;
			memcpy(&v, netring_slot(&D, e.slot), 4);
			bad += v != got++;
			netring_put(&D, NETRING_TX_DONE, e.slot, 0);
		}
		while (netring_get(&D, NETRING_RX_FREE, &e) == 1)
			;
		if (D.broken)
			return (void *)1;
	}
	return (void *)bad;
}

TEST(netring_two_threads_stream)
{
	CHECK_EQ(pair(32, 16), 0);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, driver_thread, NULL), 0);
	uint32_t sent = 0, got = 0;
	long bad = 0;
	struct netdev_ent e;
	while (sent < STREAM || got < STREAM) {
		int r;
		while ((r = netring_get(&N, NETRING_RX_READY, &e)) == 1) {
			uint32_t v;
			memcpy(&v, netring_slot(&N, e.slot), 4);
			bad += v != got++;
			netring_put(&N, NETRING_RX_FREE, e.slot, 0);
		}
		if (r < 0)
			break;
		while (netring_get(&N, NETRING_TX_DONE, &e) == 1)
			;
		for (uint32_t s = 0; s < N.nslots && sent < STREAM; s++) {
			if (!netring_owns(&N, s))
				continue;
			memcpy(netring_slot(&N, s), &sent, 4);
			if (netring_put(&N, NETRING_TX_READY, s, 60) == 0)
				sent++;
		}
	}
	void *res;
	pthread_join(t, &res);
	CHECK_EQ((long)res, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(got, STREAM);
	CHECK(!N.broken && !D.broken);
}
