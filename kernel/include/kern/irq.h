/* IRQ objects: an interrupt line (a GSI of an IOAPIC) delivered to user
 * space as notification bits. On delivery the kernel masks the line,
 * signals the bits and sends the EOI; the driver handles its device and
 * acknowledges (SYS_IRQ_ACK), which unmasks the line. One IRQ object per
 * GSI; closing its last handle masks the line and frees its vector. */
#pragma once
#include <kern/notification.h>
#include <kern/object.h>

struct irq {
	struct kobject obj;
	uint32_t gsi;
	unsigned slot;		    /* arch line slot (x86_64: vector) */
	struct notification *notif; /* holds a reference */
	uint64_t bits;
	bool attached;	    /* false once the last handle closed */
	bool masked;	    /* delivered, not yet acknowledged */
	uint64_t delivered; /* interrupts delivered (diagnostics) */
};

/* Routes gsi to n's bits; the line starts unmasked. ERR_ALREADY_EXISTS
 * when gsi has an IRQ object, ERR_NO_RESOURCES when no vector is free,
 * ERR_OUT_OF_RANGE when no interrupt controller has gsi. */
int irq_create(uint32_t gsi, struct notification *n, uint64_t bits,
	       struct irq **out);
/* Unmasks the line after a delivery (no-op when not masked). */
int irq_ack(struct irq *irq);
/* Called by the arch interrupt handler of `slot` before its EOI. */
void irq_deliver(unsigned slot);

/* What irq.c needs from the architecture (x86_64: irq_user.c; host tests:
 * stubs). A slot is one interrupt vector reserved for user IRQs. */
unsigned arch_irq_slots(void);
/* Routes gsi to the slot's vector (masked) and installs the handler;
 * ERR_OUT_OF_RANGE when no controller has gsi. */
int arch_irq_attach(unsigned slot, uint32_t gsi);
/* Masks gsi and removes the slot's handler. */
void arch_irq_detach(unsigned slot, uint32_t gsi);
void arch_irq_mask(uint32_t gsi);
void arch_irq_unmask(uint32_t gsi);

/* I/O ports (x86 only; other architectures return ERR_NOT_SUPPORTED).
 * width is 1, 2 or 4. */
int arch_ioport_in(uint16_t port, unsigned width, uint32_t *value);
int arch_ioport_out(uint16_t port, unsigned width, uint32_t value);
