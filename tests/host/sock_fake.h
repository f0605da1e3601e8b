/* A fake netd side of a socket region (net_proto.h) for the runtime's
 * ring tests: it lays out a region, writes the rx ring and reads the tx
 * ring the way netd does (bytes or records with WRAP markers), and can
 * break every rule on purpose. Host only. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/net_proto.h>

#include "sock_ring.h"

struct fake_region {
	uint8_t *base;
	uint32_t rx_size, tx_size, shm_size;
	struct net_sock_info info;
};

static inline struct net_shm *fake_shm(struct fake_region *f)
{
	return (struct net_shm *)f->base;
}

static inline uint8_t *fake_rx(struct fake_region *f)
{
	return f->base + SR_HDR_SIZE;
}

static inline uint8_t *fake_tx(struct fake_region *f)
{
	return f->base + SR_HDR_SIZE + f->rx_size;
}

/* A region with counters all starting at `start` (to cross 2^64). */
static inline void fake_init(struct fake_region *f, uint32_t rx, uint32_t tx,
			     uint64_t start)
{
	memset(f, 0, sizeof(*f));
	f->rx_size = rx;
	f->tx_size = tx;
	f->shm_size = SR_HDR_SIZE + rx + tx;
	f->base = aligned_alloc(4096, f->shm_size);
	memset(f->base, 0xa5, f->shm_size); /* rings: garbage */
	struct net_shm *s = fake_shm(f);
	memset(s, 0, sizeof(*s));
	s->magic = NET_SHM_MAGIC;
	s->version = NET_PROTO_VERSION;
	s->rx_size = rx;
	s->tx_size = tx;
	s->rx_head = s->rx_tail = s->tx_head = s->tx_tail = start;
	f->info = (struct net_sock_info){.sock = 1,
					 .type = 1,
					 .wake_bit = 1,
					 .rx_size = rx,
					 .tx_size = tx,
					 .shm_size = f->shm_size};
}

static inline void fake_free(struct fake_region *f)
{
	free(f->base);
	f->base = NULL;
}

static inline void fake_copy_in(uint8_t *ring, uint32_t size, uint64_t pos,
				const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ring[(pos + i) & (size - 1)] = src[i];
}

static inline void fake_copy_out(const uint8_t *ring, uint32_t size,
				 uint64_t pos, uint8_t *dst, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = ring[(pos + i) & (size - 1)];
}

/* netd puts stream bytes into rx: how many fitted. */
static inline size_t fake_stream_put(struct fake_region *f, const void *p,
				     size_t n)
{
	struct net_shm *s = fake_shm(f);
	uint64_t room = f->rx_size - (s->rx_head - s->rx_tail);
	if (n > room)
		n = (size_t)room;
	fake_copy_in(fake_rx(f), f->rx_size, s->rx_head, p, n);
	s->rx_head += n;
	return n;
}

/* netd takes up to n stream bytes out of tx. */
static inline size_t fake_stream_take(struct fake_region *f, void *p, size_t n)
{
	struct net_shm *s = fake_shm(f);
	uint64_t fill = s->tx_head - s->tx_tail;
	if (n > fill)
		n = (size_t)fill;
	fake_copy_out(fake_tx(f), f->tx_size, s->tx_tail, p, n);
	s->tx_tail += n;
	return n;
}

static inline uint64_t fake_rec_size(uint32_t len)
{
	return SR_REC_HDR + ((len + 7ull) & ~7ull);
}

/* netd puts one record into rx (WRAP marker when it does not fit before
 * the end): false when there is no room. */
static inline bool fake_rec_put(struct fake_region *f, const void *p,
				uint32_t len, const struct net_addr *from)
{
	struct net_shm *s = fake_shm(f);
	uint64_t room = f->rx_size - (s->rx_head - s->rx_tail);
	uint32_t off = (uint32_t)(s->rx_head & (f->rx_size - 1));
	uint32_t to_end = f->rx_size - off;
	uint64_t rec = fake_rec_size(len);
	uint32_t skip = rec > to_end ? to_end : 0;
	if (rec + skip > room)
		return false;
	if (skip) {
		uint32_t w = NET_DGRAM_WRAP;
		memcpy(fake_rx(f) + off, &w, 4);
		s->rx_head += skip;
		off = 0;
	}
	struct net_dgram h = {.len = len, .addr = *from};
	memcpy(fake_rx(f) + off, &h, sizeof(h));
	memcpy(fake_rx(f) + off + sizeof(h), p, len);
	s->rx_head += rec;
	return true;
}

/* netd takes one record out of tx: its length (-1: none, -2: bad). */
static inline long fake_rec_take(struct fake_region *f, void *p, size_t cap,
				 struct net_addr *to)
{
	struct net_shm *s = fake_shm(f);
	for (;;) {
		uint64_t fill = s->tx_head - s->tx_tail;
		if (!fill)
			return -1;
		uint32_t off = (uint32_t)(s->tx_tail & (f->tx_size - 1));
		uint32_t to_end = f->tx_size - off;
		struct net_dgram h;
		memcpy(&h.len, fake_tx(f) + off, 4);
		if (h.len == NET_DGRAM_WRAP) {
			if (fill < to_end)
				return -2;
			s->tx_tail += to_end;
			continue;
		}
		memcpy(&h, fake_tx(f) + off, sizeof(h));
		uint64_t rec = fake_rec_size(h.len);
		if (rec > to_end || rec > fill || h.len > cap)
			return -2;
		memcpy(p, fake_tx(f) + off + sizeof(h), h.len);
		if (to)
			*to = h.addr;
		s->tx_tail += rec;
		return (long)h.len;
	}
}
