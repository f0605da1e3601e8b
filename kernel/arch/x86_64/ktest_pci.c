/* In-kernel tests of PCI configuration access (pci_cfg.c): with an MCFG
 * (q35) the ECAM mapping must read what the port mechanism reads, for
 * every function of bus 0 at every width, and a write through one must
 * be seen through the other. */
#include <arch/pci.h>
#include <kern/acpi.h>
#include <kern/ktest.h>
#include <kern/pci.h>

KTEST(pci_ecam_agrees_with_ports)
{
	KT_CHECK_EQ(pci_uses_ecam(), acpi.mcfg.valid);
	KT_CHECK_EQ(arch_pci_cfg_size(),
		    acpi.mcfg.valid ? PCI_CFG_ECAM_SIZE : PCI_CFG_PORTS_SIZE);
	/* QEMU's host bridge. */
	KT_CHECK_EQ(pci_port_read(0, 0, 2), 0x8086);
	unsigned found = 0;
	for (uint32_t bdf = 0; bdf < 256; bdf++) {
		uint32_t id = pci_port_read(bdf, 0, 4);
		KT_CHECK_EQ(arch_pci_cfg_read(bdf, 0, 4), id);
		if ((id & 0xffff) == 0xffff)
			continue;
		found++;
		for (uint32_t off = 0; off < 64; off += 4) {
			uint32_t v = pci_port_read(bdf, off, 4);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off, 4), v);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off + 2, 2),
				    v >> 16);
			KT_CHECK_EQ(arch_pci_cfg_read(bdf, off + 3, 1),
				    v >> 24);
			KT_CHECK_EQ(pci_port_read(bdf, off + 1, 1),
				    (v >> 8) & 0xff);
		}
	}
	KT_CHECK(found >= 4);
	kprintf("    %u functions on bus 0 read alike through %s and ports\n",
		found, pci_uses_ecam() ? "ECAM" : "ports (no MCFG)");
}

KTEST(pci_write_seen_through_both_mechanisms)
{
	/* The interrupt line of 00:01.0 (VGA on q35, the ISA bridge on
	 * pc): a scratch byte for software. */
	const uint32_t bdf = 1 << 3, line = 0x3c;
	KT_CHECK(pci_port_read(bdf, 0, 2) != 0xffff);
	uint32_t was = pci_port_read(bdf, line, 1);
	arch_pci_cfg_write(bdf, line, 1, 0xa5);
	uint32_t by_ports = pci_port_read(bdf, line, 1);
	pci_port_write(bdf, line, 1, 0x5a);
	uint32_t by_cfg = arch_pci_cfg_read(bdf, line, 1);
	pci_port_write(bdf, line, 1, was);
	KT_CHECK_EQ(by_ports, 0xa5);
	KT_CHECK_EQ(by_cfg, 0x5a);
	KT_CHECK_EQ(arch_pci_cfg_read(bdf, line, 1), was);
}
