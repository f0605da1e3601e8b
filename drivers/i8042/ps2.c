/* PS/2 byte streams to evdev events (ps2.h). */
#include "ps2.h"

#include <execrt/input_keys.h>

enum { K_BASE, K_E0, K_E1_1, K_E1_2 };

uint16_t ps2_set1_code(uint8_t sc, bool extended)
{
	if (!extended) {
		if (sc >= 0x01 && sc <= 0x53)
			return sc; /* set 1 and evdev agree here */
		switch (sc) {
		case 0x56:
			return INPUT_KEY_102ND;
		case 0x57:
			return INPUT_KEY_F11;
		case 0x58:
			return INPUT_KEY_F12;
		default:
			return 0;
		}
	}
	switch (sc) {
	case 0x1c:
		return INPUT_KEY_KPENTER;
	case 0x1d:
		return INPUT_KEY_RIGHTCTRL;
	case 0x20:
		return 113; /* KEY_MUTE */
	case 0x2e:
		return 114; /* KEY_VOLUMEDOWN */
	case 0x30:
		return 115; /* KEY_VOLUMEUP */
	case 0x35:
		return INPUT_KEY_KPSLASH;
	case 0x37:
		return INPUT_KEY_SYSRQ; /* Print Screen */
	case 0x38:
		return INPUT_KEY_RIGHTALT;
	case 0x46:
		return INPUT_KEY_PAUSE; /* Ctrl+Break */
	case 0x47:
		return INPUT_KEY_HOME;
	case 0x48:
		return INPUT_KEY_UP;
	case 0x49:
		return INPUT_KEY_PAGEUP;
	case 0x4b:
		return INPUT_KEY_LEFT;
	case 0x4d:
		return INPUT_KEY_RIGHT;
	case 0x4f:
		return INPUT_KEY_END;
	case 0x50:
		return INPUT_KEY_DOWN;
	case 0x51:
		return INPUT_KEY_PAGEDOWN;
	case 0x52:
		return INPUT_KEY_INSERT;
	case 0x53:
		return INPUT_KEY_DELETE;
	case 0x5b:
		return INPUT_KEY_LEFTMETA;
	case 0x5c:
		return INPUT_KEY_RIGHTMETA;
	case 0x5d:
		return INPUT_KEY_COMPOSE;
	default:
		return 0;
	}
}

bool ps2kbd_byte(struct ps2kbd *k, uint8_t b, uint16_t *code, int32_t *value)
{
	switch (k->state) {
	case K_E1_1: /* E1 1D 45 is Pause down, E1 9D C5 Pause up */
		k->e1 = b;
		k->state = K_E1_2;
		return false;
	case K_E1_2:
		k->state = K_BASE;
		*code = INPUT_KEY_PAUSE;
		*value = !(k->e1 & 0x80);
		return true;
	default:
		break;
	}
	/* Controller and keyboard replies: ACK, resend, echo, errors. */
	if (b == 0xfa || b == 0xfe || b == 0xee || b == 0x00 || b == 0xff) {
		k->state = K_BASE;
		k->ignored++;
		return false;
	}
	if (b == 0xe0) {
		k->state = K_E0;
		return false;
	}
	if (b == 0xe1) {
		k->state = K_E1_1;
		return false;
	}
	bool ext = k->state == K_E0;
	k->state = K_BASE;
	uint8_t sc = b & 0x7f;
	/* Fake shifts around extended keys: the keyboard's business. */
	if (ext && (sc == 0x2a || sc == 0x36)) {
		k->ignored++;
		return false;
	}
	uint16_t c = ps2_set1_code(sc, ext);
	if (!c) {
		k->ignored++;
		return false;
	}
	*code = c;
	*value = !(b & 0x80);
	return true;
}

void ps2mouse_init(struct ps2mouse *m, bool wheel)
{
	*m = (struct ps2mouse){.size = wheel ? 4 : 3};
}

static struct input_event rel(uint16_t code, int32_t v)
{
	return (struct input_event){
		.type = INPUT_EV_REL, .code = code, .value = v};
}

int ps2mouse_byte(struct ps2mouse *m, uint8_t b, struct input_event *ev)
{
	static const uint16_t btn[3] = {INPUT_BTN_LEFT, INPUT_BTN_RIGHT,
					INPUT_BTN_MIDDLE};
	if (m->n == 0 && !(b & 0x08)) {
		m->resyncs++;
		return 0;
	}
	m->pkt[m->n++] = b;
	if (m->n < m->size)
		return 0;
	m->n = 0;
	uint8_t f = m->pkt[0];
	int n = 0;
	if (f & 0xc0) {
		m->overflows++;
	} else {
		int32_t dx = (int32_t)m->pkt[1] - ((f & 0x10) ? 256 : 0);
		int32_t dy = (int32_t)m->pkt[2] - ((f & 0x20) ? 256 : 0);
		if (dx)
			ev[n++] = rel(INPUT_REL_X, dx);
		if (dy)
			ev[n++] = rel(INPUT_REL_Y, -dy); /* PS/2 y grows up */
	}
	if (m->size == 4) {
		int32_t dz = (int8_t)m->pkt[3]; /* id 3: a signed byte */
		if (dz)
			ev[n++] = rel(INPUT_REL_WHEEL, -dz);
	}
	for (int i = 0; i < 3; i++) {
		uint8_t bit = (uint8_t)(1u << i);
		if ((f ^ m->buttons) & bit)
			ev[n++] = (struct input_event){.type = INPUT_EV_KEY,
						       .code = btn[i],
						       .value = !!(f & bit)};
	}
	m->buttons = f & 7;
	if (n)
		ev[n++] = (struct input_event){.type = INPUT_EV_SYN,
					       .code = INPUT_SYN_REPORT};
	return n;
}
