/* Split virtqueues (virtio 1.x 2.7) for libvirtio.
 *
 * The three rings live in one DMA allocation (descriptor table, available
 * ring, used ring) that the device can write all of. Everything the driver
 * relies on (struct virtq, the free list, tokens, chain lengths, a shadow of
 * each descriptor) lives in driver-private memory from ops->priv_alloc; the
 * driver only writes the descriptor table and the available ring (from its
 * shadows) and reads back nothing but the used ring, the used flags and
 * avail_event, which it checks. Buffers go in as chains of
 * descriptors (device-readable ones first, then device-writable); the device
 * may complete chains in any order. Indices are free-running 16-bit counters
 * (they wrap past 65535). With VIRTIO_F_EVENT_IDX both directions are
 * suppressed by used_event / avail_event and the vring_need_event rule; without
 * it by the NO_NOTIFY / NO_INTERRUPT flags.
 *
 * Memory order: the ring entry and the descriptors are written before the
 * available index is published (release); the used index is read with
 * acquire before the entry it covers; a full fence separates publishing an
 * index from reading the other side's suppression field.
 */
#pragma once

#include <virtio/virtio.h>

#define VIRTQ_DESC_F_NEXT	   1u
#define VIRTQ_DESC_F_WRITE	   2u
#define VIRTQ_DESC_F_INDIRECT	   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY	   1u

#define VIRTQ_MAX_SIZE 32768u /* split rings: a power of 2 up to 32768 */

/* The shared layout (little-endian; exec-rt is x86_64 only). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [size], then uint16_t used_event */
};
struct virtq_used_elem {
	uint32_t id;  /* head of the completed chain */
	uint32_t len; /* bytes the device wrote */
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* [size], then uint16_t avail_event */
};

/* Byte sizes of each part for a queue of `size` entries. */
static inline size_t virtq_desc_bytes(unsigned size)
{
	return 16u * size;
}
static inline size_t virtq_avail_bytes(unsigned size)
{
	return 6u + 2u * size;
}
static inline size_t virtq_used_bytes(unsigned size)
{
	return 6u + 8u * size;
}

/* vring_need_event: should the side that moved its index from old to
 * new_idx signal, given the other side asked for a signal once event_idx
 * is passed? Everything modulo 2^16. */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx,
				    uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* One buffer of a chain: physical address (DMA memory), length, and
 * whether the device writes it (else it reads it). */
struct virtq_buf {
	uint64_t phys;
	uint32_t len;
	bool write;
};

/* Driver-private (ops->priv_alloc); only the pointers desc, avail, used,
 * used_event and avail_event lead into device-writable memory. */
struct virtq {
	struct virtio_dev *dev;
	uint16_t index; /* queue number */
	uint16_t size;	/* entries, power of 2 */
	uint16_t num_free;
	uint16_t free_head; /* first free descriptor (chained by shadow next) */
	uint16_t avail_idx; /* our shadow of avail->idx */
	uint16_t kicked_idx;  /* avail_idx at the last notify decision */
	uint16_t last_used;   /* next used entry to consume */
	bool event_idx;	      /* VIRTIO_F_EVENT_IDX negotiated */
	bool cb_disabled;     /* driver asked for no interrupts */
	bool broken;	      /* the device broke the protocol: no more use */
	uint16_t avail_flags; /* what we keep in avail->flags */
	struct virtq_desc *desc;   /* device-visible; written, never read */
	struct virtq_avail *avail; /* device-visible; written, never read */
	struct virtq_used *used;   /* device-written: checked on every read */
	volatile uint16_t *used_event; /* in the avail ring, after ring[size] */
	volatile uint16_t *avail_event; /* in the used ring, after ring[size] */
	volatile uint8_t *notify;	/* this queue's doorbell */
	struct virtio_dma mem;		/* the rings */
	struct virtio_dma priv;		/* this struct and the arrays below */
	/* Private, [size] each. shadow: what we wrote to desc[]; its next
	 * links chain the free list and the outstanding chains. token: per
	 * head of an outstanding chain, else NULL. chain_len: descriptors in
	 * head's chain; wlen: device-writable bytes it offers. */
	struct virtq_desc *shadow;
	void **token;
	uint16_t *chain_len;
	uint32_t *wlen;
	uint64_t kicks, kicks_suppressed; /* counters, for tests and status */
	uint64_t bad_used; /* used entries naming no outstanding head */
};

/* Set queue `index` up: size = min(size, device maximum), rounded down to
 * a power of 2 (0 = the device maximum, capped at 256); rings allocated
 * through ops->dma_alloc, struct virtq through ops->priv_alloc; MSI-X vector
 * per virtio_irq_setup (call that first); the queue is enabled. Before
 * virtio_ready. ERR_NOT_FOUND: the device has no such queue; ERR_NOT_SUPPORTED:
 * the device refused the vector, or the platform has no priv_alloc. */
int virtq_setup(struct virtio_dev *dev, unsigned index, unsigned size,
		struct virtq **out);

/* Add one chain of n buffers (device-readable ones first), the token
 * given back by virtq_get when the device is done; token != NULL.
 * Published to the device at once (no kick). ERR_SHOULD_WAIT: fewer than
 * n free descriptors (the ring is full; nothing changed); ERR_INVALID_ARGS:
 * n == 0, n > size, a readable buffer after a writable one, NULL token;
 * ERR_BAD_STATE: the queue is broken. */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *token);

/* Does the device want a notification for what was added since the last
 * kick? (avail_event or the NO_NOTIFY flag; full fence first.) */
bool virtq_kick_prepare(struct virtq *q);
/* Write the queue's doorbell. */
void virtq_notify(struct virtq *q);
/* virtq_kick_prepare + virtq_notify when needed; returns true if notified. */
bool virtq_kick(struct virtq *q);

/* The next completed chain: its token, *len = bytes the device wrote
 * (may be NULL), at most the device-writable bytes the chain offered.
 * NULL when none is waiting; with interrupts on (never disabled, or
 * enabled again by virtq_enable_cb) a NULL also means the next completion
 * will interrupt, so "drain until NULL, then wait" loses no wake-up. A
 * used entry whose id is not the head of an outstanding chain (out of
 * range, free, inside a chain, completed twice) is skipped and counted in
 * bad_used; a used index more than size ahead, or more than size such
 * entries in one call, marks the queue broken (NULL from then on). */
void *virtq_get(struct virtq *q, uint32_t *len);

/* Ask the device not to interrupt for this queue (best effort: with
 * EVENT_IDX one more may come). */
void virtq_disable_cb(struct virtq *q);
/* Ask for interrupts again. Returns false if used buffers arrived in the
 * meantime: then drain with virtq_get and call it again (no interrupt is
 * guaranteed for those). */
bool virtq_enable_cb(struct virtq *q);

/* Descriptors free (a chain of n needs n). */
static inline unsigned virtq_free(const struct virtq *q)
{
	return q->num_free;
}
/* True when no chain is outstanding. */
static inline bool virtq_idle(const struct virtq *q)
{
	return q->num_free == q->size;
}
