/* The driver table (drvtab.h). Budgets: virtio-gpu backs a 1920x1080
 * 32-bit scanout twice plus its rings (<= 17 MiB, 32 MiB given);
 * virtio-input needs its rings and event buffers (a few pages). */
#include <stddef.h>

#include <execrt/iod_proto.h>

#include "drvtab.h"

static const struct drv_entry table[] = {
	{IOD_KIND_PCI, 0x1af4, 0x1050, DRV_ANY, "virtio-gpu", 32u << 20, 0,
	 true},
	{IOD_KIND_PCI, 0x1af4, 0x1052, DRV_ANY, "virtio-input", 256u << 10, 0,
	 false},
	/* the boot framebuffer, when no display driver matched a device */
	{IOD_KIND_FB, 0, 0, DRV_ANY, "fbdisplay", 0, 1, true},
	/* the PS/2 controller: ports 0x60/0x64, ISA IRQs 1 and 12 */
	{IOD_KIND_ISA, 0, 0, DRV_ANY, "i8042", 0, 0, false},
};

const struct drv_entry *drv_match_pci(const struct pci_dev *d)
{
	uint16_t cls = (uint16_t)(d->class_code << 8 | d->subclass);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct drv_entry *e = &table[i];
		if (e->kind != IOD_KIND_PCI || d->header_type != 0)
			continue;
		if ((e->vendor == DRV_ANY || e->vendor == d->vendor) &&
		    (e->device == DRV_ANY || e->device == d->device) &&
		    (e->cls == DRV_ANY || e->cls == cls))
			return e;
	}
	return NULL;
}

const struct drv_entry *drv_match_kind(uint8_t kind)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].kind == kind)
			return &table[i];
	return NULL;
}
