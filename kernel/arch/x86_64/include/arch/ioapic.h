/* IOAPICs from the MADT: GSI -> vector routing. Every entry starts masked;
 * a driver routes its line, installs its handler (irq_set_handler) and
 * unmasks. Handlers send the LAPIC EOI themselves. */
#pragma once
#include <kern/types.h>

/* Flags for ioapic_route(): the redirection entry's own bits. */
#define IOAPIC_ACTIVE_LOW (1u << 13)
#define IOAPIC_LEVEL	  (1u << 15)

void ioapic_init(void);
unsigned ioapic_count(void);
/* Physical destination dest_apic_id, fixed delivery. The entry is left
 * masked. Returns 0, or -1 when no IOAPIC has this GSI. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic_id,
		 uint32_t flags);
int ioapic_mask(uint32_t gsi);
int ioapic_unmask(uint32_t gsi);
/* Raw redirection entry (tests, debugging); false if no such GSI. */
bool ioapic_read_entry(uint32_t gsi, uint64_t *entry);

/* ISA IRQ (0-15) -> GSI through the MADT overrides, polarity and trigger
 * from the override (ISA default: edge, active high), routed to this CPU
 * and left masked. Returns the GSI, or -1. */
int irq_isa_route(uint8_t isa_irq, uint8_t vector);
