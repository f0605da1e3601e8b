/* libvirtio's exec-rt platform (libs/virtio/virtio_plat_execrt.c): a driver
 * started by iod (argv `<driver> <dev-name>`, START_H_SERVICE = its iod
 * endpoint) gets its device through the iod device requests (iod_proto.h):
 * IOD_DEV_INFO, IOD_DEV_HANDLES (pci function, DMA budget, legacy IRQ
 * authority), IOD_DEV_BAR per memory BAR (uncached). PCI configuration goes
 * through SYS_PCI_CFG_READ/WRITE on the function's handle, DMA memory
 * through SYS_VMO_CREATE_DMA + SYS_VMO_PHYS + a mapping, MSI-X vectors
 * through SYS_IRQ_CREATE_MSI, the INTx line through SYS_IRQ_CREATE; every
 * interrupt signals the one notification object `notif`.
 *
 *   struct virtio_execrt plat;
 *   struct virtio_dev dev;
 *   virtio_execrt_open(&plat, start_handle(START_H_SERVICE));
 *   virtio_init(&dev, &virtio_execrt_ops, &plat);
 *   ... sys_notif_wait(plat.notif, virtio_irq_mask(&dev) | mine, ...) ...
 *   virtio_close(&dev); virtio_execrt_close(&plat);
 */
#pragma once

#include <execrt/types.h>
#include <virtio/virtio.h>

struct virtio_execrt {
	handle_t iod;	   /* iod endpoint of this device instance */
	handle_t pci;	   /* this function's configuration [READ|WRITE] */
	handle_t dma;	   /* DMA budget (RES_DMA) */
	handle_t irq_auth; /* the legacy GSI's authority, or 0 */
	handle_t notif;	   /* every interrupt of the device signals it */
	handle_t mmio; /* direct mode (no iod): the MMIO authority for BARs */
	handle_t bar_vmo[6];
	uint64_t bar_addr[6]; /* where each mapped BAR lives, 0: not mapped */
	uint64_t bar_len[6];
	uint64_t bar_phys[6]; /* direct mode: where each BAR is */
	bool direct;
	uint32_t bdf;
	uint16_t vendor, device;
	int32_t gsi;	   /* legacy line, -1: none */
	uint32_t msi_live; /* IRQ objects open, for the leak check */
};

/* Ask iod for the device (info, handles) and make the notification object.
 * ERR_* from the calls; on error nothing stays open. */
int virtio_execrt_open(struct virtio_execrt *p, handle_t iod_ep);
/* Without iod (a root task, the guest tests): the function bdf through a
 * PCI authority, BAR addresses read from its configuration space (not
 * sized: each is mapped as far as its virtio regions and MSI-X table
 * reach) and made from the MMIO authority, DMA from dma. The handles stay the
 * caller's (closed by neither function); the notification is made here. */
int virtio_execrt_open_direct(struct virtio_execrt *p, handle_t pci,
			      uint32_t bdf, handle_t mmio, handle_t dma);
/* Unmap the BARs and close every handle (after virtio_close). */
void virtio_execrt_close(struct virtio_execrt *p);

extern const struct virtio_ops virtio_execrt_ops;
