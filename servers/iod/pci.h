/* iod's PCI code (docs/devices.md "iod"): bus enumeration, BAR sizing,
 * capability parsing and function reset. No system calls: configuration
 * space is reached through struct pci_ops (the kernel's
 * SYS_PCI_CFG_READ/WRITE in iod, a fake configuration space in the host
 * tests, tests/host/test_iod_pci.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/syscall.h>

#ifndef PCI_BDF /* execrt/syscall.h has it too (the same value) */
#define PCI_BDF(b, d, f) ((uint16_t)((b) << 8 | (d) << 3 | (f)))
#endif
#define PCI_BUS(bdf) ((bdf) >> 8)
#define PCI_DEV(bdf) (((bdf) >> 3) & 31)
#define PCI_FN(bdf)  ((bdf)&7)

/* Configuration registers used here. */
#define PCI_VENDOR	 0x00
#define PCI_COMMAND	 0x04
#define PCI_STATUS	 0x06
#define PCI_REVISION	 0x08
#define PCI_HEADER	 0x0e
#define PCI_BAR0	 0x10
#define PCI_SECONDARY	 0x19 /* type 1 */
#define PCI_SUBSYS	 0x2c /* type 0: vendor, device */
#define PCI_CAP_PTR	 0x34
#define PCI_INT_LINE	 0x3c
#define PCI_INT_PIN	 0x3d
#define PCI_CMD_IO	 0x1u
#define PCI_CMD_MEM	 0x2u
#define PCI_CMD_MASTER	 0x4u
#define PCI_CMD_INTX_OFF 0x400u
#define PCI_STATUS_CAPS	 0x10u

#define PCI_CAP_MSI    0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_PCIE   0x10
#define PCI_CAP_MSIX   0x11

#define PCI_BAR_IO	 0x1u
#define PCI_BAR_MEM	 0x2u
#define PCI_BAR_64	 0x4u
#define PCI_BAR_PREFETCH 0x8u

#define PCI_CAPS_MAX 16
#define PCI_DEV_MAX  64

struct pci_dev;

struct pci_ops {
	void *ctx;
	/* width 1, 2 or 4; an absent function reads all ones */
	uint32_t (*read)(void *ctx, uint16_t bdf, uint16_t off, int width);
	void (*write)(void *ctx, uint16_t bdf, uint16_t off, int width,
		      uint32_t v);
	/* Optional: true when d (ids and class read, BARs not yet) will be
	 * reset for a driver: its decode is left off after sizing. */
	bool (*quiet)(void *ctx, const struct pci_dev *d);
	/* pci_scan sizes only the quiet devices' BARs; the others' when
	 * asked (pci_size_bars): every sizing remaps the address space. */
	bool lazy;
};

struct pci_bar {
	uint64_t base; /* address, or port for I/O */
	uint64_t size; /* 0: not implemented */
	uint32_t flags;
};

struct pci_cap {
	uint8_t id, off, len, arg; /* len/arg: vendor caps (virtio cfg_type) */
};

struct pci_dev {
	uint16_t bdf;
	uint16_t vendor, device, subsys_vendor, subsys_device;
	uint8_t class_code, subclass, progif, revision;
	uint8_t header_type; /* low 7 bits: 0 endpoint, 1 bridge */
	uint8_t intx_pin;    /* 1-4, 0: none */
	uint8_t intx_line;   /* what the firmware wrote (ISA IRQ on pc) */
	uint8_t secondary;   /* bridges: the bus behind it */
	struct pci_bar bar[6];
	struct pci_cap caps[PCI_CAPS_MAX];
	uint8_t ncaps;
	uint16_t msi_cap, msix_cap, pcie_cap;
	uint8_t msi_count; /* 1..32 */
	bool msi64;
	bool flr; /* PCIe function-level reset offered */
	uint16_t msix_count;
	uint8_t msix_table_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;
	bool sized; /* bar[] is filled */
};

/* Scans bus 0 and every bus behind a bridge (each bus once), function 0
 * of each slot and functions 1-7 of multi-function devices; reads the
 * capability list and sizes the BARs (all of them, or with ops->lazy only
 * the quiet devices'). Fills at most max devices and returns how many
 * (bridges included). */
int pci_scan(const struct pci_ops *ops, struct pci_dev *out, int max);

/* One function's identity and capabilities (reads only; BARs not
 * sized); false when absent. */
bool pci_probe(const struct pci_ops *ops, uint16_t bdf, struct pci_dev *d);

/* Sizes d's BARs: the decode of the spaces they use turned off (only if
 * on) while all ones are written, every BAR restored, decode restored
 * unless keep_off. Sets d->sized. */
void pci_size_bars(const struct pci_ops *ops, struct pci_dev *d, bool keep_off);

/* Stops a device before its driver (re)starts (docs/devices.md, "Driver
 * death"): memory/I/O decode and bus mastering off, INTx disabled, MSI
 * and MSI-X off; with FLR it starts a function-level reset and returns
 * the nanoseconds to wait before pci_reset_finish (100 ms), else 0. */
uint64_t pci_reset_start(const struct pci_ops *ops, const struct pci_dev *d);
/* After an FLR: the BARs written back (FLR clears them), decode off. */
void pci_reset_finish(const struct pci_ops *ops, const struct pci_dev *d);

/* "VGA compatible controller" and friends (lspci's words), or NULL. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);
