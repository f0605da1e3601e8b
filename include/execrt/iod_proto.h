/* The device-request protocol of iod, the device manager (docs/devices.md,
 * "iod" and "How to write a driver"; this file is the wire format).
 *
 * iod starts each driver from /boot/bin/<driver> with argv
 * `<driver> <dev-name>` (dev-name: `pci-BB:DD.F`, `isa-i8042`, `fb0`).
 * The driver's START_H_SERVICE is a send endpoint to iod minted with a
 * badge naming that device instance (a new badge for every start); its
 * START_H_NAMES is iod's names endpoint (so it registers and looks up
 * under iod's badge: iod's manifest entry lists those names); its fds 1
 * and 2 are iod's log.
 *
 * Binary: every request is a port_call whose message is a struct iod_req,
 * every answer a struct iod_resp followed by `len` bytes of data, with
 * handles attached as the operation says. Little-endian; every struct has
 * a fixed size checked with _Static_assert. A message starting with '{'
 * is a ports/v0 JSON request (only on /svc/iod, not on a driver's
 * endpoint), so no op has 0x7b in its low byte.
 *
 * Errors: iod_resp.err is 0 or a negative kernel error (errors.h):
 * ERR_INVALID_ARGS (bad op, index, cache type), ERR_NOT_FOUND (no such
 * BAR / not a memory BAR), ERR_ACCESS_DENIED (the endpoint's badge names
 * no live device instance: a stale driver), ERR_NO_RESOURCES, or what
 * the kernel answered iod (e.g. SYS_VMO_CREATE_PHYS's ERR_ACCESS_DENIED). */
#pragma once
#include <execrt/types.h>

#define IOD_SVC_NAME	  "/svc/iod" /* ports/v0 JSON: list, info, ... */
/* The same JSON plus `restart`: a name only admin manifests may look up */
#define IOD_CTL_SVC_NAME "/svc/iod-ctl"
#define IOD_PROTO_VERSION 1u

enum iod_op {
	/* Answer data: struct iod_dev_info. No handles. */
	IOD_DEV_INFO = 1,
	/* Answer: the handles that are present, in the order of enum
	 * iod_handle (a message cannot carry HANDLE_INVALID); val = bit i
	 * set when handle i is present. iod_handles_unpack() spreads them
	 * into h[IOD_H_COUNT] with 0 (HANDLE_INVALID) for the absent ones.
	 * Once per driver instance: a second call is ERR_BAD_STATE (each
	 * set holds a DMA budget derived from iod's; a repeat would hand out
	 * another). The driver owns and closes what it gets. */
	IOD_DEV_HANDLES = 2,
	/* a = BAR index (0-5; 0 for the framebuffer of an FB device),
	 * b = cache type: VMO_CACHE_UC (0) or VMO_CACHE_WC (1)
	 * (SYS_VMO_CREATE_PHYS). Answer: one handle, a memory object over
	 * exactly that BAR (its size rounded up to a page; rights RIGHTS_VMO
	 * without EXECUTE), val = the BAR's physical base. An I/O BAR or an
	 * empty one: ERR_NOT_FOUND. Once per BAR per instance (the object is
	 * charged to iod): a repeat is ERR_BAD_STATE. */
	IOD_DEV_BAR = 3,
	/* Answer val = IOD_PROTO_VERSION; nothing touched. */
	IOD_NOP = 32,
};

/* The handles of IOD_DEV_HANDLES (indices into the answer's handles). */
enum iod_handle {
	/* RES_PCI narrowed to exactly this function's bdf:
	 * READ | WRITE | TRANSFER | DUPLICATE, no MANAGE (BAR and ROM
	 * writes refused: a driver cannot move its BARs). PCI only. */
	IOD_H_PCI = 0,
	/* RES_DMA derived with the driver table's budget (bytes). */
	IOD_H_DMA = 1,
	/* RES_IRQ narrowed to one GSI: the device's legacy INTx line (PCI,
	 * through the ACPI _PRT), or the first ISA IRQ (i8042: keyboard,
	 * ISA IRQ 1). Bind it with SYS_IRQ_CREATE. */
	IOD_H_IRQ = 2,
	/* RES_IOPORT narrowed to the first I/O range in info.io[0] (the first
	 * I/O BAR, or the ISA ports: i8042's data port 0x60). */
	IOD_H_IOPORT = 3,
	/* The second IRQ (i8042: the mouse, ISA IRQ 12), as IOD_H_IRQ. */
	IOD_H_IRQ2 = 4,
	/* The second I/O range (info.io[1]: the next I/O BAR, or i8042's
	 * status/command port 0x64). */
	IOD_H_IOPORT2 = 5,
	IOD_H_COUNT = 6,
};

/* A request. a and b per operation; reserved fields must be 0. */
struct iod_req {
	uint32_t op; /* enum iod_op */
	uint32_t a;
	uint32_t b;
	uint32_t reserved;
};
_Static_assert(sizeof(struct iod_req) == 16, "iod_req layout");

/* An answer, followed by len bytes of data. */
struct iod_resp {
	int32_t err; /* 0 or a negative ERR_* */
	uint32_t len;
	uint64_t val;
};
_Static_assert(sizeof(struct iod_resp) == 16, "iod_resp layout");

/* enum iod_kind */
#define IOD_KIND_PCI 1u
#define IOD_KIND_ISA 2u /* a legacy device: ports and ISA IRQs (i8042) */
#define IOD_KIND_FB  3u /* the boot framebuffer (bootinfo `fb`) */

/* iod_bar.flags */
#define IOD_BAR_IO	 0x1u /* I/O space (base = port) */
#define IOD_BAR_MEM	 0x2u /* memory space */
#define IOD_BAR_64	 0x4u /* 64-bit: it also used the next BAR slot */
#define IOD_BAR_PREFETCH 0x8u

struct iod_bar {
	uint64_t base; /* physical address or port; 0 with size 0: none */
	uint64_t size; /* decoded size in bytes (0: not implemented) */
	uint32_t flags;
	uint32_t reserved;
};
_Static_assert(sizeof(struct iod_bar) == 24, "iod_bar layout");

/* iod_dev_info.irq_flags: what the device offers (a driver prefers
 * MSI-X, then MSI, then the legacy line). */
#define IOD_IRQ_MSIX   0x1u
#define IOD_IRQ_MSI    0x2u
#define IOD_IRQ_LEGACY 0x4u /* legacy_gsi is valid (routed through _PRT) */
#define IOD_IRQ_MSI64  0x8u /* the MSI capability has a 64-bit address */

/* A capability of the device's list (standard list only). */
struct iod_cap {
	uint8_t id;  /* PCI capability ID: 0x05 MSI, 0x09 vendor, 0x10 PCIe,
		      * 0x11 MSI-X */
	uint8_t off; /* its offset in configuration space */
	uint8_t len; /* vendor-specific: the cap_len byte, else 0 */
	uint8_t arg; /* vendor-specific (virtio): cfg_type byte, else 0 */
};

#define IOD_CAPS_MAX	 16
#define IOD_NAME_MAX	 24 /* dev-name and driver name, NUL-terminated */
#define IOD_IO_RANGES	 2
#define IOD_GSI_NONE	 0xffffffffu

struct iod_dev_info {
	uint32_t kind;	  /* IOD_KIND_* */
	uint32_t bdf;	  /* PCI: bus << 8 | dev << 3 | fn; else 0 */
	char name[IOD_NAME_MAX];   /* the dev-name of argv[1] */
	char driver[IOD_NAME_MAX]; /* the driver program iod started */
	/* PCI identity (0 for ISA/FB) */
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t class_code, subclass, progif, revision;
	uint8_t header_type; /* 0 (bridges are not given to drivers) */
	uint8_t intx_pin;    /* 1-4 = INTA-INTD, 0: none */
	uint16_t pcie_cap;   /* offset of the PCIe capability, 0: none */
	struct iod_bar bar[6];
	/* interrupts */
	uint32_t irq_flags;  /* IOD_IRQ_* */
	uint32_t legacy_gsi; /* IOD_GSI_NONE when none (also: ISA IRQ 1's GSI) */
	uint32_t legacy_gsi2; /* i8042: ISA IRQ 12's GSI; else IOD_GSI_NONE */
	uint16_t msix_cap;    /* offset of the MSI-X capability, 0: none */
	uint16_t msix_count;  /* table entries */
	uint8_t msix_table_bar, msix_pba_bar;
	uint16_t msi_cap;     /* offset of the MSI capability, 0: none */
	uint32_t msix_table_off, msix_pba_off; /* offsets in those BARs */
	uint8_t msi_count;    /* vectors the MSI capability can do (1-32) */
	uint8_t ncaps;
	uint16_t reserved0;
	struct iod_cap caps[IOD_CAPS_MAX];
	/* I/O ranges the IOD_H_IOPORT / IOD_H_IOPORT2 handles cover */
	struct {
		uint16_t base, size; /* size 0: none */
	} io[IOD_IO_RANGES];
	uint64_t dma_budget; /* bytes: the IOD_H_DMA budget (0: none) */
	/* FB: the boot framebuffer (IOD_DEV_BAR index 0 maps it) */
	uint64_t fb_addr;
	uint32_t fb_width, fb_height, fb_pitch, fb_bpp;
	/* bit position and size of red, green, blue in a pixel (bootinfo
	 * `fb_rgb`; default 16 8 8 8 0 8 when absent) */
	uint8_t fb_red_pos, fb_red_size, fb_green_pos, fb_green_size;
	uint8_t fb_blue_pos, fb_blue_size, reserved1[2];
	/* driver table hints: 1 = the driver wants BAR i write-combining */
	uint8_t bar_wc[6];
	uint8_t reserved2[2];
};
_Static_assert(sizeof(struct iod_dev_info) == 368, "iod_dev_info layout");

/* IOD_DEV_HANDLES' answer (val, the nh handles received) -> h[k] for
 * every enum iod_handle k, 0 where absent. */
static inline void iod_handles_unpack(uint64_t val, const handle_t *got,
				      uint32_t nh, handle_t h[IOD_H_COUNT])
{
	uint32_t j = 0;
	for (int k = 0; k < IOD_H_COUNT; k++)
		h[k] = (val >> k & 1) && j < nh ? got[j++] : 0;
}
