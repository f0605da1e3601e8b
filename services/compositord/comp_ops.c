/* compositord's platform ops for comp_srv (comp_srv.h): bound grants
 * and files, subscriptions, modes, the pixel read back, the status. Run
 * by the frame thread while it handles a request (compositord.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/comp_proto.h>
#include <execrt/errors.h>

#include "compd.h"

void op_unbind(void *ctx, uint32_t id)
{
	(void)ctx;
	struct bound *b = &g.bound[comp_layer_slot(id)];
	if (b->map)
		gg_release(&guard, (uint32_t)gg_slot_of(&guard, b->map));
	free(b->heap);
	memset(b, 0, sizeof(*b));
}

/* A good new content replaces the layer's old one (validate, then
 * swap: a failed rebind leaves the old content bound). */
static void swap_bound(uint32_t id, uint64_t map, uint64_t last, uint8_t *heap)
{
	op_unbind(NULL, id);
	g.bound[comp_layer_slot(id)] = (struct bound){map, last, heap};
}

static int op_bind_dmabuf(void *ctx, uint32_t id, uint32_t index, uint64_t need,
			  const uint8_t **px)
{
	(void)ctx;
	handle_t h = cur_handles[index];
	/* Mapped in one half of this layer's own 64 GiB slot, the half the
	 * current content does not use (so the old stays until the new is
	 * good), where nothing else lives: probing the last needed page
	 * then tells whether the grant is that long without touching any
	 * other mapping. */
	uint32_t ls = comp_layer_slot(id);
	uint64_t slot = GRANT_BASE + (uint64_t)ls * GRANT_SLOT;
	uint64_t hint = g.bound[ls].map == slot ? slot + GRANT_SLOT / 2 : slot;
	uint64_t at = 0;
	uint64_t len = (need + 4095) & ~4095ull;
	if (len > GRANT_SLOT / 2)
		return COMP_OPS_ARG;
	if (sys_grant_map(self(), h, VM_PROT_READ, hint, &at) < 0)
		return COMP_OPS_ARG;
	if (at != hint) {
		sys_grant_unmap(self(), at);
		return COMP_OPS_ARG;
	}
	int v = comp_probe_verdict(
		sys_vm_protect(self(), at + len - 4096, 4096, VM_PROT_READ));
	if (v < 0) {
		sys_grant_unmap(self(), at);
		return v;
	}
	swap_bound(id, at, at + len - 4096, NULL);
	gg_use(&guard, (uint32_t)gg_slot_of(&guard, at), len, VM_PROT_READ);
	*px = (const uint8_t *)at;
	return 0;
}

static int op_bind_image(void *ctx, uint32_t id, const char *path,
			 uint64_t need, const uint8_t **px)
{
	(void)ctx;
	FILE *f = fopen(path, "rb");
	if (!f)
		return COMP_OPS_NOENT;
	long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (size >= 0 && (uint64_t)size < need) {
		fclose(f); /* before asking for the memory */
		return COMP_OPS_SMALL;
	}
	rewind(f);
	uint8_t *p = malloc(need);
	if (!p) {
		fclose(f);
		return COMP_OPS_NOMEM;
	}
	size_t got = fread(p, 1, need, f);
	fclose(f);
	if (got < need) {
		free(p);
		return COMP_OPS_SMALL;
	}
	swap_bound(id, 0, 0, p);
	*px = p;
	return 0;
}

static int op_subscribe(void *ctx, uint64_t owner, uint32_t index,
			uint32_t mask)
{
	(void)ctx;
	uint32_t mine = 0;
	for (uint32_t i = 0; i < SUBS_MAX; i++)
		mine += g.sender && g.subs[i].port &&
			g.subs[i].task == g.sender;
	if (mine >= TASK_SUBS)
		return COMP_OPS_BUSY;
	for (uint32_t i = 0; i < SUBS_MAX; i++) {
		if (g.subs[i].port)
			continue;
		g.subs[i] =
			(struct sub){cur_handles[index], mask, owner, g.sender};
		cur_handles[index] = HANDLE_INVALID; /* kept */
		g.nsubs++;
		return 0;
	}
	return COMP_OPS_BUSY;
}

static int op_outputs(void *ctx, char *out, size_t cap)
{
	(void)ctx;
	return outputs_json(out, cap);
}

static int op_set_mode(void *ctx, uint32_t id, uint32_t w, uint32_t h,
		       uint32_t hz)
{
	(void)ctx;
	if (!g.have_disp)
		return id == 0 && w == HEADLESS_W && h == HEADLESS_H &&
				       hz == HEADLESS_HZ
			       ? 0
			       : COMP_OPS_ARG;
	if (id != g.out.id)
		return COMP_OPS_ARG;
	struct disp_mode m[DISP_MODES_MAX];
	int nm = disp_modes(&g.disp, id, m, DISP_MODES_MAX);
	for (int i = 0; i < nm; i++) {
		uint32_t mhz = (m[i].refresh_mhz + 500) / 1000;
		if (m[i].width != w || m[i].height != h || mhz != hz)
			continue;
		bool was = g.owned;
		if (disp_set_mode(&g.disp, (uint32_t)i) < 0)
			return COMP_OPS_BUSY; /* another client owns it */
		g.owned = false;
		g.out.cur_mode = (uint32_t)i;
		read_mode();
		g.sync_ns = 0; /* a new period from the current tick */
		comp_scene_resize(&g.scene, w, h);
		if (was)
			take_screen();
		return 0;
	}
	return COMP_OPS_ARG;
}

/* The last composed image: the headless one, or the buffer presented
 * last. */
static int op_pixel(void *ctx, uint32_t x, uint32_t y, uint32_t *rgb)
{
	(void)ctx;
	if (x >= out_w() || y >= out_h() || g.scene.st.frames == 0)
		return -1;
	if (!g.have_disp) {
		*rgb = g.headless[(size_t)y * HEADLESS_W + x] & 0xffffff;
		return 0;
	}
	if (!g.owned || !g.presents)
		return -1;
	const uint8_t *b = g.disp.buf[g.back ^ 1];
	uint32_t v;
	memcpy(&v, b + (size_t)y * g.disp.geom.stride + (size_t)x * 4, 4);
	*rgb = v & 0xffffff;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int op_status(void *ctx, char *out, size_t cap)
{
	(void)ctx;
	uint64_t t[TIMES], med = 0;
	memcpy(t, g.times, sizeof(t));
	if (g.ntimes) {
		qsort(t, g.ntimes, sizeof(t[0]), cmp_u64);
		med = t[g.ntimes / 2];
	}
	unsigned long long hz = (1000000000000ull / g.period_ns + 500) / 1000;
	return snprintf(
		out, cap,
		"\"output\":\"%s\",\"w\":%u,\"h\":%u,\"hz\":%llu,"
		"\"period_ns\":%llu,\"headless\":%s,\"screen\":%s,"
		"\"sessions\":%u,\"subscribers\":%u,\"events_sent\":%llu,"
		"\"events_dropped\":%llu,\"takes\":%llu,\"releases\":%llu,"
		"\"presents\":%llu,\"present_errors\":%llu,"
		"\"display_frame\":%llu,\"regs_msgs\":%llu,\"revoked\":%llu,"
		"\"revoke_faults\":%llu,"
		"\"compose_ns_last\":%llu,\"compose_ns_median\":%llu",
		g.have_disp ? g.out.name : "headless", out_w(), out_h(), hz,
		(unsigned long long)g.period_ns, g.have_disp ? "false" : "true",
		g.owned ? "true" : "false", g.nsessions, g.nsubs,
		(unsigned long long)g.events_sent,
		(unsigned long long)g.events_dropped,
		(unsigned long long)g.takes, (unsigned long long)g.releases,
		(unsigned long long)g.presents,
		(unsigned long long)g.present_errors,
		(unsigned long long)g.dframe, (unsigned long long)g.regs_msgs,
		(unsigned long long)g.revoked, (unsigned long long)guard.faults,
		(unsigned long long)g.last_ns, (unsigned long long)med);
}

/* Asked (START_H_SYSINFO, READ; manifest `sysinfo`) only when the
 * layer table is full: the first live task from koid on. Without the
 * handle nothing is known to have ended (every layer is kept). */
static bool op_task_gone(void *ctx, uint64_t koid)
{
	(void)ctx;
	return execrt_task_ended(koid);
}

const struct comp_srv_ops compd_ops = {
	.bind_dmabuf = op_bind_dmabuf,
	.bind_image = op_bind_image,
	.unbind = op_unbind,
	.subscribe = op_subscribe,
	.outputs = op_outputs,
	.set_mode = op_set_mode,
	.pixel = op_pixel,
	.status = op_status,
	.task_gone = op_task_gone,
};
