/* inputmon's text (evfmt.h). */
#include "evfmt.h"

#include <stdio.h>
#include <string.h>

#include <execrt/input_keys.h>

const char *evfmt_type_name(uint32_t type)
{
	switch (type) {
	case INPUT_EV_SYN:
		return "EV_SYN";
	case INPUT_EV_KEY:
		return "EV_KEY";
	case INPUT_EV_REL:
		return "EV_REL";
	case INPUT_EV_ABS:
		return "EV_ABS";
	case 0x04:
		return "EV_MSC";
	default:
		return NULL;
	}
}

/* Key names by code, for the codes the keymap knows. */
static const char *const keys[] = {
	[INPUT_KEY_ESC] = "KEY_ESC",
	[2] = "KEY_1",
	[3] = "KEY_2",
	[4] = "KEY_3",
	[5] = "KEY_4",
	[6] = "KEY_5",
	[7] = "KEY_6",
	[8] = "KEY_7",
	[9] = "KEY_8",
	[10] = "KEY_9",
	[INPUT_KEY_0] = "KEY_0",
	[INPUT_KEY_MINUS] = "KEY_MINUS",
	[INPUT_KEY_EQUAL] = "KEY_EQUAL",
	[INPUT_KEY_BACKSPACE] = "KEY_BACKSPACE",
	[INPUT_KEY_TAB] = "KEY_TAB",
	[INPUT_KEY_Q] = "KEY_Q",
	[INPUT_KEY_W] = "KEY_W",
	[INPUT_KEY_E] = "KEY_E",
	[INPUT_KEY_R] = "KEY_R",
	[INPUT_KEY_T] = "KEY_T",
	[INPUT_KEY_Y] = "KEY_Y",
	[INPUT_KEY_U] = "KEY_U",
	[INPUT_KEY_I] = "KEY_I",
	[INPUT_KEY_O] = "KEY_O",
	[INPUT_KEY_P] = "KEY_P",
	[INPUT_KEY_LEFTBRACE] = "KEY_LEFTBRACE",
	[INPUT_KEY_RIGHTBRACE] = "KEY_RIGHTBRACE",
	[INPUT_KEY_ENTER] = "KEY_ENTER",
	[INPUT_KEY_LEFTCTRL] = "KEY_LEFTCTRL",
	[INPUT_KEY_A] = "KEY_A",
	[INPUT_KEY_S] = "KEY_S",
	[INPUT_KEY_D] = "KEY_D",
	[INPUT_KEY_F] = "KEY_F",
	[INPUT_KEY_G] = "KEY_G",
	[INPUT_KEY_H] = "KEY_H",
	[INPUT_KEY_J] = "KEY_J",
	[INPUT_KEY_K] = "KEY_K",
	[INPUT_KEY_L] = "KEY_L",
	[INPUT_KEY_SEMICOLON] = "KEY_SEMICOLON",
	[INPUT_KEY_APOSTROPHE] = "KEY_APOSTROPHE",
	[INPUT_KEY_GRAVE] = "KEY_GRAVE",
	[INPUT_KEY_LEFTSHIFT] = "KEY_LEFTSHIFT",
	[INPUT_KEY_BACKSLASH] = "KEY_BACKSLASH",
	[INPUT_KEY_Z] = "KEY_Z",
	[INPUT_KEY_X] = "KEY_X",
	[INPUT_KEY_C] = "KEY_C",
	[INPUT_KEY_V] = "KEY_V",
	[INPUT_KEY_B] = "KEY_B",
	[INPUT_KEY_N] = "KEY_N",
	[INPUT_KEY_M] = "KEY_M",
	[INPUT_KEY_COMMA] = "KEY_COMMA",
	[INPUT_KEY_DOT] = "KEY_DOT",
	[INPUT_KEY_SLASH] = "KEY_SLASH",
	[INPUT_KEY_RIGHTSHIFT] = "KEY_RIGHTSHIFT",
	[INPUT_KEY_KPASTERISK] = "KEY_KPASTERISK",
	[INPUT_KEY_LEFTALT] = "KEY_LEFTALT",
	[INPUT_KEY_SPACE] = "KEY_SPACE",
	[INPUT_KEY_CAPSLOCK] = "KEY_CAPSLOCK",
	[59] = "KEY_F1",
	[60] = "KEY_F2",
	[61] = "KEY_F3",
	[62] = "KEY_F4",
	[63] = "KEY_F5",
	[64] = "KEY_F6",
	[65] = "KEY_F7",
	[66] = "KEY_F8",
	[67] = "KEY_F9",
	[68] = "KEY_F10",
	[INPUT_KEY_NUMLOCK] = "KEY_NUMLOCK",
	[INPUT_KEY_SCROLLLOCK] = "KEY_SCROLLLOCK",
	[INPUT_KEY_KP7] = "KEY_KP7",
	[INPUT_KEY_KP8] = "KEY_KP8",
	[INPUT_KEY_KP9] = "KEY_KP9",
	[INPUT_KEY_KPMINUS] = "KEY_KPMINUS",
	[INPUT_KEY_KP4] = "KEY_KP4",
	[INPUT_KEY_KP5] = "KEY_KP5",
	[INPUT_KEY_KP6] = "KEY_KP6",
	[INPUT_KEY_KPPLUS] = "KEY_KPPLUS",
	[INPUT_KEY_KP1] = "KEY_KP1",
	[INPUT_KEY_KP2] = "KEY_KP2",
	[INPUT_KEY_KP3] = "KEY_KP3",
	[INPUT_KEY_KP0] = "KEY_KP0",
	[INPUT_KEY_KPDOT] = "KEY_KPDOT",
	[INPUT_KEY_102ND] = "KEY_102ND",
	[INPUT_KEY_F11] = "KEY_F11",
	[INPUT_KEY_F12] = "KEY_F12",
	[INPUT_KEY_KPENTER] = "KEY_KPENTER",
	[INPUT_KEY_RIGHTCTRL] = "KEY_RIGHTCTRL",
	[INPUT_KEY_KPSLASH] = "KEY_KPSLASH",
	[INPUT_KEY_SYSRQ] = "KEY_SYSRQ",
	[INPUT_KEY_RIGHTALT] = "KEY_RIGHTALT",
	[INPUT_KEY_HOME] = "KEY_HOME",
	[INPUT_KEY_UP] = "KEY_UP",
	[INPUT_KEY_PAGEUP] = "KEY_PAGEUP",
	[INPUT_KEY_LEFT] = "KEY_LEFT",
	[INPUT_KEY_RIGHT] = "KEY_RIGHT",
	[INPUT_KEY_END] = "KEY_END",
	[INPUT_KEY_DOWN] = "KEY_DOWN",
	[INPUT_KEY_PAGEDOWN] = "KEY_PAGEDOWN",
	[INPUT_KEY_INSERT] = "KEY_INSERT",
	[INPUT_KEY_DELETE] = "KEY_DELETE",
	[INPUT_KEY_PAUSE] = "KEY_PAUSE",
	[INPUT_KEY_LEFTMETA] = "KEY_LEFTMETA",
	[INPUT_KEY_RIGHTMETA] = "KEY_RIGHTMETA",
	[INPUT_KEY_COMPOSE] = "KEY_COMPOSE",
};

const char *evfmt_code_name(uint32_t type, uint32_t code)
{
	static const char *const btn[] = {"BTN_LEFT", "BTN_RIGHT", "BTN_MIDDLE",
					  "BTN_SIDE", "BTN_EXTRA"};
	static const char *const rel[] = {
		"REL_X",  "REL_Y",	"REL_Z",    "REL_RX",	"REL_RY",
		"REL_RZ", "REL_HWHEEL", "REL_DIAL", "REL_WHEEL"};
	static const char *const abs[] = {"ABS_X", "ABS_Y", "ABS_Z"};
	switch (type) {
	case INPUT_EV_SYN:
		return code == INPUT_SYN_REPORT	       ? "SYN_REPORT"
		       : code == INPUT_SYN_DROPPED     ? "SYN_DROPPED"
		       : code == INPUT_SYN_DEV_ADDED   ? "SYN_DEV_ADDED"
		       : code == INPUT_SYN_DEV_REMOVED ? "SYN_DEV_REMOVED"
						       : NULL;
	case INPUT_EV_KEY:
		if (code < sizeof(keys) / sizeof(keys[0]))
			return keys[code];
		if (code >= INPUT_BTN_LEFT && code <= INPUT_BTN_EXTRA)
			return btn[code - INPUT_BTN_LEFT];
		return code == INPUT_BTN_TOUCH ? "BTN_TOUCH" : NULL;
	case INPUT_EV_REL:
		return code < sizeof(rel) / sizeof(rel[0]) ? rel[code] : NULL;
	case INPUT_EV_ABS:
		return code < sizeof(abs) / sizeof(abs[0]) ? abs[code] : NULL;
	default:
		return NULL;
	}
}

static int clip(int n, size_t cap)
{
	if (n < 0)
		return 0;
	return (size_t)n >= cap ? (int)cap - 1 : n;
}

int evfmt_event(const struct input_event *e, char *buf, size_t cap)
{
	const char *tn = evfmt_type_name(e->type);
	const char *cn = evfmt_code_name(e->type, e->code);
	int n = snprintf(buf, cap,
			 "Event: time %llu.%06llu, dev %u, type %u (%s), "
			 "code %u (%s), value %d",
			 (unsigned long long)(e->time_ns / 1000000000ull),
			 (unsigned long long)(e->time_ns / 1000 % 1000000),
			 e->device, e->type, tn ? tn : "?", e->code,
			 cn ? cn : "?", e->value);
	n = clip(n, cap);
	if (e->type == INPUT_EV_KEY && (size_t)n < cap) {
		char sym[8] = "";
		if (e->keysym >= 0x21 && e->keysym <= 0x7e)
			snprintf(sym, sizeof(sym), " '%c'", (char)e->keysym);
		n += clip(snprintf(buf + n, cap - (size_t)n,
				   ", keysym 0x%x%s, mods 0x%x, ch 0x%x",
				   e->keysym, sym, e->mods, e->ch),
			  cap - (size_t)n);
	}
	return n;
}

int evfmt_device(const struct input_dev_desc *d, char *buf, size_t cap)
{
	static const char *const kinds[] = {"?", "keyboard", "mouse", "tablet"};
	char name[INPUT_NAME_MAX + 1];
	memcpy(name, d->name, INPUT_NAME_MAX);
	name[INPUT_NAME_MAX] = 0;
	int n = clip(snprintf(buf, cap, "Input device %u: \"%s\" %s, bus 0x%x",
			      d->id, name, kinds[d->kind <= 3 ? d->kind : 0],
			      d->bus),
		     cap);
	for (uint32_t i = 0; i < d->nabs && i < INPUT_ABS_MAX; i++) {
		const char *an = evfmt_code_name(INPUT_EV_ABS, d->abs[i].code);
		n += clip(snprintf(buf + n, cap - (size_t)n, ", %s %d..%d",
				   an ? an : "ABS_?", d->abs[i].min,
				   d->abs[i].max),
			  cap - (size_t)n);
	}
	return n;
}
