/* libvirtio split rings against the fake device's side of them: chains,
 * full ring, out-of-order completion, 16-bit wrap-around, event-index and
 * flag suppression in both directions, a device breaking the protocol. */
#include <execrt/errors.h>
#include <stdlib.h>

#include "harness.h"
#include "virtio_fake.h"

static struct fk_dev F;
static struct virtio_dev D;

static struct virtq *up(uint64_t offered, unsigned qsize)
{
	struct virtq *q = NULL;
	fk_init(&F, 2, 1, 256);
	F.offered = offered;
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

TEST(virtq_need_event_rule)
{
	/* Signal iff event_idx lies in [old, new) modulo 2^16. */
	CHECK(virtq_need_event(5, 6, 5));
	CHECK(!virtq_need_event(6, 6, 5));
	CHECK(virtq_need_event(7, 10, 5));
	CHECK(!virtq_need_event(4, 10, 5));
	CHECK(!virtq_need_event(10, 10, 5));
	CHECK(virtq_need_event(65535, 2, 65530)); /* across the wrap */
	CHECK(virtq_need_event(0, 2, 65530));
	CHECK(!virtq_need_event(2, 2, 65530));
	CHECK(!virtq_need_event(65529, 2, 65530));
	CHECK(!virtq_need_event(5, 5, 5)); /* nothing moved */
}

TEST(virtq_chain_flags_and_completion)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 8);
	CHECK(q);
	struct virtq_buf b[3] = {{0x10000, 16, false},
				 {0x20000, 512, false},
				 {0x30000, 64, true}};
	CHECK_EQ(virtq_add(q, b, 3, TOK(1)), 0);
	CHECK_EQ(virtq_free(q), 5);
	CHECK_EQ(fk_avail_idx(&F, 0), 1);
	CHECK(virtq_kick(q)); /* avail_event 0: the device wants the first */
	CHECK_EQ(F.q[0].notifies, 1);
	struct fk_chain c;
	CHECK(fk_pop(&F, 0, &c));
	CHECK_EQ(c.n, 3);
	CHECK_EQ(c.addr[0], 0x10000);
	CHECK_EQ(c.len[1], 512);
	CHECK_EQ(c.flags[0], VIRTQ_DESC_F_NEXT);
	CHECK_EQ(c.flags[1], VIRTQ_DESC_F_NEXT);
	CHECK_EQ(c.flags[2], VIRTQ_DESC_F_WRITE);
	CHECK(!fk_pop(&F, 0, &c));
	CHECK(virtq_get(q, NULL) == NULL); /* nothing used yet */
	fk_push(&F, 0, c.id[0], 40);
	uint32_t len = 0;
	CHECK(virtq_get(q, &len) == TOK(1));
	CHECK_EQ(len, 40);
	CHECK(virtq_get(q, &len) == NULL);
	CHECK(virtq_idle(q));
	down();
	CHECK_EQ(F.dma_live, 0);
}

TEST(virtq_bad_chains_refused)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1, 8);
	CHECK(q);
	struct virtq_buf b[2] = {{0x1000, 8, true}, {0x2000, 8, false}};
	CHECK_EQ(virtq_add(q, b, 2, TOK(1)),
		 ERR_INVALID_ARGS); /* writable first */
	CHECK_EQ(virtq_add(q, b, 0, TOK(1)), ERR_INVALID_ARGS);
	CHECK_EQ(virtq_add(q, b, 1, NULL), ERR_INVALID_ARGS);
	struct virtq_buf many[9] = {{0}};
	CHECK_EQ(virtq_add(q, many, 9, TOK(1)), ERR_INVALID_ARGS);
	CHECK_EQ(virtq_free(q), 8);
	CHECK_EQ(fk_avail_idx(&F, 0), 0);
	down();
}

TEST(virtq_full_ring_is_a_clean_error)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 4);
	CHECK(q);
	struct virtq_buf b[3] = {
		{0x1000, 8, false}, {0x2000, 8, false}, {0x3000, 8, true}};
	CHECK_EQ(virtq_add(q, b, 2, TOK(0)), 0);
	CHECK_EQ(virtq_add(q, b, 3, TOK(1)), ERR_SHOULD_WAIT); /* 2 free */
	CHECK_EQ(virtq_free(q), 2);
	CHECK_EQ(fk_avail_idx(&F, 0), 1); /* nothing published */
	CHECK_EQ(virtq_add(q, b, 1, TOK(2)), 0);
	CHECK_EQ(virtq_add(q, b + 2, 1, TOK(3)), 0);
	CHECK_EQ(virtq_free(q), 0);
	CHECK_EQ(virtq_add(q, b, 1, TOK(4)), ERR_SHOULD_WAIT);
	CHECK_EQ(fk_avail_idx(&F, 0), 3);
	/* The device takes all three; completing one makes room again. */
	struct fk_chain c[3];
	for (int i = 0; i < 3; i++)
		CHECK(fk_pop(&F, 0, &c[i]));
	fk_push(&F, 0, c[1].id[0], 0);
	CHECK(virtq_get(q, NULL) == TOK(2));
	CHECK_EQ(virtq_free(q), 1);
	CHECK_EQ(virtq_add(q, b, 1, TOK(5)), 0);
	CHECK_EQ(virtq_add(q, b, 1, TOK(6)), ERR_SHOULD_WAIT);
	down();
}

TEST(virtq_out_of_order_completion)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 16);
	CHECK(q);
	struct virtq_buf b[4] = {{0x1000, 8, false},
				 {0x2000, 8, false},
				 {0x3000, 256, true},
				 {0x4000, 256, true}};
	unsigned lens[5] = {1, 4, 2, 3, 1};
	struct fk_chain c[5];
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ(virtq_add(q, b + 4 - lens[i], lens[i], TOK(i)), 0);
	CHECK_EQ(virtq_free(q), 16 - 11);
	for (unsigned i = 0; i < 5; i++) {
		CHECK(fk_pop(&F, 0, &c[i]));
		CHECK_EQ(c[i].n, lens[i]);
	}
	unsigned order[5] = {3, 0, 4, 1, 2};
	for (unsigned k = 0; k < 5; k++)
		fk_push(&F, 0, c[order[k]].id[0], 100 + order[k]);
	for (unsigned k = 0; k < 5; k++) {
		uint32_t len;
		CHECK(virtq_get(q, &len) == TOK(order[k]));
		CHECK_EQ(len, 100 + order[k]);
	}
	CHECK(virtq_idle(q));
	/* The free list survived the shuffle: refill completely with 1-chains
	 * and the device sees 16 distinct descriptors (fk_pop aborts on a
	 * descriptor handed out twice). */
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(virtq_add(q, b, 1, TOK(i)), 0);
	for (unsigned i = 0; i < 16; i++)
		CHECK(fk_pop(&F, 0, &c[0]));
	down();
}

/* Many rounds through a small ring: both 16-bit indices wrap past 65535,
 * with chains of 1..3 completed in a shuffled order. */
TEST(virtq_indices_wrap_around)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 8);
	CHECK(q);
	struct virtq_buf b[3] = {
		{0x1000, 8, false}, {0x2000, 8, true}, {0x3000, 8, true}};
	unsigned long next_tok = 1, got = 0, sent = 0;
	srand(7);
	uintptr_t expect[8];
	unsigned nexp = 0;
	while (got < 70000) {
		unsigned n = 1 + (unsigned)rand() % 3;
		if (virtq_add(q, b + 3 - n, n, TOK(next_tok)) == 0) {
			next_tok++;
			sent++;
			continue;
		}
		/* Full: the device takes everything and completes it backwards.
		 */
		struct fk_chain c[8];
		unsigned k = 0;
		while (k < 8 && fk_pop(&F, 0, &c[k]))
			k++;
		CHECK(k >= 2);
		nexp = 0;
		for (unsigned i = k; i-- > 0;) {
			fk_push(&F, 0, c[i].id[0], c[i].n);
			expect[nexp++] = next_tok - k + i;
		}
		for (unsigned i = 0; i < nexp; i++) {
			uint32_t len;
			void *t = virtq_get(q, &len);
			CHECK(t == TOK(expect[i]));
			got++;
		}
		CHECK(virtq_get(q, NULL) == NULL);
		CHECK(virtq_idle(q));
	}
	CHECK(sent > 65536);
	CHECK_EQ(q->avail_idx, (uint16_t)sent);
	CHECK_EQ(q->last_used, (uint16_t)got);
	CHECK_EQ(F.q[0].used_idx, (uint16_t)got);
	CHECK(!q->broken);
	down();
}

TEST(virtq_kick_suppressed_by_avail_event)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 16);
	CHECK(q);
	struct virtq_buf b = {0x1000, 8, false};
	CHECK(!virtq_kick(q)); /* nothing added: no kick */
	CHECK_EQ(virtq_add(q, &b, 1, TOK(0)), 0);
	CHECK(virtq_kick(q)); /* avail_event 0, 0 -> 1 passes it */
	/* The device is busy: it wants a kick only once idx passes 3. */
	fk_set_avail_event(&F, 0, 3);
	CHECK_EQ(virtq_add(q, &b, 1, TOK(1)), 0); /* idx 2 */
	CHECK(!virtq_kick(q));
	CHECK_EQ(virtq_add(q, &b, 1, TOK(2)),
		 0); /* idx 3: event 3 not passed */
	CHECK(!virtq_kick(q));
	CHECK_EQ(virtq_add(q, &b, 1, TOK(3)), 0); /* idx 4: passed */
	CHECK(virtq_kick(q));
	/* Two at once that jump over the event index still kick. */
	fk_set_avail_event(&F, 0, 4);
	CHECK_EQ(virtq_add(q, &b, 1, TOK(4)), 0);
	CHECK_EQ(virtq_add(q, &b, 1, TOK(5)), 0);
	CHECK(virtq_kick_prepare(q));
	virtq_notify(q);
	CHECK_EQ(F.q[0].notifies, 3);
	CHECK_EQ(q->kicks, 3);
	CHECK_EQ(q->kicks_suppressed, 2);
	down();
}

TEST(virtq_kick_suppressed_by_no_notify_flag)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1, 16);
	CHECK(q);
	CHECK(!q->event_idx);
	struct virtq_buf b = {0x1000, 8, false};
	fk_set_no_notify(&F, 0, true);
	CHECK_EQ(virtq_add(q, &b, 1, TOK(0)), 0);
	CHECK(!virtq_kick(q));
	fk_set_no_notify(&F, 0, false);
	CHECK_EQ(virtq_add(q, &b, 1, TOK(1)), 0);
	CHECK(virtq_kick(q));
	CHECK_EQ(F.q[0].notifies, 1);
	down();
}

TEST(virtq_interrupt_suppressed_by_used_event)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, 16);
	CHECK(q);
	struct virtq_buf b = {0x1000, 8, true};
	struct fk_chain c;
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(virtq_add(q, &b, 1, TOK(i)), 0);
	/* used_event 0: the first completion interrupts. */
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(fk_irq_needed(&F, 0));
	/* Not consumed yet: used_event still 0, so the next one does not. */
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(!fk_irq_needed(&F, 0));
	CHECK(virtq_get(q, NULL) == TOK(0));
	CHECK(virtq_get(q, NULL) == TOK(1));
	CHECK_EQ(fk_used_event(&F, 0), 2); /* the driver asks for the next */
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(fk_irq_needed(&F, 0));
	CHECK(virtq_get(q, NULL) == TOK(2));
	/* Disabled: completions go by without an interrupt ... */
	virtq_disable_cb(q);
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(!fk_irq_needed(&F, 0));
	CHECK(virtq_get(q, NULL) == TOK(3));
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(!fk_irq_needed(&F, 0));
	/* ... and enabling reports the one that slipped through. */
	CHECK(!virtq_enable_cb(q));
	CHECK(virtq_get(q, NULL) == TOK(4));
	CHECK(virtq_enable_cb(q));
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(fk_irq_needed(&F, 0));
	CHECK_EQ(fk_avail_flags(&F, 0),
		 0); /* EVENT_IDX: flags stay 0 (2.7.7) */
	down();
}

TEST(virtq_interrupt_suppressed_by_flag)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1, 16);
	CHECK(q);
	struct virtq_buf b = {0x1000, 8, true};
	struct fk_chain c;
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(virtq_add(q, &b, 1, TOK(i)), 0);
	virtq_disable_cb(q);
	CHECK_EQ(fk_avail_flags(&F, 0), VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(!fk_irq_needed(&F, 0));
	CHECK(!virtq_enable_cb(q)); /* one is waiting */
	CHECK_EQ(fk_avail_flags(&F, 0), 0);
	CHECK(virtq_get(q, NULL) == TOK(0));
	CHECK(virtq_enable_cb(q));
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, c.id[0], 0);
	CHECK(fk_irq_needed(&F, 0));
	down();
}

TEST(virtq_device_naming_a_free_head_is_skipped)
{
	struct virtq *q = up(VIRTIO_F_VERSION_1, 8);
	CHECK(q);
	struct virtq_buf b = {0x1000, 8, true};
	CHECK_EQ(virtq_add(q, &b, 1, TOK(0)), 0);
	struct fk_chain c;
	CHECK(fk_pop(&F, 0, &c));
	fk_push(&F, 0, (uint16_t)(c.id[0] + 1), 0); /* a head never given */
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(!q->broken);
	CHECK_EQ(q->bad_used, 1);
	CHECK_EQ(virtq_free(q), 7); /* the real chain is still out */
	fk_push(&F, 0, c.id[0], 0);
	CHECK(virtq_get(q, NULL) == TOK(0));
	CHECK(virtq_idle(q));
	down();

	/* A whole ring of bogus entries, twice: all skipped and counted, the
	 * queue goes on (only a device publishing more than a ring during one
	 * call, which needs a concurrent device, breaks it). */
	q = up(VIRTIO_F_VERSION_1, 8);
	CHECK(q);
	__atomic_store_n(&q->used->idx, (uint16_t)8, __ATOMIC_RELEASE);
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(!q->broken && q->bad_used == 8); /* 8 bogus, then empty */
	__atomic_store_n(&q->used->idx, (uint16_t)16, __ATOMIC_RELEASE);
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK_EQ(q->bad_used, 16);
	down();

	q = up(VIRTIO_F_VERSION_1, 8);
	CHECK(q);
	/* A used index far ahead of what was given. */
	__atomic_store_n(&q->used->idx, (uint16_t)9, __ATOMIC_RELEASE);
	CHECK(virtq_get(q, NULL) == NULL);
	CHECK(q->broken);
	down();
}

/* A small deterministic generator (the test must repeat exactly). */
static uint32_t rnd_state;
static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* Random traffic against a model, with and without EVENT_IDX: chains of
 * 1..4 added while they fit (the ring's answer checked against the free
 * count), the device taking a random number and completing them in a
 * random order with random lengths, the driver draining with callbacks
 * randomly off; 400,000 steps (the indices wrap several times). Checked
 * at every step: tokens come back exactly once with their lengths; every
 * kick decision equals the spec's rule evaluated by the fake from
 * avail_event (or the flag); and no wake-up is lost: once the driver has
 * drained with interrupts on (a virtq_get NULL) or re-enabled them
 * (virtq_enable_cb true), the next completion must need an interrupt. */
struct traffic {
	uint32_t adds, full, kicks_checked, completions, armed_checks;
};

static void random_traffic(bool event_idx, uint32_t seed, int *bad,
			   struct traffic *st)
{
	struct virtq *q = up(
		VIRTIO_F_VERSION_1 | (event_idx ? VIRTIO_F_EVENT_IDX : 0), 16);
	if (!q || q->event_idx != event_idx) {
		*bad = __LINE__;
		return;
	}
	rnd_state = seed;
	static uint32_t want_len[1 << 16]; /* by token */
	static uint32_t wcap[1 << 16];	   /* writable bytes offered */
	static uint8_t state[1 << 16];	   /* 0 free, 1 added, 2 completed */
	static uint32_t taken[64], ntaken; /* tokens the device holds */
	uint32_t next_tok = 1, outstanding = 0;
	uint16_t last_kick_idx = 0;
	bool armed = false; /* the driver drained with callbacks on */
	ntaken = 0;
	memset(state, 0, sizeof(state));
	struct virtq_buf b[4] = {{0x1000, 8, false},
				 {0x2000, 8, false},
				 {0x3000, 8, true},
				 {0x4000, 8, true}};
	for (int step = 0; step < 400000 && !*bad; step++) {
		switch (rnd(4)) {
		case 0: { /* add a chain, then maybe kick */
			unsigned n = 1 + rnd(4);
			uint32_t tok =
				next_tok & 0xffff ? next_tok & 0xffff : 1;
			if (state[tok])
				break; /* token still in use: skip */
			const struct virtq_buf *bs = b + (4 - n) * (rnd(2));
			int r = virtq_add(q, bs, n, TOK(tok));
			wcap[tok] = 0;
			for (unsigned k = 0; k < n; k++)
				wcap[tok] += bs[k].write ? bs[k].len : 0;
			bool fits = n <= virtq_free(q) + (r == 0 ? n : 0);
			if ((r == 0) != fits || (r && r != ERR_SHOULD_WAIT)) {
				*bad = __LINE__;
				break;
			}
			st->full += r != 0;
			if (r == 0) {
				st->adds++;
				state[tok] = 1;
				outstanding++;
				next_tok++;
			}
			if (rnd(2)) {
				uint16_t now = q->avail_idx,
					 old = last_kick_idx;
				bool want;
				if (event_idx) {
					uint16_t ev =
						(uint16_t)(F.q[0].last_avail +
							   rnd(3));
					fk_set_avail_event(&F, 0, ev);
					want = (uint16_t)(ev - old) <
					       (uint16_t)(now - old);
				} else {
					bool nn = rnd(2);
					fk_set_no_notify(&F, 0, nn);
					want = now != old && !nn;
				}
				if (virtq_kick(q) != want)
					*bad = __LINE__;
				st->kicks_checked++;
				last_kick_idx = now;
			}
			break;
		}
		case 1: { /* the device takes some */
			unsigned k = rnd(5);
			struct fk_chain c;
			while (k-- && ntaken < 64 && fk_pop(&F, 0, &c))
				taken[ntaken++] = c.id[0];
			break;
		}
		case 2: { /* the device completes some, in any order */
			unsigned k = 1 + rnd(4);
			while (k-- && ntaken) {
				uint32_t i = rnd(ntaken);
				uint16_t head = (uint16_t)taken[i];
				taken[i] = taken[--ntaken];
				uint32_t tok =
					(uint32_t)(uintptr_t)q->token[head] -
					0x1000;
				uint32_t wrote = rnd(1000);
				fk_push(&F, 0, head, wrote);
				/* What virtq_get reports: at most the
				 * writable bytes the chain offered. */
				want_len[tok] =
					wrote < wcap[tok] ? wrote : wcap[tok];
				bool irq = fk_irq_needed(&F, 0);
				if (armed && !irq)
					*bad = __LINE__; /* a lost wake-up */
				st->armed_checks += armed;
				st->completions++;
				armed = false;
			}
			break;
		}
		default: { /* the driver drains */
			if (rnd(4) == 0) {
				virtq_disable_cb(q);
				armed = false;
			}
			void *t;
			uint32_t len;
			while ((t = virtq_get(q, &len))) {
				uint32_t tok = (uint32_t)(uintptr_t)t - 0x1000;
				if (state[tok] != 1 || len != want_len[tok]) {
					*bad = __LINE__;
					break;
				}
				state[tok] = 0;
				outstanding--;
			}
			/* Drained with interrupts on: the next completion
			 * must interrupt without virtq_enable_cb. */
			if (!q->cb_disabled) {
				armed = true;
				fk_irq_needed(&F, 0);
			}
			if (rnd(2)) {
				if (virtq_enable_cb(q)) {
					armed = true;
					/* Everything the device pushed before
					 * is consumed: the next decision starts
					 * here. */
					fk_irq_needed(&F, 0);
				}
			}
			break;
		}
		}
		if (q->broken)
			*bad = __LINE__;
	}
	if (!*bad && (uint32_t)(q->size - virtq_free(q)) < outstanding)
		*bad = __LINE__;
	down();
}

TEST(virtq_random_traffic_event_idx)
{
	int bad = 0;
	struct traffic st = {0};
	random_traffic(true, 1, &bad, &st);
	CHECK_EQ(bad, 0);
	/* It went through what it claims: both indices wrapped, full rings,
	 * kick decisions and armed wake-ups in numbers. */
	CHECK(st.adds > 65536 && st.completions > 65536);
	CHECK(st.full > 1000 && st.kicks_checked > 10000 &&
	      st.armed_checks > 1000);
}

TEST(virtq_random_traffic_flags)
{
	int bad = 0;
	struct traffic st = {0};
	random_traffic(false, 2, &bad, &st);
	CHECK_EQ(bad, 0);
	CHECK(st.adds > 65536 && st.completions > 65536);
	CHECK(st.full > 1000 && st.kicks_checked > 10000 &&
	      st.armed_checks > 1000);
}
