/* IOAPIC driver. The register window is an index/data pair, so every
 * access holds one lock (any CPU may route or mask a line). */
#include <arch/ioapic.h>
#include <arch/lapic.h>
#include <kern/acpi.h>
#include <kern/log.h>
#include <kern/spinlock.h>
#include <kern/vm.h>

#define IOREGSEL    0x00
#define IOWIN	    0x10
#define IOAPICID    0x00
#define IOAPICVER   0x01
#define IOREDTBL(n) (0x10 + 2 * (n))

#define RTE_MASKED (1u << 16)

struct ioapic {
	volatile uint32_t *regs;
	uint32_t id, gsi_base, nlines;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;
static spinlock_t ioapic_lock = SPINLOCK_INIT;

static uint32_t io_rd(struct ioapic *io, uint32_t reg)
{
	io->regs[IOREGSEL / 4] = reg;
	return io->regs[IOWIN / 4];
}

static void io_wr(struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOREGSEL / 4] = reg;
	io->regs[IOWIN / 4] = v;
}

static struct ioapic *find(uint32_t gsi, uint32_t *pin)
{
	for (unsigned i = 0; i < nioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nlines) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

void ioapic_init(void)
{
	for (size_t i = 0; i < acpi.nioapics && i < ACPI_MAX_IOAPICS; i++) {
		struct ioapic *io = &ioapics[nioapics];
		io->regs = ioremap(acpi.ioapics[i].addr, 0x1000);
		io->id = acpi.ioapics[i].id;
		io->gsi_base = acpi.ioapics[i].gsi_base;
		uint32_t ver = io_rd(io, IOAPICVER);
		io->nlines = ((ver >> 16) & 0xff) + 1;
		/* Firmware may have left lines live: mask them all. */
		for (uint32_t pin = 0; pin < io->nlines; pin++) {
			io_wr(io, IOREDTBL(pin), RTE_MASKED);
			io_wr(io, IOREDTBL(pin) + 1, 0);
		}
		nioapics++;
		pr_info("ioapic: id %u at %llx, GSI %u-%u, version 0x%x",
			io->id, (unsigned long long)acpi.ioapics[i].addr,
			io->gsi_base, io->gsi_base + io->nlines - 1,
			ver & 0xff);
	}
	for (size_t i = 0; i < acpi.noverrides; i++)
		pr_info("ioapic: ISA IRQ %u -> GSI %u, flags 0x%x",
			acpi.overrides[i].source, acpi.overrides[i].gsi,
			acpi.overrides[i].flags);
	if (!nioapics)
		pr_warn("ioapic: none in the MADT; no device interrupts");
}

unsigned ioapic_count(void)
{
	return nioapics;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest_apic_id,
		 uint32_t flags)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io || vector < 0x20)
		return -1;
	uint32_t lo = RTE_MASKED | vector |
		      (flags & (IOAPIC_ACTIVE_LOW | IOAPIC_LEVEL));
	unsigned long f = spin_lock_irqsave(&ioapic_lock);
	/* Mask first so a half-written entry never delivers. */
	io_wr(io, IOREDTBL(pin), RTE_MASKED);
	io_wr(io, IOREDTBL(pin) + 1, dest_apic_id << 24);
	io_wr(io, IOREDTBL(pin), lo);
	spin_unlock_irqrestore(&ioapic_lock, f);
	return 0;
}

static int set_mask(uint32_t gsi, bool masked)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return -1;
	unsigned long f = spin_lock_irqsave(&ioapic_lock);
	uint32_t lo = io_rd(io, IOREDTBL(pin));
	lo = masked ? lo | RTE_MASKED : lo & ~RTE_MASKED;
	io_wr(io, IOREDTBL(pin), lo);
	spin_unlock_irqrestore(&ioapic_lock, f);
	return 0;
}

int ioapic_mask(uint32_t gsi)
{
	return set_mask(gsi, true);
}

int ioapic_unmask(uint32_t gsi)
{
	return set_mask(gsi, false);
}

bool ioapic_read_entry(uint32_t gsi, uint64_t *entry)
{
	uint32_t pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return false;
	unsigned long f = spin_lock_irqsave(&ioapic_lock);
	*entry = io_rd(io, IOREDTBL(pin)) |
		 ((uint64_t)io_rd(io, IOREDTBL(pin) + 1) << 32);
	spin_unlock_irqrestore(&ioapic_lock, f);
	return true;
}

int irq_isa_route(uint8_t isa_irq, uint8_t vector)
{
	uint16_t aflags = 0;
	uint32_t gsi = acpi_isa_to_gsi(&acpi, isa_irq, &aflags);
	uint32_t flags = 0;
	/* "Conforms to the bus" means ISA: active high, edge. */
	if ((aflags & ACPI_POL_MASK) == ACPI_POL_LOW)
		flags |= IOAPIC_ACTIVE_LOW;
	if ((aflags & ACPI_TRIG_MASK) == ACPI_TRIG_LEVEL)
		flags |= IOAPIC_LEVEL;
	if (ioapic_route(gsi, vector, lapic_id(), flags) < 0)
		return -1;
	return (int)gsi;
}
