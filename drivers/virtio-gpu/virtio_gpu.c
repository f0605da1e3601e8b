/* virtio-gpu: /svc/display on a virtio GPU in 2D mode (docs/display.md).
 * iod starts it as `virtio-gpu pci-BB:DD.F`; libvirtio (libs/virtio) gets
 * the device through iod's device requests.
 *
 * Scanout 0 only. Modes from GET_EDID (VIRTIO_GPU_F_EDID) or the size
 * GET_DISPLAY_INFO reports. Each client buffer is a host resource
 * (RESOURCE_CREATE_2D, B8G8R8X8) backed by the buffer's DMA chunks
 * (RESOURCE_ATTACH_BACKING, one entry per chunk); a present sends
 * TRANSFER_TO_HOST_2D and RESOURCE_FLUSH per damage rectangle (plus
 * SET_SCANOUT when another buffer is shown) in one batch on the control
 * queue and waits for the device to complete all of it (the used ring,
 * signalled by the queue's MSI-X vector): then the frame is on the host's
 * display. Commands and answers live in one DMA area of fixed slots. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>
#include <virtio/virtio_execrt.h>
#include <virtio/virtq.h>

#include "disp_iod.h"
#include "disp_main.h"
#include "edid.h"
#include "vgpu_cmd.h"

#define SLOTS	  64u	/* commands in one batch */
#define SLOT_SIZE 2048u /* request at 0, answer at VGPU_REQ_MAX */
#define RESP_MAX  (SLOT_SIZE - VGPU_REQ_MAX)
#define WAIT_NS	  2000000000ull /* a batch the device never finishes */

struct vgpu {
	struct virtio_execrt plat;
	struct virtio_dev dev;
	struct virtq *cq;
	struct virtio_dma cmd; /* SLOTS * SLOT_SIZE */
	uint32_t nslot;	       /* slots used by the batch being built */
	uint32_t resp_len[SLOTS];
	struct disp_mem mem;
	struct disp_buffers geom;
	uint32_t res[DISP_BUFFERS_MAX]; /* host resource per buffer, 0: none */
	uint32_t next_res;
	uint32_t shown; /* resource on scanout 0, 0: none */
	uint32_t keep;	/* shown resource whose buffer is gone */
	uint32_t scan_w, scan_h;
	uint64_t batches;
};

static struct vgpu g;
static struct disp_core core;

static uint8_t *slot(uint32_t i)
{
	return (uint8_t *)g.cmd.va + (uint64_t)i * SLOT_SIZE;
}

/* Waits for every chain of the batch; 0 or ERR_TIMED_OUT / the device's
 * error. */
static int run(void)
{
	uint32_t n = g.nslot, done = 0;
	if (!n)
		return 0;
	g.nslot = 0;
	g.batches++;
	core.st.dev_cmds += n;
	uint64_t t0 = (uint64_t)sys_clock_now();
	virtq_kick(g.cq);
	uint64_t deadline = t0 + WAIT_NS;
	for (;;) {
		uint32_t len;
		void *tok;
		while ((tok = virtq_get(g.cq, &len)) != NULL) {
			g.resp_len[(uintptr_t)tok - 1] = len;
			done++;
		}
		if (done == n || g.cq->broken)
			break;
		uint64_t bits = 0;
		long r = sys_notif_wait(g.plat.notif, virtio_irq_mask(&g.dev),
					deadline, &bits);
		if (r == ERR_TIMED_OUT) {
			printf("virtio-gpu: %u of %u commands not done\n",
			       n - done, n);
			return ERR_TIMED_OUT;
		}
		virtio_intr(&g.dev, bits);
	}
	core.st.dev_ns_last = (uint64_t)sys_clock_now() - t0;
	core.st.dev_ns_total += core.st.dev_ns_last;
	if (core.st.dev_ns_last > core.st.dev_ns_max)
		core.st.dev_ns_max = core.st.dev_ns_last;
	if (done != n)
		return ERR_BAD_STATE;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t =
			vgpu_resp_type(slot(i) + VGPU_REQ_MAX, g.resp_len[i]);
		if (t < VGPU_RESP_OK_NODATA || t >= VGPU_RESP_ERR_UNSPEC) {
			printf("virtio-gpu: command 0x%x: answer 0x%x\n",
			       ((struct vgpu_hdr *)(void *)slot(i))->type, t);
			return ERR_INVALID_ARGS;
		}
	}
	return 0;
}

/* Queues the request built in slot g.nslot (len bytes), with room for an
 * answer of resp bytes. A full batch runs first. */
static int add(uint32_t len, uint32_t resp)
{
	uint32_t i = g.nslot;
	struct virtq_buf b[2] = {
		{g.cmd.phys + (uint64_t)i * SLOT_SIZE, len, false},
		{g.cmd.phys + (uint64_t)i * SLOT_SIZE + VGPU_REQ_MAX, resp,
		 true}};
	int r = virtq_add(g.cq, b, 2, (void *)(uintptr_t)(i + 1));
	if (r < 0)
		return r;
	g.nslot++;
	return 0;
}

/* The slot the next request is built in (running a full batch first). */
static int next(void **buf)
{
	int r = 0;
	if (g.nslot == SLOTS || virtq_free(g.cq) < 2)
		r = run();
	*buf = slot(g.nslot);
	return r;
}

#define CMD(build, resp)                                                       \
	do {                                                                   \
		void *b_;                                                      \
		int r_ = next(&b_);                                            \
		if (r_ == 0)                                                   \
			r_ = add(build, resp);                                 \
		if (r_ < 0)                                                    \
			return r_;                                             \
	} while (0)

#define B b_

/* ---- device operations ---- */

static int g_set_mode(void *ctx, uint32_t o, const struct disp_mode *m)
{
	(void)ctx;
	(void)o;
	(void)m;
	/* Takes effect with the next buffers: SET_SCANOUT at their size. */
	return 0;
}

static int unref(uint32_t id)
{
	CMD(vgpu_cmd_unref(B, id), sizeof(struct vgpu_hdr));
	return 0;
}

static int g_buffers_new(void *ctx, uint32_t o, const struct disp_buffers *b,
			 uint32_t *grants)
{
	(void)ctx;
	(void)o;
	int r = disp_mem_alloc(g.plat.dma, b, &g.mem, grants);
	if (r < 0)
		return r;
	g.geom = *b;
	for (uint32_t i = 0; i < b->count; i++) {
		uint32_t id = ++g.next_res, k = i * b->nchunks;
		g.res[i] = id;
		void *b_;
		if ((r = next(&b_)) < 0 ||
		    (r = add(vgpu_cmd_create_2d(b_, id, b->width, b->height),
			     sizeof(struct vgpu_hdr))) < 0 ||
		    (r = next(&b_)) < 0 ||
		    (r = add(vgpu_cmd_attach(b_, id, &g.mem.phys[k],
					     &g.mem.chunk_len[k], b->nchunks),
			     sizeof(struct vgpu_hdr))) < 0)
			break;
	}
	if (r == 0)
		r = run();
	if (r < 0) {
		g.nslot = 0; /* nothing half-built stays queued */
		for (uint32_t i = 0; i < DISP_HANDLES_OUT; i++)
			if (grants[i])
				sys_handle_close(grants[i]);
		disp_mem_free(&g.mem);
		memset(g.res, 0, sizeof(g.res));
	}
	return r;
}

static void g_buffers_free(void *ctx, uint32_t o)
{
	(void)ctx;
	(void)o;
	/* The host stops reading the memory before it goes; the resource
	 * on the screen stays there (its content is the host's) until the
	 * next buffers are shown. */
	for (uint32_t i = 0; i < DISP_BUFFERS_MAX; i++) {
		if (!g.res[i])
			continue;
		void *b_;
		if (next(&b_) == 0)
			add(vgpu_cmd_detach(b_, g.res[i]),
			    sizeof(struct vgpu_hdr));
		if (g.res[i] == g.shown)
			g.keep = g.shown;
		else
			unref(g.res[i]);
		g.res[i] = 0;
	}
	if (run() < 0)
		printf("virtio-gpu: releasing buffers failed\n");
	disp_mem_free(&g.mem);
}

static int present_cmds(uint32_t id, const struct disp_rect *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		CMD(vgpu_cmd_transfer(B, id, g.geom.stride, &r[i]),
		    sizeof(struct vgpu_hdr));
	if (g.shown != id || g.scan_w != g.geom.width ||
	    g.scan_h != g.geom.height)
		CMD(vgpu_cmd_set_scanout(B, 0, id, g.geom.width, g.geom.height),
		    sizeof(struct vgpu_hdr));
	for (uint32_t i = 0; i < n; i++)
		CMD(vgpu_cmd_flush(B, id, &r[i]), sizeof(struct vgpu_hdr));
	return 0;
}

static int g_present(void *ctx, uint32_t o, uint32_t buf,
		     const struct disp_rect *r, uint32_t n)
{
	(void)ctx;
	(void)o;
	uint32_t id = g.res[buf];
	int e = present_cmds(id, r, n);
	if (e == 0)
		e = run();
	g.nslot = 0;
	if (e < 0)
		return e;
	g.shown = id;
	g.scan_w = g.geom.width;
	g.scan_h = g.geom.height;
	if (g.keep && g.keep != id) { /* off the screen now */
		if (unref(g.keep) == 0)
			run();
		g.keep = 0;
	}
	return 0;
}

static const struct disp_ops vgpu_ops = {
	.set_mode = g_set_mode,
	.buffers_new = g_buffers_new,
	.buffers_free = g_buffers_free,
	.present = g_present,
};

/* ---- start ---- */

static int query(uint32_t len, void **ans, uint32_t *ans_len)
{
	void *b_;
	int r = next(&b_);
	if (r == 0) {
		memmove(b_, slot(SLOTS - 1), len); /* built in the spare */
		r = add(len, RESP_MAX);
	}
	if (r == 0)
		r = run();
	*ans = slot(0) + VGPU_REQ_MAX;
	*ans_len = g.resp_len[0];
	return r;
}

static int device_start(const char *name)
{
	int r = virtio_execrt_open(&g.plat, execrt_handle(START_H_SERVICE));
	if (r == 0)
		r = virtio_init(&g.dev, &virtio_execrt_ops, &g.plat);
	if (r == 0)
		r = virtio_negotiate(&g.dev, 1ull << VIRTIO_GPU_F_EDID);
	if (r == 0)
		r = virtio_irq_setup(&g.dev, 0, 1);
	if (r == 0)
		r = virtq_setup(&g.dev, 0, 128, &g.cq);
	if (r == 0)
		r = virtio_dma_alloc(&g.dev, SLOTS * SLOT_SIZE, &g.cmd);
	if (r == 0)
		r = virtio_ready(&g.dev);
	if (r < 0)
		printf("virtio-gpu: %s: device: %s\n", name, err_name(r));
	return r;
}

/* Modes: EDID's, else the display info's size at 60 Hz; only those whose
 * two buffers fit the DMA budget. */
static uint32_t modes_of(struct disp_mode *m, uint32_t w, uint32_t h,
			 uint64_t budget, struct edid_info *e, uint32_t *cur)
{
	uint32_t n = 0, from = 0;
	void *ans;
	uint32_t len;
	if (virtio_has(&g.dev, 1ull << VIRTIO_GPU_F_EDID)) {
		vgpu_cmd_get_edid(slot(SLOTS - 1), 0);
		uint32_t size;
		const uint8_t *bytes;
		if (query(sizeof(struct vgpu_get_edid), &ans, &len) == 0 &&
		    (bytes = vgpu_edid_bytes(ans, len, &size)) != NULL &&
		    edid_parse(bytes, size, e) == 0)
			from = e->nmodes;
	}
	struct disp_mode all[DISP_MODES_MAX + 1];
	memcpy(all, e->modes, from * sizeof(all[0]));
	all[from++] = (struct disp_mode){w, h, 60000, 0};
	*cur = 0;
	for (uint32_t i = 0; i < from && n < DISP_MODES_MAX; i++) {
		uint64_t bytes =
			((uint64_t)all[i].width * 4 * all[i].height + 4095) &
			~4095ull;
		bool dup = false;
		for (uint32_t k = 0; k < n; k++)
			dup |= m[k].width == all[i].width &&
			       m[k].height == all[i].height;
		if (dup || 2 * bytes + (1u << 20) > budget)
			continue;
		m[n++] = all[i];
	}
	/* The current mode: the size the host shows now. */
	for (uint32_t k = n; k-- > 0;)
		if (m[k].width == w && m[k].height == h)
			*cur = k;
	return n;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "virtio-gpu";
	struct iod_dev_info info;
	int r = disp_iod_info(&info);
	if (r < 0) {
		printf("virtio-gpu: %s: iod: %s\n", name, err_name(r));
		return 1;
	}
	if (device_start(name) < 0)
		return 1;
	void *ans;
	uint32_t len, w = 1024, h = 768;
	vgpu_cmd_simple(slot(SLOTS - 1), VGPU_CMD_GET_DISPLAY_INFO);
	if (query(sizeof(struct vgpu_hdr), &ans, &len) < 0 ||
	    vgpu_display_size(ans, len, 0, &w, &h) < 0)
		printf("virtio-gpu: no display info: %ux%u assumed\n", w, h);
	static struct edid_info e;
	struct disp_mode modes[DISP_MODES_MAX];
	uint32_t cur;
	uint32_t n = modes_of(modes, w, h, info.dma_budget, &e, &cur);
	if (!n) {
		printf("virtio-gpu: %s: no mode fits %llu bytes of DMA\n", name,
		       (unsigned long long)info.dma_budget);
		return 1;
	}
	disp_core_init(&core, NULL, NULL, "virtio-gpu", name);
	core.per_buffer_copies = true;
	core.chunk_max = 4u << 20; /* one DMA object at most */
	core.buf_max = info.dma_budget - (1u << 20);
	char oname[24];
	snprintf(oname, sizeof(oname), "virtio-0%s%s", e.name[0] ? ":" : "",
		 e.name);
	disp_core_add_output(&core, oname, modes, n, cur, e.width_mm,
			     e.height_mm, e.nmodes ? DISP_OUT_EDID : 0);
	r = disp_run(&core, &vgpu_ops, &g);
	virtio_close(&g.dev);
	virtio_execrt_close(&g.plat);
	return r < 0;
}
