/* x86_64 PCI configuration access (kern/pci.h): ECAM when the ACPI MCFG
 * table gives segment 0 a window (q35), else configuration mechanism #1
 * through ports 0xcf8/0xcfc (pc). arch_pci_init() chooses once at boot
 * and maps the whole ECAM window uncached (2 MiB pages when aligned: the
 * tables cost is paid at boot, not by whoever touches a new bus). ECAM
 * accesses are single loads and stores and need no lock; the port
 * mechanism is two steps (address, then data), so each access holds
 * pci_port_lock (taken alone, with interrupts off). */
#include <arch/cpu.h>
#include <arch/pci.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <kern/acpi.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/mm.h>
#include <kern/pci.h>
#include <kern/spinlock.h>
#include <kern/vm.h>

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

static bool use_ecam;		/* set once at boot, before any user task */
static bool park_others = true; /* "pci_park=off": writes run alone */
static spinlock_t pci_port_lock = SPINLOCK_INIT;
static uint8_t *ecam; /* the mapping of bus ecam_bus_start */
static uint8_t ecam_bus_start, ecam_bus_end;

void arch_pci_init(void)
{
	if (bootinfo_cmdline_has(&boot_info, "pci_park=off"))
		park_others = false;
	/* Segment 0's MCFG entry (kernel/acpi/mcfg.c checked its bounds). */
	const struct acpi_mcfg *m = &acpi.mcfg;
	if (m->valid) {
		uint64_t base, len;
		acpi_mcfg_window(m, &base, &len);
		ecam = ioremap(base, len);
		if (ecam) {
			ecam_bus_start = m->bus_start;
			ecam_bus_end = m->bus_end;
			use_ecam = true;
			pr_info("pci: configuration through ECAM at %#llx, "
				"buses %u-%u",
				(unsigned long long)base, m->bus_start,
				m->bus_end);
			return;
		}
		pr_warn("pci: cannot map ECAM at %#llx: using ports",
			(unsigned long long)base);
	}
	pr_info("pci: configuration through ports 0xcf8/0xcfc");
}

uint32_t arch_pci_cfg_size(void)
{
	return use_ecam ? PCI_CFG_ECAM_SIZE : PCI_CFG_PORTS_SIZE;
}

/* The function's 4 KiB of ECAM, or NULL for a bus outside the window. */
static uint8_t *ecam_function(uint32_t bdf)
{
	unsigned bus = (bdf >> 8) & 0xff;
	if (bus < ecam_bus_start || bus > ecam_bus_end)
		return NULL;
	return ecam + ((size_t)(bdf - ((uint32_t)ecam_bus_start << 8)) << 12);
}

static uint32_t port_addr(uint32_t bdf, uint32_t offset)
{
	return 0x80000000u | bdf << 8 | (offset & 0xfc);
}

uint32_t pci_port_read(uint32_t bdf, uint32_t offset, unsigned width)
{
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

void pci_port_write(uint32_t bdf, uint32_t offset, unsigned width,
		    uint32_t value)
{
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

bool pci_park_enabled(void)
{
	return park_others;
}

bool pci_uses_ecam(void)
{
	return use_ecam;
}

uint32_t arch_pci_cfg_read(uint32_t bdf, uint32_t offset, unsigned width)
{
	if (!use_ecam)
		return pci_port_read(bdf, offset, width);
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

struct cfg_write {
	uint32_t bdf, offset, value;
	unsigned width;
};

static void cfg_write_now(void *arg)
{
	const struct cfg_write *w = arg;
	if (!use_ecam) {
		pci_port_write(w->bdf, w->offset, w->width, w->value);
		return;
	}
	uint8_t *p = ecam_function(w->bdf);
	if (!p)
		return;
	p += w->offset;
	if (w->width == 1)
		*(volatile uint8_t *)p = (uint8_t)w->value;
	else if (w->width == 2)
		*(volatile uint16_t *)p = (uint16_t)w->value;
	else
		*(volatile uint32_t *)p = w->value;
}

/* A write that may change a function's decoding runs with the other
 * CPUs parked (smp.h smp_run_quiesced): under QEMU 7.2's TCG such a
 * write (command register, BARs, MSI-X enable) rebuilds every vCPU's
 * memory map from the writing thread, and a vCPU doing MMIO at that
 * moment (its LAPIC, IOAPIC, HPET are constant) crashes QEMU (fixed in
 * QEMU 8.1). Parked CPUs touch no device. Other writes (interrupt line,
 * MSI data and masks, status bits...) go straight through: a driver
 * looping them must not stall every CPU (review F7). The cost is in
 * docs/devices.md. */
#define QUIESCE_TIMEOUT_NS 10000000ull /* a CPU with interrupts off */

void arch_pci_cfg_write(uint32_t bdf, uint32_t offset, unsigned width,
			uint32_t value, bool decoding)
{
	struct cfg_write w = {bdf, offset, value, width};
	if (decoding && park_others &&
	    __atomic_load_n(&ncpus_online, __ATOMIC_ACQUIRE) > 1)
		smp_run_quiesced(cfg_write_now, &w, QUIESCE_TIMEOUT_NS);
	else
		cfg_write_now(&w);
}
