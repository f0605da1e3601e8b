/* A fake virtio-pci device for the libvirtio host tests (virtio_fake.c):
 * a configuration space with a capability list built by the test, the
 * modern registers emulated behind the ops' mmio_read/mmio_write, DMA
 * memory from the heap (phys == the host address), and the device side of
 * split virtqueues written from the spec, independently of virtq.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <virtio/virtio.h>
#include <virtio/virtq.h>

#define FK_BARS	      6
#define FK_QMAX	      4
#define FK_STATUS_LOG 32

struct fk_chain {
	unsigned n;
	uint64_t addr[64];
	uint32_t len[64];
	uint16_t flags[64];
	uint16_t id[64];
};

struct fk_queue {
	uint16_t max, size, msix, enable;
	uint64_t desc, driver, device;
	uint16_t last_avail; /* next available entry the device takes */
	uint16_t used_idx;   /* the device's used index */
	uint16_t signalled;  /* used_idx at the last interrupt decision */
	unsigned notifies;
	bool inflight[VIRTQ_MAX_SIZE];
};

struct fk_dev {
	uint8_t cfg[4096];
	uint8_t *bar[FK_BARS];
	uint64_t bar_size[FK_BARS];
	unsigned cap_next;	/* where the next capability goes */
	uint8_t *cap_last_next; /* the previous capability's next byte */
	/* features and status */
	uint64_t offered, driver_features;
	uint32_t dfsel, gfsel;
	uint8_t status;
	uint8_t status_log[FK_STATUS_LOG];
	unsigned nstatus;
	bool refuse_features_ok; /* clear FEATURES_OK when set */
	unsigned reset_reads;	 /* status reads before a reset shows 0 */
	unsigned reset_pending;
	uint8_t gen;
	unsigned gen_bump_reads; /* bump generation on this many device cfg
				    reads */
	uint8_t isr;
	uint16_t config_msix;
	uint16_t msix_entries; /* vectors the device accepts (< this) */
	/* queues */
	uint16_t qsel, num_queues;
	struct fk_queue q[FK_QMAX];
	/* platform */
	unsigned dma_live, dma_total, priv_live;
	unsigned msi_made, msi_live, intx_live, acks;
	uint32_t acked[64];
	int msi_fail_at; /* msi_create fails at this call (1-based), 0: never */
	bool has_intx;
	unsigned region_isr, region_notify, region_common,
		region_device; /* offsets in bar 4 */
	unsigned notify_mult;
};

extern const struct virtio_ops fk_ops;

/* A device of type `type` with the QEMU-like layout: BAR4 16 KiB holding
 * common cfg @0, ISR @0x1000, device cfg @0x2000 (256 B), notify @0x3000
 * (multiplier 4); BAR1 4 KiB with an MSI-X table of msix entries (0: no
 * MSI-X capability); nq queues of qmax entries. */
void fk_init(struct fk_dev *f, unsigned msix, unsigned nq, uint16_t qmax);
void fk_fini(struct fk_dev *f);
/* Capability list builders (fk_init uses them). */
void fk_cap_vendor(struct fk_dev *f, uint8_t type, uint8_t bar, uint32_t off,
		   uint32_t len, uint32_t mult, uint8_t cap_len);
void fk_cap_msix(struct fk_dev *f, uint16_t count, uint8_t bar, uint32_t off);
void fk_cap_plain(struct fk_dev *f, uint8_t id, uint8_t len);

/* A device set up through the library: init + negotiate + irq + queue 0. */
int fk_bringup(struct fk_dev *f, struct virtio_dev *d, uint64_t wanted,
	       unsigned qsize, struct virtq **q0);

/* Device side of queue qi. fk_pop: the next available chain (false when
 * none); it is walked through NEXT links and checked (bounds, no
 * descriptor taken twice). fk_push: complete head with len bytes written.
 * fk_irq_needed: the interrupt decision for the used entries pushed since
 * the last decision (EVENT_IDX or the NO_INTERRUPT flag). */
bool fk_pop(struct fk_dev *f, unsigned qi, struct fk_chain *c);
void fk_push(struct fk_dev *f, unsigned qi, uint16_t head, uint32_t len);
bool fk_irq_needed(struct fk_dev *f, unsigned qi);
/* The device asks for a notification when avail idx passes `ev`
 * (EVENT_IDX), or sets/clears VIRTQ_USED_F_NO_NOTIFY. */
void fk_set_avail_event(struct fk_dev *f, unsigned qi, uint16_t ev);
void fk_set_no_notify(struct fk_dev *f, unsigned qi, bool on);
uint16_t fk_used_event(struct fk_dev *f, unsigned qi);
uint16_t fk_avail_flags(struct fk_dev *f, unsigned qi);
uint16_t fk_avail_idx(struct fk_dev *f, unsigned qi);
