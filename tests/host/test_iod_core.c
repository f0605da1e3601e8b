/* iod's core (servers/iod/iod_core.c, iod_json.c, drvtab.c) with a fake
 * platform: driver matching (virtio-gpu, virtio-input, the PS/2
 * controller, the boot framebuffer only without a display driver, a
 * driver missing from /boot/bin), legacy routing (the _PRT, the bridge
 * swizzle, the interrupt-line fallback), supervision (reset on death,
 * backoff 10 ms doubling to 1 s, back to 10 ms after a stable run, a new
 * badge each start, `restart` 20 times in a row), the device requests
 * (stale badges refused, BAR checks, packed handles) and /svc/iod. */
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>

#include "harness.h"
#include "iod_core.h"
#include "json.h"

#define MS 1000000ull

struct fake {
	int starts, kills, resets, reaps;
	int handle_sets, bars; /* objects the platform made for drivers */
	uint64_t last_badge;
	uint32_t next_task;
	bool no_gpu_program;
	bool slow_kill; /* the killed task's end is not seen at once */
	uint64_t bar_base, bar_size;
	uint32_t bar_cache;
	char log[4096];
};
static struct fake F;

static bool f_have(void *ctx, const char *p)
{
	(void)ctx;
	return !(F.no_gpu_program && !strcmp(p, "virtio-gpu"));
}

static long f_start(void *ctx, struct iod_dev *d, uint64_t badge)
{
	(void)ctx;
	F.starts++;
	F.last_badge = badge;
	d->task = ++F.next_task;
	d->koid = 1000 + F.next_task;
	return 0;
}

static bool f_kill(void *ctx, struct iod_dev *d, int64_t *st)
{
	(void)ctx;
	(void)d;
	F.kills++;
	*st = -9;
	return !F.slow_kill;
}

static void f_reap(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	(void)d;
	F.reaps++;
}

static void f_reset(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	(void)d;
	F.resets++;
}

static long f_handles(void *ctx, struct iod_dev *d, uint32_t *h)
{
	(void)ctx;
	F.handle_sets++;
	h[IOD_H_PCI] = d->info.kind == IOD_KIND_PCI ? 11 : 0;
	h[IOD_H_IRQ] = d->info.legacy_gsi != IOD_GSI_NONE ? 13 : 0;
	h[IOD_H_IOPORT] = d->info.io[0].size ? 14 : 0;
	return 0;
}

static long f_bar(void *ctx, struct iod_dev *d, uint64_t base, uint64_t size,
		  uint32_t cache, uint32_t *h)
{
	(void)ctx;
	(void)d;
	F.bar_base = base;
	F.bar_size = size;
	F.bar_cache = cache;
	F.bars++;
	*h = 77;
	return 0;
}

static int sizes;
static void f_size(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	sizes++;
	d->pci.sized = true;
	d->pci.bar[2] = (struct pci_bar){0xfeb00000, 0x1000, PCI_BAR_MEM};
}

static void f_log(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(F.log);
	snprintf(F.log + n, sizeof(F.log) - n, "%s\n", line);
}

static const struct iod_plat plat = {.have_program = f_have,
				     .start = f_start,
				     .kill = f_kill,
				     .reap = f_reap,
				     .reset = f_reset,
				     .handles = f_handles,
				     .bar = f_bar,
				     .log = f_log,
				     .size = f_size};

static struct iod S;
static struct pci_dev pd[8];
static struct prt P;
static struct iod_boot B;

static void mkdev(int i, uint16_t bdf, uint16_t ven, uint16_t dev, uint8_t cls,
		  uint8_t sub, uint8_t pin)
{
	memset(&pd[i], 0, sizeof(pd[i]));
	pd[i].bdf = bdf;
	pd[i].vendor = ven;
	pd[i].device = dev;
	pd[i].class_code = cls;
	pd[i].subclass = sub;
	pd[i].intx_pin = pin;
	pd[i].sized = true;
}

/* 00:00.0 host bridge, 00:02.0 virtio-gpu (INTA, BAR4 64-bit 16 KiB at
 * 0xfe000000, MSI-X), 00:03.0 bridge -> bus 1, 01:01.0 virtio-input
 * (INTB, I/O BAR0), 00:04.0 std VGA with line 11 */
static int setup(bool with_prt)
{
	memset(&F, 0, sizeof(F));
	iod_init(&S, &plat);
	mkdev(0, PCI_BDF(0, 0, 0), 0x8086, 0x29c0, 6, 0, 0);
	mkdev(1, PCI_BDF(0, 2, 0), 0x1af4, 0x1050, 3, 0, 1);
	pd[1].bar[4] =
		(struct pci_bar){0xfe000000, 0x4000, PCI_BAR_MEM | PCI_BAR_64};
	pd[1].bar[0] = (struct pci_bar){0xc000, 0x40, PCI_BAR_IO};
	pd[1].msix_cap = 0x98;
	pd[1].msix_count = 3;
	pd[1].msix_table_bar = 4;
	pd[1].msix_pba_off = 0x800;
	mkdev(2, PCI_BDF(0, 3, 0), 0x1b36, 0x000c, 6, 4, 0);
	pd[2].header_type = 1;
	pd[2].secondary = 1;
	mkdev(3, PCI_BDF(1, 1, 0), 0x1af4, 0x1052, 9, 0x80, 2);
	pd[3].bar[0] = (struct pci_bar){0xd000, 0x20, PCI_BAR_IO};
	mkdev(4, PCI_BDF(0, 4, 0), 0x1234, 0x1111, 3, 0, 1);
	pd[4].intx_line = 11;
	pd[4].sized = false; /* no driver: sized when asked (info) */
	memset(&P, 0, sizeof(P));
	for (int slot = 0; slot < 8; slot++)
		for (int pin = 0; pin < 4; pin++)
			P.e[P.n++] = (struct prt_entry){
				(uint8_t)slot, (uint8_t)pin,
				16u + (unsigned)((slot + pin) % 4)};
	memset(&B, 0, sizeof(B));
	for (int i = 0; i < 16; i++)
		B.isa_gsi[i] = (uint32_t)i;
	B.isa_gsi[0] = 2;
	B.isa_gsi[11] = 21;
	B.has_8042 = -1;
	B.has_fb = true;
	B.fb_addr = 0xfd000000;
	B.fb_width = 1024;
	B.fb_height = 768;
	B.fb_pitch = 4096;
	B.fb_bpp = 32;
	iod_build(&S, pd, 5, &P, with_prt ? AML_OK : AML_UNSUPPORTED, &B);
	return S.n;
}

static struct iod_dev *dev(const char *name)
{
	int i = iod_find_name(&S, name);
	return i < 0 ? NULL : &S.dev[i];
}

TEST(iod_core_matching_and_routing)
{
	CHECK_EQ(setup(true), 6); /* 5 PCI + i8042, no fb (virtio-gpu) */
	CHECK(!dev("fb0"));
	struct iod_dev *g = dev("pci-00:02.0");
	CHECK(g && g->state == IOD_ST_WAITING);
	STR_EQ(g->info.driver, "virtio-gpu");
	CHECK_EQ(g->info.dma_budget, 24u << 20);
	CHECK_EQ(g->info.legacy_gsi, 18); /* slot 2 INTA: (2+0)%4 + 16 */
	CHECK_EQ(g->irq_via, IOD_VIA_PRT);
	CHECK(g->info.irq_flags & IOD_IRQ_MSIX);
	CHECK_EQ(g->info.msix_pba_off, 0x800);
	CHECK_EQ(g->info.io[0].base, 0xc000);
	CHECK_EQ(g->info.io[0].size, 0x40);
	/* behind the bridge at slot 3: INTB of dev 1 -> pin (1+1)%4 = C on
	 * slot 3 -> (3+2)%4 + 16 */
	struct iod_dev *in = dev("pci-01:01.0");
	CHECK(in);
	STR_EQ(in->info.driver, "virtio-input");
	CHECK_EQ(in->info.legacy_gsi, 17);
	CHECK_EQ(dev("pci-00:00.0")->state, IOD_ST_NONE);
	CHECK_EQ(dev("pci-00:03.0")->state, IOD_ST_NONE);
	CHECK_EQ(dev("pci-00:04.0")->state, IOD_ST_NONE);
	struct iod_dev *k = dev("isa-i8042");
	CHECK(k);
	CHECK_EQ(k->info.legacy_gsi, 1);
	CHECK_EQ(k->info.legacy_gsi2, 12);
	CHECK_EQ(k->info.io[0].base, 0x60);
	CHECK_EQ(k->info.io[1].base, 0x64);
	/* without a _PRT: the interrupt-line register through the ISA map */
	setup(false);
	CHECK_EQ(dev("pci-00:04.0")->info.legacy_gsi, 21);
	CHECK_EQ(dev("pci-00:04.0")->irq_via, IOD_VIA_LINE);
	CHECK_EQ(dev("pci-00:02.0")->info.legacy_gsi, IOD_GSI_NONE);
}

TEST(iod_core_fb_only_without_display_driver)
{
	memset(&F, 0, sizeof(F));
	F.no_gpu_program = true;
	iod_init(&S, &plat);
	setup(true); /* setup clears F: set again and rebuild */
	F.no_gpu_program = true;
	iod_init(&S, &plat);
	iod_build(&S, pd, 5, &P, AML_OK, &B);
	CHECK_EQ(dev("pci-00:02.0")->state, IOD_ST_MISSING);
	CHECK(strstr(F.log, "virtio-gpu not in /boot/bin"));
	struct iod_dev *fb = dev("fb0");
	CHECK(fb);
	STR_EQ(fb->info.driver, "fbdisplay");
	CHECK_EQ(fb->info.fb_width, 1024);
	/* no i8042 when the FADT says there is none */
	B.has_8042 = 0;
	iod_init(&S, &plat);
	iod_build(&S, pd, 5, &P, AML_OK, &B);
	CHECK(!dev("isa-i8042"));
}

TEST(iod_core_supervision_backoff_and_reset)
{
	setup(true);
	uint64_t now = 1000 * MS;
	uint64_t next = iod_tick(&S, now);
	CHECK_EQ(F.starts, 3); /* gpu, input, i8042 */
	CHECK_EQ(F.resets, 3); /* each reset before its first start */
	CHECK_EQ(next, now + IOD_STABLE_NS);
	int gi = iod_find_name(&S, "pci-00:02.0");
	struct iod_dev *g = &S.dev[gi];
	uint64_t b1 = g->badge;
	CHECK(b1);
	/* quick deaths: 10, 20, 40 ... capped at 1000 ms; reset each time
	 * (9: the 10th would mark it failed, test_iod_fail.c) */
	uint64_t want = 10 * MS;
	for (int round = 0; round < 9; round++) {
		int resets = F.resets;
		iod_exited(&S, gi, -1, now);
		CHECK_EQ(F.resets, resets + 1);
		CHECK_EQ(g->badge, 0);
		CHECK_EQ(g->state, IOD_ST_BACKOFF);
		CHECK_EQ(g->due_ns, now + want);
		CHECK_EQ(iod_tick(&S, now + want - 1), now + want);
		now += want;
		iod_tick(&S, now);
		CHECK_EQ(g->state, IOD_ST_STARTING);
		CHECK(g->badge > b1); /* a new badge every start */
		b1 = g->badge;
		want = want * 2 > 1000 * MS ? 1000 * MS : want * 2;
	}
	CHECK_EQ(g->restarts, 9);
	/* up a second: running, and the next death waits 10 ms again */
	now += IOD_STABLE_NS;
	iod_tick(&S, now);
	CHECK_EQ(g->state, IOD_ST_RUNNING);
	iod_exited(&S, gi, 1, now);
	CHECK_EQ(g->due_ns, now + 10 * MS);
	CHECK(strstr(F.log, "exited (status 1)"));
}

TEST(iod_core_restart_twenty_times)
{
	setup(true);
	uint64_t now = 5000 * MS;
	iod_tick(&S, now);
	int gi = iod_find_name(&S, "pci-00:02.0");
	struct iod_dev *g = &S.dev[gi];
	/* each restart: killed, reset, a new instance with a new badge */
	for (int i = 0; i < 20; i++) {
		int kills = F.kills, resets = F.resets, starts = F.starts;
		uint64_t b = g->badge;
		CHECK_EQ(iod_restart(&S, gi, now), 0);
		CHECK_EQ(F.kills, kills + 1);
		CHECK_EQ(F.resets, resets + 1);
		CHECK_EQ(F.starts, starts + 1);
		CHECK_EQ(g->state, IOD_ST_STARTING);
		CHECK(g->badge > b);
		now += 1;
	}
	CHECK_EQ(g->restarts, 20);
	CHECK_EQ(g->last_status, -9);
	/* an end not seen at once: the death notice finishes it, and the
	 * next start has no delay */
	F.slow_kill = true;
	CHECK_EQ(iod_restart(&S, gi, now), 0);
	CHECK_EQ(g->state, IOD_ST_STARTING);
	iod_exited(&S, gi, -9, now + 1);
	CHECK_EQ(g->due_ns, now + 1);
	iod_tick(&S, now + 1);
	CHECK_EQ(g->state, IOD_ST_STARTING);
	CHECK_EQ(g->restarts, 21);
	/* restart during a backoff: started at once */
	iod_exited(&S, gi, -1, now + 2);
	CHECK_EQ(g->state, IOD_ST_BACKOFF);
	CHECK_EQ(iod_restart(&S, gi, now + 2), 0);
	CHECK_EQ(g->state, IOD_ST_STARTING);
	CHECK_EQ(iod_restart(&S, iod_find_name(&S, "pci-00:00.0"), now), -1);
}

static long req(uint64_t badge, uint32_t op, uint32_t a, uint32_t b,
		struct iod_resp *r, uint32_t *h, uint32_t *nh)
{
	static uint8_t data[sizeof(struct iod_dev_info)];
	struct iod_req q = {.op = op, .a = a, .b = b};
	iod_request(&S, badge, &q, sizeof(q), r, data, h, nh);
	return r->err;
}

TEST(iod_core_device_requests)
{
	setup(true);
	iod_tick(&S, 0);
	struct iod_dev *g = dev("pci-00:02.0");
	struct iod_resp r;
	uint32_t h[IOD_H_COUNT], nh;
	CHECK_EQ(req(g->badge, IOD_DEV_INFO, 0, 0, &r, h, &nh), 0);
	CHECK_EQ(r.len, sizeof(struct iod_dev_info));
	CHECK_EQ(req(g->badge, IOD_NOP, 0, 0, &r, h, &nh), 0);
	CHECK_EQ(r.val, IOD_PROTO_VERSION);
	/* handles packed: pci, irq, ioport present -> bits 0, 2, 3 */
	CHECK_EQ(req(g->badge, IOD_DEV_HANDLES, 0, 0, &r, h, &nh), 0);
	CHECK_EQ(nh, 3);
	CHECK_EQ(r.val, 0xd);
	uint32_t u[IOD_H_COUNT];
	iod_handles_unpack(r.val, h, nh, u);
	CHECK_EQ(u[IOD_H_PCI], 11);
	CHECK_EQ(u[IOD_H_DMA], 0);
	CHECK_EQ(u[IOD_H_IRQ], 13);
	CHECK_EQ(u[IOD_H_IOPORT], 14);
	/* BARs: the memory BAR, page-rounded; I/O, empty, out of range,
	 * bad cache refused */
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 1, &r, h, &nh), 0);
	CHECK_EQ(nh, 1);
	CHECK_EQ(F.bar_base, 0xfe000000);
	CHECK_EQ(F.bar_size, 0x4000);
	CHECK_EQ(F.bar_cache, 1);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 0, 0, &r, h, &nh), ERR_NOT_FOUND);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 1, 0, &r, h, &nh), ERR_NOT_FOUND);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 6, 0, &r, h, &nh),
		 ERR_INVALID_ARGS);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 2, &r, h, &nh),
		 ERR_INVALID_ARGS);
	CHECK_EQ(req(g->badge, 99, 0, 0, &r, h, &nh), ERR_INVALID_ARGS);
	/* a stale badge (the instance died) and badge 0 are refused */
	uint64_t old = g->badge;
	iod_exited(&S, iod_find_name(&S, "pci-00:02.0"), -1, 0);
	CHECK_EQ(req(old, IOD_DEV_INFO, 0, 0, &r, h, &nh), ERR_ACCESS_DENIED);
	CHECK_EQ(req(0, IOD_DEV_INFO, 0, 0, &r, h, &nh), ERR_ACCESS_DENIED);
	CHECK_EQ(nh, 0);
	/* a short message */
	iod_request(&S, dev("isa-i8042")->badge, "x", 1, &r, NULL, h, &nh);
	CHECK_EQ(r.err, ERR_INVALID_ARGS);
}

/* One handle set and one object per BAR per driver instance (REVIEW-14
 * F2, M4): a repeat would derive another DMA budget (k x the table's) and
 * charge iod another object each time. A new instance asks afresh. */
TEST(iod_core_handles_and_bars_once_per_instance)
{
	setup(true);
	iod_tick(&S, 0);
	struct iod_dev *g = dev("pci-00:02.0");
	struct iod_resp r;
	uint32_t h[IOD_H_COUNT], nh;
	CHECK_EQ(req(g->badge, IOD_DEV_HANDLES, 0, 0, &r, h, &nh), 0);
	CHECK_EQ(F.handle_sets, 1);
	for (int k = 0; k < 3; k++) {
		CHECK_EQ(req(g->badge, IOD_DEV_HANDLES, 0, 0, &r, h, &nh),
			 ERR_BAD_STATE);
		CHECK_EQ(nh, 0);
		CHECK_EQ(r.val, 0);
	}
	CHECK_EQ(F.handle_sets, 1);
	/* a refused BAR request does not use up the BAR */
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 2, &r, h, &nh),
		 ERR_INVALID_ARGS);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 0, &r, h, &nh), 0);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 1, &r, h, &nh), ERR_BAD_STATE);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 0, &r, h, &nh), ERR_BAD_STATE);
	CHECK_EQ(nh, 0);
	CHECK_EQ(F.bars, 1);
	/* the next instance gets its own set */
	uint64_t old = g->badge;
	iod_exited(&S, iod_find_name(&S, "pci-00:02.0"), -1, 0);
	iod_tick(&S, 60ull * 1000 * 1000 * 1000);
	CHECK(g->badge != 0 && g->badge != old);
	CHECK_EQ(req(g->badge, IOD_DEV_HANDLES, 0, 0, &r, h, &nh), 0);
	CHECK_EQ(req(g->badge, IOD_DEV_BAR, 4, 0, &r, h, &nh), 0);
	CHECK_EQ(F.handle_sets, 2);
	CHECK_EQ(F.bars, 2);
}

/* Drivers hold no names endpoint (REVIEW-14 F8): their names requests
 * come to iod on their own badge, and iod forwards only what the table
 * allows: the display driver its /svc/display, the input drivers the
 * lookup of /drv/input; never /svc/iod. */
static int nreq(uint64_t badge, const char *js, uint32_t nh, char *fwd,
		bool *wait, char *ans)
{
	size_t flen = 0, olen = 0;
	int r = iod_names_req(&S, badge, js, strlen(js), nh, fwd, 256, &flen,
			      wait, ans, 256, &olen);
	(r ? ans : fwd)[r ? olen : flen] = 0;
	return r;
}

TEST(iod_core_driver_names_requests)
{
	setup(true);
	iod_tick(&S, 0);
	uint64_t gpu = dev("pci-00:02.0")->badge,
		 in = dev("pci-01:01.0")->badge;
	char fwd[257], ans[257];
	bool wait;
	CHECK(gpu && in);
	CHECK_EQ(nreq(gpu,
		      "{\"cmd\":\"register\",\"name\":\"/svc/display\","
		      "\"port\":0}",
		      1, fwd, &wait, ans),
		 0);
	STR_EQ(fwd,
	       "{\"cmd\":\"register\",\"name\":\"/svc/display\",\"port\":0}");
	CHECK_EQ(nreq(gpu, "{\"cmd\":\"unregister\",\"name\":\"/svc/display\"}",
		      0, fwd, &wait, ans),
		 0);
	/* iod's own name, another's, a lookup it has no use for */
	CHECK_EQ(nreq(gpu,
		      "{\"cmd\":\"register\",\"name\":\"/svc/iod\",\"port\":0}",
		      1, fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK(strstr(ans, "DENIED"));
	CHECK_EQ(nreq(in,
		      "{\"cmd\":\"register\",\"name\":\"/svc/"
		      "display\",\"port\":0}",
		      1, fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(nreq(in, "{\"cmd\":\"unregister\",\"name\":\"/svc/iod\"}", 0,
		      fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(nreq(gpu, "{\"cmd\":\"lookup\",\"name\":\"/svc/iod\"}", 0, fwd,
		      &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(nreq(in, "{\"cmd\":\"acl\",\"name\":\"/drv/input\"}", 0, fwd,
		      &wait, ans),
		 ERR_ACCESS_DENIED);
	/* a register without its handle, or with two */
	CHECK_EQ(nreq(gpu, "{\"cmd\":\"register\",\"name\":\"/svc/display\"}",
		      0, fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(nreq(in, "{\"cmd\":\"lookup\",\"name\":\"/drv/input\"}", 2,
		      fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	/* the input driver's lookup, forwarded without the wait */
	CHECK_EQ(nreq(in,
		      "{\"cmd\":\"lookup\",\"name\":\"/drv/input\","
		      "\"wait_usec\":5000000}",
		      0, fwd, &wait, ans),
		 0);
	STR_EQ(fwd, "{\"cmd\":\"lookup\",\"name\":\"/drv/input\"}");
	CHECK(wait);
	/* a stale badge, badge 0, garbage */
	CHECK_EQ(nreq(0, "{\"cmd\":\"lookup\",\"name\":\"/drv/input\"}", 0, fwd,
		      &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(nreq(in, "{\"cmd\":", 0, fwd, &wait, ans), ERR_INVALID_ARGS);
	uint64_t old = in;
	iod_exited(&S, iod_find_name(&S, "pci-01:01.0"), -1, 0);
	CHECK_EQ(nreq(old, "{\"cmd\":\"lookup\",\"name\":\"/drv/input\"}", 0,
		      fwd, &wait, ans),
		 ERR_ACCESS_DENIED);
	CHECK_EQ(S.names_denied, 9);
	CHECK_EQ(S.denied, 0); /* device requests' counter */
}

static char out[4096];
static struct json_doc jd;

static bool ctl = true;

static int js(const char *req_text)
{
	size_t n = iod_json(&S, req_text, strlen(req_text), out, sizeof(out), 0,
			    ctl);
	if (!(n > 0 && n < sizeof(out)))
		return -100;
	return json_parse(&jd, out, n);
}

TEST(iod_core_json_list_info_restart)
{
	setup(true);
	iod_tick(&S, 0);
	char s[64];
	CHECK_EQ(js("{\"cmd\":\"ping\"}"), 0);
	CHECK_EQ(json_get_str(&jd, "result.name", s, sizeof(s)) > 0, 1);
	STR_EQ(s, "iod");
	CHECK_EQ(js("{\"cmd\":\"list\"}"), 0);
	CHECK_EQ(json_get_str(&jd, "result.devices.1.bdf", s, sizeof(s)) > 0,
		 1);
	STR_EQ(s, "00:02.0");
	CHECK_EQ(json_get_str(&jd, "result.devices.1.class", s, sizeof(s)) > 0,
		 1);
	STR_EQ(s, "0300");
	json_get_str(&jd, "result.devices.1.driver", s, sizeof(s));
	STR_EQ(s, "virtio-gpu");
	json_get_str(&jd, "result.devices.1.state", s, sizeof(s));
	STR_EQ(s, "starting");
	json_get_str(&jd, "result.devices.5.dev", s, sizeof(s));
	STR_EQ(s, "isa-i8042");
	CHECK_EQ(js("{\"cmd\":\"info\",\"dev\":\"pci-00:02.0\"}"), 0);
	uint64_t v;
	CHECK_EQ(json_get_uint(&jd, "result.irq.legacy.gsi", &v), 0);
	CHECK_EQ(v, 18);
	CHECK_EQ(json_get_uint(&jd, "result.irq.msix.count", &v), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(json_get_uint(&jd, "result.bars.1.size", &v), 0);
	CHECK_EQ(v, 0x4000);
	json_get_str(&jd, "result.bars.1.type", s, sizeof(s));
	STR_EQ(s, "mem64");
	json_get_str(&jd, "result.irq.legacy.via", s, sizeof(s));
	STR_EQ(s, "acpi-prt");
	/* a device not sized at the scan is sized when asked about, once */
	sizes = 0;
	CHECK_EQ(js("{\"cmd\":\"info\",\"dev\":\"pci-00:04.0\"}"), 0);
	CHECK_EQ(js("{\"cmd\":\"info\",\"dev\":\"pci-00:04.0\"}"), 0);
	CHECK_EQ(sizes, 1);
	CHECK_EQ(json_get_uint(&jd, "result.bars.0.bar", &v), 0);
	CHECK_EQ(v, 2);
	/* restart only through /svc/iod-ctl (REVIEW-14 F3) */
	ctl = false;
	CHECK_EQ(js("{\"cmd\":\"restart\",\"dev\":\"pci-00:02.0\"}"), 0);
	CHECK(strstr(out, "DENIED"));
	CHECK_EQ(F.kills, 0);
	CHECK_EQ(js("{\"cmd\":\"status\"}"), 0); /* the rest still served */
	CHECK(strstr(out, "\"ok\":true"));
	ctl = true;
	CHECK_EQ(js("{\"cmd\":\"restart\",\"dev\":\"pci-00:02.0\"}"), 0);
	CHECK_EQ(F.kills, 1);
	CHECK_EQ(js("{\"cmd\":\"restart\",\"dev\":\"pci-00:00.0\"}"), 0);
	CHECK(strstr(out, "BAD_STATE"));
	CHECK_EQ(js("{\"cmd\":\"info\",\"dev\":\"pci-09:00.0\"}"), 0);
	CHECK(strstr(out, "NOT_FOUND"));
	CHECK_EQ(js("{\"cmd\":\"info\"}"), 0);
	CHECK(strstr(out, "BAD_ARG"));
	CHECK_EQ(js("{\"cmd\":\"nope\"}"), 0);
	CHECK(strstr(out, "BAD_CMD"));
	CHECK_EQ(js("[1,2]"), 0);
	CHECK(strstr(out, "BAD_JSON"));
	CHECK_EQ(js("{\"cmd\":\"status\"}"), 0);
	CHECK_EQ(json_get_uint(&jd, "result.devices", &v), 0);
	CHECK_EQ(v, 6);
	/* paging: 40 devices come in pages of at most 10 */
	iod_init(&S, &plat);
	struct pci_dev many[40];
	for (int i = 0; i < 40; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		many[i].bdf = PCI_BDF(0, i % 32, i / 32);
		many[i].vendor = 0x8086;
	}
	iod_build(&S, many, 40, &P, AML_OK, &B);
	CHECK_EQ(js("{\"cmd\":\"list\",\"from\":30}"), 0);
	bool more = false;
	CHECK_EQ(json_get_bool(&jd, "result.more", &more), 0);
	CHECK(more);
	CHECK_EQ(json_get_uint(&jd, "result.next", &v), 0);
	CHECK_EQ(v, 40);
}

TEST(iod_core_bootinfo_lines)
{
	static const char t[] =
		"protocol pvh\nisa_irq 0 2\nisa_irq 9 9\nisa_irq 11 21\n"
		"isa_irq 16 3\nisa_irq 5\nfb 0xfd000000 1280 800 5120 32\n"
		"fb_rgb 0 8 8 8 16 8\nmem 0x0 0x9fc00 1";
	struct iod_boot b;
	iod_boot_parse(t, sizeof(t) - 1, &b);
	CHECK_EQ(b.isa_gsi[0], 2);
	CHECK_EQ(b.isa_gsi[11], 21);
	CHECK_EQ(b.isa_gsi[5], 5); /* the short line is ignored */
	CHECK_EQ(b.isa_gsi[1], 1);
	CHECK(b.has_fb);
	CHECK_EQ(b.fb_addr, 0xfd000000);
	CHECK_EQ(b.fb_width, 1280);
	CHECK_EQ(b.fb_pitch, 5120);
	CHECK_EQ(b.fb_rgb[0], 0);
	CHECK_EQ(b.fb_rgb[4], 16);
	CHECK_EQ(b.has_8042, -1);
	/* a framebuffer line with a pitch below the width: none */
	iod_boot_parse("fb 0x1000 100 100 10 32\n", 24, &b);
	CHECK(!b.has_fb);
	CHECK_EQ(b.fb_rgb[0], 16); /* the default layout */
}

TEST(iod_core_match_option)
{
	struct pci_dev d = {.vendor = 0x1234, .device = 0x1111};
	CHECK(drv_match_pci(&d) == NULL);
	CHECK_EQ(drv_add_match("1234:1111=iod-testdrv"), 0);
	const struct drv_entry *e = drv_match_pci(&d);
	CHECK(e);
	STR_EQ(e->program, "iod-testdrv");
	CHECK_EQ(e->dma, 1 << 20);
	/* it wins over the table */
	CHECK_EQ(drv_add_match("1af4:1050=gpu-under-test"), 0);
	struct pci_dev g = {.vendor = 0x1af4, .device = 0x1050};
	STR_EQ(drv_match_pci(&g)->program, "gpu-under-test");
	CHECK_EQ(drv_add_match("1234:1111"), -1);
	CHECK_EQ(drv_add_match("1234:1111="), -1);
	CHECK_EQ(drv_add_match("zz:1111=x"), -1);
	CHECK_EQ(drv_add_match("1234:1111=../x"), -1);
	CHECK_EQ(drv_add_match("1:2=a"), 0);
	CHECK_EQ(drv_add_match("1:3=b"), 0);
	CHECK_EQ(drv_add_match("1:4=c"), -1); /* at most 4 */
	drv_clear_matches();
	STR_EQ(drv_match_pci(&g)->program, "virtio-gpu");
	CHECK(drv_match_pci(&d) == NULL);
	/* bridges never get a driver */
	struct pci_dev br = {
		.vendor = 0x1af4, .device = 0x1050, .header_type = 1};
	CHECK(drv_match_pci(&br) == NULL);
}
