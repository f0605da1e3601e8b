/* The input hub's core (servers/inputd/hub.c): stamping, fan-out, the
 * bounded queues and their DROPPED markers, device removal, limits; and
 * random operations checked against a plain model. */
#include <stdlib.h>

#include <execrt/input_keys.h>
#include <execrt/input_proto.h>

#include "harness.h"
#include "hub.h"
#include "keymap.h"

static struct input_dev_desc desc(const char *name, uint32_t kind)
{
	struct input_dev_desc d;
	memset(&d, 0, sizeof(d));
	strncpy(d.name, name, sizeof(d.name) - 1);
	d.kind = kind;
	d.bus = INPUT_BUS_VIRTUAL;
	return d;
}

static struct input_event ev(uint16_t type, uint16_t code, int32_t value,
			     uint64_t t)
{
	return (struct input_event){
		.time_ns = t, .type = type, .code = code, .value = value};
}

static struct input_event key(uint16_t code, int32_t value)
{
	return ev(INPUT_EV_KEY, code, value, 0);
}

static struct hub H;
static struct input_event out[INPUT_SUB_QUEUE];

TEST(input_hub_stamps_keys_with_keysyms_and_mods)
{
	int d, s;
	hub_init(&H);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0);
	struct input_dev_desc kd = desc("kbd", INPUT_KIND_KEYBOARD);
	CHECK_EQ(hub_dev_add(&H, &kd, 9, 100, &d), 0);
	uint32_t id = H.dev[d].id;
	CHECK(id != 0);
	struct input_event in[] = {
		key(INPUT_KEY_A, 1),	     key(INPUT_KEY_A, 0),
		key(INPUT_KEY_LEFTSHIFT, 1), key(INPUT_KEY_A, 1),
		key(INPUT_KEY_A, 1), /* held: a repeat */
		key(INPUT_KEY_A, 0),	     key(INPUT_KEY_LEFTSHIFT, 0),
		key(INPUT_KEY_LEFTCTRL, 1),  key(INPUT_KEY_C, 1),
		key(INPUT_KEY_C, 0),	     key(INPUT_KEY_LEFTCTRL, 0),
		key(INPUT_KEY_ENTER, 1),     ev(INPUT_EV_SYN, 0, 0, 5),
	};
	uint32_t n = sizeof(in) / sizeof(in[0]);
	CHECK_EQ(hub_dev_events(&H, d, in, n), n);
	CHECK_EQ(hub_sub_peek(&H, s, out, INPUT_SUB_QUEUE), n + 1);
	/* First the device notice. */
	CHECK_EQ(out[0].type, INPUT_EV_SYN);
	CHECK_EQ(out[0].code, INPUT_SYN_DEV_ADDED);
	CHECK_EQ(out[0].value, INPUT_KIND_KEYBOARD);
	CHECK_EQ(out[0].device, id);
	CHECK_EQ(out[0].time_ns, 100);
	struct {
		int32_t value;
		uint32_t keysym, mods, ch;
	} want[] = {
		{1, 'a', 0, 'a'},
		{0, 'a', 0, 0},
		{1, XK_Shift_L, INPUT_MOD_SHIFT, 0},
		{1, 'A', INPUT_MOD_SHIFT, 'A'},
		{2, 'A', INPUT_MOD_SHIFT, 'A'},
		{0, 'A', INPUT_MOD_SHIFT, 0},
		{0, XK_Shift_L, 0, 0},
		{1, XK_Control_L, INPUT_MOD_CTRL, 0},
		{1, 'c', INPUT_MOD_CTRL, 3},
		{0, 'c', INPUT_MOD_CTRL, 0},
		{0, XK_Control_L, 0, 0},
		{1, XK_Return, 0, '\r'},
	};
	for (uint32_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct input_event *e = &out[i + 1];
		CHECK_EQ(e->type, INPUT_EV_KEY);
		CHECK_EQ(e->code, in[i].code);
		CHECK_EQ(e->device, id);
		CHECK_EQ(e->value, want[i].value);
		CHECK_EQ(e->keysym, want[i].keysym);
		CHECK_EQ(e->mods, want[i].mods);
		CHECK_EQ(e->ch, want[i].ch);
	}
	CHECK_EQ(out[n].type, INPUT_EV_SYN);
	CHECK_EQ(out[n].time_ns, 5);
	/* Peek does not take; consume does. */
	CHECK_EQ(hub_sub_queued(&H, s), n + 1);
	hub_sub_consume(&H, s, 3);
	CHECK_EQ(hub_sub_peek(&H, s, out, 1), 1);
	CHECK_EQ(out[0].code, INPUT_KEY_LEFTSHIFT);
	CHECK_EQ(H.st.events_in, n);
}

TEST(input_hub_caps_lock_toggles)
{
	int d, s;
	hub_init(&H);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0);
	struct input_dev_desc kd = desc("kbd", INPUT_KIND_KEYBOARD);
	CHECK_EQ(hub_dev_add(&H, &kd, 9, 0, &d), 0);
	struct input_event in[] = {
		key(INPUT_KEY_CAPSLOCK, 1), key(INPUT_KEY_CAPSLOCK, 0),
		key(INPUT_KEY_B, 1),	    key(INPUT_KEY_B, 0),
		key(INPUT_KEY_1, 1),	    key(INPUT_KEY_RIGHTSHIFT, 1),
		key(INPUT_KEY_B, 1),	    key(INPUT_KEY_RIGHTSHIFT, 0),
		key(INPUT_KEY_CAPSLOCK, 1), key(INPUT_KEY_CAPSLOCK, 2),
		key(INPUT_KEY_B, 1),
	};
	CHECK_EQ(hub_dev_events(&H, d, in, 11), 11);
	CHECK_EQ(hub_sub_peek(&H, s, out, 64), 12);
	CHECK_EQ(out[1].mods, INPUT_MOD_CAPS);
	CHECK_EQ(out[3].keysym, 'B');
	CHECK_EQ(out[3].ch, 'B');
	CHECK_EQ(out[5].keysym, '1');
	CHECK_EQ(out[7].keysym, 'b'); /* shift undoes caps for letters */
	CHECK_EQ(out[7].mods, INPUT_MOD_CAPS | INPUT_MOD_SHIFT);
	CHECK_EQ(out[9].mods, 0);   /* caps off again */
	CHECK_EQ(out[10].value, 2); /* repeat does not toggle */
	CHECK_EQ(out[10].mods, 0);
	CHECK_EQ(out[11].keysym, 'b');
	CHECK_EQ(out[11].value, 2); /* B was still down */
}

TEST(input_hub_pointer_events_pass_through)
{
	int d, s;
	hub_init(&H);
	struct input_dev_desc md = desc("mouse", INPUT_KIND_MOUSE);
	CHECK_EQ(hub_dev_add(&H, &md, 9, 0, &d), 0);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0); /* after the notice */
	struct input_event in[] = {
		ev(INPUT_EV_REL, INPUT_REL_X, -5, 1),
		ev(INPUT_EV_REL, INPUT_REL_Y, 7, 1),
		ev(INPUT_EV_KEY, INPUT_BTN_LEFT, 1, 1),
		ev(INPUT_EV_REL, INPUT_REL_WHEEL, -1, 1),
		ev(INPUT_EV_SYN, INPUT_SYN_REPORT, 0, 1),
	};
	in[0].keysym = 55; /* a driver cannot set these */
	in[0].device = 99;
	CHECK_EQ(hub_dev_events(&H, d, in, 5), 5);
	CHECK_EQ(hub_sub_peek(&H, s, out, 64), 5);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(out[i].type, in[i].type);
		CHECK_EQ(out[i].code, in[i].code);
		CHECK_EQ(out[i].value, in[i].value);
		CHECK_EQ(out[i].device, H.dev[d].id);
		CHECK_EQ(out[i].keysym, 0);
		CHECK_EQ(out[i].mods, 0);
	}
}

TEST(input_hub_bad_events_dropped_and_counted)
{
	int d, s;
	hub_init(&H);
	struct input_dev_desc kd = desc("kbd", INPUT_KIND_KEYBOARD);
	CHECK_EQ(hub_dev_add(&H, &kd, 9, 0, &d), 0);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0);
	struct input_event in[] = {
		ev(0x20, 0, 0, 0),
		key(INPUT_KEY_MAX + 1, 1),
		key(INPUT_KEY_A, 3),
		key(INPUT_KEY_A, -1),
		ev(INPUT_EV_SYN, INPUT_SYN_DEV_ADDED, 1, 0),
		ev(INPUT_EV_SYN, INPUT_SYN_DEV_REMOVED, 1, 0),
		key(INPUT_KEY_MAX, 1),
		ev(INPUT_EV_SYN, INPUT_SYN_DROPPED, 4, 0),
	};
	CHECK_EQ(hub_dev_events(&H, d, in, 8), 2);
	CHECK_EQ(H.st.bad_events, 6);
	CHECK_EQ(H.dev[d].bad_events, 6);
	CHECK_EQ(hub_sub_peek(&H, s, out, 64), 2);
	CHECK_EQ(out[0].code, INPUT_KEY_MAX);
	CHECK_EQ(out[1].code, INPUT_SYN_DROPPED);
	/* Whole messages: header, count, length. */
	struct {
		struct input_req q;
		struct input_event e[INPUT_BATCH_MAX + 1];
	} m;
	memset(&m, 0, sizeof(m));
	m.q.op = INPUT_DEV_EVENTS;
	m.q.count = 1;
	m.e[0] = key(INPUT_KEY_B, 1);
	uint32_t one = sizeof(m.q) + sizeof(m.e[0]);
	CHECK_EQ(hub_dev_msg(&H, d, &m, one), 1);
	CHECK_EQ(hub_dev_msg(&H, d, &m, one - 1), -INPUT_EINVAL);
	CHECK_EQ(hub_dev_msg(&H, d, &m, one + 32), -INPUT_EINVAL);
	CHECK_EQ(hub_dev_msg(&H, d, &m, 3), -INPUT_EINVAL);
	m.q.count = 0;
	CHECK_EQ(hub_dev_msg(&H, d, &m, sizeof(m.q)), -INPUT_EINVAL);
	m.q.count = INPUT_BATCH_MAX + 1;
	CHECK_EQ(hub_dev_msg(&H, d, &m, sizeof(m)), -INPUT_EINVAL);
	m.q.count = INPUT_BATCH_MAX;
	CHECK_EQ(hub_dev_msg(&H, d, &m, sizeof(m) - sizeof(m.e[0])),
		 INPUT_BATCH_MAX);
	m.q.op = INPUT_READ;
	m.q.count = 1;
	CHECK_EQ(hub_dev_msg(&H, d, &m, one), -INPUT_EINVAL);
	CHECK_EQ(H.st.bad_batches, 6);
	char js[4096];
	CHECK(hub_status_json(&H, js, sizeof(js)) > 0);
	CHECK(strstr(js, "\"bad_batches\":6") != NULL);
	CHECK(strstr(js, "\"name\":\"kbd\"") != NULL);
}

TEST(input_hub_overflow_reports_dropped_where_it_happened)
{
	int d, s, fast;
	hub_init(&H);
	struct input_dev_desc md = desc("mouse", INPUT_KIND_MOUSE);
	CHECK_EQ(hub_dev_add(&H, &md, 9, 0, &d), 0);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0);
	CHECK_EQ(hub_sub_add(&H, 8, &fast), 0);
	/* 300 events: 255 fit, then the marker takes the last slot. */
	for (int i = 0; i < 300; i++) {
		struct input_event e = ev(INPUT_EV_REL, 0, i, (uint64_t)i);
		CHECK_EQ(hub_dev_events(&H, d, &e, 1), 1);
		if (i % 10 == 9) { /* the fast reader keeps up */
			CHECK_EQ(hub_sub_peek(&H, fast, out, 64), 10);
			for (int k = 0; k < 10; k++)
				CHECK_EQ(out[k].value, i - 9 + k);
			hub_sub_consume(&H, fast, 10);
		}
	}
	CHECK_EQ(H.sub[fast].lost, 0);
	CHECK_EQ(hub_sub_queued(&H, s), INPUT_SUB_QUEUE);
	CHECK_EQ(hub_sub_peek(&H, s, out, INPUT_SUB_QUEUE), INPUT_SUB_QUEUE);
	for (int i = 0; i < (int)INPUT_SUB_QUEUE - 1; i++)
		CHECK_EQ(out[i].value, i);
	CHECK_EQ(out[255].type, INPUT_EV_SYN);
	CHECK_EQ(out[255].code, INPUT_SYN_DROPPED);
	CHECK_EQ(out[255].value, 300 - 255);
	CHECK_EQ(out[255].time_ns, 255); /* the first lost event's time */
	CHECK_EQ(out[255].device, 0);
	CHECK_EQ(H.sub[s].lost, 45);
	CHECK_EQ(H.st.lost, 45);
	/* Read 100: 99 new ones fit behind the marker (one slot stays for
	 * a marker); the next three become a new marker after them. */
	hub_sub_consume(&H, s, 100);
	for (int i = 300; i < 402; i++) {
		struct input_event e = ev(INPUT_EV_REL, 0, i, (uint64_t)i);
		hub_dev_events(&H, d, &e, 1);
	}
	CHECK_EQ(hub_sub_peek(&H, s, out, INPUT_SUB_QUEUE), INPUT_SUB_QUEUE);
	CHECK_EQ(out[154].value, 254);
	CHECK_EQ(out[155].code, INPUT_SYN_DROPPED); /* the old marker */
	CHECK_EQ(out[155].value, 300 - 255);
	CHECK_EQ(out[156].value, 300);
	CHECK_EQ(out[254].value, 398);
	CHECK_EQ(out[255].code, INPUT_SYN_DROPPED);
	CHECK_EQ(out[255].value, 3);
	CHECK_EQ(out[255].time_ns, 399);
	/* Drained entirely: the next event is an event again. */
	hub_sub_consume(&H, s, INPUT_SUB_QUEUE);
	struct input_event e = ev(INPUT_EV_REL, 0, 1000, 1000);
	hub_dev_events(&H, d, &e, 1);
	CHECK_EQ(hub_sub_peek(&H, s, out, 4), 1);
	CHECK_EQ(out[0].value, 1000);
	CHECK_EQ(H.sub[s].delivered, 100 + INPUT_SUB_QUEUE);
}

TEST(input_hub_device_removal_releases_held_keys)
{
	int d, m, s;
	hub_init(&H);
	struct input_dev_desc kd = desc("kbd", INPUT_KIND_KEYBOARD);
	struct input_dev_desc md = desc("mouse", INPUT_KIND_MOUSE);
	CHECK_EQ(hub_dev_add(&H, &kd, 9, 0, &d), 0);
	CHECK_EQ(hub_dev_add(&H, &md, 9, 0, &m), 0);
	uint32_t kid = H.dev[d].id, mid = H.dev[m].id;
	CHECK(kid != mid);
	struct input_event in[] = {key(INPUT_KEY_LEFTSHIFT, 1),
				   key(INPUT_KEY_X, 1), key(INPUT_KEY_Y, 1),
				   key(INPUT_KEY_Y, 0)};
	CHECK_EQ(hub_dev_events(&H, d, in, 4), 4);
	struct input_event b = ev(INPUT_EV_KEY, INPUT_BTN_RIGHT, 1, 0);
	CHECK_EQ(hub_dev_events(&H, m, &b, 1), 1);
	CHECK_EQ(hub_sub_add(&H, 7, &s), 0);
	hub_dev_remove(&H, d, 77);
	CHECK_EQ(hub_sub_peek(&H, s, out, 64), 4);
	CHECK_EQ(out[0].code, INPUT_KEY_LEFTSHIFT);
	CHECK_EQ(out[0].value, 0);
	CHECK_EQ(out[0].keysym, XK_Shift_L);
	CHECK_EQ(out[0].time_ns, 77);
	CHECK_EQ(out[1].code, INPUT_KEY_X);
	CHECK_EQ(out[1].value, 0);
	CHECK_EQ(out[1].keysym, 'x'); /* shift is up by now */
	CHECK_EQ(out[1].device, kid);
	CHECK_EQ(out[2].type, INPUT_EV_SYN);
	CHECK_EQ(out[2].code, INPUT_SYN_REPORT);
	CHECK_EQ(out[3].code, INPUT_SYN_DEV_REMOVED);
	CHECK_EQ(out[3].device, kid);
	CHECK_EQ(hub_dev_slot(&H, kid), -1);
	CHECK_EQ(hub_dev_slot(&H, mid), m);
	hub_sub_consume(&H, s, 4);
	hub_dev_remove(&H, m, 78);
	CHECK_EQ(hub_sub_peek(&H, s, out, 64), 3);
	CHECK_EQ(out[0].code, INPUT_BTN_RIGHT);
	CHECK_EQ(out[0].value, 0);
	CHECK_EQ(out[2].value, INPUT_KIND_MOUSE);
	/* Ids are never reused. */
	CHECK_EQ(hub_dev_add(&H, &kd, 9, 0, &d), 0);
	CHECK(H.dev[d].id > mid);
	CHECK_EQ(hub_devices(&H, (struct input_dev_desc[4]){}, 4), 1);
}

TEST(input_hub_limits_and_bad_descriptions)
{
	int slot;
	hub_init(&H);
	struct input_dev_desc d = desc("k", INPUT_KIND_KEYBOARD);
	for (uint32_t i = 0; i < INPUT_DEVS_PER_TASK; i++)
		CHECK_EQ(hub_dev_add(&H, &d, 1, 0, &slot), 0);
	CHECK_EQ(hub_dev_add(&H, &d, 1, 0, &slot), -INPUT_ENOSPC);
	for (uint64_t t = 2; t < 5; t++)
		for (uint32_t i = 0; i < INPUT_DEVS_PER_TASK; i++)
			CHECK_EQ(hub_dev_add(&H, &d, t, 0, &slot), 0);
	CHECK_EQ(hub_dev_add(&H, &d, 99, 0, &slot), -INPUT_ENOSPC);
	hub_dev_remove(&H, 5, 0);
	CHECK_EQ(hub_dev_add(&H, &d, 99, 0, &slot), 0);
	CHECK_EQ(slot, 5);
	CHECK_EQ(H.st.refused, 2);

	for (uint32_t i = 0; i < INPUT_SUBS_PER_TASK; i++)
		CHECK_EQ(hub_sub_add(&H, 1, &slot), 0);
	CHECK_EQ(hub_sub_add(&H, 1, &slot), -INPUT_ENOSPC);
	for (uint64_t t = 2; t < 5; t++)
		for (uint32_t i = 0; i < INPUT_SUBS_PER_TASK; i++)
			CHECK_EQ(hub_sub_add(&H, t, &slot), 0);
	CHECK_EQ(hub_sub_add(&H, 99, &slot), -INPUT_ENOSPC);
	uint32_t id = H.sub[3].id;
	hub_sub_remove(&H, 3);
	CHECK_EQ(hub_sub_slot(&H, id), -1);
	CHECK_EQ(hub_sub_add(&H, 99, &slot), 0);
	CHECK(H.sub[slot].id > id);

	hub_init(&H);
	struct input_dev_desc b = d;
	b.kind = 0;
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b.kind = 4;
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b = d;
	b.name[0] = 0;
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	memset(b.name, 'x', sizeof(b.name)); /* no NUL */
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b = d;
	b.name[0] = '\n';
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b = desc("tab", INPUT_KIND_TABLET);
	b.nabs = INPUT_ABS_MAX + 1;
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b.nabs = 2;
	b.abs[0] = (struct input_absinfo){.code = INPUT_ABS_X, .max = 32767};
	b.abs[1] =
		(struct input_absinfo){.code = INPUT_ABS_Y, .min = 5, .max = 4};
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), -INPUT_EINVAL);
	b.abs[1].max = 32767;
	b.abs[1].pad = 9;
	CHECK_EQ(hub_dev_add(&H, &b, 1, 0, &slot), 0);
	struct input_dev_desc l[2];
	CHECK_EQ(hub_devices(&H, l, 2), 1);
	CHECK_EQ(l[0].nabs, 2);
	CHECK_EQ(l[0].abs[1].max, 32767);
	CHECK_EQ(l[0].abs[1].pad, 0);
	CHECK_EQ(l[0].id, H.dev[slot].id);
	CHECK_EQ(H.st.refused, 0);
}

/* ---- random operations against a model ---- */

#define MAXEV 2048
struct mev {
	uint16_t type, code;
	int32_t value;
	uint32_t device;
};
struct msub {
	bool used;
	uint32_t id;
	struct mev q[INPUT_SUB_QUEUE]; /* a plain array, shifted on reads */
	uint32_t n;
	bool marker;
};
struct mdev {
	bool used;
	uint32_t id, kind;
	bool down[INPUT_KEY_MAX + 1];
};
static struct msub ms[INPUT_SUBS_MAX];
static struct mdev md[INPUT_DEVS_MAX];

static void m_push(struct mev e)
{
	for (int i = 0; i < (int)INPUT_SUBS_MAX; i++) {
		struct msub *s = &ms[i];
		if (!s->used)
			continue;
		if (s->n + 1 < INPUT_SUB_QUEUE) {
			s->q[s->n++] = e;
			s->marker = false;
		} else if (s->marker) {
			s->q[s->n - 1].value++;
		} else {
			s->q[s->n++] = (struct mev){INPUT_EV_SYN,
						    INPUT_SYN_DROPPED, 1, 0};
			s->marker = true;
		}
	}
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)rand() % n;
}

TEST(input_hub_random_ops_match_model)
{
	static const uint16_t keys[] = {INPUT_KEY_A, INPUT_KEY_B,
					INPUT_KEY_LEFTSHIFT, INPUT_KEY_CAPSLOCK,
					INPUT_BTN_LEFT};
	srand(1234);
	hub_init(&H);
	memset(ms, 0, sizeof(ms));
	memset(md, 0, sizeof(md));
	for (int step = 0; step < 20000; step++) {
		uint32_t op = rnd(100);
		int slot, i = (int)rnd(INPUT_DEVS_MAX);
		int j = (int)rnd(INPUT_SUBS_MAX);
		if (op < 4) { /* connect */
			uint32_t kind = 1 + rnd(3);
			struct input_dev_desc d = desc("r", kind);
			int r = hub_dev_add(&H, &d, rnd(8), 0, &slot);
			if (r == 0) {
				CHECK(!md[slot].used);
				md[slot] = (struct mdev){.used = true,
							 .id = H.dev[slot].id,
							 .kind = kind};
				m_push((struct mev){
					INPUT_EV_SYN, INPUT_SYN_DEV_ADDED,
					(int32_t)kind, md[slot].id});
			}
		} else if (op < 7) { /* remove */
			if (!md[i].used)
				continue;
			bool any = false;
			for (uint32_t c = 0; c <= INPUT_KEY_MAX; c++)
				if (md[i].down[c]) {
					m_push((struct mev){INPUT_EV_KEY,
							    (uint16_t)c, 0,
							    md[i].id});
					any = true;
				}
			if (any)
				m_push((struct mev){INPUT_EV_SYN, 0, 0,
						    md[i].id});
			m_push((struct mev){INPUT_EV_SYN, INPUT_SYN_DEV_REMOVED,
					    (int32_t)md[i].kind, md[i].id});
			memset(&md[i], 0, sizeof(md[i]));
			hub_dev_remove(&H, i, 0);
		} else if (op < 50) { /* a batch */
			if (!md[i].used)
				continue;
			struct input_event in[8];
			uint32_t n = 1 + rnd(8), good = 0;
			for (uint32_t k = 0; k < n; k++) {
				uint32_t t = rnd(10);
				if (t < 6) {
					uint16_t c = keys[rnd(5)];
					int32_t v = (int32_t)rnd(3);
					in[k] = key(c, v);
					if (v == 1 && md[i].down[c])
						v = 2;
					else if (v == 2 && !md[i].down[c])
						v = 1;
					md[i].down[c] = v != 0;
					m_push((struct mev){INPUT_EV_KEY, c, v,
							    md[i].id});
					good++;
				} else if (t < 9) {
					in[k] = ev(INPUT_EV_REL, (uint16_t)t,
						   (int32_t)k, 0);
					m_push((struct mev){
						INPUT_EV_REL, (uint16_t)t,
						(int32_t)k, md[i].id});
					good++;
				} else {
					in[k] = key(INPUT_KEY_A, 7); /* bad */
				}
			}
			CHECK_EQ(hub_dev_events(&H, i, in, n), good);
		} else if (op < 53) { /* subscribe */
			int r = hub_sub_add(&H, rnd(8), &slot);
			if (r == 0) {
				CHECK(!ms[slot].used);
				ms[slot] = (struct msub){.used = true,
							 .id = H.sub[slot].id};
			}
		} else if (op < 55) { /* unsubscribe */
			if (!ms[j].used)
				continue;
			hub_sub_remove(&H, j);
			ms[j].used = false;
		} else { /* read */
			if (!ms[j].used)
				continue;
			uint32_t max = 1 + rnd(INPUT_BATCH_MAX);
			uint32_t n = hub_sub_peek(&H, j, out, max);
			CHECK_EQ(n, ms[j].n < max ? ms[j].n : max);
			for (uint32_t k = 0; k < n; k++) {
				CHECK_EQ(out[k].type, ms[j].q[k].type);
				CHECK_EQ(out[k].code, ms[j].q[k].code);
				CHECK_EQ(out[k].value, ms[j].q[k].value);
				CHECK_EQ(out[k].device, ms[j].q[k].device);
			}
			uint32_t take = rnd(2) ? n : rnd(n + 1);
			hub_sub_consume(&H, j, take);
			memmove(ms[j].q, ms[j].q + take,
				(ms[j].n - take) * sizeof(ms[j].q[0]));
			ms[j].n -= take;
			if (!ms[j].n)
				ms[j].marker = false;
		}
		for (int k = 0; k < (int)INPUT_SUBS_MAX; k++) {
			CHECK_EQ(H.sub[k].used, ms[k].used);
			if (ms[k].used)
				CHECK_EQ(hub_sub_queued(&H, k), ms[k].n);
		}
	}
	CHECK(H.st.lost > 0); /* the run did overflow */
	CHECK(H.st.events_out > 1000);
}
