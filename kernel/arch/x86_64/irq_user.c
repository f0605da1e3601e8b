/* x86_64 glue for user-space interrupts (kern/irq.h): slot i is vector
 * VEC_IRQ_BASE + i, delivered to the CPU that created the IRQ object: an
 * IOAPIC line is routed there, an MSI message names that CPU's local APIC
 * (physical destination mode, fixed delivery, edge). A slot's handler,
 * once installed, stays: an interrupt on a freed vector (a device that
 * still sends) is counted by irq_deliver and gets its EOI, where an
 * unhandled vector would get none and block the LAPIC's lower
 * priorities. Also the port I/O behind SYS_IOPORT_IO. */
#include <arch/cpu.h>
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <arch/trap.h>
#include <arch/vectors.h>
#include <execrt/errors.h>
#include <kern/acpi.h>
#include <kern/irq.h>

#define NSLOTS (VEC_IRQ_LAST - VEC_IRQ_BASE + 1)

static void user_irq(struct trap_frame *tf)
{
	irq_deliver((unsigned)tf->vector - VEC_IRQ_BASE);
	lapic_eoi();
}

unsigned arch_irq_slots(void)
{
	return NSLOTS;
}

/* Polarity and trigger: an ISA override naming this GSI wins; other GSIs
 * below 16 are ISA (edge, active high), the rest PCI (level, active
 * low). */
static uint32_t gsi_flags(uint32_t gsi)
{
	uint16_t af = 0;
	bool found = false;
	for (size_t i = 0; i < acpi.noverrides; i++) {
		if (acpi.overrides[i].gsi == gsi) {
			af = acpi.overrides[i].flags;
			found = true;
			break;
		}
	}
	if (!found)
		return gsi < 16 ? 0 : IOAPIC_ACTIVE_LOW | IOAPIC_LEVEL;
	uint32_t flags = 0;
	if ((af & ACPI_POL_MASK) == ACPI_POL_LOW)
		flags |= IOAPIC_ACTIVE_LOW;
	if ((af & ACPI_TRIG_MASK) == ACPI_TRIG_LEVEL)
		flags |= IOAPIC_LEVEL;
	return flags;
}

int arch_irq_attach(unsigned slot, uint32_t gsi)
{
	if (slot >= NSLOTS)
		return ERR_OUT_OF_RANGE;
	uint8_t vec = (uint8_t)(VEC_IRQ_BASE + slot);
	irq_set_handler(vec, user_irq);
	if (ioapic_route(gsi, vec, lapic_id(), gsi_flags(gsi)) < 0)
		return ERR_OUT_OF_RANGE; /* the handler stays (see above) */
	return 0;
}

/* The MSI address: the fixed 0xfee prefix with the destination APIC id
 * in bits 19:12 (redirection hint and destination mode 0: physical). */
#define MSI_ADDR_BASE 0xfee00000ull

int arch_irq_attach_msi(unsigned slot, uint64_t *addr, uint32_t *data)
{
	if (slot >= NSLOTS)
		return ERR_OUT_OF_RANGE;
	uint32_t apic = lapic_id();
	if (apic > 0xff) /* does not fit an xAPIC MSI address */
		return ERR_NOT_SUPPORTED;
	uint8_t vec = (uint8_t)(VEC_IRQ_BASE + slot);
	irq_set_handler(vec, user_irq);
	*addr = MSI_ADDR_BASE | (uint64_t)apic << 12;
	*data = vec; /* fixed delivery, edge trigger */
	return 0;
}

void arch_irq_detach(unsigned slot, uint32_t gsi)
{
	(void)slot;
	ioapic_mask(gsi);
}

void arch_irq_mask(uint32_t gsi)
{
	ioapic_mask(gsi);
}

void arch_irq_unmask(uint32_t gsi)
{
	ioapic_unmask(gsi);
}

/* CONFIG_DATA (0xcfc-0xcff, any width) and CONFIG_ADDRESS (a 32-bit
 * access at 0xcf8): a task writing the address between the kernel's
 * address and data steps would redirect the kernel's access to another
 * function. A byte at 0xcf9 (the chipset's reset control) stays a port.
 *
 * The i8042's command port 0x64 also drives the machine's reset and A20
 * lines: 0xD1 (write the output port: bit 0 reset, bit 1 A20), 0xDD/0xDF
 * (A20 off/on; under QEMU 7.2's TCG A20 off masks every physical address,
 * page walks included), 0xF0-0xFF (pulse the output lines: 0xFE resets).
 * A keyboard driver needs none of them (review F6). */
static bool i8042_machine_command(uint8_t c)
{
	return c == 0xd1 || c == 0xdd || c == 0xdf || c >= 0xf0;
}

bool arch_ioport_kernel_owned(uint16_t port, unsigned width, bool out,
			      uint32_t value)
{
	uint32_t last = (uint32_t)port + width - 1;
	if ((port <= 0xcff && last >= 0xcfc) || (port == 0xcf8 && width == 4))
		return true;
	/* A wide write reaches 0x64 as one of its bytes. */
	if (out && port <= 0x64 && last >= 0x64)
		return i8042_machine_command(
			(uint8_t)(value >> (8 * (0x64 - port))));
	return false;
}

int arch_ioport_in(uint16_t port, unsigned width, uint32_t *value)
{
	switch (width) {
	case 1:
		*value = inb(port);
		return 0;
	case 2:
		*value = inw(port);
		return 0;
	case 4:
		*value = inl(port);
		return 0;
	}
	return ERR_INVALID_ARGS;
}

int arch_ioport_out(uint16_t port, unsigned width, uint32_t value)
{
	switch (width) {
	case 1:
		outb(port, (uint8_t)value);
		return 0;
	case 2:
		outw(port, (uint16_t)value);
		return 0;
	case 4:
		outl(port, value);
		return 0;
	}
	return ERR_INVALID_ARGS;
}
