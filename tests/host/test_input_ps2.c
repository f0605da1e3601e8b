/* The i8042 driver's decoders (drivers/i8042/ps2.c) and inputmon's lines
 * (apps/inputmon/evfmt.c). */
#include <execrt/input_keys.h>
#include <execrt/input_proto.h>

#include "evfmt.h"
#include "harness.h"
#include "ps2.h"

/* Feeds bytes; the key events that come out, as code*2+value. */
static int feed(struct ps2kbd *k, const uint8_t *b, int n, int *out)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		uint16_t c;
		int32_t v;
		if (ps2kbd_byte(k, b[i], &c, &v))
			out[m++] = c * 2 + v;
	}
	return m;
}

TEST(input_ps2_set1_keys)
{
	struct ps2kbd k = {0};
	int o[16];
	/* a down, a up; shift + a; Enter; Esc; F1; F12 */
	const uint8_t s[] = {0x1e, 0x9e, 0x2a, 0x1e, 0x9e, 0xaa,
			     0x1c, 0x9c, 0x01, 0x3b, 0x58, 0xd8};
	CHECK_EQ(feed(&k, s, sizeof(s), o), 12);
	CHECK_EQ(o[0], INPUT_KEY_A * 2 + 1);
	CHECK_EQ(o[1], INPUT_KEY_A * 2);
	CHECK_EQ(o[2], INPUT_KEY_LEFTSHIFT * 2 + 1);
	CHECK_EQ(o[5], INPUT_KEY_LEFTSHIFT * 2); /* 0xAA is a break here */
	CHECK_EQ(o[6], INPUT_KEY_ENTER * 2 + 1);
	CHECK_EQ(o[8], INPUT_KEY_ESC * 2 + 1);
	CHECK_EQ(o[9], INPUT_KEY_F1 * 2 + 1);
	CHECK_EQ(o[10], INPUT_KEY_F12 * 2 + 1);
	CHECK_EQ(o[11], INPUT_KEY_F12 * 2);
	/* Every set-1 code 0x01-0x53 is its evdev code. */
	for (uint8_t sc = 1; sc <= 0x53; sc++)
		CHECK_EQ(ps2_set1_code(sc, false), sc);
	CHECK_EQ(ps2_set1_code(0x54, false), 0);
	CHECK_EQ(ps2_set1_code(0x7f, true), 0);
}

TEST(input_ps2_extended_pause_and_noise)
{
	struct ps2kbd k = {0};
	int o[16];
	/* Up (E0 48), Right Ctrl, fake shift + Print Screen, Pause,
	 * an ACK, keypad Enter up. */
	const uint8_t s[] = {0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x1d, 0xe0, 0x2a,
			     0xe0, 0x37, 0xfa, 0xe1, 0x1d, 0x45, 0xe1, 0x9d,
			     0xc5, 0xe0, 0x9c, 0x54, 0xe0, 0xaa};
	int n = feed(&k, s, sizeof(s), o);
	CHECK_EQ(n, 7);
	CHECK_EQ(o[0], INPUT_KEY_UP * 2 + 1);
	CHECK_EQ(o[1], INPUT_KEY_UP * 2);
	CHECK_EQ(o[2], INPUT_KEY_RIGHTCTRL * 2 + 1);
	CHECK_EQ(o[3], INPUT_KEY_SYSRQ * 2 + 1);
	CHECK_EQ(o[4], INPUT_KEY_PAUSE * 2 + 1);
	CHECK_EQ(o[5], INPUT_KEY_PAUSE * 2);
	CHECK_EQ(o[6], INPUT_KEY_KPENTER * 2);
	CHECK_EQ(k.ignored, 4); /* fake shift x2, ACK, 0x54 */
	/* A prefix followed by noise does not stick to the next key. */
	const uint8_t t[] = {0xe0, 0xfa, 0x48};
	CHECK_EQ(feed(&k, t, 3, o), 1);
	CHECK_EQ(o[0], 0x48 * 2 + 1); /* keypad 8, not Up */
}

TEST(input_ps2_mouse_packets)
{
	struct ps2mouse m;
	struct input_event e[PS2_MOUSE_EVENTS_MAX];
	ps2mouse_init(&m, false);
	/* Left down, dx +5, dy +3 (up: REL_Y -3). */
	CHECK_EQ(ps2mouse_byte(&m, 0x09, e), 0);
	CHECK_EQ(ps2mouse_byte(&m, 5, e), 0);
	CHECK_EQ(ps2mouse_byte(&m, 3, e), 4);
	CHECK_EQ(e[0].type, INPUT_EV_REL);
	CHECK_EQ(e[0].code, INPUT_REL_X);
	CHECK_EQ(e[0].value, 5);
	CHECK_EQ(e[1].code, INPUT_REL_Y);
	CHECK_EQ(e[1].value, -3);
	CHECK_EQ(e[2].type, INPUT_EV_KEY);
	CHECK_EQ(e[2].code, INPUT_BTN_LEFT);
	CHECK_EQ(e[2].value, 1);
	CHECK_EQ(e[3].type, INPUT_EV_SYN);
	/* Negative dx (sign bit 4), left still down: no button event. */
	ps2mouse_byte(&m, 0x19, e);
	ps2mouse_byte(&m, 0xfe, e);
	CHECK_EQ(ps2mouse_byte(&m, 0, e), 2);
	CHECK_EQ(e[0].value, -2);
	/* Left up, right down, no motion. */
	ps2mouse_byte(&m, 0x0a, e);
	ps2mouse_byte(&m, 0, e);
	CHECK_EQ(ps2mouse_byte(&m, 0, e), 3);
	CHECK_EQ(e[0].code, INPUT_BTN_LEFT);
	CHECK_EQ(e[0].value, 0);
	CHECK_EQ(e[1].code, INPUT_BTN_RIGHT);
	CHECK_EQ(e[1].value, 1);
	/* Out of sync: a first byte without bit 3 is dropped. */
	CHECK_EQ(ps2mouse_byte(&m, 0x02, e), 0);
	CHECK_EQ(m.resyncs, 1);
	/* Overflow: no motion, buttons still count. */
	ps2mouse_byte(&m, 0x4a, e);
	ps2mouse_byte(&m, 0x80, e);
	CHECK_EQ(ps2mouse_byte(&m, 0x80, e), 0);
	CHECK_EQ(m.overflows, 1);
	/* Wheel mouse: 4 bytes, the 4th a signed notch count. */
	ps2mouse_init(&m, true);
	ps2mouse_byte(&m, 0x08, e);
	ps2mouse_byte(&m, 0, e);
	CHECK_EQ(ps2mouse_byte(&m, 0, e), 0);
	CHECK_EQ(ps2mouse_byte(&m, 0xff, e), 2);
	CHECK_EQ(e[0].code, INPUT_REL_WHEEL);
	CHECK_EQ(e[0].value, 1);
	CHECK_EQ(e[1].type, INPUT_EV_SYN);
}

TEST(input_evfmt_lines)
{
	char b[256];
	struct input_event e = {.time_ns = 12345678901ull,
				.type = INPUT_EV_KEY,
				.code = INPUT_KEY_A,
				.value = 1,
				.keysym = 'A',
				.device = 2,
				.mods = INPUT_MOD_SHIFT,
				.ch = 'A'};
	evfmt_event(&e, b, sizeof(b));
	STR_EQ(b, "Event: time 12.345678, dev 2, type 1 (EV_KEY), code 30 "
		  "(KEY_A), value 1, keysym 0x41 'A', mods 0x1, ch 0x41");
	e = (struct input_event){.type = INPUT_EV_REL,
				 .code = INPUT_REL_WHEEL,
				 .value = -1,
				 .device = 3};
	evfmt_event(&e, b, sizeof(b));
	STR_EQ(b, "Event: time 0.000000, dev 3, type 2 (EV_REL), code 8 "
		  "(REL_WHEEL), value -1");
	e = (struct input_event){
		.type = INPUT_EV_SYN, .code = INPUT_SYN_DROPPED, .value = 45};
	evfmt_event(&e, b, sizeof(b));
	STR_EQ(b, "Event: time 0.000000, dev 0, type 0 (EV_SYN), code 3 "
		  "(SYN_DROPPED), value 45");
	e = (struct input_event){
		.type = INPUT_EV_KEY, .code = INPUT_BTN_MIDDLE, .value = 0};
	evfmt_event(&e, b, sizeof(b));
	CHECK(strstr(b, "(BTN_MIDDLE), value 0, keysym 0x0, mods") != NULL);
	CHECK_EQ(evfmt_code_name(INPUT_EV_KEY, 600), NULL);
	CHECK_EQ(evfmt_type_name(9), NULL);
	e.type = 9;
	CHECK(evfmt_event(&e, b, 20) == 19); /* cut, NUL-terminated */
	CHECK_EQ(strlen(b), 19);
	struct input_dev_desc d = {.name = "virtio tablet",
				   .kind = INPUT_KIND_TABLET,
				   .id = 4,
				   .bus = INPUT_BUS_PCI,
				   .nabs = 2};
	d.abs[0] = (struct input_absinfo){.code = 0, .max = 32767};
	d.abs[1] = (struct input_absinfo){.code = 1, .max = 32767};
	evfmt_device(&d, b, sizeof(b));
	STR_EQ(b, "Input device 4: \"virtio tablet\" tablet, bus 0x1, ABS_X "
		  "0..32767, ABS_Y 0..32767");
}
