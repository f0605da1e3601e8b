/* libnetring against a hostile peer (libs/netring). The input's first
 * byte picks the side under test (driver or netd) and the geometry; the
 * rest is a program of 4-byte steps: the peer writes any ring's head or
 * tail, any entry, or any byte of the header and ring area; this side
 * puts (a slot it holds or not, any length), gets, asks avail, sets or
 * reads the link. The region is allocated exactly, so any access outside
 * it is a sanitizer report.
 * Checked: a get hands out only a slot in range that this side did not
 * hold, with a length allowed on that ring, and this side holds it
 * afterwards; a refused put (ERR_INVALID_ARGS) changes neither the
 * region nor the ownership; a put that succeeds gives the slot away;
 * ERR_BAD_STATE comes only when broken, and broken stays broken, with
 * every call refused afterwards. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <netring/netring.h>

static void check(int ok)
{
	if (!ok)
		abort();
}

static uint8_t shadow[NETDEV_SLOTS_OFFSET];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum netring_role role = data[0] & 1 ? NETRING_NETD : NETRING_DRIVER;
	uint32_t nslots = 2u << ((data[0] >> 1) & 3); /* 2..16 */
	uint32_t nrx = 1 + ((data[0] >> 3) % (nslots - 1));
	size_t rsize = netring_region_size(nslots);
	uint8_t *region = malloc(rsize);
	check(region != NULL);
	check(netring_format(region, rsize, nslots, nrx) == 0);
	static struct netring nr;
	check(netring_open(&nr, region, rsize, nslots, nrx, role) == 0);
	struct netdev_header *h = (void *)region;
	struct netdev_ring *rings[4] = {&h->rx_ready, &h->rx_free,
					&h->tx_ready, &h->tx_done};
	struct netdev_ent *ents =
		(struct netdev_ent *)(region + NETDEV_ENTS_OFFSET);
	bool was_broken = false;
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2],
			c = data[i + 3];
		enum netring_id id = (enum netring_id)(a & 3);
		uint32_t v = (uint32_t)b | (uint32_t)c << 8;
		switch (op % 8) {
		case 0: /* the peer moves an index: small steps or any value */
			if (a & 4)
				rings[id]->head = a & 8 ? v << 16 | v
							: rings[id]->head + (b & 7);
			else
				rings[id]->tail = a & 8 ? v << 16 | v
							: rings[id]->tail + (b & 7);
			break;
		case 1: /* the peer writes an entry */
			ents[(a % 4) * nslots + b % nslots] =
				(struct netdev_ent){.slot = c % (nslots + 2),
						    .len = (uint16_t)(v & 0x7ff)};
			break;
		case 2: /* the peer scribbles a byte */
			region[(size_t)v % NETDEV_SLOTS_OFFSET] = a;
			break;
		case 3:
		case 4: { /* this side puts */
			uint32_t slot = b % (nslots + 1);
			uint32_t len = c & 1 ? 0 : (uint32_t)(c * 7);
			bool held = netring_owns(&nr, slot);
			memcpy(shadow, region, NETDEV_SLOTS_OFFSET);
			int r = netring_put(&nr, id, slot, len);
			check(r == 0 || r == ERR_INVALID_ARGS ||
			      r == ERR_SHOULD_WAIT || r == ERR_BAD_STATE);
			if (r == 0) {
				check(held && !netring_owns(&nr, slot));
			} else {
				check(netring_owns(&nr, slot) == held);
				if (r == ERR_INVALID_ARGS)
					check(!memcmp(shadow, region,
						      NETDEV_SLOTS_OFFSET));
			}
			if (r == ERR_BAD_STATE)
				check(nr.broken);
			break;
		}
		case 5:
		case 6: { /* this side gets */
			bool held[NETDEV_SLOTS_MAX];
			for (uint32_t s = 0; s < nslots; s++)
				held[s] = netring_owns(&nr, s);
			struct netdev_ent e;
			int r = netring_get(&nr, id, &e);
			check(r == 0 || r == 1 || r == ERR_BAD_STATE ||
			      r == ERR_INVALID_ARGS);
			if (r == 1) {
				check(e.slot < nslots && !held[e.slot] &&
				      netring_owns(&nr, e.slot));
				bool ready = id == NETRING_RX_READY ||
					     id == NETRING_TX_READY;
				check(ready ? e.len >= NETDEV_FRAME_MIN &&
						      e.len <= NETDEV_FRAME_MAX
					    : e.len == 0);
			}
			if (r == ERR_BAD_STATE)
				check(nr.broken);
			break;
		}
		default:
			check(netring_avail(&nr, id) <= nslots || nr.broken);
			if (role == NETRING_DRIVER)
				netring_set_link(&nr, a & 1);
			else
				(void)netring_link(&nr);
			break;
		}
		if (was_broken) {
			struct netdev_ent e;
			check(nr.broken);
			check(netring_get(&nr, id, &e) == ERR_BAD_STATE ||
			      nr.q[id].mine);
			check(netring_avail(&nr, id) == 0);
		}
		was_broken = nr.broken;
	}
	free(region);
	return 0;
}
