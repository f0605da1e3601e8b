/* The input hub's core (servers/inputd/hub.c) and the PS/2 decoders
 * (drivers/i8042/ps2.c) against hostile drivers and subscribers. The
 * input is a program of steps: connect a device (any kind, name bytes,
 * axes), remove one, send it raw message bytes (hub_dev_msg: any header,
 * count, length, events), subscribe, unsubscribe, read and take part of
 * a queue, feed PS/2 keyboard and mouse bytes. Checked after every step:
 * no crash or sanitizer report; every queue within INPUT_SUB_QUEUE, full
 * only with the DROPPED marker at its tail, the marker only from the hub
 * (device 0, value >= 1); nothing is lost silently: for every
 * subscription, the events fanned out since it subscribed equal those it
 * took plus those queued, a marker counting for its value; queued events
 * are well formed (type <= 0x1f, key values 0-2, devices that existed);
 * the status JSON parses; the decoders give key codes in range with
 * values 0/1, and mouse reports of at most 8 events ending in
 * SYN_REPORT. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/input_proto.h>

#include "hub.h"
#include "json.h"
#include "ps2.h"

static struct hub H;
static struct input_event ev[INPUT_SUB_QUEUE];
static uint64_t base[INPUT_SUBS_MAX], taken[INPUT_SUBS_MAX];
static struct json_doc doc;
static char js[16384];

static void check(int ok)
{
	if (!ok)
		abort();
}

/* An event's weight: what it stands for in the fan-out count. */
static uint64_t weight(const struct input_event *e)
{
	return e->type == INPUT_EV_SYN && e->code == INPUT_SYN_DROPPED &&
			       e->device == 0
		       ? (uint64_t)e->value
		       : 1;
}

static void invariants(void)
{
	for (int s = 0; s < (int)INPUT_SUBS_MAX; s++) {
		const struct hub_sub *u = &H.sub[s];
		if (!u->used)
			continue;
		uint32_t n = hub_sub_peek(&H, s, ev, INPUT_SUB_QUEUE);
		check(n == u->count && n <= INPUT_SUB_QUEUE);
		uint64_t queued = 0;
		for (uint32_t i = 0; i < n; i++) {
			const struct input_event *e = &ev[i];
			check(e->type <= 0x1f);
			check(e->device < H.next_dev_id);
			if (e->type == INPUT_EV_KEY)
				check(e->value >= 0 && e->value <= 2 &&
				      e->code <= INPUT_KEY_MAX);
			if (e->device == 0) /* only the hub's marker */
				check(e->type == INPUT_EV_SYN &&
				      e->code == INPUT_SYN_DROPPED &&
				      e->value >= 1);
			queued += weight(e);
		}
		if (n == INPUT_SUB_QUEUE || u->marker)
			check(u->marker && n && ev[n - 1].device == 0);
		check(H.st.fanned - base[s] == taken[s] + queued);
	}
	int len = hub_status_json(&H, js, sizeof(js));
	check(len > 0 && json_parse(&doc, js, (size_t)len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	hub_init(&H);
	memset(taken, 0, sizeof(taken));
	struct ps2kbd kbd = {0};
	struct ps2mouse mouse;
	ps2mouse_init(&mouse, n && (d[0] & 1));
	size_t i = 0;
	while (i + 2 <= n) {
		uint8_t op = d[i] % 8, arg = d[i + 1];
		i += 2;
		int slot = arg % INPUT_DEVS_MAX, sub = arg % INPUT_SUBS_MAX;
		size_t left = n - i;
		switch (op) {
		case 0: { /* connect: a description from the input */
			struct input_dev_desc desc;
			memset(&desc, 0, sizeof(desc));
			size_t k = left < sizeof(desc) ? left : sizeof(desc);
			memcpy(&desc, d + i, k);
			i += k;
			int s;
			if (hub_dev_add(&H, &desc, arg % 6, arg, &s) == 0) {
				check(H.dev[s].used && H.dev[s].id);
				check(H.dev[s].desc.nabs <= INPUT_ABS_MAX);
			}
			break;
		}
		case 1:
			if (H.dev[slot].used)
				hub_dev_remove(&H, slot, arg);
			break;
		case 2: { /* a raw message from a driver */
			size_t k =
				left < (size_t)arg * 8 ? left : (size_t)arg * 8;
			if (H.dev[slot].used) {
				int r = hub_dev_msg(&H, slot, d + i,
						    (uint32_t)k);
				check(r == -INPUT_EINVAL ||
				      (r >= 0 && r <= (int)INPUT_BATCH_MAX));
			}
			i += k;
			break;
		}
		case 3: { /* a well-formed batch of whatever events */
			struct {
				struct input_req q;
				struct input_event e[8];
			} m;
			memset(&m, 0, sizeof(m));
			uint32_t c = 1 + (arg >> 4) % 8; /* slot: the low 4 bits */
			size_t k = left < c * 8 ? left : c * 8;
			for (size_t j = 0; j + 8 <= k; j += 8) {
				struct input_event *e = &m.e[j / 8];
				e->type = d[i + j] % 5;
				memcpy(&e->code, d + i + j + 1, 2);
				e->code %= 0x320;
				memcpy(&e->value, d + i + j + 3, 4);
				e->value %= 4;
			}
			i += k;
			m.q.op = INPUT_DEV_EVENTS;
			m.q.count = c;
			if (H.dev[slot].used)
				check(hub_dev_msg(
					      &H, slot, &m,
					      (uint32_t)(sizeof(m.q) +
							 c * sizeof(m.e[0]))) >=
				      0);
			break;
		}
		case 4: {
			int s;
			if (hub_sub_add(&H, arg % 6, &s) == 0) {
				base[s] = H.st.fanned;
				taken[s] = 0;
			}
			break;
		}
		case 5:
			hub_sub_remove(&H, sub);
			break;
		case 6: /* read and take part of it */
			if (H.sub[sub].used) {
				uint32_t max = 1 + arg % INPUT_BATCH_MAX;
				uint32_t got = hub_sub_peek(&H, sub, ev, max);
				uint32_t take =
					got ? (arg >> 2) % (got + 1) : 0;
				for (uint32_t j = 0; j < take; j++)
					taken[sub] += weight(&ev[j]);
				hub_sub_consume(&H, sub, take);
			}
			break;
		default: { /* PS/2 bytes */
			size_t k = left < 16 ? left : 16;
			for (size_t j = 0; j < k; j++) {
				uint16_t code;
				int32_t v;
				struct input_event me[PS2_MOUSE_EVENTS_MAX];
				if (arg & 1) {
					int m = ps2mouse_byte(&mouse, d[i + j],
							      me);
					check(m >= 0 &&
					      m <= PS2_MOUSE_EVENTS_MAX);
					if (m)
						check(me[m - 1].type ==
						      INPUT_EV_SYN);
				} else if (ps2kbd_byte(&kbd, d[i + j], &code,
						       &v)) {
					check(code && code <= INPUT_KEY_MAX &&
					      (v == 0 || v == 1));
				}
			}
			i += k;
		}
		}
		invariants();
	}
	return 0;
}
