/* libvirtio transport against a fake device: capability parsing, the
 * status sequence, feature negotiation, MSI-X / INTx, device config. */
#include <execrt/errors.h>

#include "harness.h"
#include "virtio_fake.h"

static struct fk_dev F; /* large (ring bookkeeping): not on the stack */

TEST(virtio_caps_parsed_from_config_space)
{
	fk_init(&F, 4, 2, 64);
	struct virtio_pci_caps c;
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), 0);
	CHECK_EQ(c.common.bar, 4);
	CHECK_EQ(c.common.offset, 0);
	CHECK_EQ(c.isr.offset, 0x1000);
	CHECK_EQ(c.device.offset, 0x2000);
	CHECK_EQ(c.device.length, 0x100);
	CHECK_EQ(c.notify.offset, 0x3000);
	CHECK_EQ(c.notify_mult, 4);
	CHECK_EQ(c.msix_cap, 0x40);
	CHECK_EQ(c.msix_count, 4);
	CHECK_EQ(c.msix_table_bar, 1);
	CHECK_EQ(c.msix_table_off, 0);
	fk_fini(&F);
}

TEST(virtio_caps_skip_unusable_and_keep_first)
{
	/* A list rebuilt with junk around the good capabilities. */
	fk_init(&F, 0, 0, 0);
	F.cfg[0x34] = 0;
	F.cap_last_next = NULL;
	F.cap_next = 0x40;
	fk_cap_plain(&F, 0x10, 20); /* PCIe: skipped */
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_COMMON_CFG, 7, 0, 0x1000, 0,
		      16); /* bar 7: unusable */
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 4,
		      16); /* too short */
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x0, 0x1000, 0, 16);
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0x800, 0x800, 0,
		      16); /* second: ignored */
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 4, 0, 16);
	fk_cap_vendor(&F, 8, 4, 0, 0x1000, 0, 16); /* shared memory: not ours */
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x3000, 0x1000, 2, 20);
	struct virtio_pci_caps c;
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), 0);
	CHECK_EQ(c.common.bar, 4);
	CHECK_EQ(c.common.offset, 0);
	CHECK_EQ(c.notify_mult, 2);
	CHECK_EQ(c.device.bar, -1); /* none: allowed (virtio-rng has none) */
	CHECK_EQ(c.msix_cap, 0);
	fk_fini(&F);
}

TEST(virtio_caps_refuse_broken_lists)
{
	struct virtio_pci_caps c;
	fk_init(&F, 0, 1, 8);
	F.cfg[0x06] &= (uint8_t)~0x10; /* no capability list */
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), ERR_NOT_SUPPORTED);
	fk_fini(&F);

	fk_init(&F, 0, 1, 8);
	*F.cap_last_next =
		0x40; /* the last capability points back to the first */
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), ERR_INVALID_ARGS);
	*F.cap_last_next = 0x20; /* into the header */
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), ERR_INVALID_ARGS);
	fk_fini(&F);

	/* No notify capability: not a modern device. */
	fk_init(&F, 0, 0, 0);
	F.cfg[0x34] = 0;
	F.cap_last_next = NULL;
	F.cap_next = 0x40;
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_COMMON_CFG, 4, 0, 0x1000, 0, 16);
	fk_cap_vendor(&F, VIRTIO_PCI_CAP_ISR_CFG, 4, 0x1000, 4, 0, 16);
	CHECK_EQ(virtio_pci_parse_caps(&fk_ops, &F, &c), ERR_NOT_SUPPORTED);
	fk_fini(&F);
}

TEST(virtio_init_refuses_region_outside_bar)
{
	fk_init(&F, 0, 1, 8);
	F.bar_size[4] = 0x2080; /* device cfg (0x2000 + 0x100) no longer fits */
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), ERR_OUT_OF_RANGE);
	fk_fini(&F);
}

/* A driver giving up after a failed init (no registers mapped yet) must
 * not touch them. */
TEST(virtio_fail_and_close_after_failed_init)
{
	fk_init(&F, 0, 1, 8);
	F.cfg[0x06] &= (uint8_t)~0x10;
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), ERR_NOT_SUPPORTED);
	virtio_fail(&d);
	CHECK_EQ(virtio_status(&d), 0);
	virtio_close(&d);
	CHECK_EQ(F.nstatus, 0);
	fk_fini(&F);
}

TEST(virtio_status_sequence_and_negotiation)
{
	fk_init(&F, 0, 1, 8);
	F.reset_reads = 5; /* the reset takes a while: the driver must wait */
	F.offered = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
		    VIRTIO_F_INDIRECT_DESC | VIRTIO_F_RING_PACKED |
		    (1ull << 5) | (1ull << 40);
	F.cfg[0x04] = 0; /* memory space and bus mastering off */
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(F.reset_pending, 0);
	CHECK_EQ(F.cfg[0x04] & 6, 6);
	CHECK_EQ(virtio_ready(&d), ERR_BAD_STATE); /* not negotiated yet */
	CHECK_EQ(virtio_negotiate(&d, (1ull << 5) | (1ull << 7)), 0);
	CHECK_EQ(d.features,
		 VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | (1ull << 5));
	CHECK_EQ(F.driver_features, d.features);
	CHECK_EQ(virtio_negotiate(&d, 0), ERR_BAD_STATE); /* once */
	CHECK_EQ(virtio_ready(&d), 0);
	uint8_t want[] = {0, 1, 3, 11, 15};
	CHECK_EQ(F.nstatus, sizeof(want));
	CHECK(!memcmp(F.status_log, want, sizeof(want)));
	CHECK_EQ(virtio_status(&d), 15);
	virtio_close(&d);
	CHECK_EQ(F.status, 0);
	fk_fini(&F);
}

TEST(virtio_device_without_version_1_is_failed)
{
	fk_init(&F, 0, 1, 8);
	F.offered = VIRTIO_F_EVENT_IDX; /* a legacy-only device */
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), ERR_NOT_SUPPORTED);
	CHECK(F.status & VIRTIO_STATUS_FAILED);
	CHECK(!(F.status & VIRTIO_STATUS_FEATURES_OK));
	virtio_close(&d);
	fk_fini(&F);
}

TEST(virtio_device_refusing_features_ok_is_failed)
{
	fk_init(&F, 0, 1, 8);
	F.refuse_features_ok = true;
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), ERR_NOT_SUPPORTED);
	CHECK_EQ(F.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				   VIRTIO_STATUS_FAILED);
	CHECK_EQ(virtio_ready(&d), ERR_BAD_STATE);
	struct virtq *q;
	CHECK_EQ(virtq_setup(&d, 0, 8, &q), ERR_BAD_STATE);
	virtio_close(&d);
	fk_fini(&F);
}

TEST(virtio_event_idx_only_when_offered)
{
	fk_init(&F, 0, 1, 8);
	F.offered = VIRTIO_F_VERSION_1;
	struct virtio_dev d;
	struct virtq *q;
	CHECK_EQ(fk_bringup(&F, &d, VIRTIO_F_EVENT_IDX, 8, &q), 0);
	CHECK_EQ(d.features, VIRTIO_F_VERSION_1);
	CHECK(!q->event_idx);
	virtio_close(&d);
	fk_fini(&F);
}

TEST(virtio_msix_vector_per_queue)
{
	fk_init(&F, 4, 3, 16);
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), 0);
	CHECK_EQ(virtio_irq_setup(&d, 3, 3), 0);
	CHECK(d.msix);
	CHECK_EQ(d.nvec, 4);
	CHECK_EQ(F.msi_live, 4);
	CHECK_EQ(F.config_msix, 0);
	uint16_t ctl;
	memcpy(&ctl, &F.cfg[0x42], 2);
	CHECK_EQ(ctl & 0xc000, 0x8000); /* enabled, function not masked */
	for (unsigned v = 0; v < 4; v++) {
		uint32_t e[4];
		memcpy(e, F.bar[1] + 16 * v, 16);
		CHECK_EQ(e[0], 0xfee00000u);
		CHECK_EQ(e[1], 0);
		CHECK_EQ(e[2], 0x40 + 3 + v); /* msi_create got bit 3 + v */
		CHECK_EQ(e[3], 0);	      /* unmasked */
	}
	struct virtq *q[3];
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(virtq_setup(&d, i, 16, &q[i]), 0);
		CHECK_EQ(F.q[i].msix, 1 + i);
		CHECK_EQ(F.q[i].enable, 1);
		CHECK_EQ(F.q[i].desc, q[i]->mem.phys);
	}
	CHECK_EQ(virtio_ready(&d), 0);
	CHECK_EQ(virtio_irq_mask(&d), 0xfull << 3);
	/* Queue 1's and the config vector fired, plus a bit not ours. */
	CHECK_EQ(virtio_intr(&d, (1ull << 5) | (1ull << 3) | 1),
		 (1u << 1) | VIRTIO_INTR_CONFIG);
	CHECK_EQ(F.acks, 2);
	CHECK_EQ(F.acked[0], 103);
	CHECK_EQ(F.acked[1], 105);
	virtio_close(&d);
	CHECK_EQ(F.msi_live, 0);
	CHECK_EQ(F.dma_live, 0);
	CHECK_EQ(F.priv_live, 0);
	CHECK_EQ(F.cfg[0x43] & 0x80, 0); /* MSI-X off again */
	fk_fini(&F);
}

TEST(virtio_msix_small_table_shares_last_vector)
{
	fk_init(&F, 2, 3, 16);
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), 0);
	CHECK_EQ(virtio_irq_setup(&d, 0, 3), 0);
	CHECK_EQ(d.nvec, 2);
	struct virtq *q;
	for (unsigned i = 0; i < 3; i++) {
		CHECK_EQ(virtq_setup(&d, i, 16, &q), 0);
		CHECK_EQ(F.q[i].msix, 1);
	}
	CHECK_EQ(virtio_intr(&d, 2), 7u);
	virtio_close(&d);
	fk_fini(&F);
}

TEST(virtio_msi_failure_falls_back_to_intx)
{
	fk_init(&F, 4, 2, 16);
	F.msi_fail_at = 2; /* the second vector cannot be made */
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), 0);
	CHECK_EQ(virtio_irq_setup(&d, 1, 2), 0);
	CHECK(!d.msix);
	CHECK_EQ(F.msi_live, 0); /* the first one was closed again */
	CHECK_EQ(F.intx_live, 1);
	CHECK_EQ(F.cfg[0x43] & 0x80, 0);
	CHECK_EQ(F.config_msix, VIRTIO_MSI_NO_VECTOR);
	CHECK_EQ(virtio_irq_mask(&d), 2);
	struct virtq *q;
	CHECK_EQ(virtq_setup(&d, 0, 16, &q), 0);
	CHECK_EQ(virtq_setup(&d, 1, 16, &q), 0);
	CHECK_EQ(F.q[0].msix, VIRTIO_MSI_NO_VECTOR);
	/* INTx: ISR says which; reading it clears it; the ack follows. */
	F.isr = 1;
	CHECK_EQ(virtio_intr(&d, 2), 3u);
	CHECK_EQ(F.isr, 0);
	F.isr = 2;
	CHECK_EQ(virtio_intr(&d, 2), VIRTIO_INTR_CONFIG);
	CHECK_EQ(virtio_intr(&d, 1),
		 0u); /* not our bit: nothing read, no ack */
	CHECK_EQ(F.acks, 2);
	virtio_close(&d);
	CHECK_EQ(F.intx_live, 0);
	fk_fini(&F);
}

TEST(virtio_no_msix_no_line_is_an_error)
{
	fk_init(&F, 0, 1, 16);
	F.has_intx = false;
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), 0);
	CHECK_EQ(virtio_irq_setup(&d, 0, 1), ERR_NOT_FOUND);
	CHECK_EQ(virtio_irq_setup(&d, 60, 8), ERR_INVALID_ARGS);
	virtio_close(&d);
	fk_fini(&F);
}

TEST(virtio_queue_setup_checks)
{
	fk_init(&F, 0, 2, 100); /* not a power of 2: the driver rounds down */
	struct virtio_dev d;
	struct virtq *q;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	CHECK_EQ(virtio_negotiate(&d, 0), 0);
	CHECK_EQ(virtio_irq_setup(&d, 0, 2), 0);
	CHECK_EQ(virtq_setup(&d, 2, 8, &q), ERR_NOT_FOUND);
	CHECK_EQ(virtq_setup(&d, 0, 0, &q), 0);
	CHECK_EQ(q->size, 64);
	CHECK_EQ(F.q[0].size, 64);
	CHECK_EQ(virtq_setup(&d, 0, 8, &q), ERR_ALREADY_EXISTS);
	/* The rings sit where the device was told, aligned as 2.7 asks. */
	CHECK_EQ(F.q[0].driver, q->mem.phys + 16 * 64);
	CHECK_EQ(F.q[0].device % 4, 0);
	CHECK_EQ(F.q[0].device, (uint64_t)(uintptr_t)q->used);
	CHECK_EQ(virtq_setup(&d, 1, 3, &q), 0);
	CHECK_EQ(q->size, 2);
	CHECK(q->notify == F.bar[4] + 0x3000 + 1 * 4);
	CHECK_EQ(virtio_ready(&d), 0);
	CHECK_EQ(virtq_setup(&d, 1, 8, &q), ERR_ALREADY_EXISTS);
	virtio_close(&d);
	CHECK_EQ(F.dma_live, 0);
	fk_fini(&F);
}

TEST(virtio_config_read_retries_on_generation_change)
{
	fk_init(&F, 0, 1, 8);
	for (unsigned i = 0; i < 16; i++)
		F.bar[4][0x2000 + i] = (uint8_t)(0xa0 + i);
	struct virtio_dev d;
	CHECK_EQ(virtio_init(&d, &fk_ops, &F), 0);
	F.gen_bump_reads =
		3; /* the first copy (3 reads) sees the generation move */
	uint8_t buf[11];
	CHECK_EQ(virtio_cfg_read(&d, 1, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa1 + i);
	CHECK_EQ(F.gen, 3);
	CHECK_EQ(virtio_cfg_read32(&d, 4), 0xa7a6a5a4u);
	CHECK_EQ(virtio_cfg_read(&d, 0xf0, buf, 0x11), ERR_OUT_OF_RANGE);
	CHECK_EQ(virtio_cfg_read(&d, 0x101, buf, 0), ERR_OUT_OF_RANGE);
	virtio_cfg_write8(&d, 0, 0x11);
	CHECK_EQ(F.bar[4][0x2000], 0x11);
	virtio_close(&d);
	fk_fini(&F);
}
