/* The platform half of an audio driver (audio_main.h). One thread: it
 * waits on one notification for its port (bit AUDIO_BIT_PORT) and the
 * device's interrupt (AUDIO_BIT_DEV), so a period interrupt is handled
 * between two requests, never inside one. It runs in the RT class when
 * iod gave it a scheduling authority (the driver table's rt_prio):
 * ../shared/SYSTEM.md makes /svc/audio real-time. */
#include "audio_main.h"

#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sched.h>

#include "audio_core.h"
#include "cl_ports.h"

#define PAGE	    4096ull
#define RT_PRIO	    14 /* the driver table's rt_prio for ac97/hda */
#define HANDLES_OUT 4u

static handle_t g_notif, g_port, g_dma;
static struct audio_core core;

/* The ring's objects (one stream at a time). */
static struct {
	handle_t vmo, grant;
	uint64_t map, len;
} g_ring;

handle_t audio_notif(void)
{
	if (!g_notif && sys_notif_create(&g_notif) < 0)
		g_notif = 0;
	return g_notif;
}

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

int audio_dma_init(handle_t dma_auth)
{
	g_dma = dma_auth;
	return dma_auth ? 0 : ERR_NOT_FOUND;
}

/* size bytes of DMA memory mapped at *map; its object in *vmo. */
static long dma_map(uint64_t size, handle_t *vmo, uint64_t *map, uint64_t *phys)
{
	size = (size + PAGE - 1) & ~(PAGE - 1);
	long r = sys_vmo_create_dma(g_dma, size, vmo);
	if (r < 0)
		return r;
	struct vm_map_req q = {.len = size,
			       .prot = VM_PROT_READ | VM_PROT_WRITE};
	if ((r = sys_vmo_phys(*vmo, phys)) == 0 &&
	    (r = sys_vm_map(self(), *vmo, &q, map)) == 0)
		return 0;
	sys_handle_close(*vmo);
	return r;
}

int audio_dma_alloc(uint64_t size, void **va, uint64_t *phys)
{
	handle_t v;
	uint64_t map;
	long r = dma_map(size, &v, &map, phys);
	if (r == 0)
		*va = (void *)map; /* kept for the driver's life */
	return (int)r;
}

/* ---- the interrupt ---- */

#define PCI_COMMAND	 0x04
#define PCI_CMD_INTX_OFF 0x400u

static int msi_setup(handle_t pci, const struct iod_dev_info *in, handle_t *irq)
{
	struct irq_msi m;
	long r = sys_irq_create_msi(pci, in->bdf, audio_notif(),
				    1ull << AUDIO_BIT_DEV, &m);
	if (r < 0)
		return (int)r;
	uint32_t c = in->msi_cap, ctl = 0;
	bool is64 = in->irq_flags & IOD_IRQ_MSI64;
	r = sys_pci_cfg_read(pci, in->bdf, c + 2, 2, &ctl);
	if (r == 0)
		r = sys_pci_cfg_write(pci, in->bdf, c + 4, 4, (uint32_t)m.addr);
	if (r == 0 && is64)
		r = sys_pci_cfg_write(pci, in->bdf, c + 8, 4,
				      (uint32_t)(m.addr >> 32));
	if (r == 0)
		r = sys_pci_cfg_write(pci, in->bdf, c + (is64 ? 12 : 8), 2,
				      m.data);
	/* one vector (multiple message enable 0), then on */
	if (r == 0)
		r = sys_pci_cfg_write(pci, in->bdf, c + 2, 2,
				      (ctl & ~0x70u) | 1u);
	if (r < 0) {
		sys_handle_close(m.irq);
		return (int)r;
	}
	uint32_t cmd = 0;
	if (sys_pci_cfg_read(pci, in->bdf, PCI_COMMAND, 2, &cmd) == 0)
		sys_pci_cfg_write(pci, in->bdf, PCI_COMMAND, 2,
				  cmd | PCI_CMD_INTX_OFF);
	*irq = m.irq;
	return 0;
}

int audio_irq_setup(handle_t pci, handle_t irq_auth,
		    const struct iod_dev_info *info, handle_t *irq,
		    const char **kind)
{
	if (!audio_notif())
		return ERR_NO_RESOURCES;
	if ((info->irq_flags & IOD_IRQ_MSI) && info->msi_cap &&
	    msi_setup(pci, info, irq) == 0) {
		*kind = "msi";
		return 0;
	}
	if (!irq_auth || info->legacy_gsi == IOD_GSI_NONE)
		return ERR_NOT_FOUND;
	*kind = "intx";
	long r = sys_irq_create(irq_auth, info->legacy_gsi, audio_notif(),
				1ull << AUDIO_BIT_DEV, irq);
	/* iod hands the function over with INTx disabled */
	uint32_t cmd = 0;
	if (r == 0 &&
	    (r = sys_pci_cfg_read(pci, info->bdf, PCI_COMMAND, 2, &cmd)) == 0)
		r = sys_pci_cfg_write(pci, info->bdf, PCI_COMMAND, 2,
				      cmd & ~PCI_CMD_INTX_OFF);
	return (int)r;
}

/* ---- the platform operations of the core ---- */

static void p_answer(void *ctx, uint32_t reply, const void *data, uint32_t len,
		     const uint32_t *h, uint32_t nh)
{
	(void)ctx;
	handle_t hs[HANDLES_OUT];
	for (uint32_t i = 0; i < nh && i < HANDLES_OUT; i++)
		hs[i] = h[i];
	struct port_msg m = {
		.data = data, .len = len, .nhandles = nh, .handles = hs};
	long r = sys_port_reply(reply, &m);
	if (r < 0) {
		for (uint32_t i = 0; i < nh; i++)
			sys_handle_close(hs[i]);
		if (r != ERR_PEER_CLOSED)
			sys_handle_close(reply);
	}
}

static int p_mint(void *ctx, uint64_t badge, uint32_t *out)
{
	(void)ctx;
	handle_t h;
	long r = sys_port_mint_ex(g_port, badge, PORT_MINT_NOTIFY_CLOSED, &h);
	if (r == 0)
		*out = h;
	return (int)r;
}

static void p_close(void *ctx, uint32_t h)
{
	(void)ctx;
	sys_handle_close(h);
}

static void ring_drop(void)
{
	if (g_ring.grant) {
		sys_grant_revoke(g_ring.grant);
		sys_handle_close(g_ring.grant);
	}
	if (g_ring.map)
		sys_vm_unmap(self(), g_ring.map, g_ring.len);
	if (g_ring.vmo)
		sys_handle_close(g_ring.vmo);
	memset(&g_ring, 0, sizeof(g_ring));
}

static int p_ring_alloc(void *ctx, uint32_t bytes, struct audio_hw_ring *ring,
			uint32_t *grant)
{
	(void)ctx;
	uint64_t len = (bytes + PAGE - 1) & ~(PAGE - 1), phys;
	long r = dma_map(len, &g_ring.vmo, &g_ring.map, &phys);
	if (r < 0) {
		memset(&g_ring, 0, sizeof(g_ring));
		return (int)r;
	}
	g_ring.len = len;
	handle_t client;
	r = sys_grant_create(self(), g_ring.map, len,
			     VM_PROT_READ | VM_PROT_WRITE, &g_ring.grant);
	if (r == 0)
		r = sys_handle_dup(g_ring.grant,
				   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
					   RIGHT_TRANSFER,
				   &client);
	if (r < 0) {
		ring_drop();
		return (int)r;
	}
	memset((void *)g_ring.map, 0, len);
	ring->va = (uint8_t *)g_ring.map;
	ring->phys = phys;
	ring->bytes = bytes;
	*grant = client;
	return 0;
}

static void p_ring_free(void *ctx, struct audio_hw_ring *ring)
{
	(void)ctx;
	(void)ring;
	ring_drop();
}

static int p_notify(void *ctx, uint32_t h, const void *msg, uint32_t len)
{
	(void)ctx;
	struct port_msg m = {.data = msg, .len = len};
	return (int)sys_port_send(h, &m, DEADLINE_POLL);
}

static uint64_t p_now(void *ctx)
{
	(void)ctx;
	return (uint64_t)sys_clock_now();
}

static const struct audio_plat_ops plat_ops = {
	.answer = p_answer,
	.mint = p_mint,
	.close = p_close,
	.ring_alloc = p_ring_alloc,
	.ring_free = p_ring_free,
	.notify = p_notify,
	.now = p_now,
};

static void set_rt(struct audio_core *c)
{
	handle_t auth = execrt_handle(START_H_SCHED);
	struct sched_params sp = {.cls = SCHED_CLASS_RT,
				  .priority = RT_PRIO,
				  .cpu = SCHED_CPU_KEEP};
	if (auth &&
	    sys_sched_set(auth, execrt_handle(START_H_SELF_THREAD), &sp) == 0)
		snprintf(c->sched, sizeof(c->sched), "rt");
}

/* The first audio device registers /svc/audio; another one's driver
 * finds the name taken, says so and serves nothing (it waits to be
 * killed or restarted by iod, holding its device quiet). */
static int serve_nothing(const char *name, const char *why)
{
	printf("%s: %s not registered (%s): another audio device serves it; "
	       "idle\n",
	       name, AUDIO_SVC_NAME, why);
	long r;
	do
		r = sys_sleep_until(DEADLINE_NONE);
	while (r >= 0);
	return (int)r;
}

/* Whether a live driver already serves /svc/audio (a dead one's name,
 * after a restart, does not answer: this instance takes the name over). */
static bool audio_taken(void)
{
	struct cl_conn c;
	if (cl_connect(AUDIO_SVC_NAME, DEADLINE_POLL, &c) != CL_OK)
		return false;
	struct cl_resp r;
	cl_err_t e = cl_request(&c, "{\"cmd\":\"ping\"}", &r);
	if (e == CL_OK)
		cl_resp_close(&r);
	cl_close(&c);
	return e == CL_OK;
}

int audio_run(const struct audio_hw *hw, handle_t irq, const char *devname)
{
	static _Alignas(8) uint8_t buf[PORT_MSG_MAX];
	audio_core_init(&core, &plat_ops, NULL, hw, devname);
	handle_t send, hs[PORT_HANDLES_MAX];
	long r = audio_notif() ? 0 : ERR_NO_RESOURCES;
	if (r == 0)
		r = sys_port_create(0, &g_port, &send);
	if (r == 0)
		r = sys_port_bind_notif(g_port, g_notif,
					1ull << AUDIO_BIT_PORT);
	if (r < 0) {
		printf("%s: start: %s\n", core.info.name, err_name(r));
		return (int)r;
	}
	set_rt(&core);
	if (audio_taken())
		return serve_nothing(core.info.name, "taken");
	cl_err_t e = cl_register(AUDIO_SVC_NAME, send);
	if (e < 0)
		return serve_nothing(core.info.name, cl_strerror(e));
	printf("%s: serving %s on %s (%s, irq %s)\n", core.info.name,
	       AUDIO_SVC_NAME, core.device, core.sched, irq ? "on" : "none");
	uint64_t mask = 1ull << AUDIO_BIT_PORT | 1ull << AUDIO_BIT_DEV;
	for (;;) {
		uint64_t bits = 0;
		r = sys_notif_wait(g_notif, mask, DEADLINE_NONE, &bits);
		if (r < 0) {
			printf("%s: wait: %s\n", core.info.name, err_name(r));
			return (int)r;
		}
		if (bits & (1ull << AUDIO_BIT_DEV)) {
			audio_core_irq(&core);
			if (irq)
				sys_irq_ack(irq);
		}
		for (;;) {
			struct port_rx rx = {.buf = buf,
					     .cap = sizeof(buf),
					     .handles = hs,
					     .hcap = PORT_HANDLES_MAX};
			r = sys_port_recv(g_port, &rx, DEADLINE_POLL);
			if (r == ERR_SHOULD_WAIT)
				break;
			if (r < 0) {
				printf("%s: receive: %s\n", core.info.name,
				       err_name(r));
				return (int)r;
			}
			if (rx.flags & PORT_RX_CLOSED) {
				audio_core_notice(&core, rx.badge);
				continue;
			}
			uint32_t h[PORT_HANDLES_MAX];
			for (uint32_t i = 0; i < rx.nhandles; i++)
				h[i] = hs[i];
			if (rx.reply)
				audio_core_request(&core, rx.badge, rx.sender,
						   buf, rx.len, h, rx.nhandles,
						   rx.reply);
			for (uint32_t i = 0; i < rx.nhandles; i++)
				if (h[i])
					sys_handle_close(h[i]);
		}
	}
}
