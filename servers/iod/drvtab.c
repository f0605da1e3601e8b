/* The driver table (drvtab.h). Budgets: virtio-gpu backs a 1920x1080
 * 32-bit scanout twice plus its rings (<= 17 MiB, 24 MiB given; its
 * quota holds that DMA memory too); virtio-input needs its rings and
 * event buffers (a few pages); virtio-net its region and rings (1 MiB).
 * iod's own manifest quota must hold the
 * drivers that run at once (tests/host/test_iod_manifest.c checks). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <execrt/iod_proto.h>

#include "drvtab.h"

static const struct drv_entry table[] = {
	{.kind = IOD_KIND_PCI,
	 .vendor = 0x1af4,
	 .device = 0x1050,
	 .cls = DRV_ANY,
	 .program = "virtio-gpu",
	 .dma = 24u << 20,
	 .memory = 32u << 20,
	 .display = true,
	 .dl_ppm = 50000,
	 .publish = "/svc/display"},
	{.kind = IOD_KIND_PCI,
	 .vendor = 0x1af4,
	 .device = 0x1052,
	 .cls = DRV_ANY,
	 .program = "virtio-input",
	 .dma = 256u << 10,
	 .memory = 4u << 20,
	 .rt_prio = 13,
	 .lookup = "/drv/input"},
	/* room net-drv (issue 17): virtio-net, modern and transitional (the
	 * driver uses the modern interface of both). DMA: the /drv/netd
	 * region (256 slots of 2 KiB + 20 KiB of rings, 532 KiB), two
	 * 256-entry virtqueues and the headers page; it may look up only
	 * /drv/netd (docs/net-driver.md). */
	{.kind = IOD_KIND_PCI,
	 .vendor = 0x1af4,
	 .device = 0x1041,
	 .cls = DRV_ANY,
	 .program = "virtio-net",
	 .dma = 1u << 20,
	 .memory = 5u << 20,
	 .lookup = "/drv/netd"},
	{.kind = IOD_KIND_PCI,
	 .vendor = 0x1af4,
	 .device = 0x1000,
	 .cls = DRV_ANY,
	 .program = "virtio-net",
	 .dma = 1u << 20,
	 .memory = 5u << 20,
	 .lookup = "/drv/netd"},
	/* room aud-drv (issue 16): the audio drivers. DMA: the ring (at most
	 * 1 MiB, AUDIO_RING_MAX) plus descriptor lists, CORB/RIRB and the
	 * position buffer; RT 14 (/svc/audio is real-time, above input's
	 * 13); the first device registers /svc/audio, looking it up first
	 * to find a live one (docs/audio.md "Drivers"). */
	{.kind = IOD_KIND_PCI,
	 .vendor = 0x8086,
	 .device = 0x2415, /* ICH AC'97 (QEMU -device AC97) */
	 .cls = DRV_ANY,
	 .program = "ac97",
	 .dma = 2u << 20,
	 .memory = 8u << 20,
	 .rt_prio = 14,
	 .publish = "/svc/audio",
	 .lookup = "/svc/audio"},
	{.kind = IOD_KIND_PCI,
	 .vendor = DRV_ANY,
	 .device = DRV_ANY,
	 .cls = 0x0403, /* multimedia, HD audio (QEMU -device intel-hda) */
	 .program = "hda",
	 .dma = 2u << 20,
	 .memory = 8u << 20,
	 .rt_prio = 14,
	 .publish = "/svc/audio",
	 .lookup = "/svc/audio"},
	/* the boot framebuffer, when no display driver matched a device:
	 * two client buffers of the framebuffer's size in its quota */
	{.kind = IOD_KIND_FB,
	 .program = "fbdisplay",
	 .memory = 24u << 20,
	 .bar_wc = 1,
	 .display = true,
	 .dl_ppm = 50000,
	 .publish = "/svc/display"},
	/* the PS/2 controller: ports 0x60/0x64, ISA IRQs 1 and 12 */
	{.kind = IOD_KIND_ISA,
	 .program = "i8042",
	 .memory = 2u << 20,
	 .rt_prio = 13,
	 .lookup = "/drv/input"},
};

/* Entries from iod's command line (--match), tried first. */
#define EXTRA_MAX 4
static struct drv_entry extra[EXTRA_MAX];
static char extra_prog[EXTRA_MAX][IOD_NAME_MAX];
static size_t nextra;

int drv_add_match(const char *spec)
{
	unsigned ven, dev;
	int n = 0;
	if (nextra >= EXTRA_MAX ||
	    sscanf(spec, "%4x:%4x=%n", &ven, &dev, &n) != 2 || !n || !spec[n] ||
	    strlen(spec + n) >= IOD_NAME_MAX || strchr(spec + n, ' ') ||
	    strchr(spec + n, '/'))
		return -1;
	snprintf(extra_prog[nextra], IOD_NAME_MAX, "%s", spec + n);
	extra[nextra] = (struct drv_entry){.kind = IOD_KIND_PCI,
					   .vendor = (uint16_t)ven,
					   .device = (uint16_t)dev,
					   .cls = DRV_ANY,
					   .program = extra_prog[nextra],
					   .dma = 1u << 20,
					   .memory = 4u << 20};
	nextra++;
	return 0;
}

void drv_clear_matches(void)
{
	nextra = 0;
}

static const struct drv_entry *match(const struct drv_entry *t, size_t n,
				     const struct pci_dev *d)
{
	uint16_t cls = (uint16_t)(d->class_code << 8 | d->subclass);
	for (size_t i = 0; i < n; i++) {
		const struct drv_entry *e = &t[i];
		if (e->kind != IOD_KIND_PCI || d->header_type != 0)
			continue;
		if ((e->vendor == DRV_ANY || e->vendor == d->vendor) &&
		    (e->device == DRV_ANY || e->device == d->device) &&
		    (e->cls == DRV_ANY || e->cls == cls))
			return e;
	}
	return NULL;
}

const struct drv_entry *drv_match_pci(const struct pci_dev *d)
{
	const struct drv_entry *e = match(extra, nextra, d);
	return e ? e : match(table, sizeof(table) / sizeof(table[0]), d);
}

const struct drv_entry *drv_match_kind(uint8_t kind)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].kind == kind)
			return &table[i];
	return NULL;
}
