/* The input hub (servers/inputd, docs/input.md) as a child task, the test
 * acting as drivers and subscribers through libsdkc's input_client:
 * ordering and stamps, overflow reporting, driver and subscriber death,
 * limits and malformed requests. The harness checks after each test that
 * nothing leaked (inputd is killed at the end of each). */
#include <string.h>

#include <execrt/errors.h>
#include <execrt/input_keys.h>
#include <execrt/input_proto.h>
#include <execrt/rights.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "gtest.h"
#include "gutil.h"
#include "input_client.h"
#include "names_env.h"

#define HUB_BADGE    300
#define LOOKUP_BADGE 2
#define HUB_QUOTA    (4ull << 20)
#define SEC	     (1000 * MS)

struct ienv {
	struct names_env ns;
	struct child hub;
	handle_t lookup, pub, dev;
};
static struct ienv ie;
/* Handles a test made: closed by ienv_stop, so a failed check leaks
 * nothing into the next test. */
static handle_t own[16];
static uint32_t nown;

static handle_t keep(handle_t h)
{
	if (nown < 16)
		own[nown++] = h;
	return h;
}

static void ienv_stop(void)
{
	int64_t st;
	for (uint32_t i = 0; i < nown; i++)
		sys_handle_close(own[i]); /* closed already: harmless */
	nown = 0;
	if (ie.pub)
		sys_handle_close(ie.pub);
	if (ie.dev)
		sys_handle_close(ie.dev);
	if (ie.hub.task) {
		sys_task_kill(ie.hub.task, -1);
		g_reap(&ie.hub, 2 * SEC, &st);
	}
	if (ie.lookup)
		sys_handle_close(ie.lookup);
	nenv_stop(&ie.ns);
	memset(&ie, 0, sizeof(ie));
}

/* names, then inputd with its registrations; 0, 1 (skipped) or an error. */
static long ienv_start(void)
{
	memset(&ie, 0, sizeof(ie));
	long r = nenv_start(&ie.ns);
	if (r != 0)
		return r;
	ie.lookup = nenv_mint(&ie.ns, LOOKUP_BADGE);
	if (!ie.lookup ||
	    (r = nenv_acl(&ie.ns, LOOKUP_BADGE, "[]", "[\"*\"]")) < 0 ||
	    (r = nenv_acl(&ie.ns, HUB_BADGE,
			  "[\"" INPUT_SVC_NAME "\",\"" INPUT_DEV_SVC_NAME "\"]",
			  "[]")) < 0)
		goto fail;
	g_spawn_names = nenv_mint(&ie.ns, HUB_BADGE);
	r = g_spawn("inputd", "", HUB_QUOTA, 0, &ie.hub);
	sys_handle_close(g_spawn_names);
	g_spawn_names = HANDLE_INVALID;
	if (r < 0)
		goto fail;
	cl_set_names(ie.lookup);
	ie.pub = input_lookup(INPUT_SVC_NAME, g_now() + 5 * SEC);
	ie.dev = input_lookup(INPUT_DEV_SVC_NAME, g_now() + 5 * SEC);
	cl_set_names(HANDLE_INVALID);
	if (ie.pub && ie.dev)
		return 0;
	r = ERR_NOT_FOUND;
fail:
	ienv_stop();
	return r < 0 ? r : ERR_NO_MEMORY;
}

#define SETUP()                                                                \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = ienv_start();                                        \
		if (_s == 1)                                                   \
			return;                                                \
		GCHECK_OK(_s);                                                 \
	} while (0)
/* Checks that end the test stop the hub first. */
#define ICHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			ienv_stop();                                           \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define ICHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y) {                                                \
			ienv_stop();                                           \
			GCHECK_EQ(_x, _y);                                     \
		}                                                              \
	} while (0)

static struct input_dev_desc desc(const char *name, uint32_t kind)
{
	struct input_dev_desc d;
	memset(&d, 0, sizeof(d));
	strncpy(d.name, name, sizeof(d.name) - 1);
	d.kind = kind;
	d.bus = INPUT_BUS_VIRTUAL;
	return d;
}

static struct input_event key(uint16_t code, int32_t value, uint64_t t)
{
	return (struct input_event){.time_ns = t,
				    .type = INPUT_EV_KEY,
				    .code = code,
				    .value = value};
}

static struct input_event rel(uint16_t code, int32_t v, uint64_t t)
{
	return (struct input_event){
		.time_ns = t, .type = INPUT_EV_REL, .code = code, .value = v};
}

/* Reads until n events came (or 2 s passed): how many. */
static long read_n(handle_t sub, struct input_event *ev, uint32_t n)
{
	uint32_t got = 0;
	uint64_t end = g_now() + 2 * SEC;
	while (got < n) {
		uint32_t max = n - got;
		long r = input_read(
			sub, ev + got,
			max > INPUT_BATCH_MAX ? INPUT_BATCH_MAX : max, 0, end);
		if (r < 0)
			return got ? (long)got : r;
		got += (uint32_t)r;
	}
	return (long)got;
}

/* A number from the hub's JSON status (-1 if it cannot be had). */
static int64_t status(const char *path)
{
	static struct cl_resp r;
	struct cl_conn c = {.send = ie.pub};
	int64_t v = -1;
	if (cl_request(&c, "{\"cmd\":\"status\"}", &r) == CL_OK)
		cl_resp_int(&r, path, &v);
	cl_resp_close(&r);
	return v;
}

static struct input_event ev[INPUT_SUB_QUEUE + 8];

GTEST(input_hub_orders_and_stamps_events)
{
	SETUP();
	handle_t sub, ep;
	uint32_t sid, kid;
	ICHECK_EQ(input_subscribe(ie.pub, &sub, &sid), 0);
	keep(sub);
	struct input_dev_desc d = desc("test kbd", INPUT_KIND_KEYBOARD);
	ICHECK_EQ(input_dev_connect(ie.dev, &d, &ep, &kid), 0);
	keep(ep);
	ICHECK(kid != 0);
	/* The device notice first. */
	ICHECK_EQ(read_n(sub, ev, 1), 1);
	ICHECK_EQ(ev[0].code, INPUT_SYN_DEV_ADDED);
	ICHECK_EQ(ev[0].device, kid);
	/* 50 one-way batches of shift + a: whole and in order. */
	for (uint32_t i = 0; i < 50; i++) {
		struct input_event b[4] = {
			key(INPUT_KEY_LEFTSHIFT, 1, 4 * i),
			key(INPUT_KEY_A, 1, 4 * i + 1),
			key(INPUT_KEY_A, 0, 4 * i + 2),
			key(INPUT_KEY_LEFTSHIFT, 0, 4 * i + 3)};
		ICHECK_EQ(input_dev_send(ep, b, 4, DEADLINE_NONE), 4);
		if (i % 10 == 9) { /* keep the queue below its bound */
			ICHECK_EQ(read_n(sub, ev, 40), 40);
			for (uint32_t k = 0; k < 40; k++) {
				ICHECK_EQ(ev[k].time_ns, 4 * (i - 9) + k);
				ICHECK_EQ(ev[k].device, kid);
			}
			ICHECK_EQ(ev[1].keysym, 'A');
			ICHECK_EQ(ev[1].ch, 'A');
			ICHECK_EQ(ev[1].mods, INPUT_MOD_SHIFT);
			ICHECK_EQ(ev[3].keysym, 0xffe1);
		}
	}
	/* A read with nothing queued waits; NOWAIT says EAGAIN. */
	ICHECK_EQ(input_read(sub, ev, 8, INPUT_READ_NOWAIT, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EAGAIN));
	ICHECK_EQ(input_read(sub, ev, 8, 0, g_now() + 20 * MS), ERR_TIMED_OUT);
	struct input_dev_desc l[INPUT_DEVS_MAX];
	ICHECK_EQ(input_devices(sub, l, INPUT_DEVS_MAX), 1);
	ICHECK_EQ(l[0].id, kid);
	ICHECK(!strcmp(l[0].name, "test kbd"));
	ICHECK_EQ(status("events_in"), 200);
	ICHECK_EQ(status("lost"), 0);
	sys_handle_close(ep);
	sys_handle_close(sub);
	ienv_stop();
}

GTEST(input_hub_overflow_is_reported_not_silent)
{
	SETUP();
	handle_t sub, fast, ep;
	ICHECK_EQ(input_subscribe(ie.pub, &sub, NULL), 0);
	keep(sub);
	struct input_dev_desc d = desc("test mouse", INPUT_KIND_MOUSE);
	ICHECK_EQ(input_dev_connect(ie.dev, &d, &ep, NULL), 0);
	keep(ep);
	ICHECK_EQ(input_subscribe(ie.pub, &fast, NULL), 0);
	keep(fast);
	/* 300 events, as calls (each returns once the hub took it); the
	 * slow subscriber never reads, the fast one keeps up. */
	struct input_event b[60];
	for (uint32_t i = 0; i < 5; i++) {
		for (uint32_t k = 0; k < 60; k++)
			b[k] = rel(INPUT_REL_X, (int32_t)(60 * i + k), 0);
		ICHECK_EQ(input_dev_call(ep, b, 60, g_now() + 2 * SEC), 60);
		ICHECK_EQ(read_n(fast, ev, 60), 60);
		ICHECK_EQ(ev[59].value, (int32_t)(60 * i + 59));
	}
	/* The slow one: the notice, 254 events, then the marker. */
	ICHECK_EQ(read_n(sub, ev, INPUT_SUB_QUEUE), INPUT_SUB_QUEUE);
	ICHECK_EQ(ev[0].code, INPUT_SYN_DEV_ADDED);
	for (uint32_t k = 1; k < INPUT_SUB_QUEUE - 1; k++)
		ICHECK_EQ(ev[k].value, (int32_t)k - 1);
	ICHECK_EQ(ev[INPUT_SUB_QUEUE - 1].type, INPUT_EV_SYN);
	ICHECK_EQ(ev[INPUT_SUB_QUEUE - 1].code, INPUT_SYN_DROPPED);
	ICHECK_EQ(ev[INPUT_SUB_QUEUE - 1].value, 300 - 254);
	ICHECK_EQ(status("lost"), 300 - 254);
	/* Then events flow again. */
	b[0] = rel(INPUT_REL_Y, 7, 0);
	ICHECK_EQ(input_dev_call(ep, b, 1, g_now() + 2 * SEC), 1);
	ICHECK_EQ(read_n(sub, ev, 1), 1);
	ICHECK_EQ(ev[0].code, INPUT_REL_Y);
	ICHECK_EQ(ev[0].value, 7);
	sys_handle_close(ep);
	sys_handle_close(sub);
	sys_handle_close(fast);
	ienv_stop();
}

/* A driver task dies holding a key down: subscribers get the release,
 * then the device is gone. */
GTEST(input_hub_driver_death_releases_keys)
{
	SETUP();
	handle_t sub, ep;
	uint32_t kid;
	struct child drv;
	int64_t st;
	ICHECK_EQ(input_subscribe(ie.pub, &sub, NULL), 0);
	keep(sub);
	struct input_dev_desc d = desc("dying kbd", INPUT_KIND_KEYBOARD);
	ICHECK_EQ(input_dev_connect(ie.dev, &d, &ep, &kid), 0);
	keep(ep);
	struct input_event b = key(INPUT_KEY_B, 1, 1);
	ICHECK_EQ(input_dev_call(ep, &b, 1, g_now() + 2 * SEC), 1);
	/* Its only endpoint moves into a child, which is then killed. */
	ICHECK_EQ(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, ep,
			     RIGHT_SAME, &drv),
		  0);
	sys_task_kill(drv.task, -1);
	g_reap(&drv, 2 * SEC, &st);
	ICHECK_EQ(read_n(sub, ev, 5), 5);
	ICHECK_EQ(ev[0].code, INPUT_SYN_DEV_ADDED);
	ICHECK_EQ(ev[1].code, INPUT_KEY_B);
	ICHECK_EQ(ev[1].value, 1);
	ICHECK_EQ(ev[2].type, INPUT_EV_KEY);
	ICHECK_EQ(ev[2].code, INPUT_KEY_B);
	ICHECK_EQ(ev[2].value, 0);
	ICHECK_EQ(ev[2].device, kid);
	ICHECK_EQ(ev[3].code, INPUT_SYN_REPORT);
	ICHECK_EQ(ev[4].code, INPUT_SYN_DEV_REMOVED);
	ICHECK_EQ(ev[4].device, kid);
	struct input_dev_desc l[INPUT_DEVS_MAX];
	ICHECK_EQ(input_devices(ie.pub, l, INPUT_DEVS_MAX), 0);
	ICHECK_EQ(status("removes"), 1);
	sys_handle_close(sub);
	ienv_stop();
}

static handle_t reader_sub;
static int64_t reader(uint64_t arg)
{
	(void)arg;
	struct input_event e[4];
	return input_read(reader_sub, e, 4, 0, g_now() + 5 * SEC);
}

/* Waits until the hub holds a read of the (only) subscription. */
static bool read_held(void)
{
	uint64_t end = g_now() + 2 * SEC;
	while (status("subscribers.0.reading") != 1)
		if (g_now() > end)
			return false;
		else
			sys_sleep_until(g_now() + MS);
	return true;
}

/* A newer read replaces a held one (a reader that timed out can read
 * again); a subscriber that goes away: its held read ends, its slot is
 * freed; one in a dying task is cleaned up too. */
GTEST(input_hub_subscriber_death_cleans_up)
{
	SETUP();
	struct gthread t;
	struct child c;
	int64_t st = 0;
	handle_t dup;
	ICHECK_EQ(input_subscribe(ie.pub, &reader_sub, NULL), 0);
	keep(reader_sub);
	ICHECK_EQ(sys_handle_dup(reader_sub, RIGHT_SAME, &dup), 0);
	keep(dup);
	ICHECK_EQ(gthread_start(&t, reader, 0), 0);
	ICHECK(read_held());
	/* Another read takes over: the thread's ends with EBUSY. */
	ICHECK_EQ(input_read(dup, ev, 1, INPUT_READ_NOWAIT, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EAGAIN));
	ICHECK_EQ(gthread_join(&t, g_now() + 3 * SEC, &st), 0);
	ICHECK_EQ(st, INPUT_HUB_ERR(INPUT_EBUSY));
	/* A read that timed out leaves a cancelled call in the hub; the
	 * next read is not refused because of it. */
	ICHECK_EQ(input_read(dup, ev, 1, 0, g_now() + 20 * MS), ERR_TIMED_OUT);
	ICHECK_EQ(status("subscribers.0.reading"), 1);
	ICHECK_EQ(input_read(dup, ev, 1, INPUT_READ_NOWAIT, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EAGAIN));
	ICHECK_EQ(status("subscribers.0.reading"), 0);
	/* The last handle closed with a read held: PEER_CLOSED. */
	ICHECK_EQ(gthread_start(&t, reader, 0), 0);
	ICHECK(read_held());
	ICHECK_EQ(status("subscribes"), 1);
	sys_handle_close(dup);
	sys_handle_close(reader_sub); /* the last handle: the notice */
	ICHECK_EQ(gthread_join(&t, g_now() + 3 * SEC, &st), 0);
	ICHECK_EQ(st, ERR_PEER_CLOSED);
	ICHECK_EQ(status("unsubscribes"), 1);
	/* A subscription held by a task that is killed. */
	handle_t s2;
	ICHECK_EQ(input_subscribe(ie.pub, &s2, NULL), 0);
	keep(s2);
	ICHECK_EQ(g_spawn_ex(CHILD_WORK, "spin @", CHILD_QUOTA, 0, s2,
			     RIGHT_SAME, &c),
		  0);
	sys_task_kill(c.task, -1);
	g_reap(&c, 2 * SEC, &st);
	uint64_t end = g_now() + 2 * SEC;
	while (status("unsubscribes") != 2 && g_now() < end)
		sys_sleep_until(g_now() + 2 * MS);
	ICHECK_EQ(status("unsubscribes"), 2);
	ienv_stop();
}

GTEST(input_hub_limits_and_bad_requests)
{
	SETUP();
	handle_t ep[INPUT_DEVS_PER_TASK + 1], sub[INPUT_SUBS_PER_TASK + 1];
	struct input_dev_desc d = desc("k", INPUT_KIND_KEYBOARD);
	for (uint32_t i = 0; i < INPUT_DEVS_PER_TASK; i++) {
		ICHECK_EQ(input_dev_connect(ie.dev, &d, &ep[i], NULL), 0);
		keep(ep[i]);
	}
	ICHECK_EQ(input_dev_connect(ie.dev, &d, &ep[INPUT_DEVS_PER_TASK], NULL),
		  INPUT_HUB_ERR(INPUT_ENOSPC));
	for (uint32_t i = 0; i < INPUT_SUBS_PER_TASK; i++) {
		ICHECK_EQ(input_subscribe(ie.pub, &sub[i], NULL), 0);
		keep(sub[i]);
	}
	ICHECK_EQ(input_subscribe(ie.pub, &sub[INPUT_SUBS_PER_TASK], NULL),
		  INPUT_HUB_ERR(INPUT_ENOSPC));
	/* A bad description, a wrong version, ops on the wrong endpoint. */
	struct input_dev_desc bad = desc("", INPUT_KIND_MOUSE);
	handle_t x;
	sys_handle_close(ep[3]); /* room for one more */
	ICHECK_EQ(input_dev_connect(ie.dev, &bad, &x, NULL),
		  INPUT_HUB_ERR(INPUT_EINVAL));
	ICHECK_EQ(input_subscribe(ie.dev, &x, NULL),
		  INPUT_HUB_ERR(INPUT_EPERM));
	ICHECK_EQ(input_dev_connect(ie.pub, &d, &x, NULL),
		  INPUT_HUB_ERR(INPUT_EPERM));
	ICHECK_EQ(input_read(ie.pub, ev, 1, 0, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EPERM));
	ICHECK_EQ(input_read(sub[0], ev, 0, 0, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EINVAL));
	ICHECK_EQ(input_read(sub[0], ev, 1, 0x80, DEADLINE_NONE),
		  INPUT_HUB_ERR(INPUT_EINVAL));
	/* Malformed batches are dropped whole and counted; the device
	 * goes on working. */
	struct {
		struct input_req q;
		struct input_event e[2];
	} m = {.q = {.op = INPUT_DEV_EVENTS, .count = 3}};
	struct port_msg pm = {.data = &m, .len = sizeof(m)};
	ICHECK_EQ(sys_port_send(ep[0], &pm, DEADLINE_NONE), 0);
	m.q.count = 2;
	pm.len = 7;
	ICHECK_EQ(sys_port_send(ep[0], &pm, DEADLINE_NONE), 0);
	m.e[0] = key(INPUT_KEY_A, 9, 0); /* a bad value: that event only */
	m.e[1] = key(INPUT_KEY_A, 1, 0);
	ICHECK_EQ(input_dev_call(ep[0], m.e, 2, g_now() + 2 * SEC), 1);
	ICHECK_EQ(status("bad_batches"), 2);
	ICHECK_EQ(status("bad_events"), 1);
	ICHECK_EQ(status("refused"), 2);
	for (uint32_t i = 0; i < INPUT_SUBS_PER_TASK; i++)
		sys_handle_close(sub[i]);
	for (uint32_t i = 0; i < 3; i++)
		sys_handle_close(ep[i]);
	/* Every slot comes back. */
	uint64_t end = g_now() + 2 * SEC;
	while (status("removes") != 4 && g_now() < end)
		sys_sleep_until(g_now() + 2 * MS);
	ICHECK_EQ(status("removes"), 4);
	ICHECK_EQ(status("unsubscribes"), INPUT_SUBS_PER_TASK);
	ienv_stop();
}

/* The drivers' endpoint is /drv/input: a program whose lookups are the
 * shell's (the /svc/ prefix: every program sh starts gets them) is refused it
 * and so cannot attach a fake keyboard that types into every subscriber, while
 * it still reaches /svc/input; a driver (iod forwards exactly its table entry's
 * name) connects a device (REVIEW-17 F6). Fails on the old /svc/input-dev,
 * which the shell's pattern matched. */
#define PROG_BADGE 3
#define DRV_BADGE  4
GTEST(input_dev_endpoint_refused_to_programs)
{
	SETUP();
	handle_t prog = keep(nenv_mint(&ie.ns, PROG_BADGE));
	handle_t drv = keep(nenv_mint(&ie.ns, DRV_BADGE));
	ICHECK(prog && drv);
	ICHECK_EQ(nenv_acl(&ie.ns, PROG_BADGE, "[]", "[\"/svc/*\"]"), 0);
	ICHECK_EQ(nenv_acl(&ie.ns, DRV_BADGE, "[]",
			   "[\"" INPUT_DEV_SVC_NAME "\"]"),
		  0);
	struct cl_conn c;
	cl_set_names(prog);
	long sub = cl_connect(INPUT_SVC_NAME, g_now() + 2 * SEC, &c);
	if (sub == 0)
		keep(c.send);
	long dev = cl_connect(INPUT_DEV_SVC_NAME, DEADLINE_POLL, &c);
	if (dev == 0)
		keep(c.send);
	cl_set_names(drv);
	long dsub = cl_connect(INPUT_SVC_NAME, DEADLINE_POLL, &c);
	if (dsub == 0)
		keep(c.send);
	handle_t dpub = input_lookup(INPUT_DEV_SVC_NAME, g_now() + 2 * SEC);
	cl_set_names(HANDLE_INVALID);
	ICHECK_EQ(sub, 0);
	ICHECK_EQ(dev, CL_ERR_DENIED);
	ICHECK_EQ(dsub, CL_ERR_DENIED);
	ICHECK(dpub);
	keep(dpub);
	struct input_dev_desc d = desc("drv kbd", INPUT_KIND_KEYBOARD);
	handle_t ep = 0;
	ICHECK_EQ(input_dev_connect(dpub, &d, &ep, NULL), 0);
	keep(ep);
	ICHECK_EQ(status("connects"), 1);
	ienv_stop();
}
