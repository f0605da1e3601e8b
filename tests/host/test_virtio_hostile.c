/* libvirtio against a device that writes where it may not: the whole DMA
 * block of a queue (descriptor table, available ring, used ring) is
 * device-reachable memory, so nothing the driver trusts may live there.
 * Review 14 M1: a rewritten desc.next made virtq_add write out of bounds,
 * a bogus used id freed live chains. */
#include <execrt/errors.h>
#include <stdlib.h>

#include "harness.h"
#include "virtio_fake.h"

static struct fk_dev F;
static struct virtio_dev D;

static struct virtq *up(unsigned qsize)
{
	struct virtq *q = NULL;
	fk_init(&F, 2, 1, 256);
	F.offered = VIRTIO_F_VERSION_1;
	if (fk_bringup(&F, &D, 0, qsize, &q))
		return NULL;
	return q;
}

static void down(void)
{
	virtio_close(&D);
	fk_fini(&F);
}

#define TOK(i) ((void *)(uintptr_t)(0x1000 + (i)))

/* The device writes used entry `slot` and publishes idx. */
static void used_put(struct virtq *q, uint16_t slot, uint32_t id, uint32_t len)
{
	volatile struct virtq_used_elem *e =
		&q->used->ring[slot & (q->size - 1)];
	e->id = id;
	e->len = len;
}

static void used_idx(struct virtq *q, uint16_t idx)
{
	__atomic_store_n(&q->used->idx, idx, __ATOMIC_RELEASE);
}

TEST(virtq_rewritten_next_links_do_not_steer_add)
{
	struct virtq *q = up(8);
	CHECK(q);
	struct virtq_buf b[2] = {{0x10000, 16, false}, {0x20000, 64, true}};
	CHECK_EQ(virtq_add(q, b, 2, TOK(1)), 0);
	struct fk_chain c;
	CHECK(fk_pop(&F, 0, &c));
	/* The device points every link of the table far out of the ring
	 * (the review's reproducer wrote 0xffff into the free head's next). */
	for (unsigned i = 0; i < q->size; i++)
		q->desc[i].next = 0xffff;
	CHECK_EQ(virtq_add(q, b, 2, TOK(2)), 0);
	CHECK_EQ(virtq_free(q), 4);
	/* What the device sees of the new chain is what the driver meant:
	 * fk_pop walks it through the table and aborts on a bad link or a
	 * descriptor of the chain still in flight. */
	struct fk_chain c2;
	CHECK(fk_pop(&F, 0, &c2));
	CHECK_EQ(c2.n, 2);
	CHECK_EQ(c2.addr[0], 0x10000);
	CHECK_EQ(c2.addr[1], 0x20000);
	CHECK_EQ(c2.flags[0], VIRTQ_DESC_F_NEXT);
	CHECK_EQ(c2.flags[1], VIRTQ_DESC_F_WRITE);
	/* Both complete (written directly: the fake's own walk would follow
	 * the links it scribbled); the free list is whole again. */
	used_put(q, 0, c.id[0], 64);
	used_put(q, 1, c2.id[0], 64);
	used_idx(q, 2);
	CHECK(virtq_get(q, NULL) == TOK(1));
	CHECK(virtq_get(q, NULL) == TOK(2));
	CHECK(!q->broken);
	CHECK(virtq_idle(q));
	down();
}

TEST(virtq_bogus_used_ids_are_counted_and_ignored)
{
	struct virtq *q = up(8);
	CHECK(q);
	struct virtq_buf b[3] = {{0x10000, 16, false},
				 {0x20000, 64, true},
				 {0x30000, 100, true}};
	CHECK_EQ(virtq_add(q, b, 3, TOK(1)), 0);
	struct fk_chain c;
	CHECK(fk_pop(&F, 0, &c));
	uint16_t head = c.id[0];
	/* Out of range, a free descriptor, the middle of the live chain,
	 * then the real head with a length past what was offered, then the
	 * same head again (already completed). */
	uint16_t free_desc = (uint16_t)(head + 3);
	used_put(q, 0, 0xffffffffu, 8);
	used_put(q, 1, free_desc, 8);
	used_put(q, 2, c.id[1], 8);
	used_put(q, 3, head, 0xffffffffu);
	used_put(q, 4, head, 8);
	used_idx(q, 5);
	uint32_t len = 0;
	CHECK(virtq_get(q, &len) == TOK(1));
	CHECK_EQ(len, 164); /* clamped to the writable bytes offered */
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(!q->broken);
	CHECK_EQ(q->bad_used, 4);
	CHECK(virtq_idle(q));
	/* The queue still works, every descriptor usable once (the fake's
	 * device side resynchronised with what was written behind it). */
	memset(F.q[0].inflight, 0, sizeof(F.q[0].inflight));
	F.q[0].used_idx = 5;
	struct virtq_buf one = {0x40000, 8, true};
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(virtq_add(q, &one, 1, TOK(10 + i)), 0);
	CHECK_EQ(virtq_add(q, &one, 1, TOK(20)), ERR_SHOULD_WAIT);
	for (unsigned i = 0; i < 8; i++) {
		CHECK(fk_pop(&F, 0, &c));
		fk_push(&F, 0, c.id[0], 8);
	}
	for (unsigned i = 0; i < 8; i++)
		CHECK(virtq_get(q, NULL) == TOK(10 + i));
	CHECK(virtq_idle(q));
	down();
}

/* The device overwrites every byte of the queue's DMA block, keeping only
 * a sane used index: the outstanding chains still come back once each,
 * the free list stays whole, and new chains are written correctly. */
TEST(virtq_whole_dma_block_scribbled)
{
	struct virtq *q = up(8);
	CHECK(q);
	struct virtq_buf b[2] = {{0x10000, 16, false}, {0x20000, 8, true}};
	uint16_t heads[4];
	struct fk_chain c;
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(virtq_add(q, b, 2, TOK(i)), 0);
		CHECK(fk_pop(&F, 0, &c));
		heads[i] = c.id[0];
	}
	CHECK_EQ(virtq_free(q), 0);
	/* Nothing the driver keeps is in the block (it all was, before). */
	uintptr_t lo = (uintptr_t)q->mem.va, hi = lo + q->mem.size;
	const void *mine[] = {q, q->shadow, q->token, q->chain_len, q->wlen};
	for (unsigned i = 0; i < 5; i++)
		CHECK((uintptr_t)mine[i] < lo || (uintptr_t)mine[i] >= hi);
	memset(q->mem.va, 0xa5, q->mem.size);
	used_idx(q, 0);
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(!q->broken);
	for (unsigned i = 0; i < 4; i++) {
		used_put(q, (uint16_t)(2 * i), heads[i], 0x1000);
		used_put(q, (uint16_t)(2 * i + 1), 0xa5a5a5a5u, 0);
	}
	used_idx(q, 8);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t len = 0;
		CHECK(virtq_get(q, &len) == TOK(i));
		CHECK_EQ(len, 8);
	}
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(!q->broken);
	CHECK(virtq_idle(q));
	/* New chains: the device-side walk finds them whole (fk_pop aborts on
	 * a link out of the ring or a descriptor taken twice). */
	memset(F.q[0].inflight, 0, sizeof(F.q[0].inflight));
	F.q[0].last_avail = 4;
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(virtq_add(q, b, 2, TOK(10 + i)), 0);
		CHECK(fk_pop(&F, 0, &c));
		CHECK_EQ(c.n, 2);
		CHECK_EQ(c.addr[1], 0x20000);
	}
	CHECK_EQ(virtq_free(q), 0);
	down();
	CHECK_EQ(F.dma_live, 0);
	CHECK_EQ(F.priv_live, 0);
}

/* A platform without private memory gets no queue (rather than one with
 * its bookkeeping where the device can write it). */
TEST(virtq_setup_needs_private_memory)
{
	static struct virtio_ops ops;
	ops = fk_ops;
	ops.priv_alloc = NULL;
	fk_init(&F, 2, 1, 256);
	F.offered = VIRTIO_F_VERSION_1;
	struct virtq *q = NULL;
	CHECK_EQ(virtio_init(&D, &ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&D, 0), 0);
	CHECK_EQ(virtio_irq_setup(&D, 0, 1), 0);
	CHECK_EQ(virtq_setup(&D, 0, 8, &q), ERR_NOT_SUPPORTED);
	CHECK(!q);
	CHECK_EQ(F.dma_live, 0);
	down();
}
