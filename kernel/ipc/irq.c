/* IRQ objects (kern/irq.h). One global lock guards the slot table and
 * every object's state; the interrupt handler takes it too, so once
 * last_handle_closed() has emptied a slot under the lock no handler can
 * still be using the object. Lock order: irq_lock, then the controller's
 * and the notification's locks.
 *
 * Slots are handed out next-fit (from after the last one given), so a
 * freed vector is reused as late as possible: a message a device sends
 * after its MSI object was closed most likely finds the slot empty and
 * is counted as a stray rather than signalled to the next owner. */
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/irq.h>
#include <kern/lib.h>
#include <kern/slab.h>
#include <kern/spinlock.h>

_Static_assert(IRQ_MSI_PER_FUNCTION == PCI_MSI_PER_FUNCTION,
	       "the ABI constant is the kernel's limit");

#define IRQ_SLOTS_MAX 256

static spinlock_t irq_lock = SPINLOCK_INIT;
static struct irq *slots[IRQ_SLOTS_MAX];
static unsigned next_slot; /* where the next search starts */
static uint64_t stray;	   /* deliveries to an empty slot */

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
		if (irq->kind == IRQ_LINE)
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

static int irq_alloc(uint8_t kind, struct notification *n, uint64_t bits,
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
	irq->kind = kind;
	irq->gsi = 0;
	irq->bdf = 0;
	irq->slot = 0;
	irq->notif = n;
	irq->bits = bits;
	irq->attached = false;
	irq->masked = false;
	irq->pending = false;
	irq->delivered = 0;
	*out = irq;
	return 0;
}

static unsigned nslots(void)
{
	return MIN(arch_irq_slots(), (unsigned)IRQ_SLOTS_MAX);
}

/* The first free slot from next_slot on, wrapping; n when none. Under
 * irq_lock. */
static unsigned free_slot(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (next_slot + k) % n;
		if (!slots[i])
			return i;
	}
	return n;
}

static void install(struct irq *irq, unsigned slot, unsigned n)
{
	irq->slot = slot;
	irq->attached = true;
	slots[slot] = irq;
	next_slot = (slot + 1) % n;
}

int irq_create(uint32_t gsi, struct notification *n, uint64_t bits,
	       struct irq **out)
{
	struct irq *irq;
	int err = irq_alloc(IRQ_LINE, n, bits, &irq);
	if (err)
		return err;
	irq->gsi = gsi;

	unsigned ns = nslots();
	unsigned long f = spin_lock_irqsave(&irq_lock);
	unsigned slot = free_slot(ns);
	err = slot < ns ? 0 : ERR_NO_RESOURCES;
	for (unsigned i = 0; i < ns; i++)
		if (slots[i] && slots[i]->kind == IRQ_LINE &&
		    slots[i]->gsi == gsi)
			err = ERR_ALREADY_EXISTS;
	if (!err)
		err = arch_irq_attach(slot, gsi);
	if (!err) {
		install(irq, slot, ns);
		arch_irq_unmask(gsi);
	}
	spin_unlock_irqrestore(&irq_lock, f);
	if (err) {
		kobj_put(&irq->obj); /* never attached: just freed */
		return err;
	}
	*out = irq;
	return 0;
}

int irq_create_msi(uint32_t bdf, struct notification *n, uint64_t bits,
		   struct irq **out, uint64_t *addr, uint32_t *data)
{
	struct irq *irq;
	int err = irq_alloc(IRQ_MSI, n, bits, &irq);
	if (err)
		return err;
	irq->bdf = bdf;

	unsigned ns = nslots(), same = 0;
	unsigned long f = spin_lock_irqsave(&irq_lock);
	for (unsigned i = 0; i < ns; i++)
		same += slots[i] && slots[i]->kind == IRQ_MSI &&
			slots[i]->bdf == bdf;
	unsigned slot = free_slot(ns);
	err = slot < ns && same < IRQ_MSI_PER_FUNCTION ? 0 : ERR_NO_RESOURCES;
	if (!err)
		err = arch_irq_attach_msi(slot, addr, data);
	if (!err)
		install(irq, slot, ns);
	spin_unlock_irqrestore(&irq_lock, f);
	if (err) {
		kobj_put(&irq->obj);
		return err;
	}
	*out = irq;
	return 0;
}

/* Under irq_lock: masks the source and signals the bits. */
static void deliver(struct irq *irq)
{
	if (irq->kind == IRQ_LINE)
		arch_irq_mask(irq->gsi);
	irq->masked = true;
	irq->delivered++;
	notification_signal(irq->notif, irq->bits);
}

int irq_ack(struct irq *irq)
{
	unsigned long f = spin_lock_irqsave(&irq_lock);
	int err = irq->attached ? 0 : ERR_BAD_STATE;
	if (!err && irq->masked) {
		irq->masked = false;
		if (irq->kind == IRQ_LINE) {
			arch_irq_unmask(irq->gsi);
		} else if (irq->pending) {
			irq->pending = false;
			deliver(irq);
		}
	}
	spin_unlock_irqrestore(&irq_lock, f);
	return err;
}

void irq_deliver(unsigned slot)
{
	unsigned long f = spin_lock_irqsave(&irq_lock);
	struct irq *irq = slot < IRQ_SLOTS_MAX ? slots[slot] : NULL;
	if (!irq)
		stray++;
	else if (irq->kind == IRQ_MSI && irq->masked)
		irq->pending = true; /* edge: remembered, not lost */
	else
		deliver(irq);
	spin_unlock_irqrestore(&irq_lock, f);
}

uint64_t irq_stray_count(void)
{
	return __atomic_load_n(&stray, __ATOMIC_RELAXED);
}
