/* virtio-input's portable half: device kinds from QEMU-like configuration
 * answers, names, absolute ranges, and report batching. */
#include <execrt/errors.h>

#include "harness.h"
#include "vinput.h"

/* A device's configuration answers, as QEMU's virtio-input-hid gives them. */
struct fake_cfg {
	const char *name;
	uint8_t key[128], rel[128], abs[128];
	int nkey, nrel, nabs;
	int32_t absmax[2];
	unsigned queries;
};

static void setbit(uint8_t *m, int *n, unsigned b)
{
	m[b / 8] |= (uint8_t)(1u << (b % 8));
	if ((int)(b / 8) + 1 > *n)
		*n = (int)(b / 8) + 1;
}

static int query(void *ctx, uint8_t sel, uint8_t sub, uint8_t buf[128])
{
	struct fake_cfg *c = ctx;
	c->queries++;
	switch (sel) {
	case VINPUT_CFG_ID_NAME:
		memcpy(buf, c->name,
		       strlen(c->name) > 128 ? 128 : strlen(c->name));
		return (int)(strlen(c->name) > 128 ? 128 : strlen(c->name));
	case VINPUT_CFG_EV_BITS:
		if (sub == INPUT_EV_KEY) {
			memcpy(buf, c->key, 128);
			return c->nkey;
		}
		if (sub == INPUT_EV_REL) {
			memcpy(buf, c->rel, 128);
			return c->nrel;
		}
		if (sub == INPUT_EV_ABS) {
			memcpy(buf, c->abs, 128);
			return c->nabs;
		}
		return 0;
	case VINPUT_CFG_ABS_INFO:
		if (sub > 1)
			return 0;
		memset(buf, 0, 20);
		memcpy(buf + 4, &c->absmax[sub],
		       4); /* min 0, max, fuzz, flat, res 0 */
		return 20;
	default:
		return 0;
	}
}

static void buttons(struct fake_cfg *c)
{
	for (unsigned b = INPUT_BTN_LEFT; b <= INPUT_BTN_EXTRA; b++)
		setbit(c->key, &c->nkey, b);
}

TEST(vinput_keyboard_mouse_tablet_told_apart)
{
	static struct fake_cfg kb, mouse, tab;
	struct input_dev_desc d;
	kb.name = "QEMU Virtio Keyboard";
	for (unsigned k = 1; k < 0x2ff; k++)
		setbit(kb.key, &kb.nkey, k);
	CHECK_EQ(vinput_describe(query, &kb, &d), 0);
	CHECK_EQ(d.kind, INPUT_KIND_KEYBOARD);
	CHECK_EQ(d.bus, INPUT_BUS_PCI);
	CHECK_EQ(d.nabs, 0);
	STR_EQ(d.name, "QEMU Virtio Keyboard");

	mouse.name = "QEMU Virtio Mouse";
	buttons(&mouse);
	setbit(mouse.rel, &mouse.nrel, INPUT_REL_X);
	setbit(mouse.rel, &mouse.nrel, INPUT_REL_Y);
	setbit(mouse.rel, &mouse.nrel, INPUT_REL_WHEEL);
	CHECK_EQ(vinput_describe(query, &mouse, &d), 0);
	CHECK_EQ(d.kind, INPUT_KIND_MOUSE);

	/* The tablet has a relative wheel too: the absolute axes decide. */
	tab.name = "QEMU Virtio Tablet";
	buttons(&tab);
	setbit(tab.rel, &tab.nrel, INPUT_REL_WHEEL);
	setbit(tab.abs, &tab.nabs, INPUT_ABS_X);
	setbit(tab.abs, &tab.nabs, INPUT_ABS_Y);
	tab.absmax[0] = 32767;
	tab.absmax[1] = 32766;
	CHECK_EQ(vinput_describe(query, &tab, &d), 0);
	CHECK_EQ(d.kind, INPUT_KIND_TABLET);
	CHECK_EQ(d.nabs, 2);
	CHECK_EQ(d.abs[0].code, INPUT_ABS_X);
	CHECK_EQ(d.abs[0].min, 0);
	CHECK_EQ(d.abs[0].max, 32767);
	CHECK_EQ(d.abs[1].code, INPUT_ABS_Y);
	CHECK_EQ(d.abs[1].max, 32766);
}

TEST(vinput_buttons_only_is_not_supported)
{
	static struct fake_cfg c;
	c.name = "buttons";
	buttons(&c);
	struct input_dev_desc d;
	CHECK_EQ(vinput_describe(query, &c, &d), ERR_NOT_SUPPORTED);
	/* A mouse needs both relative axes. */
	setbit(c.rel, &c.nrel, INPUT_REL_X);
	CHECK_EQ(vinput_describe(query, &c, &d), ERR_NOT_SUPPORTED);
}

TEST(vinput_name_made_printable_and_cut)
{
	static struct fake_cfg c;
	c.name = "A\tvery long device name that goes on and on\x7f";
	setbit(c.key, &c.nkey, 30);
	struct input_dev_desc d;
	CHECK_EQ(vinput_describe(query, &c, &d), 0);
	CHECK_EQ(strlen(d.name), INPUT_NAME_MAX - 1);
	STR_EQ(d.name, "A?very long device name that go");
	c.name = "";
	CHECK_EQ(vinput_describe(query, &c, &d), 0);
	STR_EQ(d.name, "virtio-input");
}

TEST(vinput_reports_batched_at_syn)
{
	static struct vinput_batch b;
	b.n = 0;
	struct vinput_event down = {INPUT_EV_KEY, 30, 1}, msc = {4, 4, 0x1e},
			    syn = {INPUT_EV_SYN, INPUT_SYN_REPORT, 0},
			    rel = {INPUT_EV_REL, INPUT_REL_X, (uint32_t)-5};
	CHECK(!vinput_feed(&b, &msc, 10)); /* EV_MSC: not the hub's */
	CHECK(!vinput_feed(&b, &down, 10));
	CHECK(!vinput_feed(&b, &rel, 11));
	CHECK(vinput_feed(&b, &syn, 12));
	CHECK_EQ(b.n, 3);
	CHECK_EQ(b.ignored, 1);
	CHECK_EQ(b.ev[0].type, INPUT_EV_KEY);
	CHECK_EQ(b.ev[0].code, 30);
	CHECK_EQ(b.ev[0].value, 1);
	CHECK_EQ(b.ev[0].time_ns, 10);
	CHECK_EQ(b.ev[1].value, -5);
	CHECK_EQ(b.ev[2].type, INPUT_EV_SYN);
	CHECK_EQ(b.ev[2].keysym, 0);
	/* A report longer than a batch goes out in full batches. */
	b.n = 0;
	for (unsigned i = 0; i + 1 < INPUT_BATCH_MAX; i++)
		CHECK(!vinput_feed(&b, &down, 1));
	CHECK(vinput_feed(&b, &down, 1));
	CHECK_EQ(b.n, INPUT_BATCH_MAX);
}
