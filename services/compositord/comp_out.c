/* compositord's events to its subscribers and its output: the display
 * (probed, its mode, the screen taken and released) or, without one, the
 * headless image (compositord.c top). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/comp_proto.h>
#include <execrt/errors.h>

#include "compd.h"

void emit(uint32_t bit, const char *json, size_t len)
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

/* An error event to the subscribers of one owner (a session, or 0: the
 * public endpoint's): what concerns one client's layer. */
void emit_error_to(uint64_t owner, const char *msg)
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

void emit_hotplug(void)
{
	char ev[COMP_RESULT_MAX + 64], outs[COMP_RESULT_MAX - 32];
	if (outputs_json(outs, sizeof(outs)) < 0)
		return;
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"hotplug\",\"outputs\":[%s]}", outs);
	if (n > 0 && n < PORT_MSG_MAX)
		emit(COMP_EV_HOTPLUG, ev, (size_t)n);
}

void emit_error(const char *msg)
{
	char ev[192];
	int n = snprintf(ev, sizeof(ev),
			 "{\"event\":\"error\",\"message\":\"%s\"}", msg);
	emit(COMP_EV_ERROR, ev, (size_t)n);
	printf("compositord: %s\n", msg);
}

/* ---- outputs ---- */

uint32_t out_w(void)
{
	return g.have_disp ? g.mode.width : HEADLESS_W;
}

uint32_t out_h(void)
{
	return g.have_disp ? g.mode.height : HEADLESS_H;
}

int outputs_json(char *out, size_t cap)
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

void headless_start(void)
{
	g.have_disp = g.owned = false;
	g.period_ns = 1000000000ull / HEADLESS_HZ;
	if (!g.headless)
		g.headless = malloc((size_t)HEADLESS_W * HEADLESS_H * 4);
	comp_scene_resize(&g.scene, HEADLESS_W, HEADLESS_H);
	g.next_ns = now() + g.period_ns;
}

/* The current mode of output g.out. */
int read_mode(void)
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
void probe_display(void)
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

void display_lost(const char *why)
{
	disp_close(&g.disp);
	char m[96];
	snprintf(m, sizeof(m), "display lost (%s): headless", why);
	emit_error(m);
	headless_start();
	emit_hotplug();
}

bool take_screen(void)
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

void release_screen(void)
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
