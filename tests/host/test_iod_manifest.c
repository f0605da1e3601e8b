/* iod's entry in the real etc/services.conf parses without an error and
 * grants what docs/devices.md says (the `irq all` form included). */
#include <stdlib.h>
#include <string.h>

#include <execrt/fs_proto.h>
#include <execrt/input_proto.h>
#include <execrt/iod_proto.h>
#include <execrt/net_proto.h>
#include <execrt/netdev_proto.h>
#include <execrt/sched.h>

#include "harness.h"
#include "drvtab.h"
#include "manifest.h"

static bool any_prog(void *ctx, const char *prog)
{
	(void)ctx;
	(void)prog;
	return true;
}

TEST(iod_manifest_entry)
{
	static struct manifest m;
	static char text[16384];
	FILE *f = fopen("etc/services.conf", "r");
	CHECK(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	man_parse(&m, text, n, "services.conf", any_prog, NULL);
	for (int i = 0; i < m.nerr && i < MAN_ERR_MAX; i++)
		fprintf(stderr, "    %s\n", m.err[i]);
	CHECK_EQ(m.nerr, 0);
	int i = man_find(&m, "iod");
	CHECK(i >= 0);
	const struct man_svc *s = &m.svc[i];
	CHECK_EQ(s->irq.base, 0);
	CHECK_EQ(s->irq.size, 256); /* irq all */
	CHECK_EQ(s->irq_isa, -1);
	CHECK(s->grants & MAN_G_ACPI);
	CHECK(s->grants & MAN_G_MMIO_ALL);
	CHECK_EQ(s->pci.base, 0);
	CHECK_EQ(s->pci.size, 65536);	     /* pci all */
	CHECK(s->grants & MAN_G_IOPORT_ALL); /* narrowed per driver */
	/* the drivers that run at once fit its quota and DMA budget:
	 * virtio-gpu, three virtio-input functions, the PS/2 driver, and
	 * 1 MiB of iod's own */
	const struct drv_entry *g = drv_match_pci(
		&(struct pci_dev){.vendor = 0x1af4, .device = 0x1050});
	const struct drv_entry *inp = drv_match_pci(
		&(struct pci_dev){.vendor = 0x1af4, .device = 0x1052});
	const struct drv_entry *ps2 = drv_match_kind(IOD_KIND_ISA);
	/* and one audio device (ac97 or hda: the same budget) */
	const struct drv_entry *au = drv_match_pci(
		&(struct pci_dev){.vendor = 0x8086, .device = 0x2415});
	const struct drv_entry *hda =
		drv_match_pci(&(struct pci_dev){.vendor = 0x8086,
						.device = 0x2668,
						.class_code = 4,
						.subclass = 3});
	CHECK(au && hda);
	CHECK(!strcmp(au->program, "ac97") && !strcmp(hda->program, "hda"));
	CHECK_EQ(au->dma, hda->dma);
	CHECK_EQ(au->memory, hda->memory);
	CHECK(au->memory >= au->dma + (4 << 20));
	CHECK(au->rt_prio <= s->sched.max_priority);
	/* and one virtio-net (room net-drv, issue 17): both ids, one entry's
	 * budget, which holds its region and rings */
	const struct drv_entry *net = drv_match_pci(
		&(struct pci_dev){.vendor = 0x1af4, .device = 0x1041});
	const struct drv_entry *net0 = drv_match_pci(
		&(struct pci_dev){.vendor = 0x1af4, .device = 0x1000});
	CHECK(net && net0);
	CHECK(!strcmp(net->program, "virtio-net") &&
	      !strcmp(net0->program, "virtio-net"));
	CHECK_EQ(net->dma, net0->dma);
	CHECK_EQ(net->memory, net0->memory);
	CHECK(net->dma >= (532u << 10) + 3 * 4096 * 3);
	CHECK(net->memory >= net->dma + (2 << 20));
	CHECK(!strcmp(net->lookup, "/drv/netd") && !net->publish);
	CHECK(s->dma >= g->dma + 3 * inp->dma + au->dma + net->dma);
	CHECK(s->memory >= g->memory + 3 * inp->memory + ps2->memory +
				   au->memory + net->memory + (1 << 20));
	CHECK(g->memory >= g->dma + (4 << 20)); /* its DMA is in its quota */
	CHECK(s->grants & MAN_G_INITRD);
	CHECK(s->grants & MAN_G_BOOTINFO);
	/* the drivers' scheduling needs fit in what iod gets: RT up to the
	 * input drivers' priority, a DL pool for the displays' clocks */
	CHECK(s->sched_set);
	CHECK(s->sched.classes & SCHED_CLASS_MASK(SCHED_CLASS_RT));
	CHECK(s->sched.classes & SCHED_CLASS_MASK(SCHED_CLASS_DL));
	struct pci_dev in = {.vendor = 0x1af4, .device = 0x1052};
	struct pci_dev gpu = {.vendor = 0x1af4, .device = 0x1050};
	CHECK_EQ(drv_match_pci(&in)->rt_prio, 13);
	CHECK(drv_match_pci(&in)->rt_prio <= s->sched.max_priority);
	CHECK(drv_match_kind(IOD_KIND_ISA)->rt_prio <= s->sched.max_priority);
	CHECK(drv_match_pci(&gpu)->dl_ppm <= s->sched.dl_bw_ppm);
	bool display = false;
	for (int k = 0; k < s->nreg; k++)
		display |= man_pattern_match(s->reg[k], "/svc/display");
	CHECK(display);
	bool input = false;
	for (int k = 0; k < s->nlook; k++)
		input |= man_pattern_match(s->look[k], "/drv/input");
	CHECK(input);
	bool netdev = false;
	for (int k = 0; k < s->nlook; k++)
		netdev |= man_pattern_match(s->look[k], "/drv/netd");
	CHECK(netdev);
	bool audio = false;
	for (int k = 0; k < s->nreg; k++)
		audio |= man_pattern_match(s->reg[k], "/svc/audio");
	CHECK(audio);
}

static bool looks_up(const struct man_svc *s, const char *name)
{
	for (int k = 0; k < s->nlook; k++)
		if (man_pattern_match(s->look[k], name))
			return true;
	return false;
}

static bool registers(const struct man_svc *s, const char *name)
{
	for (int k = 0; k < s->nreg; k++)
		if (man_pattern_match(s->reg[k], name))
			return true;
	return false;
}

/* The device endpoints (a fake input device types into every subscriber,
 * FS_MKNOD plants /dev nodes, a fake NIC captures traffic) are under
 * /drv/: registered by their servers, looked up only by iod's entry (for
 * its drivers, as they need them), never by the shell whose lookups every program it starts
 * gets (REVIEW-17 F6). Fails on the old /svc/input-dev and /svc/fsd-dev,
 * which the shell's lookup pattern reached. */
TEST(manifest_device_endpoints_only_for_drivers)
{
	static struct manifest m;
	static char text[16384];
	FILE *f = fopen("etc/services.conf", "r");
	CHECK(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	CHECK(n < sizeof(text) - 1);
	man_parse(&m, text, n, "services.conf", any_prog, NULL);
	CHECK_EQ(m.nerr, 0);
	const char *dev[] = {INPUT_DEV_SVC_NAME, FS_SVC_DEV_NAME,
			     NETDEV_SVC_NAME};
	const char *owner[] = {"inputd", "fsd", "netd"};
	int sh = man_find(&m, "sh"), iod = man_find(&m, "iod");
	CHECK(sh >= 0 && iod >= 0);
	/* the shell still reaches the services */
	CHECK(looks_up(&m.svc[sh], INPUT_SVC_NAME));
	CHECK(looks_up(&m.svc[sh], FS_SVC_NAME));
	CHECK(looks_up(&m.svc[sh], NET_SVC_NAME));
	for (int d = 0; d < 3; d++) {
		CHECK(!strncmp(dev[d], "/drv/", 5));
		int o = man_find(&m, owner[d]);
		CHECK(o >= 0);
		CHECK(registers(&m.svc[o], dev[d]));
		for (int i = 0; i < m.n; i++)
			if (i != iod)
				CHECK(!looks_up(&m.svc[i], dev[d]));
	}
	/* iod only for what its drivers look up (no driver makes /dev
	 * nodes yet: not /drv/fsd) */
	CHECK(looks_up(&m.svc[iod], INPUT_DEV_SVC_NAME));
	CHECK(looks_up(&m.svc[iod], NETDEV_SVC_NAME));
	CHECK(!looks_up(&m.svc[iod], FS_SVC_DEV_NAME));
	/* and iod forwards it only to the drivers that need it */
	const struct drv_entry *vin = drv_match_pci(
		&(struct pci_dev){.vendor = 0x1af4, .device = 0x1052});
	const struct drv_entry *ps2 = drv_match_kind(IOD_KIND_ISA);
	CHECK(vin && ps2);
	CHECK(!strcmp(vin->lookup, INPUT_DEV_SVC_NAME));
	CHECK(!strcmp(ps2->lookup, INPUT_DEV_SVC_NAME));
}
