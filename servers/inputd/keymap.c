/* The US keyboard layout (keymap.h). Two tables indexed by evdev code:
 * the unshifted and shifted Latin-1 character of every key that types
 * one; everything else is a named keysym from a switch. */
#include "keymap.h"

#include <stdbool.h>

#include <execrt/input_keys.h>
#include <execrt/input_proto.h>

#define NPLAIN 58 /* codes 0..57 (KEY_SPACE) */

static const char plain[NPLAIN] = {
	[INPUT_KEY_1] = '1',	       [INPUT_KEY_1 + 1] = '2',
	[INPUT_KEY_1 + 2] = '3',       [INPUT_KEY_1 + 3] = '4',
	[INPUT_KEY_1 + 4] = '5',       [INPUT_KEY_1 + 5] = '6',
	[INPUT_KEY_1 + 6] = '7',       [INPUT_KEY_1 + 7] = '8',
	[INPUT_KEY_1 + 8] = '9',       [INPUT_KEY_0] = '0',
	[INPUT_KEY_MINUS] = '-',       [INPUT_KEY_EQUAL] = '=',
	[INPUT_KEY_Q] = 'q',	       [INPUT_KEY_W] = 'w',
	[INPUT_KEY_E] = 'e',	       [INPUT_KEY_R] = 'r',
	[INPUT_KEY_T] = 't',	       [INPUT_KEY_Y] = 'y',
	[INPUT_KEY_U] = 'u',	       [INPUT_KEY_I] = 'i',
	[INPUT_KEY_O] = 'o',	       [INPUT_KEY_P] = 'p',
	[INPUT_KEY_LEFTBRACE] = '[',   [INPUT_KEY_RIGHTBRACE] = ']',
	[INPUT_KEY_A] = 'a',	       [INPUT_KEY_S] = 's',
	[INPUT_KEY_D] = 'd',	       [INPUT_KEY_F] = 'f',
	[INPUT_KEY_G] = 'g',	       [INPUT_KEY_H] = 'h',
	[INPUT_KEY_J] = 'j',	       [INPUT_KEY_K] = 'k',
	[INPUT_KEY_L] = 'l',	       [INPUT_KEY_SEMICOLON] = ';',
	[INPUT_KEY_APOSTROPHE] = '\'', [INPUT_KEY_GRAVE] = '`',
	[INPUT_KEY_BACKSLASH] = '\\',  [INPUT_KEY_Z] = 'z',
	[INPUT_KEY_X] = 'x',	       [INPUT_KEY_C] = 'c',
	[INPUT_KEY_V] = 'v',	       [INPUT_KEY_B] = 'b',
	[INPUT_KEY_N] = 'n',	       [INPUT_KEY_M] = 'm',
	[INPUT_KEY_COMMA] = ',',       [INPUT_KEY_DOT] = '.',
	[INPUT_KEY_SLASH] = '/',       [INPUT_KEY_SPACE] = ' ',
};

/* The shifted form of each non-letter character above (US layout). */
static uint32_t shifted(uint32_t c)
{
	static const char from[] = "1234567890-=[];'`\\,./ ";
	static const char to[] = "!@#$%^&*()_+{}:\"~|<>? ";
	for (unsigned i = 0; from[i]; i++)
		if ((uint32_t)(unsigned char)from[i] == c)
			return (unsigned char)to[i];
	return c;
}

static uint32_t named(uint32_t code)
{
	if (code >= INPUT_KEY_F1 && code <= INPUT_KEY_F10)
		return XK_F1 + (code - INPUT_KEY_F1);
	switch (code) {
	case INPUT_KEY_ESC:
		return XK_Escape;
	case INPUT_KEY_BACKSPACE:
		return XK_BackSpace;
	case INPUT_KEY_TAB:
		return XK_Tab;
	case INPUT_KEY_ENTER:
		return XK_Return;
	case INPUT_KEY_LEFTCTRL:
		return XK_Control_L;
	case INPUT_KEY_RIGHTCTRL:
		return XK_Control_R;
	case INPUT_KEY_LEFTSHIFT:
		return XK_Shift_L;
	case INPUT_KEY_RIGHTSHIFT:
		return XK_Shift_R;
	case INPUT_KEY_LEFTALT:
		return XK_Alt_L;
	case INPUT_KEY_RIGHTALT:
		return XK_Alt_R;
	case INPUT_KEY_LEFTMETA:
		return XK_Super_L;
	case INPUT_KEY_RIGHTMETA:
		return XK_Super_R;
	case INPUT_KEY_CAPSLOCK:
		return XK_Caps_Lock;
	case INPUT_KEY_NUMLOCK:
		return XK_Num_Lock;
	case INPUT_KEY_SCROLLLOCK:
		return XK_Scroll_Lock;
	case INPUT_KEY_F11:
		return XK_F1 + 10;
	case INPUT_KEY_F12:
		return XK_F1 + 11;
	case INPUT_KEY_HOME:
		return XK_Home;
	case INPUT_KEY_UP:
		return XK_Up;
	case INPUT_KEY_PAGEUP:
		return XK_Page_Up;
	case INPUT_KEY_LEFT:
		return XK_Left;
	case INPUT_KEY_RIGHT:
		return XK_Right;
	case INPUT_KEY_END:
		return XK_End;
	case INPUT_KEY_DOWN:
		return XK_Down;
	case INPUT_KEY_PAGEDOWN:
		return XK_Page_Down;
	case INPUT_KEY_INSERT:
		return XK_Insert;
	case INPUT_KEY_DELETE:
		return XK_Delete;
	case INPUT_KEY_PAUSE:
		return XK_Pause;
	case INPUT_KEY_SYSRQ:
		return XK_Sys_Req;
	case INPUT_KEY_COMPOSE:
		return XK_Menu;
	case INPUT_KEY_102ND:
		return '\\'; /* the ISO key: as backslash */
	/* The keypad as with Num Lock on: digits and operators. */
	case INPUT_KEY_KP0:
		return XK_KP_0;
	case INPUT_KEY_KP1:
		return XK_KP_0 + 1;
	case INPUT_KEY_KP2:
		return XK_KP_0 + 2;
	case INPUT_KEY_KP3:
		return XK_KP_0 + 3;
	case INPUT_KEY_KP4:
		return XK_KP_0 + 4;
	case INPUT_KEY_KP5:
		return XK_KP_0 + 5;
	case INPUT_KEY_KP6:
		return XK_KP_0 + 6;
	case INPUT_KEY_KP7:
		return XK_KP_0 + 7;
	case INPUT_KEY_KP8:
		return XK_KP_0 + 8;
	case INPUT_KEY_KP9:
		return XK_KP_0 + 9;
	case INPUT_KEY_KPDOT:
		return XK_KP_Decimal;
	case INPUT_KEY_KPENTER:
		return XK_KP_Enter;
	case INPUT_KEY_KPPLUS:
		return XK_KP_Add;
	case INPUT_KEY_KPMINUS:
		return XK_KP_Subtract;
	case INPUT_KEY_KPASTERISK:
		return XK_KP_Multiply;
	case INPUT_KEY_KPSLASH:
		return XK_KP_Divide;
	default:
		return 0;
	}
}

uint32_t kmap_keysym(uint32_t code, uint32_t mods)
{
	if (code < NPLAIN && plain[code]) {
		uint32_t c = (unsigned char)plain[code];
		bool shift = mods & INPUT_MOD_SHIFT;
		if (c >= 'a' && c <= 'z')
			return shift != !!(mods & INPUT_MOD_CAPS) ? c - 32 : c;
		return shift ? shifted(c) : c;
	}
	return named(code);
}

uint32_t kmap_char(uint32_t keysym, uint32_t mods)
{
	bool ctrl = mods & INPUT_MOD_CTRL;
	if (keysym >= 0x20 && keysym <= 0x7e) {
		if (!ctrl)
			return keysym;
		if ((keysym >= 'a' && keysym <= 'z') ||
		    (keysym >= 'A' && keysym <= 'Z'))
			return keysym & 0x1f;
		if (keysym == '[' || keysym == '\\' || keysym == ']')
			return keysym & 0x1f;
		return keysym;
	}
	if (keysym >= XK_KP_0 && keysym <= XK_KP_0 + 9)
		return '0' + (keysym - XK_KP_0);
	switch (keysym) {
	case XK_Return:
	case XK_KP_Enter:
		return '\r';
	case XK_Tab:
		return '\t';
	case XK_BackSpace:
		return 0x7f;
	case XK_Escape:
		return 0x1b;
	case XK_KP_Decimal:
		return '.';
	case XK_KP_Add:
		return '+';
	case XK_KP_Subtract:
		return '-';
	case XK_KP_Multiply:
		return '*';
	case XK_KP_Divide:
		return '/';
	default:
		return 0;
	}
}

uint32_t kmap_mod_of(uint32_t code)
{
	switch (code) {
	case INPUT_KEY_LEFTSHIFT:
	case INPUT_KEY_RIGHTSHIFT:
		return INPUT_MOD_SHIFT;
	case INPUT_KEY_LEFTCTRL:
	case INPUT_KEY_RIGHTCTRL:
		return INPUT_MOD_CTRL;
	case INPUT_KEY_LEFTALT:
		return INPUT_MOD_ALT;
	case INPUT_KEY_RIGHTALT:
		return INPUT_MOD_ALTGR;
	case INPUT_KEY_LEFTMETA:
	case INPUT_KEY_RIGHTMETA:
		return INPUT_MOD_META;
	default:
		return 0;
	}
}
