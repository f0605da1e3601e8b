/* libnetring against a broken or hostile peer: the test writes the peer's
 * half of the region by hand (indices and entries) and checks that every
 * violation is refused, the rings stay broken, and nothing outside the
 * region is touched (ASan); then random bytes over the whole header and
 * ring area while an honest side runs. */
#include <execrt/errors.h>
#include <netring/netring.h>
#include <stdlib.h>

#include "harness.h"

#define NS  16
#define NRX 8

static uint8_t *region;
static size_t rsize;
static struct netring S; /* the side under test */
static struct netdev_header *H;

static struct netdev_ent *ents(enum netring_id id)
{
	return (struct netdev_ent *)(region + NETDEV_ENTS_OFFSET) + id * NS;
}

static int side(enum netring_role role)
{
	free(region);
	rsize = netring_region_size(NS);
	region = aligned_alloc(4096, rsize);
	if (!region || netring_format(region, rsize, NS, NRX))
		return -1;
	H = (void *)region;
	return netring_open(&S, region, rsize, NS, NRX, role);
}

/* The peer (by hand) produces entry {slot, len} at index i of ring id. */
static void peer_put(enum netring_id id, uint32_t i, uint32_t slot,
		     uint32_t len)
{
	ents(id)[i % NS] = (struct netdev_ent){(uint16_t)slot, (uint16_t)len};
}

TEST(netring_hostile_head_too_far)
{
	CHECK_EQ(side(NETRING_NETD), 0);
	struct netdev_ent e;
	H->rx_ready.head = NS + 1; /* more than a ring ahead */
	CHECK_EQ(netring_get(&S, NETRING_RX_READY, &e), ERR_BAD_STATE);
	CHECK(S.broken);
	/* broken for good, every call */
	H->rx_ready.head = 0;
	CHECK_EQ(netring_get(&S, NETRING_RX_READY, &e), ERR_BAD_STATE);
	CHECK_EQ(netring_put(&S, NETRING_RX_FREE, NRX, 0), ERR_BAD_STATE);
	CHECK_EQ(netring_avail(&S, NETRING_TX_DONE), 0);
}

TEST(netring_hostile_head_backwards)
{
	CHECK_EQ(side(NETRING_NETD), 0);
	struct netdev_ent e;
	peer_put(NETRING_RX_READY, 0, 0, 60);
	peer_put(NETRING_RX_READY, 1, 1, 60);
	H->rx_ready.head = 2;
	CHECK_EQ(netring_get(&S, NETRING_RX_READY, &e), 1);
	H->rx_ready.head = 1; /* takes back the entry already announced */
	CHECK_EQ(netring_avail(&S, NETRING_RX_READY), 0);
	CHECK(S.broken);
}

TEST(netring_hostile_head_wraps_negative)
{
	CHECK_EQ(side(NETRING_DRIVER), 0);
	struct netdev_ent e;
	H->tx_ready.head = 0xffffffffu; /* "behind" by one */
	CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), ERR_BAD_STATE);
	CHECK(S.broken);
}

TEST(netring_hostile_slot_out_of_range)
{
	CHECK_EQ(side(NETRING_DRIVER), 0);
	struct netdev_ent e;
	peer_put(NETRING_TX_READY, 0, NS, 60);
	H->tx_ready.head = 1;
	CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), ERR_BAD_STATE);
	CHECK_EQ(S.violations, 1);
}

TEST(netring_hostile_slot_not_the_givers)
{
	/* netd sends a slot the driver holds (an rx slot) */
	CHECK_EQ(side(NETRING_DRIVER), 0);
	struct netdev_ent e;
	peer_put(NETRING_TX_READY, 0, 2, 60);
	H->tx_ready.head = 1;
	CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), ERR_BAD_STATE);
	CHECK(S.broken);
	CHECK(netring_owns(&S, 2));
}

TEST(netring_hostile_same_slot_twice)
{
	CHECK_EQ(side(NETRING_DRIVER), 0);
	struct netdev_ent e;
	peer_put(NETRING_TX_READY, 0, NRX, 60);
	peer_put(NETRING_TX_READY, 1, NRX, 60);
	H->tx_ready.head = 2;
	CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), 1);
	CHECK_EQ(e.slot, NRX);
	CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), ERR_BAD_STATE);
}

TEST(netring_hostile_bad_lengths)
{
	static const uint16_t bad[] = {0, 13, 1515, 2048, 0xffff};
	struct netdev_ent e;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(side(NETRING_DRIVER), 0);
		peer_put(NETRING_TX_READY, 0, NRX, bad[i]);
		H->tx_ready.head = 1;
		CHECK_EQ(netring_get(&S, NETRING_TX_READY, &e), ERR_BAD_STATE);
	}
	/* a length on a free ring */
	CHECK_EQ(side(NETRING_NETD), 0);
	peer_put(NETRING_TX_DONE, 0, 0, 1);
	H->tx_done.head = 1;
	CHECK_EQ(netring_get(&S, NETRING_TX_DONE, &e), ERR_BAD_STATE);
}

TEST(netring_hostile_tail_past_head_or_backwards)
{
	CHECK_EQ(side(NETRING_DRIVER), 0);
	CHECK_EQ(netring_put(&S, NETRING_RX_READY, 0, 60), 0);
	CHECK_EQ(netring_put(&S, NETRING_RX_READY, 1, 60), 0);
	H->rx_ready.tail = 1;
	CHECK_EQ(netring_avail(&S, NETRING_RX_READY), 1);
	H->rx_ready.tail = 3; /* past the 2 produced */
	CHECK_EQ(netring_avail(&S, NETRING_RX_READY), 0);
	CHECK(S.broken);
	CHECK_EQ(netring_put(&S, NETRING_RX_READY, 2, 60), ERR_BAD_STATE);

	CHECK_EQ(side(NETRING_DRIVER), 0);
	CHECK_EQ(netring_put(&S, NETRING_RX_READY, 0, 60), 0);
	CHECK_EQ(netring_put(&S, NETRING_RX_READY, 1, 60), 0);
	H->rx_ready.tail = 2;
	CHECK_EQ(netring_avail(&S, NETRING_RX_READY), 0);
	CHECK(!S.broken);
	H->rx_ready.tail = 1; /* backwards */
	CHECK_EQ(netring_avail(&S, NETRING_RX_READY), 0);
	CHECK(S.broken);
}

/* Sends 8 tx slots, gets all 8 back as done without the consumer's tail
 * moving (a lie), n times. */
static int lying_round(uint32_t *done)
{
	struct netdev_ent e;
	for (uint32_t s = NRX; s < NS; s++) {
		int r = netring_put(&S, NETRING_TX_READY, s, 60);
		if (r)
			return r;
	}
	for (uint32_t i = 0; i < 8; i++)
		peer_put(NETRING_TX_DONE, (*done)++, NRX + i, 0);
	H->tx_done.head = *done;
	while (netring_get(&S, NETRING_TX_DONE, &e) == 1)
		;
	return 0;
}

TEST(netring_hostile_tail_never_moves)
{
	/* the producer runs out of ring (SHOULD_WAIT), writes nothing past
	 * it, and goes on once the tail moves */
	CHECK_EQ(side(NETRING_NETD), 0);
	uint32_t done = 0;
	CHECK_EQ(lying_round(&done), 0);
	CHECK_EQ(lying_round(&done), 0);
	CHECK_EQ(netring_put(&S, NETRING_TX_READY, NRX, 60), ERR_SHOULD_WAIT);
	CHECK(netring_owns(&S, NRX));
	CHECK_EQ(H->tx_ready.head, 16);
	CHECK(!S.broken);
	H->tx_ready.tail = 16;
	CHECK_EQ(netring_put(&S, NETRING_TX_READY, NRX, 60), 0);
	/* and a tail more than the ring behind the head is a lie too */
	CHECK_EQ(netring_avail(&S, NETRING_TX_READY), 1);
}

TEST(netring_hostile_entry_rewritten_after_read)
{
	/* the entry is copied once: changing it afterwards changes nothing
	 * this side already took */
	CHECK_EQ(side(NETRING_NETD), 0);
	struct netdev_ent e;
	peer_put(NETRING_RX_READY, 0, 1, 100);
	H->rx_ready.head = 1;
	CHECK_EQ(netring_get(&S, NETRING_RX_READY, &e), 1);
	peer_put(NETRING_RX_READY, 0, 2, 1514);
	CHECK_EQ(e.slot, 1);
	CHECK_EQ(e.len, 100);
	CHECK(netring_owns(&S, 1) && !netring_owns(&S, 2));
	CHECK_EQ(netring_get(&S, NETRING_RX_READY, &e), 0);
}

/* Random bytes over the header and ring entries between the honest
 * side's calls, for both roles: never a crash or an access outside the
 * region (ASan), every slot handed out is in range and was not held, and
 * once broken always broken. */
TEST(netring_hostile_random_garbage)
{
	srand(1717);
	for (int round = 0; round < 400; round++) {
		enum netring_role role =
			round & 1 ? NETRING_NETD : NETRING_DRIVER;
		CHECK_EQ(side(role), 0);
		bool was_broken = false;
		for (int step = 0; step < 200; step++) {
			/* a few random bytes, biased to the indices */
			int n = rand() % 4;
			for (int k = 0; k < n; k++) {
				size_t off =
					rand() % 2 ? (size_t)(rand() % 512)
						   : NETDEV_ENTS_OFFSET +
							     (size_t)(rand() %
								      (4 * NS *
								       4));
				region[off] = (uint8_t)rand();
			}
			struct netdev_ent e;
			for (int id = 0; id < 4; id++) {
				if (S.q[id].mine) {
					for (uint32_t s = 0; s < NS; s++)
						if (netring_owns(&S, s)) {
							uint32_t len =
								(id == 0 ||
								 id == 2)
									? 60
									: 0;
							netring_put(&S, id, s,
								    len);
							break;
						}
					continue;
				}
				bool held[NS];
				for (uint32_t s = 0; s < NS; s++)
					held[s] = netring_owns(&S, s);
				int r = netring_get(&S, id, &e);
				if (r == 1) {
					CHECK(e.slot < NS);
					CHECK(!held[e.slot]);
					CHECK(netring_owns(&S, e.slot));
				}
				(void)netring_avail(&S, id);
			}
			if (was_broken)
				CHECK(S.broken);
			was_broken = S.broken;
		}
	}
	free(region);
	region = NULL;
}
