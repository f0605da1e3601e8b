/* Resource objects: the authorities the root task receives at boot. Each
 * is a kernel object whose handle is the capability: writing to the debug
 * console, reading kernel statistics, and (for drivers, later issues) the
 * I/O-port, physical-memory and interrupt ranges. A holder can derive a
 * narrower one (SYS_RESOURCE_DERIVE): same kind, a sub-range, fewer rights.
 */
#pragma once
#include <kern/object.h>

enum resource_kind {
	RES_CONSOLE = 1,
	RES_SYSINFO = 2,
	RES_IOPORT = 3, /* [base, base+size) of port numbers */
	RES_MMIO = 4,   /* [base, base+size) of physical addresses */
	RES_IRQ = 5,    /* [base, base+size) of global system interrupts */
	RES_TELEMETRY = 6, /* scheduler telemetry (READ) */
	RES_DMA = 7,    /* [0, size): a budget of bytes of DMA memory (WRITE
			 * allocates, SYS_VMO_CREATE_DMA) */
	RES_PCI = 8,    /* [base, base+size) of PCI functions, bdf = bus << 8 |
			 * dev << 3 | fn, segment 0 (READ/WRITE configuration
			 * space, MANAGE its BARs and bridge windows, WRITE
			 * makes MSI IRQ objects) */
};

struct resource {
	struct kobject obj;
	uint32_t kind;
	uint64_t base, size;
	uint64_t dma_used; /* RES_DMA: bytes of live DMA objects made from
			    * this object or any derived from it (atomic) */
	struct resource *parent; /* RES_DMA: the budget this one was
				  * derived from (a reference), or NULL */
};

int resource_create(uint32_t kind, uint64_t base, uint64_t size,
		    struct resource **out);
/* Whether [base, base+size) may be derived from r: inside its range for
 * the ranged kinds (I/O ports, MMIO, IRQs, DMA, PCI; size > 0, no wrap:
 * ERR_INVALID_ARGS; outside: ERR_OUT_OF_RANGE), base = size = 0 for the
 * others. */
int resource_check_narrow(const struct resource *r, uint64_t base,
			  uint64_t size);
/* A new resource of r's kind over that range, charged to the caller. A
 * derived RES_DMA budget holds its parent: its objects count against
 * every budget up the chain, so deriving cannot multiply a budget. */
int resource_derive(struct resource *r, uint64_t base, uint64_t size,
		    struct resource **out);
