/* compositord: the compositor (/svc/compositord, docs/graphics.md
 * "compositord"). The protocol is comp_srv.c, the scene comp_scene.c,
 * the pixels comp_render.c; the platform is this file (the frame loop,
 * the port, the sessions), comp_out.c (events, /svc/display or headless)
 * and comp_ops.c (the grants and files, subscriptions, modes, status).
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
#include "compd.h"

struct compd g;
handle_t *cur_handles;

/* Bound grants: each layer's 64 GiB slot is two guard slots (a rebind
 * maps into the half the current content does not use). A client may
 * revoke its grant at any time, also while a frame reads it; the
 * guard's watcher then puts zeroed scratch memory there and the frame
 * goes on (REVIEW-15 #1; drop_revoked unbinds the layer). */
static struct gg_slot gslots[2 * COMP_LAYERS_MAX];
struct gg guard = {.base = GRANT_BASE,
		   .window = 1ull << 20, /* 1 MiB of scratch */
		   .size = HALF,
		   .n = 2 * COMP_LAYERS_MAX,
		   .slot = gslots};

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
		uint32_t id = comp_layer_id(&g.scene, i);
		struct comp_layer *l = comp_layer_get(&g.scene, id);
		uint64_t owner = l ? l->owner : 0;
		comp_layer_bind(&g.scene, id, NULL, 0, 0, 0, 0);
		op_unbind(NULL, i + 1);
		g.revoked++;
		char m[96];
		snprintf(m, sizeof(m),
			 "layer %u unbound: its grant was revoked",
			 id ? id : i + 1);
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

/* The public endpoint's badge is below SESSION_BADGE0; a session's is
 * live until its no-senders notice. */
static bool session_live(uint64_t badge)
{
	if (badge < SESSION_BADGE0)
		return true;
	for (uint32_t i = 0; i < SESSIONS_MAX; i++)
		if (g.sessions[i] == badge)
			return true;
	return false;
}

static void receive(const char *buf, const struct port_rx *rx, handle_t *h)
{
	static struct comp_reply r;
	if (rx->flags & PORT_RX_CLOSED) {
		session_closed(rx->badge);
		return;
	}
	/* The notice goes ahead of messages queued before it (docs/ipc.md):
	 * a request of a session that has ended may come after its end,
	 * and a layer or subscription it made would be owned by nobody and
	 * never freed (a client killed in create_layer leaked a layer). */
	if (!session_live(rx->badge)) {
		if (rx->reply)
			cl_reply_error(rx->reply, "NOT_FOUND",
				       "the session has ended");
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
	comp_srv_init(&g.srv, &g.scene, &compd_ops);
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
