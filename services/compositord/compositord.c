/* compositord: the compositor (/svc/compositord, docs/graphics.md
 * "compositord"). The protocol is comp_srv.c, the scene comp_scene.c,
 * the pixels comp_render.c; this file is the platform: the port, the
 * sessions, the subscribers, the grants and files, /svc/display.
 *
 * One thread, the frame loop (RT class from etc/services.conf): it
 * receives requests until the next frame is due, then runs the frame:
 * the display's frame tick (its clock as DISP_WAIT_FRAME gives it: the
 * vsync) or, with no display, its own 60 Hz timer; latch; compose the damage
 * into the back buffer; present it; send vsync/pageflip events. Requests are
 * therefore never seen half-applied by a frame, and no lock is needed. A
 * second thread (libs/grantguard's watcher) only runs while the frame
 * thread is suspended in a fault on a grant its client revoked.
 *
 * Screen ownership: the display is taken (DISP_BUF_TAKE, from fbcon)
 * only when the scene has a visible bound layer, and released when no
 * layer is left, so the text console comes back after a demo. Without
 * /svc/display (PVH test boots) it runs headless: one 1024x768 output in
 * its own memory; it looks for a display again every second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/comp_proto.h>
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "comp_render.h"
#include "comp_srv.h"
#include "disp_client.h"
#include "grantguard/grantguard.h"

#define HEADLESS_W	1024u
#define HEADLESS_H	768u
#define HEADLESS_HZ	60u
#define SESSIONS_MAX	32u
#define SUBS_MAX	16u
#define TASK_SESSIONS	8u /* per client task (port_rx.sender) */
#define TASK_SUBS	4u
#define SESSION_BADGE0	0x1000u
#define PROBE_NS	1000000000ull	  /* look for a display again */
#define TAKE_BACKOFF_NS 1000000000ull	  /* after losing the screen */
#define GRANT_BASE	0x300000000000ull /* where bound grants are mapped */
#define GRANT_SLOT	0x1000000000ull	  /* 64 GiB per layer */
#define HALF		(GRANT_SLOT / 2)  /* a guard slot: half a layer's */
#define TIMES		64u
#define SYNC_NS		1000000000ull /* ask the driver for its clock */

struct sub {
	handle_t port;
	uint32_t mask;
	uint64_t owner;
	uint64_t task; /* koid of the task that subscribed (0: unknown) */
};

struct bound {
	uint64_t map;  /* a grant mapping, or 0 */
	uint64_t last; /* its last needed page (the revoke probe) */
	uint8_t *heap; /* a file read into memory, or NULL */
};

static struct {
	handle_t recv;
	struct comp_scene scene;
	struct comp_srv srv;
	struct comp_render rc;
	uint32_t *rowbuf;
	/* output */
	bool have_disp, owned;
	struct disp_client disp;
	struct disp_output out;
	struct disp_mode mode;
	uint32_t back;
	struct damage prev; /* the other buffer missed this damage */
	uint32_t *headless; /* headless image */
	/* frame: compositord's own count of frames (latches), consecutive;
	 * dframe: the display's tick number last waited for. */
	uint64_t period_ns, next_ns, frame, dframe, probe_ns, take_after_ns;
	uint64_t base_frame, base_ns, sync_ns; /* the driver's clock */
	/* clients */
	uint64_t sessions[SESSIONS_MAX];     /* badges, 0 free */
	uint64_t session_task[SESSIONS_MAX]; /* who opened it */
	uint32_t nsessions;
	uint64_t next_badge;
	struct sub subs[SUBS_MAX];
	uint32_t nsubs;
	struct bound bound[COMP_LAYERS_MAX];
	/* counters */
	uint64_t events_sent, events_dropped, takes, releases, presents;
	uint64_t present_errors, regs_msgs;
	uint64_t revoked;      /* layers unbound: their grant was revoked */
	uint64_t sender;       /* task koid of the request being handled */
	uint64_t times[TIMES]; /* composition ns of the last frames */
	uint32_t ntimes, tpos;
	uint64_t last_ns;
} g;

/* Bound grants: each layer's 64 GiB slot is two guard slots (a rebind
 * maps into the half the current content does not use). A client may
 * revoke its grant at any time, also while a frame reads it; the
 * guard's watcher then puts zeroed scratch memory there and the frame
 * goes on (REVIEW-15 #1; drop_revoked unbinds the layer). */
static struct gg_slot gslots[2 * COMP_LAYERS_MAX];
static struct gg guard = {.base = GRANT_BASE,
			  .window = 1ull << 20, /* 1 MiB of scratch */
			  .size = HALF,
			  .n = 2 * COMP_LAYERS_MAX,
			  .slot = gslots};

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* ---- events ---- */

static void emit(uint32_t bit, const char *json, size_t len)
{
	struct port_msg m = {.data = json, .len = (uint32_t)len};
	for (uint32_t i = 0; i < SUBS_MAX; i++) {
		struct sub *s = &g.subs[i];
		if (!s->port || !(s->mask & bit))
			continue;
		long r = sys_port_send(s->port, &m, DEADLINE_POLL);
		if (r == 0) {
			g.events_sent++;
		} else if (r == ERR_SHOULD_WAIT) {
			g.events_dropped++; /* a full queue loses this one */
		} else {		    /* its port is gone */
			sys_handle_close(s->port);
			memset(s, 0, sizeof(*s));
			g.nsubs--;
		}
	}
}

static int outputs_json(char *out, size_t cap);

/* An error event to the subscribers of one owner (a session, or 0: the
 * public endpoint's): what concerns one client's layer. */
static void emit_error_to(uint64_t owner, const char *msg)
{
	char ev[192];
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"error\",\"message\":\"%s\"}", msg);
	struct port_msg m = {.data = ev, .len = (uint32_t)n};
	for (uint32_t i = 0; i < SUBS_MAX; i++) {
		struct sub *s = &g.subs[i];
		if (!s->port || s->owner != owner || !(s->mask & COMP_EV_ERROR))
			continue;
		if (sys_port_send(s->port, &m, DEADLINE_POLL) == 0)
			g.events_sent++;
		else
			g.events_dropped++; /* a gone port: emit() drops it */
	}
}

static void emit_hotplug(void)
{
	char ev[COMP_RESULT_MAX + 64], outs[COMP_RESULT_MAX - 32];
	if (outputs_json(outs, sizeof(outs)) < 0)
		return;
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"hotplug\",\"outputs\":[%s]}", outs);
	if (n > 0 && n < PORT_MSG_MAX)
		emit(COMP_EV_HOTPLUG, ev, (size_t)n);
}

static void emit_error(const char *msg)
{
	char ev[192];
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"error\",\"message\":\"%s\"}", msg);
	emit(COMP_EV_ERROR, ev, (size_t)n);
	printf("compositord: %s\n", msg);
}

/* ---- outputs ---- */

static uint32_t out_w(void)
{
	return g.have_disp ? g.mode.width : HEADLESS_W;
}

static uint32_t out_h(void)
{
	return g.have_disp ? g.mode.height : HEADLESS_H;
}

static int outputs_json(char *out, size_t cap)
{
	if (!g.have_disp) {
		int n = snprintf(
			out, cap,
			"{\"id\":0,\"name\":\"headless\",\"connected\":true,"
			"\"modes\":[{\"w\":%u,\"h\":%u,\"hz\":%u}],"
			"\"current_mode\":{\"w\":%u,\"h\":%u,\"hz\":%u},"
			"\"owned\":false}",
			HEADLESS_W, HEADLESS_H, HEADLESS_HZ, HEADLESS_W,
			HEADLESS_H, HEADLESS_HZ);
		return n > 0 && (size_t)n < cap ? 0 : -1;
	}
	struct disp_mode m[DISP_MODES_MAX];
	int nm = disp_modes(&g.disp, g.out.id, m, DISP_MODES_MAX);
	if (nm < 0)
		nm = 0;
	size_t len = 0;
	int n = snprintf(out, cap,
			 "{\"id\":%u,\"name\":\"%.23s\",\"connected\":%s,"
			 "\"modes\":[",
			 g.out.id, g.out.name,
			 g.out.flags & DISP_OUT_CONNECTED ? "true" : "false");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	len = (size_t)n;
	for (int i = 0; i < nm && len + 64 < cap; i++) {
		n = snprintf(out + len, cap - len,
			     "%s{\"w\":%u,\"h\":%u,\"hz\":%u}", i ? "," : "",
			     m[i].width, m[i].height,
			     (m[i].refresh_mhz + 500) / 1000);
		len += (size_t)n;
	}
	n = snprintf(out + len, cap - len,
		     "],\"current_mode\":{\"w\":%u,\"h\":%u,\"hz\":%u},"
		     "\"owned\":%s}",
		     g.mode.width, g.mode.height,
		     (g.mode.refresh_mhz + 500) / 1000,
		     g.owned ? "true" : "false");
	return n > 0 && (size_t)n < cap - len ? 0 : -1;
}

static void headless_start(void)
{
	g.have_disp = g.owned = false;
	g.period_ns = 1000000000ull / HEADLESS_HZ;
	if (!g.headless)
		g.headless = malloc((size_t)HEADLESS_W * HEADLESS_H * 4);
	comp_scene_resize(&g.scene, HEADLESS_W, HEADLESS_H);
	g.next_ns = now() + g.period_ns;
}

/* The current mode of output g.out. */
static int read_mode(void)
{
	struct disp_mode m[DISP_MODES_MAX];
	int nm = disp_modes(&g.disp, g.out.id, m, DISP_MODES_MAX);
	if (nm <= 0)
		return nm < 0 ? nm : ERR_NOT_FOUND;
	uint32_t cur = g.out.cur_mode < (uint32_t)nm ? g.out.cur_mode : 0;
	g.mode = m[cur];
	if (!g.mode.refresh_mhz)
		g.mode.refresh_mhz = 60000;
	g.period_ns = 1000000000000ull / g.mode.refresh_mhz;
	return 0;
}

/* A display appeared: use its clock and first output. */
static void probe_display(void)
{
	g.probe_ns = now() + PROBE_NS;
	if (disp_open(&g.disp, DEADLINE_POLL) < 0)
		return;
	struct disp_output o[DISP_OUTPUTS_MAX];
	if (disp_outputs(&g.disp, o, DISP_OUTPUTS_MAX) <= 0) {
		disp_close(&g.disp);
		return;
	}
	g.out = o[0];
	g.disp.output = o[0].id;
	if (read_mode() < 0) {
		disp_close(&g.disp);
		return;
	}
	g.have_disp = true;
	g.owned = false;
	g.sync_ns = 0;
	comp_scene_resize(&g.scene, out_w(), out_h());
	free(g.rowbuf);
	g.rowbuf = malloc((out_w() > HEADLESS_W ? out_w() : HEADLESS_W) * 4u);
	printf("compositord: display %s %ux%u\n", g.out.name, g.mode.width,
	       g.mode.height);
	emit_hotplug();
}

static void display_lost(const char *why)
{
	disp_close(&g.disp);
	char m[96];
	snprintf(m, sizeof(m), "display lost (%s): headless", why);
	emit_error(m);
	headless_start();
	emit_hotplug();
}

static bool take_screen(void)
{
	if (now() < g.take_after_ns)
		return false;
	int r = disp_buffers_ex(&g.disp, 2, DISP_BUF_TAKE);
	if (r < 0) {
		g.take_after_ns = now() + TAKE_BACKOFF_NS;
		return false;
	}
	g.owned = true;
	g.takes++;
	g.back = 0;
	g.mode.width = g.disp.geom.width;
	g.mode.height = g.disp.geom.height;
	comp_scene_resize(&g.scene, g.mode.width, g.mode.height);
	damage_full(&g.prev, g.mode.width, g.mode.height);
	emit_hotplug();
	return true;
}

static void release_screen(void)
{
	struct disp_req q = {.op = DISP_RELEASE, .output = g.disp.output};
	struct disp_resp resp;
	struct port_msg m = {.data = &q, .len = sizeof(q)};
	struct port_rx rx = {.buf = &resp, .cap = sizeof(resp)};
	disp_unmap(&g.disp);
	sys_port_call(g.disp.conn, &m, &rx, now() + 1000000000ull);
	g.owned = false;
	g.releases++;
	emit_hotplug();
}

/* ---- platform ops for comp_srv ---- */

static void op_unbind(void *ctx, uint32_t id)
{
	(void)ctx;
	struct bound *b = &g.bound[id - 1];
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
	g.bound[id - 1] = (struct bound){map, last, heap};
}

static handle_t *cur_handles;

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
	uint64_t slot = GRANT_BASE + (uint64_t)(id - 1) * GRANT_SLOT;
	uint64_t hint =
		g.bound[id - 1].map == slot ? slot + GRANT_SLOT / 2 : slot;
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

/* ---- the frame ---- */

/* A client may revoke a grant it has bound (it owns it). Before each
 * frame, a layer whose grant is gone is unbound, with an error event to
 * its owner: either a frame read it since and the guard put scratch
 * memory there (lost), or its last page is now a hole. A revoke during
 * the composition itself is the guard's (top of file). */
static void drop_revoked(void)
{
	for (uint32_t i = 0; i < COMP_LAYERS_MAX; i++) {
		struct bound *b = &g.bound[i];
		if (!b->map)
			continue;
		if (!gg_lost(&guard, (uint32_t)gg_slot_of(&guard, b->map)) &&
		    sys_vm_protect(self(), b->last, 4096, VM_PROT_READ) !=
			    ERR_NOT_FOUND)
			continue;
		struct comp_layer *l = comp_layer_get(&g.scene, i + 1);
		uint64_t owner = l ? l->owner : 0;
		comp_layer_bind(&g.scene, i + 1, NULL, 0, 0, 0, 0);
		op_unbind(NULL, i + 1);
		g.revoked++;
		char m[96];
		snprintf(m, sizeof(m),
			 "layer %u unbound: its grant was revoked", i + 1);
		emit_error_to(owner, m);
	}
}

static void frame(void)
{
	uint64_t tick_ns;
	if (g.have_disp) {
		/* The driver's frame n ticks at frame_ns + n * period (a
		 * timer: docs/display.md "Frame clock"). Its parked waits are
		 * answered by its best-effort server thread, frames late
		 * under load, and even a call answered at once waits for
		 * that thread; so this thread computes the ticks itself and
		 * sleeps to them (RT), and asks DISP_WAIT_FRAME for frame 1
		 * (passed: answered at once) only to resynchronise, every
		 * second. */
		uint64_t t = now();
		if (t >= g.sync_ns) {
			struct disp_frame f;
			int r = disp_wait_frame(&g.disp, 1, &f);
			if (r < 0) {
				display_lost(err_name(r));
				return;
			}
			if (f.period_ns)
				g.period_ns = f.period_ns;
			g.base_frame = f.frame;
			g.base_ns = f.frame_ns;
			g.sync_ns = t + SYNC_NS;
		}
		uint64_t n = t > g.base_ns ? (t - g.base_ns) / g.period_ns : 0;
		tick_ns = g.base_ns + n * g.period_ns;
		g.dframe = g.base_frame + n;
		g.next_ns = tick_ns + g.period_ns;
	} else {
		tick_ns = g.next_ns;
		g.next_ns += g.period_ns;
		uint64_t t = now();
		if (g.next_ns <= t) /* fell behind: no burst */
			g.next_ns = t + g.period_ns;
	}
	g.frame++;
	drop_revoked();
	struct damage d;
	comp_latch(&g.scene, g.frame, &d);
	char ev[96];
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"vsync\",\"usec\":%llu,"
			 "\"frame\":%llu}",
			 (unsigned long long)(tick_ns / 1000),
			 (unsigned long long)g.frame);
	emit(COMP_EV_VSYNC, ev, (size_t)n);

	comp_render_prepare(&g.rc, &g.scene, g.rowbuf);
	if (g.have_disp) {
		bool layers = comp_layer_count(&g.scene) > 0;
		if (!g.owned && g.rc.n > 0 && take_screen())
			damage_full(&d, out_w(), out_h());
		else if (g.owned && !layers)
			release_screen();
	}
	uint32_t *dst = NULL, stride = 0;
	if (g.have_disp && g.owned) {
		dst = (uint32_t *)g.disp.buf[g.back];
		stride = g.disp.geom.stride / 4;
	} else if (!g.have_disp) {
		dst = g.headless;
		stride = HEADLESS_W;
	}
	/* Nothing new: nothing composed or presented; the back buffer keeps
	 * what it missed (g.prev) for the next frame that has damage. */
	if (!dst || d.n == 0)
		return;
	uint64_t t0 = now();
	struct damage all = d;
	if (g.owned) /* the back buffer also missed the last frame's */
		damage_union(&all, &g.prev, out_w(), out_h());
	for (uint32_t i = 0; i < all.n; i++)
		g.scene.st.composed_pixels +=
			comp_render_rect(&g.rc, &g.scene, dst, out_w(), out_h(),
					 stride, &all.r[i]);
	g.last_ns = now() - t0;
	g.times[g.tpos] = g.last_ns;
	g.tpos = (g.tpos + 1) % TIMES;
	if (g.ntimes < TIMES)
		g.ntimes++;
	if (g.owned) {
		int r = disp_present(&g.disp, g.back, d.r, d.n, 0, NULL);
		if (r == ERR_ACCESS_DENIED || r == ERR_BAD_STATE) {
			/* Taken by another client (a VT switch). */
			g.present_errors++;
			disp_unmap(&g.disp);
			g.owned = false;
			g.take_after_ns = now() + TAKE_BACKOFF_NS;
			emit_error("screen taken by another client");
			emit_hotplug();
			return;
		} else if (r < 0) {
			g.present_errors++;
			display_lost(err_name(r));
			return;
		}
		g.presents++;
		g.prev = d;
		g.back ^= 1;
	}
	n = snprintf(ev, sizeof(ev), "{\"event\":\"pageflip\",\"frame\":%llu}",
		     (unsigned long long)g.frame);
	emit(COMP_EV_PAGEFLIP, ev, (size_t)n);
}

/* ---- requests ---- */

static void session_closed(uint64_t badge)
{
	for (uint32_t i = 0; i < SESSIONS_MAX; i++)
		if (g.sessions[i] == badge) {
			g.sessions[i] = g.session_task[i] = 0;
			g.nsessions--;
		}
	comp_srv_drop_owner(&g.srv, badge);
	for (uint32_t i = 0; i < SUBS_MAX; i++)
		if (g.subs[i].port && g.subs[i].owner == badge) {
			sys_handle_close(g.subs[i].port);
			memset(&g.subs[i], 0, sizeof(g.subs[i]));
			g.nsubs--;
		}
}

static void session_connect(handle_t reply, struct comp_reply *r)
{
	uint32_t slot = SESSIONS_MAX, mine = 0;
	for (uint32_t i = 0; i < SESSIONS_MAX; i++) {
		if (!g.sessions[i] && slot == SESSIONS_MAX)
			slot = i;
		mine += g.sender && g.sessions[i] &&
			g.session_task[i] == g.sender;
	}
	if (mine >= TASK_SESSIONS) {
		cl_reply_error(reply, "BUSY",
			       "too many sessions for a task (8)");
		return;
	}
	if (slot == SESSIONS_MAX) {
		cl_reply_error(reply, "BUSY", "too many sessions (32)");
		return;
	}
	handle_t h;
	uint64_t badge = g.next_badge++;
	if (sys_port_mint_ex(g.recv, badge, PORT_MINT_NOTIFY_CLOSED, &h) < 0) {
		cl_reply_error(reply, "NO_MEMORY", "cannot mint a session");
		return;
	}
	g.sessions[slot] = badge;
	g.session_task[slot] = g.sender;
	g.nsessions++;
	snprintf(r->result, sizeof(r->result), "{\"port\":0,\"session\":%llu}",
		 (unsigned long long)badge);
	if (cl_reply_ok(reply, r->result, &h, 1) < 0)
		sys_handle_close(h); /* the no-senders notice ends it */
}

static void receive(const char *buf, const struct port_rx *rx, handle_t *h)
{
	static struct comp_reply r;
	if (rx->flags & PORT_RX_CLOSED) {
		session_closed(rx->badge);
		return;
	}
	uint32_t magic = 0;
	if (rx->len >= 4)
		memcpy(&magic, buf, 4);
	if (magic == COMP_REGS_MAGIC) {
		g.regs_msgs++;
		int e = comp_srv_regs(&g.srv, buf, rx->len, rx->badge);
		if (rx->reply) {
			if (e < 0)
				cl_reply_error(rx->reply, "BAD_ARG",
					       "malformed REGS message");
			else
				cl_reply_ok(rx->reply, NULL, NULL, 0);
		}
		return;
	}
	cur_handles = h;
	g.sender = rx->sender;
	comp_srv_handle_from(&g.srv, rx->badge, rx->sender, buf, rx->len,
			     rx->nhandles, &r);
	if (!rx->reply)
		return; /* one-way: done, nothing to answer */
	if (r.connect)
		session_connect(rx->reply, &r);
	else if (r.ok)
		cl_reply_ok(rx->reply, r.result, NULL, 0);
	else
		cl_reply_error(rx->reply, r.code, r.message);
}

int main(void)
{
	static char buf[PORT_MSG_MAX + 1];
	handle_t send;
	long e = sys_port_create(0, &g.recv, &send);
	if (e < 0) {
		printf("compositord: port_create: %s\n", err_name(e));
		return 1;
	}
	/* The guard's watcher runs while the frame thread waits in a fault:
	 * RT as that thread when init gave a scheduling authority. */
	struct sched_params rt = {
		.cls = SCHED_CLASS_RT, .priority = 20, .cpu = SCHED_CPU_KEEP};
	e = gg_start(&guard, execrt_handle(START_H_SCHED), &rt);
	if (e < 0) {
		printf("compositord: fault watcher: %s\n", err_name(e));
		return 1;
	}
	g.next_badge = SESSION_BADGE0;
	g.rowbuf = malloc(HEADLESS_W * 4u);
	comp_scene_init(&g.scene, HEADLESS_W, HEADLESS_H);
	static const struct comp_srv_ops ops = {
		.bind_dmabuf = op_bind_dmabuf,
		.bind_image = op_bind_image,
		.unbind = op_unbind,
		.subscribe = op_subscribe,
		.outputs = op_outputs,
		.set_mode = op_set_mode,
		.pixel = op_pixel,
		.status = op_status,
	};
	comp_srv_init(&g.srv, &g.scene, &ops);
	headless_start();
	if (!g.headless || !g.rowbuf) {
		printf("compositord: out of memory\n");
		return 1;
	}
	probe_display();
	cl_err_t ce = cl_register(COMP_SVC_NAME, send);
	if (ce < 0) {
		printf("compositord: register %s: %s\n", COMP_SVC_NAME,
		       cl_strerror(ce));
		return 1;
	}
	printf("compositord: serving %s (%s %ux%u)\n", COMP_SVC_NAME,
	       g.have_disp ? g.out.name : "headless", out_w(), out_h());
	for (;;) {
		uint64_t t = now();
		if (t >= g.next_ns) {
			frame();
			if (!g.have_disp && t >= g.probe_ns)
				probe_display();
			continue;
		}
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		e = sys_port_recv(g.recv, &rx, g.next_ns);
		if (e == ERR_TIMED_OUT)
			continue;
		if (e < 0) {
			printf("compositord: receive: %s\n", err_name(e));
			return 1;
		}
		buf[rx.len] = 0;
		receive(buf, &rx, h);
		for (uint32_t i = 0; i < rx.nhandles; i++)
			if (h[i])
				sys_handle_close(h[i]);
	}
}
