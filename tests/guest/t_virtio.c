/* libvirtio on a real device: QEMU's virtio-rng-pci (check.sh adds it to
 * the guest runs). The root task reaches the function directly (its PCI,
 * MMIO and DMA authorities, virtio_execrt_open_direct): capability walk,
 * reset and feature negotiation, an MSI-X vector per queue through
 * SYS_IRQ_CREATE_MSI, one split virtqueue carrying entropy, many rounds of
 * interrupt, ack and re-arm. The harness checks that nothing leaks. */
#include <string.h>
#include <virtio/virtio_execrt.h>
#include <virtio/virtq.h>

#include "gtest.h"
#include "gutil.h"

/* The first virtio entropy device on bus 0 (modern 1af4:1044 or the
 * transitional 1af4:1005). */
static long find_rng(uint32_t *bdf)
{
	for (uint32_t dev = 0; dev < 32; dev++) {
		uint32_t id = 0, b = dev << 3;
		long r = sys_pci_cfg_read(execrt_handle(START_H_PCI), b, 0, 4,
					  &id);
		if (r < 0)
			return r;
		if ((id & 0xffff) == 0x1af4 &&
		    ((id >> 16) == 0x1044 || (id >> 16) == 0x1005)) {
			*bdf = b;
			return 0;
		}
	}
	return ERR_NOT_FOUND;
}

struct rng {
	struct virtio_execrt p;
	struct virtio_dev d;
	struct virtq *q;
	struct virtio_dma buf;
};

static long rng_up(struct rng *r)
{
	uint32_t bdf = 0;
	long e;
	if ((e = find_rng(&bdf)) ||
	    (e = virtio_execrt_open_direct(&r->p, execrt_handle(START_H_PCI),
					   bdf, execrt_handle(START_H_MMIO),
					   execrt_handle(START_H_DMA))) ||
	    (e = virtio_init(&r->d, &virtio_execrt_ops, &r->p)) ||
	    (e = virtio_negotiate(&r->d, 0)) ||
	    (e = virtio_irq_setup(&r->d, 4, 1)) ||
	    (e = virtq_setup(&r->d, 0, 8, &r->q)) ||
	    (e = virtio_dma_alloc(&r->d, PAGE, &r->buf)) ||
	    (e = virtio_ready(&r->d)))
		return e;
	return 0;
}

static void rng_down(struct rng *r)
{
	virtio_close(&r->d); /* reset first: no DMA into what is freed next */
	virtio_dma_free(&r->d, &r->buf);
	virtio_execrt_close(&r->p);
}

/* Asks for n bytes at off, waits for the interrupt; the bytes written. */
static long rng_read(struct rng *r, uint32_t off, uint32_t n, uint32_t *got)
{
	struct virtq_buf b = {r->buf.phys + off, n, true};
	void *tok = (void *)(uintptr_t)(off + 1);
	long e = virtq_add(r->q, &b, 1, tok);
	if (e)
		return e;
	virtq_kick(r->q);
	uint64_t deadline = g_now() + 5000 * MS;
	for (;;) {
		uint64_t bits = 0;
		if ((e = sys_notif_wait(r->p.notif, virtio_irq_mask(&r->d),
					deadline, &bits)) < 0)
			return e;
		uint32_t what = virtio_intr(&r->d, bits);
		void *t = virtq_get(r->q, got);
		if (t)
			return t == tok ? 0 : ERR_BAD_STATE;
		if (!(what & 1))
			continue; /* a configuration interrupt: not ours */
		virtq_enable_cb(r->q);
	}
}

GTEST(virtio_rng_entropy_through_msix_queue)
{
	gtest_allow_growth(); /* BAR, ring and buffer mappings */
	static struct rng r;
	memset(&r, 0, sizeof(r));
	long e = rng_up(&r);
	if (e) {
		rng_down(&r);
		GCHECK_OK(e);
	}
	GCHECK(virtio_has(&r.d, VIRTIO_F_VERSION_1));
	GCHECK(r.d.msix); /* QEMU's virtio-rng-pci has an MSI-X table */
	GCHECK_EQ(r.d.nvec, 2);
	GCHECK_EQ(virtio_irq_mask(&r.d), 3ull << 4);
	GCHECK_EQ(r.q->size, 8);
	uint8_t *p = r.buf.va;
	int nonzero = 0, rounds = 0;
	uint32_t total = 0;
	/* 40 rounds: the 16-bit indices go 5 times around the 8-entry ring. */
	for (unsigned i = 0; i < 40; i++) {
		uint32_t off = (i % 8) * 64, got = 0;
		memset(p + off, 0, 64);
		e = rng_read(&r, off, 64, &got);
		if (e)
			break;
		rounds++;
		total += got;
		for (uint32_t k = 0; k < got; k++)
			nonzero += p[off + k] != 0;
		if (got == 0 || got > 64)
			e = ERR_OUT_OF_RANGE;
	}
	uint64_t kicks = r.q->kicks;
	bool idle = virtq_idle(r.q), broken = r.q->broken;
	rng_down(&r);
	GCHECK_OK(e);
	GCHECK_EQ(rounds, 40);
	GCHECK(total >= 40);
	GCHECK(nonzero > (int)total / 2); /* entropy, not a zeroed buffer */
	GCHECK(idle && !broken);
	GCHECK(kicks >= 1);
	GCHECK_EQ(r.p.msi_live, 0); /* every IRQ object closed */
}

/* A driver closing with a buffer still out (virtio_close resets, so no
 * DMA lands in freed memory) and a second one bringing the device up
 * again: the reset and a fresh queue work. */
GTEST(virtio_rng_again_after_close_with_buffer_out)
{
	gtest_allow_growth();
	static struct rng r;
	memset(&r, 0, sizeof(r));
	long e = rng_up(&r);
	if (!e) {
		/* Buffers given and never collected. */
		struct virtq_buf b = {r.buf.phys, 16, true};
		virtq_add(r.q, &b, 1, (void *)1);
		virtq_kick(r.q);
	}
	rng_down(&r);
	GCHECK_OK(e);
	memset(&r, 0, sizeof(r));
	e = rng_up(&r);
	uint32_t got = 0;
	if (!e)
		e = rng_read(&r, 128, 32, &got);
	rng_down(&r);
	GCHECK_OK(e);
	GCHECK(got > 0 && got <= 32);
}
