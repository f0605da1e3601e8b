/* ac97: /svc/audio on an Intel ICH AC'97 controller (QEMU `-device
 * AC97`). iod starts it as `ac97 pci-BB:DD.F` with its two I/O BARs
 * (NAM: the codec's mixer, NABM: the bus master), a DMA budget and its
 * INTx line (the ICH AC'97 has no MSI). The register logic is
 * ac97_hw.c; the protocol, ring and interrupt loop drivers/audio. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "ac97_hw.h"
#include "audio_main.h"
#include "disp_iod.h"

struct ports {
	handle_t nam, nabm;
	uint16_t nam_base, nabm_base;
};

static uint32_t io_in(handle_t h, uint32_t port, uint32_t w)
{
	long v = sys_ioport_io(h, port, w, 0);
	return v < 0 ? 0xffffffffu : (uint32_t)v;
}

static uint32_t p_nam_r16(void *ctx, uint32_t reg)
{
	struct ports *p = ctx;
	return io_in(p->nam, p->nam_base + reg, 2) & 0xffff;
}

static void p_nam_w16(void *ctx, uint32_t reg, uint32_t v)
{
	struct ports *p = ctx;
	sys_ioport_io(p->nam, p->nam_base + reg, 2 | IOPORT_OUT, v);
}

static uint32_t p_nabm_r(void *ctx, uint32_t reg, uint32_t w)
{
	struct ports *p = ctx;
	return io_in(p->nabm, p->nabm_base + reg, w);
}

static void p_nabm_w(void *ctx, uint32_t reg, uint32_t w, uint32_t v)
{
	struct ports *p = ctx;
	sys_ioport_io(p->nabm, p->nabm_base + reg, w | IOPORT_OUT, v);
}

static void p_delay(void *ctx, uint32_t us)
{
	(void)ctx;
	sys_sleep_until((uint64_t)sys_clock_now() + us * 1000ull);
}

static const struct ac97_io io_ops = {p_nam_r16, p_nam_w16, p_nabm_r, p_nabm_w,
				      p_delay};

static struct ports ports;
static struct ac97 dev;

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "?";
	struct iod_dev_info info;
	handle_t h[IOD_H_COUNT];
	int r = disp_iod_info(&info);
	if (r == 0)
		r = disp_iod_handles(h);
	if (r < 0) {
		printf("ac97: %s: iod: %s\n", name, err_name(r));
		return 1;
	}
	/* BAR0 is the NAM, BAR1 the NABM: iod's io[] follows the BARs */
	if (!h[IOD_H_IOPORT] || !h[IOD_H_IOPORT2] ||
	    !(info.bar[0].flags & IOD_BAR_IO) ||
	    !(info.bar[1].flags & IOD_BAR_IO)) {
		printf("ac97: %s: no I/O ports for BAR0/BAR1 (0x%x+%u, "
		       "0x%x+%u)\n",
		       name, info.io[0].base, info.io[0].size, info.io[1].base,
		       info.io[1].size);
		return 1;
	}
	ports = (struct ports){.nam = h[IOD_H_IOPORT],
			       .nabm = h[IOD_H_IOPORT2],
			       .nam_base = info.io[0].base,
			       .nabm_base = info.io[1].base};
	/* I/O decoding and bus mastering (iod turned the latter off) */
	uint32_t cmd = 0;
	sys_pci_cfg_read(h[IOD_H_PCI], info.bdf, 0x04, 2, &cmd);
	sys_pci_cfg_write(h[IOD_H_PCI], info.bdf, 0x04, 2, cmd | 0x5);
	void *bdl;
	uint64_t bdl_phys;
	if ((r = audio_dma_init(h[IOD_H_DMA])) == 0)
		r = audio_dma_alloc(AC97_BDL_N * sizeof(struct ac97_bd), &bdl,
				    &bdl_phys);
	if (r == 0)
		r = ac97_init(&dev, &io_ops, &ports, bdl, bdl_phys);
	if (r < 0) {
		printf("ac97: %s: init: %s\n", name, err_name(r));
		return 1;
	}
	handle_t irq = 0;
	const char *kind = "none";
	r = audio_irq_setup(h[IOD_H_PCI], h[IOD_H_IRQ], &info, &irq, &kind);
	if (r < 0) {
		printf("ac97: %s: interrupt: %s\n", name, err_name(r));
		return 1;
	}
	printf("ac97: %s: NAM 0x%x NABM 0x%x, irq %s, %s\n", name,
	       ports.nam_base, ports.nabm_base, kind,
	       dev.vra ? "variable rate" : "48 kHz only");
	struct audio_hw hw = {.ops = &ac97_ops, .dev = &dev};
	return audio_run(&hw, irq, name) < 0 ? 1 : 0;
}
