/* virtio-input's portable half (vinput.h). */
#include "vinput.h"

#include <execrt/errors.h>
#include <string.h>

static bool bit(const uint8_t *map, int size, unsigned n)
{
	return (int)(n / 8) < size && (map[n / 8] >> (n % 8)) & 1;
}

static int ev_bits(vinput_query_fn q, void *ctx, uint8_t type, uint8_t map[128])
{
	memset(map, 0, 128);
	return q(ctx, VINPUT_CFG_EV_BITS, type, map);
}

static void name(vinput_query_fn q, void *ctx, struct input_dev_desc *d)
{
	uint8_t buf[128];
	int n = q(ctx, VINPUT_CFG_ID_NAME, 0, buf);
	unsigned k = 0;
	for (int i = 0; i < n && k + 1 < INPUT_NAME_MAX && buf[i]; i++)
		d->name[k++] =
			(buf[i] >= 0x20 && buf[i] < 0x7f) ? (char)buf[i] : '?';
	d->name[k] = 0;
	if (!k)
		strcpy(d->name, "virtio-input");
}

/* The device's absolute axes, X and Y first (what a tablet needs). */
static void axes(vinput_query_fn q, void *ctx, const uint8_t *absmap, int size,
		 struct input_dev_desc *d)
{
	for (unsigned a = 0; a < 64 && d->nabs < INPUT_ABS_MAX; a++) {
		if (!bit(absmap, size, a))
			continue;
		uint8_t buf[128] = {0};
		if (q(ctx, VINPUT_CFG_ABS_INFO, (uint8_t)a, buf) < 8)
			continue;
		struct input_absinfo *ai = &d->abs[d->nabs++];
		ai->code = (uint16_t)a;
		memcpy(&ai->min, buf, 4);
		memcpy(&ai->max, buf + 4, 4);
		memcpy(&ai->res, buf + 16, 4);
	}
}

int vinput_describe(vinput_query_fn q, void *ctx, struct input_dev_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->bus = INPUT_BUS_PCI;
	uint8_t keys[128], rel[128], abs[128];
	int nk = ev_bits(q, ctx, INPUT_EV_KEY, keys);
	int nr = ev_bits(q, ctx, INPUT_EV_REL, rel);
	int na = ev_bits(q, ctx, INPUT_EV_ABS, abs);
	if (nk < 0 || nr < 0 || na < 0)
		return nk < 0 ? nk : nr < 0 ? nr : na;
	name(q, ctx, d);
	if (bit(abs, na, INPUT_ABS_X) && bit(abs, na, INPUT_ABS_Y)) {
		d->kind = INPUT_KIND_TABLET;
		axes(q, ctx, abs, na, d);
	} else if (bit(rel, nr, INPUT_REL_X) && bit(rel, nr, INPUT_REL_Y)) {
		d->kind = INPUT_KIND_MOUSE;
	} else {
		/* Any key below the buttons (KEY_ESC 1 .. 0xff): a keyboard. */
		bool any = false;
		for (unsigned k = 1; k < 0x100 && !any; k++)
			any = bit(keys, nk, k);
		if (!any)
			return ERR_NOT_SUPPORTED;
		d->kind = INPUT_KIND_KEYBOARD;
	}
	return 0;
}

bool vinput_feed(struct vinput_batch *b, const struct vinput_event *e,
		 uint64_t t)
{
	if (e->type != INPUT_EV_SYN && e->type != INPUT_EV_KEY &&
	    e->type != INPUT_EV_REL && e->type != INPUT_EV_ABS) {
		b->ignored++;
		return false;
	}
	struct input_event *o = &b->ev[b->n++];
	memset(o, 0, sizeof(*o));
	o->time_ns = t;
	o->type = e->type;
	o->code = e->code;
	o->value = (int32_t)e->value;
	return (e->type == INPUT_EV_SYN && e->code == INPUT_SYN_REPORT) ||
	       b->n == INPUT_BATCH_MAX;
}
