/* libnetring: the four slot rings of a /drv/netd region
 * (include/execrt/netdev_proto.h), for both ends: the driver
 * (drivers/virtio-net) and netd. Portable C, no system calls.
 *
 * Trust: the region is shared with a peer that may be broken or hostile.
 * Nothing this side relies on lives in the region: ring positions this
 * side owns (its heads as producer, its tails as consumer) and the owner
 * of every slot are kept in struct netring, private memory. From the
 * region only the peer's indices and entries are read, each index once
 * per refresh and checked (never more than a ring ahead, never backwards),
 * each entry copied before it is checked (slot in range and owned by the
 * giver, length allowed for that ring). A violation drops the entry and
 * marks the rings broken for good (every call then gives ERR_BAD_STATE):
 * the side detaches, as netdev_proto.h says. Frame bytes in a slot stay
 * the peer's to change at any time: read them once, into your own copy.
 *
 * One thread per side (or the caller's lock); the two sides run
 * concurrently. Doorbells are the caller's: after puts, signal the peer. */
#pragma once
#include <execrt/netdev_proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum netring_id {
	NETRING_RX_READY = 0, /* driver -> netd, frame len */
	NETRING_RX_FREE = 1,  /* netd -> driver, len 0 */
	NETRING_TX_READY = 2, /* netd -> driver, frame len */
	NETRING_TX_DONE = 3,  /* driver -> netd, len 0 */
};

enum netring_role { NETRING_DRIVER = 0, NETRING_NETD = 1 };

struct netring_q {
	struct netdev_ring *ring; /* in the region */
	struct netdev_ent *ent;	  /* in the region, nslots entries */
	uint32_t pos;		  /* private: my head (producer) or tail */
	uint32_t peer;		  /* the peer's index as last read, checked */
	bool mine;		  /* I produce it */
};

struct netring {
	struct netdev_header *hdr;
	uint8_t *slots; /* slot s at slots + s * NETDEV_SLOT_SIZE */
	uint32_t nslots, nrx;
	enum netring_role role;
	bool broken;
	struct netring_q q[4];
	uint64_t violations; /* entries or indices refused */
	uint64_t puts, gets;
	uint8_t owned[NETDEV_SLOTS_MAX]; /* 1: this side holds the slot */
};

/* The region size for nslots slots: header page + rings + slots. */
size_t netring_region_size(uint32_t nslots);

/* Checks a proposed geometry: nslots a power of two in [2, SLOTS_MAX],
 * 0 < nrx < nslots, size >= netring_region_size(nslots). 0 or
 * ERR_INVALID_ARGS. */
int netring_check_geometry(uint32_t nslots, uint32_t nrx, size_t size);

/* Driver: writes a fresh header (magic, version, geometry, link down,
 * zero statistics and indices) into mem. Then netring_open. */
int netring_format(void *mem, size_t size, uint32_t nslots, uint32_t nrx);

/* Either side: starts using the region at mem. nslots/nrx are the
 * geometry agreed in NETDEV_ATTACH (netd: from struct netdev_attach, and
 * the header must say the same, else ERR_INVALID_ARGS); positions start
 * at 0, slots [0, nrx) are the driver's, the rest netd's. */
int netring_open(struct netring *nr, void *mem, size_t size, uint32_t nslots,
		 uint32_t nrx, enum netring_role role);

/* Produces one entry on ring id (one this role produces, for a slot this
 * side owns; len within [NETDEV_FRAME_MIN, NETDEV_FRAME_MAX] on the ready
 * rings, 0 on the others) and publishes it; the slot becomes the peer's.
 * ERR_INVALID_ARGS (the caller's mistake: nothing changes),
 * ERR_SHOULD_WAIT (no room: only a lying consumer can cause it),
 * ERR_BAD_STATE (broken). */
int netring_put(struct netring *nr, enum netring_id id, uint32_t slot,
		uint32_t len);

/* Consumes one entry of ring id (one the peer produces): 1 and *out
 * (the slot is now this side's), 0 when empty, ERR_BAD_STATE when the
 * peer broke the protocol (now or before), ERR_INVALID_ARGS for a ring
 * this role produces. */
int netring_get(struct netring *nr, enum netring_id id, struct netdev_ent *out);

/* Entries on ring id not consumed yet: a ring this side consumes, what
 * waits for it; one it produces, what the peer has not taken yet. Reads
 * (and checks) the peer's index; 0 when broken. */
uint32_t netring_avail(struct netring *nr, enum netring_id id);

static inline void *netring_slot(const struct netring *nr, uint32_t slot)
{
	return nr->slots + (size_t)slot * NETDEV_SLOT_SIZE;
}

static inline bool netring_owns(const struct netring *nr, uint32_t slot)
{
	return slot < nr->nslots && nr->owned[slot];
}

/* Driver: carrier up/down into the header; netd: reads it. */
void netring_set_link(struct netring *nr, bool up);
bool netring_link(const struct netring *nr);
