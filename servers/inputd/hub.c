/* The input hub's state (hub.h). */
#include "hub.h"

#include <string.h>

#include <execrt/input_keys.h>

#include "json.h"
#include "keymap.h"

#define QCAP INPUT_SUB_QUEUE

void hub_init(struct hub *h)
{
	memset(h, 0, sizeof(*h));
	h->next_dev_id = 1;
	h->next_sub_id = 1;
}

static bool bit(const uint8_t *b, uint32_t i)
{
	return b[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *b, uint32_t i, bool on)
{
	if (on)
		b[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		b[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* Appends e to one queue; never blocks, never loses silently (hub.h). */
static void sub_push(struct hub *h, struct hub_sub *s,
		     const struct input_event *e)
{
	if (s->count < QCAP - 1) {
		s->q[(s->head + s->count++) % QCAP] = *e;
		s->marker = false;
		return;
	}
	s->lost++;
	h->st.lost++;
	if (s->marker) {
		struct input_event *m = &s->q[(s->head + s->count - 1) % QCAP];
		if (m->value < INT32_MAX)
			m->value++;
		return;
	}
	/* count == QCAP - 1: the last slot takes the marker. */
	s->q[(s->head + s->count++) % QCAP] = (struct input_event){
		.time_ns = e->time_ns,
		.type = INPUT_EV_SYN,
		.code = INPUT_SYN_DROPPED,
		.value = 1,
	};
	s->marker = true;
}

static void fan_out(struct hub *h, const struct input_event *e)
{
	for (uint32_t i = 0; i < INPUT_SUBS_MAX; i++)
		if (h->sub[i].used)
			sub_push(h, &h->sub[i], e);
}

static void notice(struct hub *h, const struct hub_dev *d, uint16_t code,
		   uint64_t now)
{
	struct input_event e = {.time_ns = now,
				.type = INPUT_EV_SYN,
				.code = code,
				.value = (int32_t)d->desc.kind,
				.device = d->id};
	fan_out(h, &e);
}

static bool name_ok(const char *n)
{
	size_t len = strnlen(n, INPUT_NAME_MAX);
	if (len == 0 || len == INPUT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (n[i] < 0x20 || n[i] > 0x7e)
			return false;
	return true;
}

int hub_dev_add(struct hub *h, const struct input_dev_desc *d, uint64_t task,
		uint64_t now, int *slot)
{
	if (d->kind < INPUT_KIND_KEYBOARD || d->kind > INPUT_KIND_TABLET ||
	    !name_ok(d->name) || d->nabs > INPUT_ABS_MAX)
		return -INPUT_EINVAL;
	for (uint32_t i = 0; i < d->nabs; i++)
		if (d->abs[i].code > 0x3f || d->abs[i].min > d->abs[i].max)
			return -INPUT_EINVAL;
	int free = -1;
	uint32_t mine = 0;
	for (uint32_t i = 0; i < INPUT_DEVS_MAX; i++) {
		if (!h->dev[i].used && free < 0)
			free = (int)i;
		mine += h->dev[i].used && h->dev[i].task == task;
	}
	if (free < 0 || mine >= INPUT_DEVS_PER_TASK) {
		h->st.refused++;
		return -INPUT_ENOSPC;
	}
	struct hub_dev *v = &h->dev[free];
	memset(v, 0, sizeof(*v));
	v->used = true;
	v->id = h->next_dev_id++;
	v->task = task;
	memcpy(v->desc.name, d->name, INPUT_NAME_MAX);
	v->desc.kind = d->kind;
	v->desc.id = v->id;
	v->desc.bus = d->bus;
	v->desc.nabs = d->nabs;
	memcpy(v->desc.abs, d->abs, d->nabs * sizeof(d->abs[0]));
	for (uint32_t i = 0; i < d->nabs; i++)
		v->desc.abs[i].pad = 0;
	h->st.dev_connects++;
	notice(h, v, INPUT_SYN_DEV_ADDED, now);
	*slot = free;
	return 0;
}

static uint32_t held_mods(const struct hub_dev *d)
{
	static const uint16_t mod_keys[] = {
		INPUT_KEY_LEFTSHIFT, INPUT_KEY_RIGHTSHIFT, INPUT_KEY_LEFTCTRL,
		INPUT_KEY_RIGHTCTRL, INPUT_KEY_LEFTALT,	   INPUT_KEY_RIGHTALT,
		INPUT_KEY_LEFTMETA,  INPUT_KEY_RIGHTMETA,
	};
	uint32_t m = d->mods & INPUT_MOD_CAPS;
	for (size_t i = 0; i < sizeof(mod_keys) / sizeof(mod_keys[0]); i++)
		if (bit(d->down, mod_keys[i]))
			m |= kmap_mod_of(mod_keys[i]);
	return m;
}

/* A key or button event of device d, stamped: repeat, state, keysym. */
static void key_event(struct hub_dev *d, struct input_event *e)
{
	bool was = bit(d->down, e->code);
	if (e->value == 1 && was)
		e->value = 2; /* held and pressed again: a repeat */
	else if (e->value == 2 && !was)
		e->value = 1; /* a repeat of a key we never saw go down */
	set_bit(d->down, e->code, e->value != 0);
	if (d->desc.kind != INPUT_KIND_KEYBOARD)
		return;
	if (e->code == INPUT_KEY_CAPSLOCK && e->value == 1)
		d->mods ^= INPUT_MOD_CAPS;
	d->mods = held_mods(d);
	e->keysym = kmap_keysym(e->code, d->mods);
	e->ch = e->value ? kmap_char(e->keysym, d->mods) : 0;
}

static bool event_ok(const struct input_event *e)
{
	if (e->type > 0x1f)
		return false;
	if (e->type == INPUT_EV_KEY)
		return e->code <= INPUT_KEY_MAX && e->value >= 0 &&
		       e->value <= 2;
	if (e->type == INPUT_EV_SYN)
		return e->code < INPUT_SYN_DEV_ADDED;
	return true;
}

uint32_t hub_dev_events(struct hub *h, int slot, const struct input_event *ev,
			uint32_t n)
{
	struct hub_dev *d = &h->dev[slot];
	uint32_t taken = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!event_ok(&ev[i])) {
			d->bad_events++;
			h->st.bad_events++;
			continue;
		}
		struct input_event e = ev[i];
		e.device = d->id;
		e.keysym = e.mods = e.ch = 0;
		if (e.type == INPUT_EV_KEY)
			key_event(d, &e);
		if (d->desc.kind == INPUT_KIND_KEYBOARD)
			e.mods = d->mods;
		d->events++;
		h->st.events_in++;
		fan_out(h, &e);
		taken++;
	}
	return taken;
}

int hub_dev_msg(struct hub *h, int slot, const void *msg, uint32_t len)
{
	struct input_req q;
	const uint8_t *p = msg;
	if (len >= sizeof(q))
		memcpy(&q, p, sizeof(q));
	if (len < sizeof(q) || q.op != INPUT_DEV_EVENTS || !q.count ||
	    q.count > INPUT_BATCH_MAX ||
	    len != sizeof(q) + q.count * sizeof(struct input_event)) {
		h->dev[slot].bad_batches++;
		h->st.bad_batches++;
		return -INPUT_EINVAL;
	}
	struct input_event ev[INPUT_BATCH_MAX];
	memcpy(ev, p + sizeof(q), q.count * sizeof(ev[0]));
	return (int)hub_dev_events(h, slot, ev, q.count);
}

void hub_dev_remove(struct hub *h, int slot, uint64_t now)
{
	struct hub_dev *d = &h->dev[slot];
	bool released = false;
	if (!d->used)
		return;
	for (uint32_t c = 0; c <= INPUT_KEY_MAX; c++) {
		if (!bit(d->down, c))
			continue;
		struct input_event e = {.time_ns = now,
					.type = INPUT_EV_KEY,
					.code = (uint16_t)c,
					.value = 0,
					.device = d->id};
		key_event(d, &e);
		if (d->desc.kind == INPUT_KIND_KEYBOARD)
			e.mods = d->mods;
		fan_out(h, &e);
		released = true;
	}
	if (released) {
		struct input_event e = {.time_ns = now,
					.type = INPUT_EV_SYN,
					.code = INPUT_SYN_REPORT,
					.device = d->id,
					.mods = d->mods};
		fan_out(h, &e);
	}
	notice(h, d, INPUT_SYN_DEV_REMOVED, now);
	h->st.dev_removes++;
	memset(d, 0, sizeof(*d));
}

int hub_sub_add(struct hub *h, uint64_t task, int *slot)
{
	int free = -1;
	uint32_t mine = 0;
	for (uint32_t i = 0; i < INPUT_SUBS_MAX; i++) {
		if (!h->sub[i].used && free < 0)
			free = (int)i;
		mine += h->sub[i].used && h->sub[i].task == task;
	}
	if (free < 0 || mine >= INPUT_SUBS_PER_TASK) {
		h->st.refused++;
		return -INPUT_ENOSPC;
	}
	struct hub_sub *s = &h->sub[free];
	s->used = true;
	s->marker = false;
	s->held = false;
	s->id = h->next_sub_id++;
	s->task = task;
	s->head = s->count = 0;
	s->delivered = s->lost = 0;
	h->st.sub_adds++;
	*slot = free;
	return 0;
}

void hub_sub_remove(struct hub *h, int slot)
{
	if (!h->sub[slot].used)
		return;
	h->sub[slot].used = false;
	h->sub[slot].id = 0;
	h->sub[slot].count = 0;
	h->st.sub_removes++;
}

uint32_t hub_sub_peek(const struct hub *h, int slot, struct input_event *out,
		      uint32_t max)
{
	const struct hub_sub *s = &h->sub[slot];
	uint32_t n = s->count < max ? s->count : max;
	for (uint32_t i = 0; i < n; i++)
		out[i] = s->q[(s->head + i) % QCAP];
	return n;
}

void hub_sub_consume(struct hub *h, int slot, uint32_t n)
{
	struct hub_sub *s = &h->sub[slot];
	if (n > s->count)
		n = s->count;
	s->head = (s->head + n) % QCAP;
	s->count -= n;
	if (!s->count)
		s->marker = false;
	s->delivered += n;
	h->st.events_out += n;
}

int hub_dev_slot(const struct hub *h, uint32_t id)
{
	for (uint32_t i = 0; id && i < INPUT_DEVS_MAX; i++)
		if (h->dev[i].used && h->dev[i].id == id)
			return (int)i;
	return -1;
}

int hub_sub_slot(const struct hub *h, uint32_t id)
{
	for (uint32_t i = 0; id && i < INPUT_SUBS_MAX; i++)
		if (h->sub[i].used && h->sub[i].id == id)
			return (int)i;
	return -1;
}

uint32_t hub_devices(const struct hub *h, struct input_dev_desc *out,
		     uint32_t max)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < INPUT_DEVS_MAX && n < max; i++)
		if (h->dev[i].used)
			out[n++] = h->dev[i].desc;
	return n;
}

static const char *kind_name(uint32_t k)
{
	return k == INPUT_KIND_KEYBOARD ? "keyboard"
	       : k == INPUT_KIND_MOUSE	? "mouse"
					: "tablet";
}

int hub_status_json(const struct hub *h, char *buf, size_t cap)
{
	struct json_w w;
	const struct hub_stats *s = &h->st;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "name");
	json_w_str(&w, "inputd");
	json_w_key(&w, "events_in");
	json_w_uint(&w, s->events_in);
	json_w_key(&w, "events_out");
	json_w_uint(&w, s->events_out);
	json_w_key(&w, "lost");
	json_w_uint(&w, s->lost);
	json_w_key(&w, "bad_events");
	json_w_uint(&w, s->bad_events);
	json_w_key(&w, "bad_batches");
	json_w_uint(&w, s->bad_batches);
	json_w_key(&w, "connects");
	json_w_uint(&w, s->dev_connects);
	json_w_key(&w, "removes");
	json_w_uint(&w, s->dev_removes);
	json_w_key(&w, "subscribes");
	json_w_uint(&w, s->sub_adds);
	json_w_key(&w, "unsubscribes");
	json_w_uint(&w, s->sub_removes);
	json_w_key(&w, "refused");
	json_w_uint(&w, s->refused);
	json_w_key(&w, "devices");
	json_w_arr(&w);
	for (uint32_t i = 0; i < INPUT_DEVS_MAX; i++) {
		const struct hub_dev *d = &h->dev[i];
		if (!d->used)
			continue;
		json_w_obj(&w);
		json_w_key(&w, "id");
		json_w_uint(&w, d->id);
		json_w_key(&w, "name");
		json_w_str(&w, d->desc.name);
		json_w_key(&w, "kind");
		json_w_str(&w, kind_name(d->desc.kind));
		json_w_key(&w, "events");
		json_w_uint(&w, d->events);
		json_w_key(&w, "bad");
		json_w_uint(&w, d->bad_events + d->bad_batches);
		json_w_end(&w);
	}
	json_w_end(&w);
	json_w_key(&w, "subscribers");
	json_w_arr(&w);
	for (uint32_t i = 0; i < INPUT_SUBS_MAX; i++) {
		const struct hub_sub *u = &h->sub[i];
		if (!u->used)
			continue;
		json_w_obj(&w);
		json_w_key(&w, "id");
		json_w_uint(&w, u->id);
		json_w_key(&w, "queued");
		json_w_uint(&w, u->count);
		json_w_key(&w, "delivered");
		json_w_uint(&w, u->delivered);
		json_w_key(&w, "lost");
		json_w_uint(&w, u->lost);
		json_w_key(&w, "reading");
		json_w_uint(&w, u->held);
		json_w_end(&w);
	}
	json_w_end(&w);
	json_w_end(&w);
	return json_w_finish(&w);
}
