/* IRQ objects (kern/irq.h). One global lock guards the slot table and
 * every object's state; the interrupt handler takes it too, so once
 * last_handle_closed() has emptied a slot under the lock no handler can
 * still be using the object. Lock order: irq_lock, then the controller's
 * and the notification's locks. */
#include <execrt/errors.h>
#include <kern/irq.h>
#include <kern/lib.h>
#include <kern/slab.h>
#include <kern/spinlock.h>

#define IRQ_SLOTS_MAX 256

static spinlock_t irq_lock = SPINLOCK_INIT;
static struct irq *slots[IRQ_SLOTS_MAX];

static void irq_destroy(struct kobject *o)
{
	struct irq *irq = container_of(o, struct irq, obj);
	kobj_put(&irq->notif->obj);
	kfree(irq);
}

static void irq_last_handle_closed(struct kobject *o)
{
	struct irq *irq = container_of(o, struct irq, obj);
	unsigned long f = spin_lock_irqsave(&irq_lock);
	if (irq->attached) {
		arch_irq_detach(irq->slot, irq->gsi);
		slots[irq->slot] = NULL;
		irq->attached = false;
	}
	spin_unlock_irqrestore(&irq_lock, f);
}

static const struct kobj_ops irq_ops = {
	.name = "irq",
	.destroy = irq_destroy,
	.last_handle_closed = irq_last_handle_closed,
};

int irq_create(uint32_t gsi, struct notification *n, uint64_t bits,
	       struct irq **out)
{
	struct charge ch;
	int err = kobj_precharge(&ch, sizeof(struct irq));
	if (err)
		return err;
	struct irq *irq = kmalloc(sizeof(*irq));
	if (!irq) {
		charge_drop(&ch);
		return ERR_NO_MEMORY;
	}
	kobj_init_charged(&irq->obj, OBJ_IRQ, &irq_ops, &ch);
	kobj_get(&n->obj);
	irq->gsi = gsi;
	irq->notif = n;
	irq->bits = bits;
	irq->attached = false;
	irq->masked = false;
	irq->delivered = 0;

	unsigned nslots = MIN(arch_irq_slots(), (unsigned)IRQ_SLOTS_MAX);
	err = ERR_NO_RESOURCES;
	unsigned long f = spin_lock_irqsave(&irq_lock);
	unsigned free = nslots;
	for (unsigned i = 0; i < nslots; i++) {
		if (slots[i] && slots[i]->gsi == gsi) {
			err = ERR_ALREADY_EXISTS;
			free = nslots;
			break;
		}
		if (!slots[i] && free == nslots)
			free = i;
	}
	if (free < nslots) {
		err = arch_irq_attach(free, gsi);
		if (!err) {
			irq->slot = free;
			irq->attached = true;
			slots[free] = irq;
			arch_irq_unmask(gsi);
		}
	}
	spin_unlock_irqrestore(&irq_lock, f);
	if (err) {
		kobj_put(&irq->obj); /* never attached: just freed */
		return err;
	}
	*out = irq;
	return 0;
}

int irq_ack(struct irq *irq)
{
	unsigned long f = spin_lock_irqsave(&irq_lock);
	int err = irq->attached ? 0 : ERR_BAD_STATE;
	if (!err && irq->masked) {
		irq->masked = false;
		arch_irq_unmask(irq->gsi);
	}
	spin_unlock_irqrestore(&irq_lock, f);
	return err;
}

void irq_deliver(unsigned slot)
{
	if (slot >= IRQ_SLOTS_MAX)
		return;
	unsigned long f = spin_lock_irqsave(&irq_lock);
	struct irq *irq = slots[slot];
	if (irq) {
		arch_irq_mask(irq->gsi);
		irq->masked = true;
		irq->delivered++;
		notification_signal(irq->notif, irq->bits);
	}
	spin_unlock_irqrestore(&irq_lock, f);
}
