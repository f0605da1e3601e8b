/* MSI IRQ objects (kernel/ipc/irq.c) on the host: the in-kernel mask
 * (a message while masked is remembered and re-signalled by the ack),
 * vector exhaustion and recovery, the per-function limit, strays after
 * close, and next-fit reuse. The arch hooks are tests/host/stubs_irq.c. */
#include <stdlib.h>

#include "harness.h"
#include <execrt/errors.h>
#include <kern/handle.h>
#include <kern/irq.h>
#include <kern/notification.h>

extern unsigned host_irq_slots;

static struct notification *notif(void)
{
	struct notification *n = NULL;
	if (notification_create(&n))
		abort();
	return n;
}

/* Takes and clears the pending bits. */
static uint64_t take(struct notification *n)
{
	uint64_t b = n->pending;
	n->pending = 0;
	return b;
}

static void close_irq(struct irq *irq)
{
	handle_abandon(&irq->obj); /* the last handle's hook, then freed */
}

TEST(pci_msi_masked_delivery_is_remembered)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	struct notification *n = notif();
	struct irq *irq;
	uint64_t addr = 0;
	uint32_t data = 0;
	CHECK_EQ(irq_create_msi(0x18, n, 0x4, &irq, &addr, &data), 0);
	CHECK_EQ(irq->kind, IRQ_MSI);
	CHECK_EQ(addr, 0xfee00000u);
	CHECK_EQ(data, 0x30 + irq->slot);
	CHECK_EQ(take(n), 0);
	irq_deliver(irq->slot);
	CHECK_EQ(take(n), 0x4);
	CHECK(irq->masked);
	/* Two more while masked: one remembered, nothing signalled. */
	irq_deliver(irq->slot);
	irq_deliver(irq->slot);
	CHECK_EQ(take(n), 0);
	CHECK(irq->pending);
	/* The ack signals the remembered one at once; still masked. */
	CHECK_EQ(irq_ack(irq), 0);
	CHECK_EQ(take(n), 0x4);
	CHECK(irq->masked);
	CHECK(!irq->pending);
	/* The next ack unmasks with nothing to re-signal. */
	CHECK_EQ(irq_ack(irq), 0);
	CHECK_EQ(take(n), 0);
	CHECK(!irq->masked);
	CHECK_EQ(irq_ack(irq), 0); /* not masked: no-op */
	CHECK_EQ(take(n), 0);
	irq_deliver(irq->slot);
	CHECK_EQ(take(n), 0x4);
	CHECK_EQ(irq->delivered, 3);
	close_irq(irq);
	kobj_put(&n->obj);
	CHECK_EQ(kobj_live_count(), live);
}

TEST(pci_msi_close_frees_vector_and_counts_strays)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	struct notification *n = notif();
	struct irq *irq;
	uint64_t addr;
	uint32_t data;
	CHECK_EQ(irq_create_msi(0x18, n, 1, &irq, &addr, &data), 0);
	unsigned slot = irq->slot;
	close_irq(irq);
	uint64_t s0 = irq_stray_count();
	irq_deliver(slot); /* the device still sends: dropped, counted */
	CHECK_EQ(irq_stray_count(), s0 + 1);
	CHECK_EQ(take(n), 0);
	kobj_put(&n->obj);
	CHECK_EQ(kobj_live_count(), live);
}

TEST(pci_msi_exhaustion_then_recovery_next_fit)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	struct notification *n = notif();
	struct irq *irq[4], *extra;
	uint64_t addr;
	uint32_t data;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(irq_create_msi(0x100 + i, n, 1, &irq[i], &addr, &data),
			 0);
	CHECK_EQ(irq_create_msi(0x200, n, 1, &extra, &addr, &data),
		 ERR_NO_RESOURCES);
	CHECK_EQ(kobj_live_count(), live + 5); /* nothing left behind */
	unsigned freed = irq[1]->slot;
	close_irq(irq[1]);
	CHECK_EQ(irq_create_msi(0x200, n, 1, &irq[1], &addr, &data), 0);
	CHECK_EQ(irq[1]->slot, freed); /* the only free one */
	/* With others free, a vector just freed is not the next one
	 * given: a late message from its old device finds it empty. */
	close_irq(irq[0]);
	close_irq(irq[3]);
	for (int k = 0; k < 8; k++) {
		CHECK_EQ(irq_create_msi(0x201, n, 1, &irq[3], &addr, &data), 0);
		unsigned just = irq[3]->slot;
		close_irq(irq[3]);
		CHECK_EQ(irq_create_msi(0x201, n, 1, &irq[3], &addr, &data), 0);
		CHECK(irq[3]->slot != just);
		close_irq(irq[3]);
	}
	for (int i = 1; i < 3; i++)
		close_irq(irq[i]);
	kobj_put(&n->obj);
	CHECK_EQ(kobj_live_count(), live);
}

TEST(pci_msi_per_function_limit)
{
	CHECK_EQ(host_mm_setup(), 0);
	uint64_t live = kobj_live_count();
	host_irq_slots = 200;
	struct notification *n = notif();
	struct irq *a[IRQ_MSI_PER_FUNCTION], *b, *x;
	uint64_t addr;
	uint32_t data;
	for (int i = 0; i < IRQ_MSI_PER_FUNCTION; i++)
		CHECK_EQ(irq_create_msi(0x18, n, 1, &a[i], &addr, &data), 0);
	CHECK_EQ(irq_create_msi(0x18, n, 1, &x, &addr, &data),
		 ERR_NO_RESOURCES);
	CHECK_EQ(irq_create_msi(0x19, n, 1, &b, &addr, &data), 0);
	close_irq(a[7]);
	CHECK_EQ(irq_create_msi(0x18, n, 1, &a[7], &addr, &data), 0);
	for (int i = 0; i < IRQ_MSI_PER_FUNCTION; i++)
		close_irq(a[i]);
	close_irq(b);
	host_irq_slots = 4;
	kobj_put(&n->obj);
	CHECK_EQ(kobj_live_count(), live);
}

TEST(pci_msi_ack_after_close_is_bad_state)
{
	CHECK_EQ(host_mm_setup(), 0);
	struct notification *n = notif();
	struct irq *irq;
	uint64_t addr;
	uint32_t data;
	CHECK_EQ(irq_create_msi(0x18, n, 1, &irq, &addr, &data), 0);
	kobj_get(&irq->obj); /* as a racing SYS_IRQ_ACK holds it */
	close_irq(irq);
	CHECK_EQ(irq_ack(irq), ERR_BAD_STATE);
	kobj_put(&irq->obj);
	kobj_put(&n->obj);
}
