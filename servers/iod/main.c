/* iod: the device manager (docs/devices.md "iod"). The platform half:
 * reads the boot information and the ACPI tables object, scans PCI
 * through the kernel's configuration calls, starts one driver task per
 * matched device out of its own quota, hands each driver its device's
 * handles (narrowed with SYS_RESOURCE_DERIVE, BARs with
 * SYS_VMO_CREATE_PHYS), resets devices whose driver died, and serves
 * /svc/iod. Everything else is iod_core (no system calls).
 *
 * One port: badge 0 is /svc/iod (JSON), every other badge one driver
 * instance (binary, iod_proto.h). One notification: bit i = device i's
 * driver task ended (SYS_OBJECT_NOTIFY), bit 63 = a message. The drivers
 * are iod's children: when iod dies they die with it (docs/tasks.md),
 * and a new iod resets every device before it starts their drivers.
 *
 *   iod [--match VVVV:DDDD=PROGRAM]...
 *
 * --match: a driver for that PCI vendor:device tried before the table
 * (a driver under test; the guest tests use it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/elf_load.h>
#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "json.h"
#include "iod_core.h"

#define BIT_PORT     63
#define KILL_WAIT_NS 500000000ull

static struct {
	handle_t self, pci, mmio, irq, ioport, dma, sched, names, console;
	handle_t port, notif;
	const void *initrd;
	uint64_t initrd_len;
	handle_t thread[IOD_DEV_MAX];
} g;

static struct iod S;

static uint32_t cfg_read(void *ctx, uint16_t bdf, uint16_t off, int w)
{
	(void)ctx;
	uint32_t v = 0;
	if (sys_pci_cfg_read(g.pci, bdf, off, (uint32_t)w, &v) < 0)
		return w == 4 ? 0xffffffffu : w == 2 ? 0xffffu : 0xffu;
	return v;
}

static void cfg_write(void *ctx, uint16_t bdf, uint16_t off, int w, uint32_t v)
{
	(void)ctx;
	long r = sys_pci_cfg_write(g.pci, bdf, off, (uint32_t)w, v);
	if (r < 0)
		printf("iod: config write %04x+%x: %s\n", bdf, off,
		       err_name(r));
}

static bool p_have(void *ctx, const char *prog);

/* A device with a driver to start is reset before it anyway: its decode
 * stays off after sizing (one address-space change fewer). */
static bool cfg_quiet(void *ctx, const struct pci_dev *d)
{
	const struct drv_entry *e = drv_match_pci(d);
	return e && p_have(ctx, e->program);
}

static const struct pci_ops pci_ops = {
	.read = cfg_read, .write = cfg_write, .quiet = cfg_quiet, .lazy = true};

static const void *map_vmo(handle_t h, uint64_t *len)
{
	uint64_t size = 0, addr = 0;
	if (!h || sys_vmo_get_size(h, &size) < 0 || !size)
		return NULL;
	struct vm_map_req req = {.len = (size + 4095) & ~4095ull,
				 .prot = VM_PROT_READ};
	if (sys_vm_map(g.self, h, &req, &addr) < 0)
		return NULL;
	*len = size;
	return (const void *)addr;
}

static bool find_program(const char *prog, struct cpio_file *f)
{
	char path[64];
	snprintf(path, sizeof(path), "bin/%s", prog);
	return g.initrd &&
	       cpio_find(g.initrd, g.initrd_len, path, f) == CPIO_OK;
}

static bool p_have(void *ctx, const char *prog)
{
	(void)ctx;
	struct cpio_file f;
	return find_program(prog, &f);
}

/* A scheduling authority for drivers that need more than BE: DL for a
 * display's frame clock, RT for input drivers (derived from iod's). */
static handle_t sched_for(const struct drv_entry *e)
{
	handle_t h = HANDLE_INVALID;
	if ((!e->dl_ppm && !e->rt_prio) || !g.sched)
		return h;
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE) |
			   (e->dl_ppm ? SCHED_CLASS_MASK(SCHED_CLASS_DL) : 0) |
			   (e->rt_prio ? SCHED_CLASS_MASK(SCHED_CLASS_RT) : 0),
		.max_priority = e->rt_prio,
		.dl_bw_ppm = e->dl_ppm};
	long r = sys_sched_auth_derive(g.sched, &lim, &h);
	if (r < 0)
		printf("iod: %s gets no scheduling authority: %s\n", e->program,
		       err_name(r));
	return r < 0 ? HANDLE_INVALID : h;
}

/* A driver's quota (docs/devices.md "iod"): its table's, unless iod's own
 * quota (less 1 MiB for itself) cannot hold every matched driver's at
 * once with its image (about DRV_IMAGE, charged to iod): then each gets
 * the same fraction of its table's, at least a quarter. A small machine
 * thus starts every driver, smaller, instead of the first ones whole and
 * the rest never. */
#define IOD_OWN	  (1ull << 20)
#define DRV_IMAGE (640ull << 10)
static uint64_t driver_quota(const struct drv_entry *e)
{
	const struct start_info *si = execrt_start_info();
	uint64_t mine = si ? si->mem_quota : 0, want = 0, q = e->memory;
	for (int j = 0; j < S.n; j++)
		if (S.dev[j].drv)
			want += S.dev[j].drv->memory + DRV_IMAGE;
	if (!mine || !want || mine <= IOD_OWN || want <= mine - IOD_OWN)
		return q;
	uint64_t avail = mine - IOD_OWN;
	q = (uint64_t)((unsigned __int128)e->memory * avail / want) &
	    ~((64ull << 10) - 1);
	return q > e->memory / 4 ? q : e->memory / 4;
}

static long p_start(void *ctx, struct iod_dev *d, uint64_t badge)
{
	(void)ctx;
	int i = (int)(d - S.dev);
	struct cpio_file f;
	if (!find_program(d->drv->program, &f))
		return ERR_NOT_FOUND;
	struct execrt_child c;
	uint64_t q = driver_quota(d->drv);
	long r = execrt_spawn_create(d->drv->program, q, &c);
	while (r == ERR_NO_MEMORY && q / 2 >= d->drv->memory / 4) {
		q /= 2; /* a small machine: less, logged */
		r = execrt_spawn_create(d->drv->program, q, &c);
	}
	if (r < 0)
		return r;
	if (q < d->drv->memory)
		printf("iod: %s: quota cut to %llu KiB\n", d->info.name,
		       (unsigned long long)(q >> 10));
	handle_t ep = HANDLE_INVALID, sch = sched_for(d->drv);
	char cmd[IOD_NAME_MAX * 2 + 2];
	snprintf(cmd, sizeof(cmd), "%s %s", d->drv->program, d->info.name);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmd,
				      .quota = q};
	int perr = 0;
	r = sys_port_mint(g.port, badge, &ep);
	if (r == 0) {
		a.give[START_H_SERVICE] = ep;
		/* not iod's names endpoint: names requests come to iod on the
		 * driver's own badge (iod_names_req) */
		a.give[START_H_NAMES] = ep;
		a.give[START_H_CONSOLE] = g.console;
		a.give[START_H_SCHED] = sch;
		r = sys_object_notify(c.task, g.notif, 1ull << i);
	}
	if (r == 0)
		r = execrt_spawn_start(&c, &a, &perr);
	if (ep)
		sys_handle_close(ep); /* the child has its own duplicate */
	if (sch)
		sys_handle_close(sch);
	if (r < 0) {
		if (perr)
			printf("iod: %s: %s\n", d->drv->program,
			       elf_strerror(perr));
		execrt_spawn_abort(&c);
		return r;
	}
	struct handle_info hi = {0};
	sys_handle_info(c.task, &hi);
	d->task = c.task;
	d->koid = hi.koid;
	g.thread[i] = c.thread;
	printf("iod: %s: started %s (badge %llu)\n", d->info.name,
	       d->drv->program, (unsigned long long)badge);
	return 0;
}

static bool p_kill(void *ctx, struct iod_dev *d, int64_t *status)
{
	(void)ctx;
	if (!d->task)
		return false;
	sys_task_kill(d->task, -1);
	/* a kill is quick; the notice bit then finds nothing to reap */
	return sys_object_wait(d->task,
			       (uint64_t)sys_clock_now() + KILL_WAIT_NS,
			       status) == 0;
}

static void p_size(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	if (g.pci)
		pci_size_bars(&pci_ops, &d->pci, false);
}

static void p_reap(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	int i = (int)(d - S.dev);
	sys_handle_close(d->task);
	if (g.thread[i])
		sys_handle_close(g.thread[i]);
	g.thread[i] = HANDLE_INVALID;
}

static void p_reset(void *ctx, struct iod_dev *d)
{
	(void)ctx;
	if (d->info.kind != IOD_KIND_PCI || !g.pci)
		return;
	uint64_t wait = pci_reset_start(&pci_ops, &d->pci);
	if (wait) {
		sys_sleep_until((uint64_t)sys_clock_now() + wait);
		pci_reset_finish(&pci_ops, &d->pci);
	}
}

/* A derived resource, or 0 when iod does not hold the authority. */
static long derive(handle_t auth, uint64_t base, uint64_t size, uint32_t rights,
		   handle_t *out)
{
	*out = HANDLE_INVALID;
	if (!auth || !size)
		return 0;
	return sys_resource_derive(auth, base, size, rights, out);
}

static long p_handles(void *ctx, struct iod_dev *d, uint32_t *h)
{
	(void)ctx;
	const struct iod_dev_info *in = &d->info;
	long r = 0;
	if (in->kind == IOD_KIND_PCI)
		r = derive(g.pci, in->bdf, 1,
			   RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER |
				   RIGHT_DUPLICATE,
			   &h[IOD_H_PCI]);
	if (r == 0)
		r = derive(g.dma, 0, in->dma_budget, RIGHT_SAME, &h[IOD_H_DMA]);
	if (r == 0 && in->legacy_gsi != IOD_GSI_NONE)
		r = derive(g.irq, in->legacy_gsi, 1, RIGHT_SAME, &h[IOD_H_IRQ]);
	if (r == 0 && in->legacy_gsi2 != IOD_GSI_NONE)
		r = derive(g.irq, in->legacy_gsi2, 1, RIGHT_SAME,
			   &h[IOD_H_IRQ2]);
	/* I/O ranges outside iod's own authority (`ioport all` in its
	 * manifest entry; a test's iod may have less) are left out, not an
	 * error. A PCI function's I/O BAR in the legacy ISA space (below
	 * 0x1000: the power, reset and PCI configuration ports live there)
	 * is left out too: no firmware puts one there. */
	for (int k = 0; r == 0 && k < IOD_IO_RANGES; k++) {
		int slot = k ? IOD_H_IOPORT2 : IOD_H_IOPORT;
		if (in->kind == IOD_KIND_PCI && in->io[k].size &&
		    in->io[k].base < 0x1000) {
			printf("iod: %s: ports 0x%x+%u in the ISA space: left "
			       "out\n",
			       in->name, in->io[k].base, in->io[k].size);
			continue;
		}
		r = derive(g.ioport, in->io[k].base, in->io[k].size, RIGHT_SAME,
			   &h[slot]);
		if (r == ERR_OUT_OF_RANGE || r == ERR_ACCESS_DENIED) {
			printf("iod: %s: ports 0x%x+%u not in iod's I/O "
			       "authority: left out\n",
			       in->name, in->io[k].base, in->io[k].size);
			h[slot] = HANDLE_INVALID;
			r = 0;
		}
	}
	if (r < 0) {
		printf("iod: %s: handles: %s\n", in->name, err_name(r));
		for (int k = 0; k < IOD_H_COUNT; k++)
			if (h[k])
				sys_handle_close(h[k]);
	}
	return r;
}

static long p_bar(void *ctx, struct iod_dev *d, uint64_t base, uint64_t size,
		  uint32_t cache, uint32_t *h)
{
	(void)ctx;
	(void)d;
	if (!g.mmio)
		return ERR_ACCESS_DENIED;
	return sys_vmo_create_phys(g.mmio, base, size, cache, h);
}

static void p_log(void *ctx, const char *line)
{
	(void)ctx;
	printf("iod: %s\n", line);
}

static void close_all(const handle_t *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (h[i])
			sys_handle_close(h[i]);
}

/* /svc/iod-ctl's badge: above every driver's (iod counts those up from
 * 1), so no driver instance is ever given it. */
#define CTL_BADGE (1ull << 62)

/* A driver's names request (JSON on its badge), carried to names under
 * iod's badge when the driver table allows it. The answer (and its
 * handle) in out/hout. */
static size_t names_proxy(uint64_t badge, const char *in, size_t len,
			  handle_t *hin, uint32_t nin, char *out, size_t cap,
			  handle_t *hout, uint32_t *nh)
{
	static char fwd[256];
	size_t flen = 0, olen = 0;
	bool wait;
	if (iod_names_req(&S, badge, in, len, nin, fwd, sizeof(fwd), &flen,
			  &wait, out, cap, &olen) < 0) {
		close_all(hin, nin);
		return olen;
	}
	struct port_msg m = {.data = fwd,
			     .len = (uint32_t)flen,
			     .nhandles = nin,
			     .handles = hin};
	struct port_rx rx = {
		.buf = out, .cap = cap, .handles = hout, .hcap = IOD_H_COUNT};
	long r = sys_port_call(g.names, &m, &rx,
			       (uint64_t)sys_clock_now() + 1000000000ull);
	if (r < 0) {
		close_all(hin, nin); /* not moved on an error */
		return (size_t)json_w_error(out, cap, "UNAVAILABLE",
					    "name service did not answer");
	}
	*nh = rx.nhandles;
	/* iod never waits for a name: the client polls (cl_connect) */
	if (rx.len < cap)
		out[rx.len] = 0;
	if (wait && rx.len < cap && strstr(out, "\"NOT_FOUND\""))
		return (size_t)json_w_error(out, cap, "BUSY",
					    "not registered yet: poll");
	return rx.len;
}

/* Every message queued now: JSON on badge 0, device requests (and names
 * requests, JSON) on the drivers' badges. */
static void serve(void)
{
	static _Alignas(8) char in[PORT_MSG_MAX], out[PORT_MSG_MAX];
	for (;;) {
		handle_t hin[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = in,
				     .cap = sizeof(in),
				     .handles = hin,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(g.port, &rx, DEADLINE_POLL) < 0)
			return;
		bool names = rx.badge && rx.badge != CTL_BADGE && rx.len &&
			     in[0] == '{';
		if (!names || !rx.reply) /* only a names register has one */
			close_all(hin, rx.nhandles);
		if (!rx.reply)
			continue;
		uint32_t hout[IOD_H_COUNT], nh = 0;
		size_t len;
		uint64_t now = (uint64_t)sys_clock_now();
		if (rx.badge == 0 || rx.badge == CTL_BADGE) {
			len = rx.len && in[0] == '{'
				      ? iod_json(&S, in, rx.len, out,
						 sizeof(out), now,
						 rx.badge == CTL_BADGE)
				      : (size_t)json_w_error(out, sizeof(out),
							     "BAD_JSON",
							     "not JSON");
		} else if (names) {
			len = names_proxy(rx.badge, in, rx.len, hin,
					  rx.nhandles, out, sizeof(out), hout,
					  &nh);
		} else {
			struct iod_resp *r = (struct iod_resp *)out;
			iod_request(&S, rx.badge, in, rx.len, r,
				    out + sizeof(*r), hout, &nh);
			len = sizeof(*r) + r->len;
		}
		struct port_msg m = {.data = out,
				     .len = (uint32_t)len,
				     .nhandles = nh,
				     .handles = hout};
		long e = sys_port_reply(rx.reply, &m);
		if (e < 0) {
			close_all(hout, nh);
			if (e != ERR_PEER_CLOSED)
				sys_handle_close(rx.reply);
		}
	}
}

static void reap(uint64_t bits)
{
	for (int i = 0; i < S.n && i < BIT_PORT; i++) {
		struct iod_dev *d = &S.dev[i];
		int64_t st = 0;
		if (!(bits & (1ull << i)) || !d->task ||
		    sys_object_wait(d->task, DEADLINE_POLL, &st) < 0)
			continue;
		iod_exited(&S, i, st, (uint64_t)sys_clock_now());
	}
}

static void setup(struct iod_boot *b)
{
	static char text[8192];
	uint64_t blen = 0;
	const char *bt = map_vmo(execrt_handle(START_H_BOOTINFO), &blen);
	size_t n = 0;
	if (bt) {
		n = blen < sizeof(text) - 1 ? blen : sizeof(text) - 1;
		memcpy(text, bt, n);
		text[n] = 0;
		n = strlen(text);
	}
	iod_boot_parse(text, n, b);
	uint64_t alen = 0;
	const uint8_t *acpi = map_vmo(execrt_handle(START_H_ACPI), &alen);
	static struct prt prt;
	int prt_status = AML_NO_PRT;
	if (acpi) {
		uint32_t dl;
		const uint8_t *dsdt = acpi_table(acpi, alen, "DSDT", 0, &dl);
		b->has_8042 = acpi_has_8042(acpi, alen);
		prt_status = dsdt ? aml_root_prt(dsdt, dl, b->isa_gsi, &prt)
				  : AML_BAD;
		printf("iod: ACPI _PRT: %s (%d entries)\n",
		       aml_strerror(prt_status), prt.n);
	} else {
		printf("iod: no ACPI tables object: legacy lines from the "
		       "interrupt-line registers\n");
	}
	static struct pci_dev pci[PCI_DEV_MAX];
	int npci = g.pci ? pci_scan(&pci_ops, pci, PCI_DEV_MAX) : 0;
	if (!g.pci)
		printf("iod: no PCI authority: no PCI devices\n");
	static const struct iod_plat plat = {.have_program = p_have,
					     .start = p_start,
					     .kill = p_kill,
					     .reap = p_reap,
					     .size = p_size,
					     .reset = p_reset,
					     .handles = p_handles,
					     .bar = p_bar,
					     .log = p_log};
	iod_init(&S, &plat);
	iod_build(&S, pci, npci, &prt, prt_status, b);
	printf("iod: %d devices (%d PCI functions)\n", S.n, npci);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--match") && i + 1 < argc &&
		    drv_add_match(argv[i + 1]) == 0) {
			i++;
			continue;
		}
		printf("iod: usage: iod [--match VVVV:DDDD=PROGRAM]...\n");
		return 2;
	}
	g.self = execrt_handle(START_H_SELF_TASK);
	g.pci = execrt_handle(START_H_PCI);
	g.mmio = execrt_handle(START_H_MMIO);
	g.irq = execrt_handle(START_H_IRQ);
	g.ioport = execrt_handle(START_H_IOPORT);
	g.dma = execrt_handle(START_H_DMA);
	g.sched = execrt_handle(START_H_SCHED);
	g.names = execrt_handle(START_H_NAMES);
	g.console = execrt_handle(START_H_CONSOLE);
	g.initrd = map_vmo(execrt_handle(START_H_INITRD), &g.initrd_len);
	handle_t send;
	long r = sys_port_create(0, &g.port, &send);
	if (r == 0)
		r = sys_notif_create(&g.notif);
	if (r == 0)
		r = sys_port_bind_notif(g.port, g.notif, 1ull << BIT_PORT);
	if (r < 0) {
		printf("iod: port: %s\n", err_name(r));
		return 1;
	}
	struct iod_boot b;
	setup(&b);
	cl_err_t e = cl_register(IOD_SVC_NAME, send);
	if (e < 0)
		printf("iod: register %s: %s\n", IOD_SVC_NAME, cl_strerror(e));
	handle_t ctl;
	r = sys_port_mint(g.port, CTL_BADGE, &ctl);
	e = r < 0 ? CL_ERR_CONN : cl_register(IOD_CTL_SVC_NAME, ctl);
	if (e < 0)
		printf("iod: register %s: %s\n", IOD_CTL_SVC_NAME,
		       cl_strerror(e));
	for (;;) {
		uint64_t now = (uint64_t)sys_clock_now();
		uint64_t next = iod_tick(&S, now), bits = 0;
		sys_notif_wait(g.notif, ~0ull,
			       next == IOD_NEVER ? DEADLINE_NONE : next, &bits);
		reap(bits);
		serve();
	}
}
