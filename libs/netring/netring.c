/* libnetring: the rings of a /drv/netd region (netring.h says what is
 * trusted). No system calls: host-tested under ASan+UBSan
 * (tests/host/test_netring*.c). */
#include <execrt/errors.h>
#include <netring/netring.h>
#include <string.h>

_Static_assert(sizeof(struct netdev_header) <= NETDEV_ENTS_OFFSET,
	       "header overlaps the ring entries");
_Static_assert(NETDEV_ENTS_OFFSET + 4 * NETDEV_SLOTS_MAX *
					    sizeof(struct netdev_ent) <=
		       NETDEV_SLOTS_OFFSET,
	       "ring entries overlap the slots");
_Static_assert(NETDEV_FRAME_MAX <= NETDEV_SLOT_SIZE, "slot too small");

size_t netring_region_size(uint32_t nslots)
{
	return NETDEV_SLOTS_OFFSET + (size_t)nslots * NETDEV_SLOT_SIZE;
}

int netring_check_geometry(uint32_t nslots, uint32_t nrx, size_t size)
{
	if (nslots < 2 || nslots > NETDEV_SLOTS_MAX ||
	    (nslots & (nslots - 1)) != 0)
		return ERR_INVALID_ARGS;
	if (nrx == 0 || nrx >= nslots)
		return ERR_INVALID_ARGS;
	if (size < netring_region_size(nslots))
		return ERR_INVALID_ARGS;
	return 0;
}

static struct netdev_ring *ring_of(struct netdev_header *h, enum netring_id id)
{
	switch (id) {
	case NETRING_RX_READY:
		return &h->rx_ready;
	case NETRING_RX_FREE:
		return &h->rx_free;
	case NETRING_TX_READY:
		return &h->tx_ready;
	default:
		return &h->tx_done;
	}
}

int netring_format(void *mem, size_t size, uint32_t nslots, uint32_t nrx)
{
	int e = netring_check_geometry(nslots, nrx, size);
	if (e)
		return e;
	memset(mem, 0, NETDEV_SLOTS_OFFSET);
	struct netdev_header *h = mem;
	h->magic = NETDEV_REGION_MAGIC;
	h->version = NETDEV_PROTO_VERSION;
	h->nslots = nslots;
	h->nrx = nrx;
	h->link = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return 0;
}

int netring_open(struct netring *nr, void *mem, size_t size, uint32_t nslots,
		 uint32_t nrx, enum netring_role role)
{
	if (!nr || !mem || (role != NETRING_DRIVER && role != NETRING_NETD))
		return ERR_INVALID_ARGS;
	int e = netring_check_geometry(nslots, nrx, size);
	if (e)
		return e;
	struct netdev_header *h = mem;
	/* Read once: netd checks the driver's header against the attach
	 * message; nothing is taken from the header after this. */
	uint32_t magic = h->magic, ver = h->version;
	uint32_t hs = h->nslots, hr = h->nrx;
	if (magic != NETDEV_REGION_MAGIC || ver != NETDEV_PROTO_VERSION ||
	    hs != nslots || hr != nrx)
		return ERR_INVALID_ARGS;
	memset(nr, 0, sizeof(*nr));
	nr->hdr = h;
	nr->slots = (uint8_t *)mem + NETDEV_SLOTS_OFFSET;
	nr->nslots = nslots;
	nr->nrx = nrx;
	nr->role = role;
	struct netdev_ent *ents =
		(struct netdev_ent *)((uint8_t *)mem + NETDEV_ENTS_OFFSET);
	for (int i = 0; i < 4; i++) {
		nr->q[i].ring = ring_of(h, (enum netring_id)i);
		nr->q[i].ent = ents + (size_t)i * nslots;
		/* The driver produces rx_ready (0) and tx_done (3). */
		bool drv = (i == NETRING_RX_READY || i == NETRING_TX_DONE);
		nr->q[i].mine = (role == NETRING_DRIVER) == drv;
	}
	for (uint32_t s = 0; s < nslots; s++)
		nr->owned[s] = (s < nrx) == (role == NETRING_DRIVER);
	return 0;
}

static bool ready_ring(enum netring_id id)
{
	return id == NETRING_RX_READY || id == NETRING_TX_READY;
}

static bool len_ok(enum netring_id id, uint32_t len)
{
	if (ready_ring(id))
		return len >= NETDEV_FRAME_MIN && len <= NETDEV_FRAME_MAX;
	return len == 0;
}

static void breaks(struct netring *nr)
{
	nr->broken = true;
	nr->violations++;
}

/* Producer: re-reads the consumer's tail; it may only have moved forward,
 * and never past what was produced. */
static int refresh_tail(struct netring *nr, struct netring_q *q)
{
	uint32_t t = __atomic_load_n(&q->ring->tail, __ATOMIC_ACQUIRE);
	if ((uint32_t)(t - q->peer) > (uint32_t)(q->pos - q->peer)) {
		breaks(nr);
		return ERR_BAD_STATE;
	}
	q->peer = t;
	return 0;
}

/* Consumer: re-reads the producer's head; at most a ring ahead of what
 * was consumed, never behind what was seen before. */
static int refresh_head(struct netring *nr, struct netring_q *q)
{
	uint32_t h = __atomic_load_n(&q->ring->head, __ATOMIC_ACQUIRE);
	uint32_t ahead = h - q->pos;
	if (ahead > nr->nslots || ahead < (uint32_t)(q->peer - q->pos)) {
		breaks(nr);
		return ERR_BAD_STATE;
	}
	q->peer = h;
	return 0;
}

int netring_put(struct netring *nr, enum netring_id id, uint32_t slot,
		uint32_t len)
{
	if (!nr || (unsigned)id > NETRING_TX_DONE)
		return ERR_INVALID_ARGS;
	if (nr->broken)
		return ERR_BAD_STATE;
	struct netring_q *q = &nr->q[id];
	if (!q->mine || slot >= nr->nslots || !nr->owned[slot] ||
	    !len_ok(id, len))
		return ERR_INVALID_ARGS;
	if (q->pos - q->peer >= nr->nslots) {
		int e = refresh_tail(nr, q);
		if (e)
			return e;
		if (q->pos - q->peer >= nr->nslots)
			return ERR_SHOULD_WAIT;
	}
	struct netdev_ent ent = {.slot = (uint16_t)slot, .len = (uint16_t)len};
	q->ent[q->pos & (nr->nslots - 1)] = ent;
	nr->owned[slot] = 0;
	q->pos++;
	__atomic_store_n(&q->ring->head, q->pos, __ATOMIC_RELEASE);
	nr->puts++;
	return 0;
}

int netring_get(struct netring *nr, enum netring_id id, struct netdev_ent *out)
{
	if (!nr || !out || (unsigned)id > NETRING_TX_DONE)
		return ERR_INVALID_ARGS;
	if (nr->broken)
		return ERR_BAD_STATE;
	struct netring_q *q = &nr->q[id];
	if (q->mine)
		return ERR_INVALID_ARGS;
	if (q->pos == q->peer) {
		int e = refresh_head(nr, q);
		if (e)
			return e;
		if (q->pos == q->peer)
			return 0;
	}
	/* One volatile copy: the peer may rewrite the entry meanwhile. */
	volatile struct netdev_ent *src = &q->ent[q->pos & (nr->nslots - 1)];
	struct netdev_ent ent = {.slot = src->slot, .len = src->len};
	q->pos++;
	/* The entry is copied: the producer may reuse its place. Published
	 * before the slot can come back on another ring (netring.h). */
	__atomic_store_n(&q->ring->tail, q->pos, __ATOMIC_RELEASE);
	if (ent.slot >= nr->nslots || nr->owned[ent.slot] ||
	    !len_ok(id, ent.len)) {
		breaks(nr);
		return ERR_BAD_STATE;
	}
	nr->owned[ent.slot] = 1;
	nr->gets++;
	*out = ent;
	return 1;
}

uint32_t netring_avail(struct netring *nr, enum netring_id id)
{
	if (!nr || (unsigned)id > NETRING_TX_DONE || nr->broken)
		return 0;
	struct netring_q *q = &nr->q[id];
	if (q->mine)
		return refresh_tail(nr, q) ? 0 : q->pos - q->peer;
	if (refresh_head(nr, q))
		return 0;
	return q->peer - q->pos;
}

void netring_set_link(struct netring *nr, bool up)
{
	__atomic_store_n(&nr->hdr->link, up ? 1u : 0u, __ATOMIC_RELEASE);
}

bool netring_link(const struct netring *nr)
{
	return __atomic_load_n(&nr->hdr->link, __ATOMIC_ACQUIRE) == 1;
}
