/* x86_64 PCI configuration access (kern/pci.h): ECAM when the ACPI MCFG
 * table gives segment 0 a window (q35), else configuration mechanism #1
 * through ports 0xcf8/0xcfc (pc). The choice is made once, at the first
 * access. ECAM is mapped uncached one bus (1 MiB) at a time, on the first
 * access to that bus. The port mechanism is two steps (address, then
 * data), so its accesses hold pci_port_lock. Lock order: pci_map_lock
 * (taken alone), pci_port_lock (taken alone). */
#include <arch/cpu.h>
#include <kern/acpi.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pci.h>
#include <kern/spinlock.h>
#include <kern/vm.h>

#define CFG_ADDR       0xcf8
#define CFG_DATA       0xcfc
#define ECAM_BUS_SHIFT 20

enum { MECH_UNKNOWN, MECH_PORTS, MECH_ECAM };

static int mech; /* MECH_*, written once under pci_map_lock */
static spinlock_t pci_map_lock = SPINLOCK_INIT;
static spinlock_t pci_port_lock = SPINLOCK_INIT;
static phys_addr_t ecam_base; /* the address of bus 0 */
static uint8_t ecam_bus_start, ecam_bus_end;
static uint8_t *ecam_bus[256]; /* mapped buses (published with release) */

/* The first segment-0 entry of the MCFG table (ACPI: a 44-byte header,
 * then 16-byte entries {u64 base, u16 segment, u8 bus start, u8 bus end,
 * u32 reserved}); the table's checksum and length were verified by
 * acpi_find_table. */
static bool mcfg_segment0(void)
{
	phys_addr_t pa = acpi_find_table("MCFG");
	if (!pa)
		return false;
	const uint8_t *t = phys_to_virt(pa);
	uint32_t len;
	memcpy(&len, t + 4, 4);
	for (uint32_t off = 44; off <= len && len - off >= 16; off += 16) {
		uint64_t base;
		uint16_t seg;
		memcpy(&base, t + off, 8);
		memcpy(&seg, t + off + 8, 2);
		uint8_t bs = t[off + 10], be = t[off + 11];
		if (seg || bs > be || !base ||
		    !IS_ALIGNED(base, 1ull << ECAM_BUS_SHIFT) ||
		    base >= (1ull << 52) -
				    ((uint64_t)(be + 1) << ECAM_BUS_SHIFT))
			continue;
		ecam_base = base;
		ecam_bus_start = bs;
		ecam_bus_end = be;
		return true;
	}
	return false;
}

static int mechanism(void)
{
	int m = __atomic_load_n(&mech, __ATOMIC_ACQUIRE);
	if (m != MECH_UNKNOWN)
		return m;
	unsigned long f = spin_lock_irqsave(&pci_map_lock);
	if (mech == MECH_UNKNOWN) {
		m = mcfg_segment0() ? MECH_ECAM : MECH_PORTS;
		__atomic_store_n(&mech, m, __ATOMIC_RELEASE);
		if (m == MECH_ECAM)
			pr_info("pci: configuration through ECAM at %#llx, "
				"buses %u-%u",
				(unsigned long long)ecam_base, ecam_bus_start,
				ecam_bus_end);
		else
			pr_info("pci: configuration through ports 0xcf8/0xcfc");
	}
	m = mech;
	spin_unlock_irqrestore(&pci_map_lock, f);
	return m;
}

uint32_t arch_pci_cfg_size(void)
{
	return mechanism() == MECH_ECAM ? PCI_CFG_ECAM_SIZE
					: PCI_CFG_PORTS_SIZE;
}

/* The function's 4 KiB of ECAM, or NULL (a bus outside the window, or
 * no address space left to map it). */
static uint8_t *ecam_function(uint32_t bdf)
{
	unsigned bus = (bdf >> 8) & 0xff;
	if (bus < ecam_bus_start || bus > ecam_bus_end)
		return NULL;
	uint8_t *va = __atomic_load_n(&ecam_bus[bus], __ATOMIC_ACQUIRE);
	if (!va) {
		unsigned long f = spin_lock_irqsave(&pci_map_lock);
		if (!ecam_bus[bus])
			__atomic_store_n(
				&ecam_bus[bus],
				ioremap(ecam_base + ((phys_addr_t)bus
						     << ECAM_BUS_SHIFT),
					1u << ECAM_BUS_SHIFT),
				__ATOMIC_RELEASE);
		va = ecam_bus[bus];
		spin_unlock_irqrestore(&pci_map_lock, f);
		if (!va)
			return NULL;
	}
	return va + ((bdf & 0xff) << 12);
}

static uint32_t port_addr(uint32_t bdf, uint32_t offset)
{
	return 0x80000000u | bdf << 8 | (offset & 0xfc);
}

uint32_t arch_pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width)
{
	if (mechanism() == MECH_ECAM) {
		uint8_t *p = ecam_function(bdf);
		if (!p)
			return 0xffffffffu >> (32 - 8 * width);
		p += offset;
		switch (width) {
		case 1:
			return *(volatile uint8_t *)p;
		case 2:
			return *(volatile uint16_t *)p;
		default:
			return *(volatile uint32_t *)p;
		}
	}
	uint16_t data = (uint16_t)(CFG_DATA + (offset & 3));
	uint32_t v;
	unsigned long f = spin_lock_irqsave(&pci_port_lock);
	outl(CFG_ADDR, port_addr(bdf, offset));
	if (width == 1)
		v = inb(data);
	else if (width == 2)
		v = inw(data);
	else
		v = inl(data);
	spin_unlock_irqrestore(&pci_port_lock, f);
	return v;
}

void arch_pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width,
			uint32_t value)
{
	if (mechanism() == MECH_ECAM) {
		uint8_t *p = ecam_function(bdf);
		if (!p)
			return;
		p += offset;
		if (width == 1)
			*(volatile uint8_t *)p = (uint8_t)value;
		else if (width == 2)
			*(volatile uint16_t *)p = (uint16_t)value;
		else
			*(volatile uint32_t *)p = value;
		return;
	}
	uint16_t data = (uint16_t)(CFG_DATA + (offset & 3));
	unsigned long f = spin_lock_irqsave(&pci_port_lock);
	outl(CFG_ADDR, port_addr(bdf, offset));
	if (width == 1)
		outb(data, (uint8_t)value);
	else if (width == 2)
		outw(data, (uint16_t)value);
	else
		outl(data, value);
	spin_unlock_irqrestore(&pci_port_lock, f);
}
