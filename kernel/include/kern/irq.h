/* IRQ objects: an interrupt delivered to user space as notification bits.
 * Two kinds share one slot table and the delivery/ack code: an IOAPIC
 * line (a GSI) and an MSI vector of a PCI function (the function sends a
 * message naming the vector; MSI and MSI-X alike). On delivery the kernel
 * masks the source, signals the bits and sends the EOI; the driver handles
 * its device and acknowledges (SYS_IRQ_ACK), which unmasks it. A line is
 * masked at the IOAPIC; an MSI is masked in the kernel (a message while
 * masked is remembered, and SYS_IRQ_ACK signals it again at once). One
 * IRQ object per GSI; closing its last handle masks the line and frees
 * its vector. */
#pragma once
#include <kern/notification.h>
#include <kern/object.h>

enum irq_kind {
	IRQ_LINE = 0, /* an IOAPIC input */
	IRQ_MSI = 1,  /* a message-signalled vector of one PCI function */
};

struct irq {
	struct kobject obj;
	uint8_t kind;		    /* IRQ_* */
	uint32_t gsi;		    /* IRQ_LINE */
	uint32_t bdf;		    /* IRQ_MSI: the function it is for */
	unsigned slot;		    /* arch line slot (x86_64: vector) */
	struct notification *notif; /* holds a reference */
	uint64_t bits;
	bool attached;	    /* false once the last handle closed */
	bool masked;	    /* delivered, not yet acknowledged */
	bool pending;	    /* IRQ_MSI: a message came while masked */
	uint64_t delivered; /* interrupts delivered (diagnostics) */
};

/* At most this many live MSI objects per PCI function (the MSI-X table
 * of one function can name up to 2048 vectors; this bounds what one
 * driver can take of the shared vector space: QEMU's devices use a few,
 * virtio one per queue plus one). Equal to PCI_MSI_PER_FUNCTION. */
#define IRQ_MSI_PER_FUNCTION 32

/* Routes gsi to n's bits; the line starts unmasked. ERR_ALREADY_EXISTS
 * when gsi has an IRQ object, ERR_NO_RESOURCES when no vector is free,
 * ERR_OUT_OF_RANGE when no interrupt controller has gsi. */
int irq_create(uint32_t gsi, struct notification *n, uint64_t bits,
	       struct irq **out);
/* An MSI object for function bdf on a free vector, unmasked; *addr and
 * *data are the message the function must send. ERR_NO_RESOURCES when
 * no vector is free or bdf has IRQ_MSI_PER_FUNCTION live ones. */
int irq_create_msi(uint32_t bdf, struct notification *n, uint64_t bits,
		   struct irq **out, uint64_t *addr, uint32_t *data);
/* Unmasks after a delivery (no-op when not masked); an MSI that came
 * while masked is signalled again at once (and stays masked). */
int irq_ack(struct irq *irq);
/* Called by the arch interrupt handler of `slot` before its EOI. An
 * interrupt on a slot no object holds is counted (irq_stray_count) and
 * dropped. */
void irq_deliver(unsigned slot);
uint64_t irq_stray_count(void);

/* What irq.c needs from the architecture (x86_64: irq_user.c; host tests:
 * stubs). A slot is one interrupt vector reserved for user IRQs; the
 * arch's handler for every slot calls irq_deliver, attached or not. */
unsigned arch_irq_slots(void);
/* Routes gsi to the slot's vector (masked) and installs the handler;
 * ERR_OUT_OF_RANGE when no controller has gsi. */
int arch_irq_attach(unsigned slot, uint32_t gsi);
/* The message that raises the slot's vector (on the calling CPU), and
 * its handler installed. */
int arch_irq_attach_msi(unsigned slot, uint64_t *addr, uint32_t *data);
/* Masks gsi (the slot's handler stays: a late interrupt is a stray). */
void arch_irq_detach(unsigned slot, uint32_t gsi);
void arch_irq_mask(uint32_t gsi);
void arch_irq_unmask(uint32_t gsi);

/* I/O ports (x86 only; other architectures return ERR_NOT_SUPPORTED).
 * width is 1, 2 or 4. */
int arch_ioport_in(uint16_t port, unsigned width, uint32_t *value);
int arch_ioport_out(uint16_t port, unsigned width, uint32_t value);
/* Whether the access touches ports the kernel drives itself (x86: PCI
 * configuration mechanism #1, whose two steps the kernel serialises) or
 * is a write that resets the machine (x86: the i8042 commands for reset
 * and A20); SYS_IOPORT_IO refuses them whatever the authority. */
bool arch_ioport_kernel_owned(uint16_t port, unsigned width, bool out,
			      uint32_t value);
