/* compositord's internals shared by its platform files (compositord.c:
 * the frame loop and requests; comp_out.c: events and the output;
 * comp_ops.c: comp_srv's platform ops). One thread uses g (compositord.c
 * top: the threads), so nothing here is locked. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

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

struct compd {
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
};
extern struct compd g;

extern struct gg guard;	      /* compositord.c: the bound grants' guard */
extern handle_t *cur_handles; /* the handles of the request being handled */

static inline uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static inline handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

/* comp_out.c: events to subscribers, the output (display or headless). */
void emit(uint32_t bit, const char *json, size_t len);
void emit_error_to(uint64_t owner, const char *msg);
void emit_hotplug(void);
void emit_error(const char *msg);
uint32_t out_w(void);
uint32_t out_h(void);
int outputs_json(char *out, size_t cap);
void headless_start(void);
int read_mode(void);
void probe_display(void);
void display_lost(const char *why);
bool take_screen(void);
void release_screen(void);

/* comp_ops.c: the platform ops comp_srv calls. */
extern const struct comp_srv_ops compd_ops;
void op_unbind(void *ctx, uint32_t id);
