/* libvirtio internals shared by virtio_pci.c and virtq.c: register
 * offsets of the common configuration structure (virtio 1.x 4.1.4.3) and
 * the register accessors that go through the platform. */
#pragma once

#include <virtio/virtio.h>

#define VCC_DFSELECT 0x00 /* le32 device_feature_select */
#define VCC_DF	     0x04 /* le32 device_feature */
#define VCC_GFSELECT 0x08 /* le32 driver_feature_select */
#define VCC_GF	     0x0c /* le32 driver_feature */
#define VCC_MSIX     0x10 /* le16 config_msix_vector */
#define VCC_NUMQ     0x12 /* le16 num_queues */
#define VCC_STATUS   0x14 /* u8 device_status */
#define VCC_GEN	     0x15 /* u8 config_generation */
#define VCC_Q_SELECT 0x16 /* le16 queue_select */
#define VCC_Q_SIZE   0x18 /* le16 queue_size */
#define VCC_Q_MSIX   0x1a /* le16 queue_msix_vector */
#define VCC_Q_ENABLE 0x1c /* le16 queue_enable */
#define VCC_Q_NOFF   0x1e /* le16 queue_notify_off */
#define VCC_Q_DESC   0x20 /* le64 queue_desc */
#define VCC_Q_DRIVER 0x28 /* le64 queue_driver */
#define VCC_Q_DEVICE 0x30 /* le64 queue_device */
#define VCC_MIN_LEN  0x38 /* what a 1.0 device provides */

static inline uint64_t vio_rd(struct virtio_dev *d, volatile uint8_t *a,
			      unsigned w)
{
	if (d->ops->mmio_read)
		return d->ops->mmio_read(d->ctx, a, w);
	switch (w) {
	case 1:
		return *(volatile uint8_t *)a;
	case 2:
		return *(volatile uint16_t *)a;
	case 4:
		return *(volatile uint32_t *)a;
	default:
		return *(volatile uint64_t *)a;
	}
}

static inline void vio_wr(struct virtio_dev *d, volatile uint8_t *a, unsigned w,
			  uint64_t v)
{
	if (d->ops->mmio_write) {
		d->ops->mmio_write(d->ctx, a, w, v);
		return;
	}
	switch (w) {
	case 1:
		*(volatile uint8_t *)a = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)a = (uint16_t)v;
		break;
	default:
		*(volatile uint32_t *)a = (uint32_t)v;
		break;
	}
}

static inline uint32_t vcc_rd(struct virtio_dev *d, unsigned off, unsigned w)
{
	return (uint32_t)vio_rd(d, d->caps.common.va + off, w);
}

static inline void vcc_wr(struct virtio_dev *d, unsigned off, unsigned w,
			  uint32_t v)
{
	vio_wr(d, d->caps.common.va + off, w, v);
}

/* The MSI-X vector queue q uses, or VIRTIO_MSI_NO_VECTOR with INTx. */
static inline uint16_t vio_queue_vector(const struct virtio_dev *d, unsigned q)
{
	if (!d->msix)
		return VIRTIO_MSI_NO_VECTOR;
	return (uint16_t)(d->nvec == 1
				  ? 0
				  : (1 + q < d->nvec ? 1 + q : d->nvec - 1));
}

void virtq_free_queue(struct virtq *q);
