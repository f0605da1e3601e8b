/* The rights matrix's fixtures (rights_fx.h, t_rights.c). */
#include <string.h>

#include "gtest.h"
#include "gutil.h"
#include "rights_fx.h"

uint8_t buf[PAGE];
handle_t rx_h[PORT_HANDLES_MAX];

handle_t auth(enum start_handle i)
{
	return g_dup(execrt_handle(i), RIGHT_SAME);
}

/* --- fixtures --- */

long fx_vmo(struct fx *f)
{
	return sys_vmo_create(PAGE, &f->h[0]);
}

long fx_task(struct fx *f) /* a child task, not started */
{
	return sys_task_create(g_self(), "rm", 2, PAGE * 16, &f->h[0]);
}

long fx_thread(struct fx *f) /* a thread of a child task */
{
	long r = fx_task(f);
	if (r < 0)
		return r;
	f->x[0] = f->h[0];
	f->h[0] = 0;
	return sys_thread_create(f->x[0], "rm", 2, &f->h[0]);
}

long fx_self(struct fx *f) /* this task (MANAGE dropped in cells) */
{
	f->h[0] = g_dup(g_self(), RIGHT_SAME);
	return f->h[0] ? 0 : ERR_NO_RESOURCES;
}

long fx_mapped_self(struct fx *f)
{
	f->map = g_map(PAGE);
	return f->map ? fx_self(f) : ERR_NO_MEMORY;
}

long fx_auth(struct fx *f, enum start_handle i)
{
	f->h[0] = auth(i);
	return f->h[0] ? 0 : ERR_NO_RESOURCES;
}

long fx_console(struct fx *f)
{
	return fx_auth(f, START_H_CONSOLE);
}
long fx_sysinfo(struct fx *f)
{
	return fx_auth(f, START_H_SYSINFO);
}
long fx_sched(struct fx *f)
{
	return fx_auth(f, START_H_SCHED);
}
long fx_telemetry(struct fx *f)
{
	return fx_auth(f, START_H_TELEMETRY);
}
long fx_ioport(struct fx *f)
{
	return fx_auth(f, START_H_IOPORT);
}

long fx_sched_thread(struct fx *f) /* authority, child's thread */
{
	long r = fx_thread(f);
	if (r < 0)
		return r;
	f->h[1] = f->h[0];
	return fx_sched(f);
}

long fx_sched_task(struct fx *f) /* authority, child task */
{
	long r = fx_task(f);
	f->h[1] = f->h[0];
	return r < 0 ? r : fx_sched(f);
}

/* A task and an object to give it. */
long fx_give(struct fx *f)
{
	long r = fx_task(f);
	return r < 0 ? r : sys_vmo_create(PAGE, &f->h[1]);
}

/* A send handle and a memory object to attach (h[1]); x[0]: receiver. */
long fx_port(struct fx *f)
{
	long r = sys_port_create(0, &f->x[0], &f->h[0]);
	return r < 0 ? r : sys_vmo_create(PAGE, &f->h[1]);
}

/* A receive handle (x[0]: its send handle). */
long fx_recv(struct fx *f)
{
	return sys_port_create(0, &f->h[0], &f->x[0]);
}

long fx_notif(struct fx *f)
{
	return sys_notif_create(&f->h[0]);
}

long fx_recv_notif(struct fx *f)
{
	long r = fx_recv(f);
	return r < 0 ? r : sys_notif_create(&f->h[1]);
}

long fx_irq(struct fx *f) /* IRQ authority, notification */
{
	long r = fx_auth(f, START_H_IRQ);
	return r < 0 ? r : sys_notif_create(&f->h[1]);
}

long fx_grant(struct fx *f) /* a grant of fresh memory */
{
	return sys_grant_create(g_self(), 0, PAGE, VM_PROT_READ | VM_PROT_WRITE,
				&f->h[0]);
}

long fx_self_grant(struct fx *f) /* this task, a grant */
{
	long r = fx_self(f);
	return r < 0 ? r
		     : sys_grant_create(g_self(), 0, PAGE,
					VM_PROT_READ | VM_PROT_WRITE, &f->h[1]);
}

/* A call waiting on a port: h[0] its reply handle, h[1] a memory object
 * to attach, h[2] the port's receive handle (x[0]: send handle). */
static int64_t caller(uint64_t send)
{
	struct port_msg m = {.data = "q", .len = 1};
	static uint8_t rb[64];
	struct port_rx rx = {.buf = rb, .cap = sizeof(rb)};
	return sys_port_call((handle_t)send, &m, &rx, g_now() + 5000 * MS);
}

long fx_reply(struct fx *f)
{
	long r = sys_port_create(0, &f->h[2], &f->x[0]);
	if (r < 0 || (r = sys_vmo_create(PAGE, &f->h[1])) < 0)
		return r;
	if ((r = gthread_start(&f->t, caller, f->x[0])) < 0)
		return r;
	f->have_thread = 1;
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	if ((r = sys_port_recv(f->h[2], &rx, g_now() + 5000 * MS)) < 0)
		return r;
	f->h[0] = rx.reply;
	return 0;
}

/* h without `right`: a duplicate, or (no DUPLICATE right) the handle
 * itself moved back into this task with fewer rights. */
handle_t without(handle_t *h, uint32_t right)
{
	struct handle_info hi;
	handle_t out = HANDLE_INVALID;
	if (sys_handle_info(*h, &hi) < 0 || !(hi.rights & right))
		return HANDLE_INVALID; /* a cell that would prove nothing */
	if (hi.rights & RIGHT_DUPLICATE) {
		if (sys_handle_dup(*h, hi.rights & ~right, &out) < 0)
			return HANDLE_INVALID;
		return out;
	}
	if (sys_task_give_handle(g_self(), *h, hi.rights & ~right, &out) < 0)
		return HANDLE_INVALID;
	*h = HANDLE_INVALID;
	return out;
}

void teardown(struct fx *f)
{
	for (int i = 0; i < SLOTS; i++)
		sys_handle_close(f->h[i]);
	/* The caller thread wakes with PEER_CLOSED once its reply handle
	 * is gone. */
	for (int i = 0; i < 4; i++) {
		struct handle_info hi;
		if (f->x[i] && sys_handle_info(f->x[i], &hi) == 0 &&
		    hi.type == OBJ_TASK)
			sys_task_kill(f->x[i], 0);
		sys_handle_close(f->x[i]);
	}
	if (f->have_thread)
		gthread_join(&f->t, DEADLINE_NONE, NULL);
	if (f->map && sys_grant_unmap(g_self(), (uint64_t)f->map) < 0)
		sys_vm_unmap(g_self(), (uint64_t)f->map, PAGE);
}

/* A child task in h[] dies with its handle; kill it first so its memory
 * comes back before the leak check. */
void kill_tasks(struct fx *f)
{
	for (int i = 0; i < SLOTS; i++) {
		struct handle_info hi;
		if (f->h[i] && sys_handle_info(f->h[i], &hi) == 0 &&
		    hi.type == OBJ_TASK && hi.koid != g_koid(g_self()))
			sys_task_kill(f->h[i], 0);
	}
}

/* Objects left behind by one row (0 after a short settle). */
long objects_left(uint64_t before)
{
	struct kernel_stats s;
	uint64_t end = g_now() + 1000 * MS;
	while (g_stats(&s) == 0 && s.kobjects_live != before && g_now() < end)
		sys_sleep_until(g_now() + 5 * MS);
	return (long)(s.kobjects_live - before);
}
