/* The rights matrix's fixtures (rights_fx.c) for t_rights.c: the
 * objects a cell's call takes (fx_*: h[] the handles, x[] others to
 * close), the handle without one right, the teardown. */
#pragma once
#include <stdint.h>

#include "gutil.h"

#define SLOTS 3

/* One cell's objects: h[] are the handles the call takes, x[] other
 * handles to close afterwards. */
struct fx {
	handle_t h[SLOTS], x[4];
	struct child c;
	struct gthread t;
	int have_thread;
	void *map;
	handle_t server_send; /* what the caller thread calls */
};

extern uint8_t buf[PAGE];		/* a page for messages */
extern handle_t rx_h[PORT_HANDLES_MAX]; /* handles received */

handle_t auth(enum start_handle i);
long fx_vmo(struct fx *f);
long fx_task(struct fx *f);   /* a child task, not started */
long fx_thread(struct fx *f); /* a thread of a child task */
long fx_self(struct fx *f);   /* this task (MANAGE dropped in cells) */
long fx_mapped_self(struct fx *f);
long fx_auth(struct fx *f, enum start_handle i);
long fx_console(struct fx *f);
long fx_sysinfo(struct fx *f);
long fx_sched(struct fx *f);
long fx_telemetry(struct fx *f);
long fx_ioport(struct fx *f);
long fx_sched_thread(struct fx *f); /* authority, child's thread */
long fx_sched_task(struct fx *f);   /* authority, child task */
long fx_give(struct fx *f);
long fx_port(struct fx *f);
long fx_recv(struct fx *f);
long fx_notif(struct fx *f);
long fx_recv_notif(struct fx *f);
long fx_irq(struct fx *f);	  /* IRQ authority, notification */
long fx_grant(struct fx *f);	  /* a grant of fresh memory */
long fx_self_grant(struct fx *f); /* this task, a grant */
long fx_reply(struct fx *f);
handle_t without(handle_t *h, uint32_t right);
void teardown(struct fx *f);
void kill_tasks(struct fx *f);
long objects_left(uint64_t before);
