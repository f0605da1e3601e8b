/* hda: the Intel High Definition Audio driver (docs/audio.md "HDA").
 * Started by iod for a PCI function of class 0x0403 with its device name
 * as argv[1]. The platform half: iod's device requests (BAR 0 uncached,
 * the PCI and DMA handles, the legacy GSI), the register accessors, the
 * interrupt (audio_irq_setup: MSI when the function has the capability,
 * else the INTx line); then drivers/audio serves /svc/audio over
 * hda_dev.c's operations. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>

#include "audio_main.h"
#include "disp_iod.h"
#include "hda_dev.h"
#include "hda_regs.h"

#define PCI_COMMAND	 0x04
#define PCI_CMD_MEM	 (1u << 1)
#define PCI_CMD_MASTER	 (1u << 2)

static volatile uint8_t *regs;
static uint64_t regs_size;
static struct hda_dev dev;

static uint32_t mmio_rd(void *ctx, uint32_t off, uint32_t w)
{
	(void)ctx;
	if (off + w > regs_size)
		return 0xffffffffu;
	switch (w) {
	case 1:
		return *(volatile uint8_t *)(regs + off);
	case 2:
		return *(volatile uint16_t *)(regs + off);
	default:
		return *(volatile uint32_t *)(regs + off);
	}
}

static void mmio_wr(void *ctx, uint32_t off, uint32_t w, uint32_t v)
{
	(void)ctx;
	if (off + w > regs_size)
		return;
	switch (w) {
	case 1:
		*(volatile uint8_t *)(regs + off) = (uint8_t)v;
		break;
	case 2:
		*(volatile uint16_t *)(regs + off) = (uint16_t)v;
		break;
	default:
		*(volatile uint32_t *)(regs + off) = v;
	}
}

static uint64_t now_ns(void *ctx)
{
	(void)ctx;
	return (uint64_t)sys_clock_now();
}

static void pause_us(void *ctx, uint32_t us)
{
	(void)ctx;
	sys_sleep_until((uint64_t)sys_clock_now() + 1000ull * us);
}

static const struct hda_io mmio_io = {
	.rd = mmio_rd, .wr = mmio_wr, .now_ns = now_ns, .pause_us = pause_us};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "hda";
	struct iod_dev_info info;
	handle_t h[IOD_H_COUNT], bar, irq;
	int r = disp_iod_info(&info);
	if (r == 0)
		r = disp_iod_handles(h);
	if (r < 0) {
		printf("hda: %s: iod: %s\n", name, err_name(r));
		return 1;
	}
	uint64_t phys;
	if ((r = disp_iod_bar(0, VMO_CACHE_UC, &bar, &regs, &regs_size,
			      &phys)) < 0 ||
	    regs_size < HDA_SD(8)) {
		printf("hda: %s: BAR 0: %s\n", name,
		       err_name(r < 0 ? r : ERR_NOT_SUPPORTED));
		return 1;
	}
	void *mem;
	uint64_t mem_phys;
	if ((r = audio_dma_init(h[IOD_H_DMA])) < 0 ||
	    (r = audio_dma_alloc(HDA_MEM_BYTES, &mem, &mem_phys)) < 0) {
		printf("hda: %s: DMA: %s\n", name, err_name(r));
		return 1;
	}
	const char *how = "none";
	if ((r = audio_irq_setup(h[IOD_H_PCI], h[IOD_H_IRQ], &info, &irq,
				 &how)) < 0) {
		printf("hda: %s: no interrupt: %s\n", name, err_name(r));
		return 1;
	}
	/* Memory decoding and bus mastering on (iod left them off); the
	 * INTx disable bit as audio_irq_setup left it. */
	uint32_t cmd = 0;
	sys_pci_cfg_read(h[IOD_H_PCI], info.bdf, PCI_COMMAND, 2, &cmd);
	sys_pci_cfg_write(h[IOD_H_PCI], info.bdf, PCI_COMMAND, 2,
			  cmd | PCI_CMD_MEM | PCI_CMD_MASTER);
	uint64_t t0 = (uint64_t)sys_clock_now();
	if ((r = hda_dev_init(&dev, &mmio_io, mem, mem_phys)) < 0) {
		printf("hda: %s: %s (codecs %#x, %llu verbs, %llu timeouts)\n",
		       name, err_name(r), dev.ctl.codecs,
		       (unsigned long long)dev.ctl.verbs,
		       (unsigned long long)dev.ctl.timeouts);
		hda_dev_fini(&dev);
		return 1;
	}
	printf("hda: %s: HDA %u.%u, %u out streams, codec %u %08x: "
	       "pin %#x <- ",
	       name, (unsigned)mmio_rd(NULL, HDA_VMAJ, 1),
	       (unsigned)mmio_rd(NULL, HDA_VMIN, 1), dev.ctl.oss, dev.codec.cad,
	       dev.codec.vendor, dev.path.nid[0]);
	for (uint32_t i = 1; i < dev.path.n; i++)
		printf("%#x%s", dev.path.nid[i],
		       i + 1 < dev.path.n ? " <- " : "");
	printf(", irq %s; %llu verbs in %llu us\n", how,
	       (unsigned long long)dev.ctl.verbs,
	       (unsigned long long)((uint64_t)sys_clock_now() - t0) / 1000);
	struct audio_hw hw = {&hda_hw_ops, &dev};
	r = audio_run(&hw, irq, name);
	hda_dev_fini(&dev);
	printf("hda: %s: %s\n", name, err_name(r));
	return 1;
}
