/* virtio 1.x over PCI (modern layout only): the transport part of libvirtio.
 *
 * Portable: the library makes no system call. Everything that touches the
 * platform goes through struct virtio_ops (PCI configuration space, BAR
 * mappings, register access, DMA memory, interrupts); exec-rt programs get
 * them filled by virtio_execrt.h, host tests plug a fake device in.
 *
 * A driver, in this order (docs/devices.md "virtio library"):
 *   virtio_init(dev, ops, ctx)        find the capabilities, reset the device,
 *                                      ACKNOWLEDGE | DRIVER
 *   virtio_negotiate(dev, wanted)     features; FEATURES_OK or
 * ERR_NOT_SUPPORTED virtio_irq_setup(dev, bit0, nq)   MSI-X (config + one per
 * queue) or INTx virtq_setup(dev, i, size, &q)     each queue (virtq.h)
 *   virtio_cfg_read(...)              device configuration, any time
 *   virtio_ready(dev)                 DRIVER_OK: the device runs
 *   loop: wait for the notification bits of virtio_irq_mask(), pass them to
 *         virtio_intr(), drain the queues it names with virtq_get()
 *   virtio_fail(dev) on a fatal error, virtio_close(dev) at the end.
 * Every call returns 0 or a negative ERR_* (execrt/errors.h). One thread per
 * device (or the driver's own lock): the library has no locks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device status bits (virtio 1.x 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER	  2u
#define VIRTIO_STATUS_DRIVER_OK	  4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED	  128u

/* Reserved feature bits (6). Device-specific bits are below 24. */
#define VIRTIO_F_INDIRECT_DESC	 (1ull << 28) /* never negotiated here */
#define VIRTIO_F_EVENT_IDX	 (1ull << 29) /* taken when offered */
#define VIRTIO_F_VERSION_1	 (1ull << 32) /* required */
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)
#define VIRTIO_F_RING_PACKED	 (1ull << 34) /* never: split rings only */

/* PCI ids: vendor 0x1af4, modern device id 0x1040 + virtio device type. */
#define VIRTIO_PCI_VENDOR	       0x1af4u
#define VIRTIO_PCI_DEVICE_MODERN(type) (0x1040u + (type))
#define VIRTIO_ID_NET		       1u
#define VIRTIO_ID_BLOCK		       2u
#define VIRTIO_ID_RNG		       4u
#define VIRTIO_ID_GPU		       16u
#define VIRTIO_ID_INPUT		       18u

/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG	  5

/* "No MSI-X vector" in config_msix_vector / queue_msix_vector. */
#define VIRTIO_MSI_NO_VECTOR 0xffffu

#define VIRTIO_MAX_QUEUES 16 /* queues one device object drives */

/* Physically contiguous, zeroed memory the device can reach. */
struct virtio_dma {
	void *va;      /* mapped in the driver, read-write */
	uint64_t phys; /* what the device is given */
	size_t size;   /* bytes, page-rounded by the platform */
	uint64_t priv; /* the platform's own (exec-rt: the memory object) */
};

/* A message to program into an MSI-X table entry, and the IRQ object that
 * its deliveries signal (masked on delivery; virtio_intr() acks it). */
struct virtio_msi {
	uint64_t addr;
	uint32_t data;
	uint32_t irq; /* the platform's handle of the IRQ object */
};

/* The platform. ctx is passed back to every callback. NULL mmio_read /
 * mmio_write mean plain volatile loads and stores of the given width. */
struct virtio_ops {
	/* This function's PCI configuration space; width 1, 2 or 4. */
	int (*cfg_read)(void *ctx, uint32_t off, unsigned width, uint32_t *val);
	int (*cfg_write)(void *ctx, uint32_t off, unsigned width, uint32_t val);
	/* Map memory BAR bar (0..5) uncached; *size is the BAR's length. */
	int (*bar_map)(void *ctx, unsigned bar, volatile void **va,
		       uint64_t *size);
	/* Register access inside a mapped BAR; width 1, 2, 4 (or 8 for reads).
	 */
	uint64_t (*mmio_read)(void *ctx, volatile void *addr, unsigned width);
	void (*mmio_write)(void *ctx, volatile void *addr, unsigned width,
			   uint64_t val);
	int (*dma_alloc)(void *ctx, size_t size, struct virtio_dma *out);
	void (*dma_free)(void *ctx, struct virtio_dma *dma);
	/* Zeroed memory the device is never given (phys unused): the
	 * queues' bookkeeping. Required by virtq_setup. */
	int (*priv_alloc)(void *ctx, size_t size, struct virtio_dma *out);
	void (*priv_free)(void *ctx, struct virtio_dma *mem);
	/* MSI-X: a vector whose deliveries signal notification bit `bit`. */
	int (*msi_create)(void *ctx, unsigned bit, struct virtio_msi *out);
	/* The legacy INTx line, signalling bit; *irq as for msi_create.
	 * ERR_NOT_FOUND: the function has no line. */
	int (*intx_create)(void *ctx, unsigned bit, uint32_t *irq);
	int (*irq_ack)(void *ctx, uint32_t irq);
	void (*irq_close)(void *ctx, uint32_t irq);
};

/* A capability's place: BAR, offset inside it, length (virtio_pci_cap). */
struct virtio_region {
	int bar; /* -1: absent */
	uint32_t offset;
	uint32_t length;
	volatile uint8_t *va; /* BAR mapping + offset, once mapped */
};

/* What the capability walk found (virtio_pci_parse_caps; also for iod). */
struct virtio_pci_caps {
	struct virtio_region common, notify, isr, device;
	uint32_t notify_mult; /* notify_off_multiplier */
	uint8_t msix_cap;     /* config-space offset of MSI-X, 0: none */
	uint16_t msix_count;  /* table entries */
	uint8_t msix_table_bar;
	uint32_t msix_table_off;
};

struct virtq;

/* One device. Public so a driver can embed it; treat fields as read-only. */
struct virtio_dev {
	const struct virtio_ops *ops;
	void *ctx;
	struct virtio_pci_caps caps;
	volatile uint8_t *bar_va[6];
	uint64_t bar_size[6];
	volatile uint8_t *msix_table; /* mapped MSI-X table, NULL: INTx */
	uint64_t features;	      /* negotiated */
	uint16_t num_queues;	      /* as the device reports */
	uint8_t status;		      /* last status written */
	bool msix;		      /* interrupts by MSI-X */
	unsigned irq_bit0;	      /* first notification bit used */
	unsigned nvec;		      /* MSI-X vectors in use (INTx: 1) */
	uint32_t irq[1 + VIRTIO_MAX_QUEUES]; /* per vector; [0] config / INTx */
	struct virtq *queues[VIRTIO_MAX_QUEUES];
};

/* Walk the PCI capability list through ops->cfg_read (pure: no mapping).
 * ERR_NOT_SUPPORTED: no common/notify/isr capability (not a modern device);
 * ERR_INVALID_ARGS: a malformed list (a loop, a pointer into the header).
 * A region reaching past its BAR is virtio_init's to refuse. */
int virtio_pci_parse_caps(const struct virtio_ops *ops, void *ctx,
			  struct virtio_pci_caps *out);

/* Parse the capabilities, map the BARs they name, enable memory space and
 * bus mastering, reset the device (waits until it reads back 0) and set
 * ACKNOWLEDGE | DRIVER. ERR_NOT_SUPPORTED: not a modern virtio device;
 * ERR_OUT_OF_RANGE: a region reaching past its BAR; ERR_TIMED_OUT: the
 * reset never showed. */
int virtio_init(struct virtio_dev *dev, const struct virtio_ops *ops,
		void *ctx);

/* The 64 feature bits the device offers. */
uint64_t virtio_device_features(struct virtio_dev *dev);

/* Accept (offered & wanted) plus VIRTIO_F_VERSION_1 and VIRTIO_F_EVENT_IDX
 * when offered; never INDIRECT_DESC / RING_PACKED. Sets FEATURES_OK and
 * reads it back. ERR_NOT_SUPPORTED: no VERSION_1, or the device cleared
 * FEATURES_OK (then FAILED is set). On success dev->features holds the result.
 */
int virtio_negotiate(struct virtio_dev *dev, uint64_t wanted);

static inline bool virtio_has(const struct virtio_dev *dev, uint64_t feature)
{
	return (dev->features & feature) == feature;
}

/* Interrupts, after virtio_negotiate and before the queues are set up.
 * With MSI-X (enabled here): entry 0 = configuration change -> bit bit0,
 * entry 1 + q = queue q -> bit bit0 + 1 + q, for q < nqueues; with a table
 * smaller than 1 + nqueues the queues past it share its last entry. When
 * MSI-X cannot be had (no capability, a vector the kernel or the device
 * refuses), the INTx line -> bit0 alone (the ISR register tells queue from
 * config). ERR_INVALID_ARGS: nqueues > VIRTIO_MAX_QUEUES or bits past 63;
 * ERR_BAD_STATE: called twice or before FEATURES_OK; else the platform's
 * error (e.g. ERR_NOT_FOUND: no MSI-X and no line). */
int virtio_irq_setup(struct virtio_dev *dev, unsigned bit0, unsigned nqueues);

/* The notification bits the device's interrupts use. */
uint64_t virtio_irq_mask(const struct virtio_dev *dev);

#define VIRTIO_INTR_CONFIG (1u << 31)
/* Given the notification bits that fired (others ignored): acks the IRQ
 * objects (after reading ISR for INTx) and returns which queues may have
 * used buffers (bit q) and VIRTIO_INTR_CONFIG on a configuration change. */
uint32_t virtio_intr(struct virtio_dev *dev, uint64_t bits);

/* Device configuration (the device cfg capability), read consistently
 * (config_generation checked around the copy). ERR_OUT_OF_RANGE beyond it. */
int virtio_cfg_read(struct virtio_dev *dev, uint32_t off, void *buf,
		    size_t len);
int virtio_cfg_write(struct virtio_dev *dev, uint32_t off, const void *buf,
		     size_t len);
uint8_t virtio_cfg_read8(struct virtio_dev *dev, uint32_t off);
uint32_t virtio_cfg_read32(struct virtio_dev *dev, uint32_t off);
void virtio_cfg_write8(struct virtio_dev *dev, uint32_t off, uint8_t v);

/* DRIVER_OK. ERR_BAD_STATE before a successful virtio_negotiate. */
int virtio_ready(struct virtio_dev *dev);

/* Current device status register (NEEDS_RESET shows here). */
uint8_t virtio_status(struct virtio_dev *dev);

/* Set FAILED (a driver that gives up on the device). */
void virtio_fail(struct virtio_dev *dev);

/* DMA memory for the driver's buffers, through the platform. */
int virtio_dma_alloc(struct virtio_dev *dev, size_t size,
		     struct virtio_dma *out);
void virtio_dma_free(struct virtio_dev *dev, struct virtio_dma *dma);

/* Reset the device (stops all DMA), free the queues, close the IRQs. The
 * BAR mappings stay the platform's to drop. */
void virtio_close(struct virtio_dev *dev);
