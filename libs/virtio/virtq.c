/* libvirtio split virtqueues (virtio 1.x 2.7): the driver side.
 *
 * Free descriptors form a list chained through shadow[].next, the
 * driver-private copy of the descriptor table; a chain taken from its head
 * keeps those links as its NEXT links, so freeing a chain is putting it
 * back in front of the list. The device should only read the descriptor
 * table and the available ring and only write the used ring, but it can
 * write all of its DMA block (review 14 M1): so the driver never reads the
 * table or the available ring back, writes them from its shadows, and
 * checks every used entry against the private state.
 * No locks: one thread per queue (the driver's). */
#include "virtio_priv.h"

#include <execrt/errors.h>
#include <string.h>
#include <virtio/virtq.h>

#define DEFAULT_SIZE 256u

static uint16_t load_acquire(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Between publishing our index and reading the other side's suppression
 * field: a store-load order, which only a full fence gives. */
static void full_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

void virtq_free_queue(struct virtq *q)
{
	struct virtio_dev *d = q->dev;
	struct virtio_dma mem = q->mem, priv = q->priv; /* q lives in priv */
	virtio_dma_free(d, &mem);
	d->ops->priv_free(d->ctx, &priv);
}

/* The rings in one DMA allocation; struct virtq and its per-descriptor
 * arrays in one private allocation the device is never given (without
 * an IOMMU it could still reach them by guessing, as all of RAM; but it
 * is never told where they are, and no ring field points there). */
static int alloc_queue(struct virtio_dev *d, unsigned index, unsigned size,
		       struct virtq **out)
{
	if (!d->ops->priv_alloc || !d->ops->priv_free)
		return ERR_NOT_SUPPORTED;
	size_t avail_off = virtq_desc_bytes(size);
	size_t used_off = align_up(avail_off + virtq_avail_bytes(size), 4);
	size_t shadow_off = align_up(sizeof(struct virtq), 16);
	size_t tok_off = shadow_off + size * sizeof(struct virtq_desc);
	size_t wlen_off = tok_off + size * sizeof(void *);
	size_t len_off = wlen_off + size * sizeof(uint32_t);
	struct virtio_dma mem, priv;
	int r = virtio_dma_alloc(d, used_off + virtq_used_bytes(size), &mem);
	if (r)
		return r;
	r = d->ops->priv_alloc(d->ctx, len_off + size * sizeof(uint16_t),
			       &priv);
	if (r) {
		virtio_dma_free(d, &mem);
		return r;
	}
	uint8_t *base = mem.va, *pb = priv.va;
	memset(pb, 0, len_off + size * sizeof(uint16_t));
	struct virtq *q = (struct virtq *)pb;
	q->mem = mem;
	q->priv = priv;
	q->dev = d;
	q->index = (uint16_t)index;
	q->size = (uint16_t)size;
	q->shadow = (struct virtq_desc *)(pb + shadow_off);
	q->token = (void **)(pb + tok_off);
	q->wlen = (uint32_t *)(pb + wlen_off);
	q->chain_len = (uint16_t *)(pb + len_off);
	q->desc = (struct virtq_desc *)base;
	q->avail = (struct virtq_avail *)(base + avail_off);
	q->used = (struct virtq_used *)(base + used_off);
	q->used_event = &q->avail->ring[size];
	q->avail_event = (volatile uint16_t *)&q->used->ring[size];
	for (unsigned i = 0; i < size; i++)
		q->shadow[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->num_free = (uint16_t)size;
	q->event_idx = virtio_has(d, VIRTIO_F_EVENT_IDX);
	*out = q;
	return 0;
}

int virtq_setup(struct virtio_dev *d, unsigned index, unsigned size,
		struct virtq **out)
{
	if (index >= VIRTIO_MAX_QUEUES || index >= d->num_queues)
		return ERR_NOT_FOUND;
	if (d->queues[index])
		return ERR_ALREADY_EXISTS;
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK) ||
	    (d->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED)))
		return ERR_BAD_STATE;
	vcc_wr(d, VCC_Q_SELECT, 2, index);
	unsigned max = vcc_rd(d, VCC_Q_SIZE, 2);
	if (!max)
		return ERR_NOT_FOUND;
	if (!size)
		size = DEFAULT_SIZE;
	if (size > max)
		size = max;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	while (size & (size - 1))
		size &= size - 1; /* down to a power of 2 */
	uint64_t noff =
		(uint64_t)vcc_rd(d, VCC_Q_NOFF, 2) * d->caps.notify_mult;
	if (noff + 2 > d->caps.notify.length)
		return ERR_OUT_OF_RANGE;
	struct virtq *q;
	int r = alloc_queue(d, index, size, &q);
	if (r)
		return r;
	q->notify = d->caps.notify.va + noff;
	uint16_t vec = vio_queue_vector(d, index);
	vcc_wr(d, VCC_Q_SIZE, 2, size);
	vcc_wr(d, VCC_Q_MSIX, 2, vec);
	if (vcc_rd(d, VCC_Q_MSIX, 2) != vec) {
		virtq_free_queue(q);
		return ERR_NOT_SUPPORTED;
	}
	uint64_t pa = q->mem.phys;
	uint64_t parts[3] = {pa,
			     pa + ((uint8_t *)q->avail - (uint8_t *)q->desc),
			     pa + ((uint8_t *)q->used - (uint8_t *)q->desc)};
	for (unsigned i = 0; i < 3;
	     i++) { /* two 32-bit halves: allowed by 4.1.3.1 */
		vcc_wr(d, VCC_Q_DESC + 8 * i, 4, (uint32_t)parts[i]);
		vcc_wr(d, VCC_Q_DESC + 8 * i + 4, 4,
		       (uint32_t)(parts[i] >> 32));
	}
	vcc_wr(d, VCC_Q_ENABLE, 2, 1);
	d->queues[index] = q;
	*out = q;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
	      void *token)
{
	if (q->broken)
		return ERR_BAD_STATE;
	if (!token || n == 0 || n > q->size)
		return ERR_INVALID_ARGS;
	for (unsigned k = 1; k < n; k++)
		if (bufs[k - 1].write && !bufs[k].write)
			return ERR_INVALID_ARGS; /* device-writable ones come
						    last */
	if (n > q->num_free)
		return ERR_SHOULD_WAIT;
	/* The free list is private and holds num_free >= n entries, each
	 * < size: every link followed here is one we wrote. */
	uint16_t head = q->free_head, i = head, last = head;
	uint32_t wlen = 0;
	for (unsigned k = 0; k < n; k++) {
		struct virtq_desc *dsc = &q->shadow[i];
		dsc->addr = bufs[k].phys;
		dsc->len = bufs[k].len;
		dsc->flags =
			(uint16_t)((bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
				   (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		if (bufs[k].write)
			wlen = bufs[k].len > UINT32_MAX - wlen
				       ? UINT32_MAX
				       : wlen + bufs[k].len;
		q->desc[i] = *dsc; /* whatever the device left there */
		last = i;
		i = dsc->next;
	}
	q->free_head = q->shadow[last].next;
	q->num_free = (uint16_t)(q->num_free - n);
	q->token[head] = token;
	q->chain_len[head] = (uint16_t)n;
	q->wlen[head] = wlen;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	/* Descriptors and ring entry before the index that covers them. */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_kick_prepare(struct virtq *q)
{
	full_fence();
	uint16_t old = q->kicked_idx, cur = q->avail_idx;
	q->kicked_idx = cur;
	if (old == cur)
		return false;
	bool need;
	if (q->event_idx)
		need = virtq_need_event(*q->avail_event, cur, old);
	else
		need = !(load_acquire(&q->used->flags) &
			 VIRTQ_USED_F_NO_NOTIFY);
	if (need)
		q->kicks++;
	else
		q->kicks_suppressed++;
	return need;
}

void virtq_notify(struct virtq *q)
{
	vio_wr(q->dev, q->notify, 2, q->index);
}

bool virtq_kick(struct virtq *q)
{
	if (!virtq_kick_prepare(q))
		return false;
	virtq_notify(q);
	return true;
}

/* Put head's chain back in front of the free list. The links walked are
 * the private ones add wrote, chain_len of them. */
static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t n = q->chain_len[head], i = head;
	for (uint16_t k = 1; k < n; k++)
		i = q->shadow[i].next;
	q->shadow[i].next = q->free_head;
	q->free_head = head;
	q->num_free = (uint16_t)(q->num_free + n);
	q->token[head] = NULL;
	q->chain_len[head] = 0;
	q->wlen[head] = 0;
}

void *virtq_get(struct virtq *q, uint32_t *len)
{
	/* A device that keeps publishing bogus entries must not hold the
	 * driver here: more than a ring of them in one call breaks the queue.
	 */
	for (unsigned skipped = 0;; skipped++) {
		if (skipped > q->size)
			q->broken = true;
		if (q->broken)
			return NULL;
		uint16_t used_idx = load_acquire(&q->used->idx);
		if (used_idx == q->last_used) {
			if (!q->event_idx || q->cb_disabled)
				return NULL;
			/* Empty with interrupts on: used_event (stored by the
			 * last get) must be visible to the device before we
			 * conclude, or a completion racing with this check
			 * would see the old value and not interrupt. Store
			 * then load: a full fence. */
			full_fence();
			used_idx = load_acquire(&q->used->idx);
			if (used_idx == q->last_used)
				return NULL;
		}
		/* The device cannot have completed more than it was given. */
		if ((uint16_t)(used_idx - q->last_used) > q->size) {
			q->broken = true;
			return NULL;
		}
		/* One read of each field: the device may change them under
		 * us. */
		volatile struct virtq_used_elem *ve =
			&q->used->ring[q->last_used & (q->size - 1)];
		uint32_t id = ve->id, n = ve->len;
		q->last_used++;
		/* Ask for an interrupt at the next completion (made visible by
		 * the fence of the get that finds the ring empty, or of
		 * virtq_enable_cb). */
		if (q->event_idx && !q->cb_disabled)
			*q->used_event = q->last_used;
		if (id >= q->size || !q->token[id]) {
			q->bad_used++; /* not an outstanding head: skip it */
			continue;
		}
		void *tok = q->token[id];
		uint32_t cap = q->wlen[id];
		free_chain(q, (uint16_t)id);
		if (len)
			*len = n < cap ? n : cap;
		return tok;
	}
}

void virtq_disable_cb(struct virtq *q)
{
	q->cb_disabled = true;
	if (q->event_idx)
		*q->used_event =
			(uint16_t)(q->last_used - 1); /* already passed */
	else {
		q->avail_flags |= VIRTQ_AVAIL_F_NO_INTERRUPT;
		q->avail->flags = q->avail_flags;
	}
}

bool virtq_enable_cb(struct virtq *q)
{
	q->cb_disabled = false;
	if (q->event_idx)
		*q->used_event = q->last_used;
	else {
		q->avail_flags &= (uint16_t)~VIRTQ_AVAIL_F_NO_INTERRUPT;
		q->avail->flags = q->avail_flags;
	}
	full_fence();
	return load_acquire(&q->used->idx) == q->last_used;
}
