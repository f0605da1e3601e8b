/* The hub's US keymap (servers/inputd/keymap.c): keysyms and characters
 * for letters, digits, punctuation, shifted forms, caps lock, control
 * keys and the named keys. */
#include <execrt/input_keys.h>
#include <execrt/input_proto.h>

#include "harness.h"
#include "keymap.h"

#define SH   INPUT_MOD_SHIFT
#define CAPS INPUT_MOD_CAPS
#define CTRL INPUT_MOD_CTRL

TEST(input_keymap_letters_shift_and_caps)
{
	CHECK_EQ(kmap_keysym(INPUT_KEY_A, 0), 'a');
	CHECK_EQ(kmap_keysym(INPUT_KEY_A, SH), 'A');
	CHECK_EQ(kmap_keysym(INPUT_KEY_A, CAPS), 'A');
	CHECK_EQ(kmap_keysym(INPUT_KEY_A, CAPS | SH), 'a');
	CHECK_EQ(kmap_keysym(INPUT_KEY_Z, 0), 'z');
	CHECK_EQ(kmap_keysym(INPUT_KEY_Q, SH), 'Q');
	CHECK_EQ(kmap_keysym(INPUT_KEY_M, 0), 'm');
	CHECK_EQ(kmap_keysym(INPUT_KEY_L, SH | CTRL), 'L');
	/* Caps lock does not shift digits or punctuation. */
	CHECK_EQ(kmap_keysym(INPUT_KEY_1, CAPS), '1');
	CHECK_EQ(kmap_keysym(INPUT_KEY_SLASH, CAPS), '/');
	/* Every letter row key gives a distinct lower-case letter. */
	static const unsigned codes[26] = {
		INPUT_KEY_A, INPUT_KEY_B, INPUT_KEY_C, INPUT_KEY_D, INPUT_KEY_E,
		INPUT_KEY_F, INPUT_KEY_G, INPUT_KEY_H, INPUT_KEY_I, INPUT_KEY_J,
		INPUT_KEY_K, INPUT_KEY_L, INPUT_KEY_M, INPUT_KEY_N, INPUT_KEY_O,
		INPUT_KEY_P, INPUT_KEY_Q, INPUT_KEY_R, INPUT_KEY_S, INPUT_KEY_T,
		INPUT_KEY_U, INPUT_KEY_V, INPUT_KEY_W, INPUT_KEY_X, INPUT_KEY_Y,
		INPUT_KEY_Z};
	for (int i = 0; i < 26; i++) {
		CHECK_EQ(kmap_keysym(codes[i], 0), 'a' + i);
		CHECK_EQ(kmap_keysym(codes[i], SH), 'A' + i);
	}
}

TEST(input_keymap_digits_and_punctuation)
{
	static const char plain[] = "1234567890-=";
	static const char shifted[] = "!@#$%^&*()_+";
	for (int i = 0; i < 12; i++) {
		CHECK_EQ(kmap_keysym(INPUT_KEY_1 + i, 0), plain[i]);
		CHECK_EQ(kmap_keysym(INPUT_KEY_1 + i, SH), shifted[i]);
	}
	struct {
		unsigned code;
		char p, s;
	} t[] = {
		{INPUT_KEY_LEFTBRACE, '[', '{'},
		{INPUT_KEY_RIGHTBRACE, ']', '}'},
		{INPUT_KEY_SEMICOLON, ';', ':'},
		{INPUT_KEY_APOSTROPHE, '\'', '"'},
		{INPUT_KEY_GRAVE, '`', '~'},
		{INPUT_KEY_BACKSLASH, '\\', '|'},
		{INPUT_KEY_COMMA, ',', '<'},
		{INPUT_KEY_DOT, '.', '>'},
		{INPUT_KEY_SLASH, '/', '?'},
		{INPUT_KEY_SPACE, ' ', ' '},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(kmap_keysym(t[i].code, 0), t[i].p);
		CHECK_EQ(kmap_keysym(t[i].code, SH), t[i].s);
	}
}

TEST(input_keymap_named_keys)
{
	CHECK_EQ(kmap_keysym(INPUT_KEY_ENTER, 0), XK_Return);
	CHECK_EQ(kmap_keysym(INPUT_KEY_BACKSPACE, SH), XK_BackSpace);
	CHECK_EQ(kmap_keysym(INPUT_KEY_TAB, 0), XK_Tab);
	CHECK_EQ(kmap_keysym(INPUT_KEY_ESC, 0), XK_Escape);
	CHECK_EQ(kmap_keysym(INPUT_KEY_UP, 0), XK_Up);
	CHECK_EQ(kmap_keysym(INPUT_KEY_DOWN, 0), XK_Down);
	CHECK_EQ(kmap_keysym(INPUT_KEY_LEFT, 0), XK_Left);
	CHECK_EQ(kmap_keysym(INPUT_KEY_RIGHT, 0), XK_Right);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(kmap_keysym(INPUT_KEY_F1 + i, 0), XK_F1 + i);
	CHECK_EQ(kmap_keysym(INPUT_KEY_F11, 0), 0xffc8);
	CHECK_EQ(kmap_keysym(INPUT_KEY_F12, 0), 0xffc9);
	CHECK_EQ(kmap_keysym(INPUT_KEY_LEFTSHIFT, 0), XK_Shift_L);
	CHECK_EQ(kmap_keysym(INPUT_KEY_RIGHTCTRL, 0), XK_Control_R);
	CHECK_EQ(kmap_keysym(INPUT_KEY_CAPSLOCK, 0), XK_Caps_Lock);
	CHECK_EQ(kmap_keysym(INPUT_KEY_DELETE, 0), XK_Delete);
	CHECK_EQ(kmap_keysym(INPUT_KEY_HOME, 0), XK_Home);
	CHECK_EQ(kmap_keysym(INPUT_KEY_PAGEDOWN, 0), XK_Page_Down);
	CHECK_EQ(kmap_keysym(INPUT_KEY_KP7, 0), XK_KP_0 + 7);
	CHECK_EQ(kmap_keysym(INPUT_KEY_KPENTER, 0), XK_KP_Enter);
	/* Unknown codes and buttons: no keysym. */
	CHECK_EQ(kmap_keysym(0, 0), 0);
	CHECK_EQ(kmap_keysym(84, 0), 0);
	CHECK_EQ(kmap_keysym(INPUT_BTN_LEFT, 0), 0);
	CHECK_EQ(kmap_keysym(INPUT_KEY_MAX, SH), 0);
}

TEST(input_keymap_characters)
{
	CHECK_EQ(kmap_char('a', 0), 'a');
	CHECK_EQ(kmap_char('A', SH), 'A');
	CHECK_EQ(kmap_char('a', CTRL), 1);
	CHECK_EQ(kmap_char('C', CTRL | SH), 3);
	CHECK_EQ(kmap_char('z', CTRL), 26);
	CHECK_EQ(kmap_char('[', CTRL), 0x1b);
	CHECK_EQ(kmap_char('\\', CTRL), 0x1c);
	CHECK_EQ(kmap_char(']', CTRL), 0x1d);
	CHECK_EQ(kmap_char('1', CTRL), '1');
	CHECK_EQ(kmap_char(' ', 0), ' ');
	CHECK_EQ(kmap_char(XK_Return, 0), '\r');
	CHECK_EQ(kmap_char(XK_KP_Enter, 0), '\r');
	CHECK_EQ(kmap_char(XK_Tab, 0), '\t');
	CHECK_EQ(kmap_char(XK_BackSpace, 0), 0x7f);
	CHECK_EQ(kmap_char(XK_Escape, 0), 0x1b);
	CHECK_EQ(kmap_char(XK_KP_0 + 5, 0), '5');
	CHECK_EQ(kmap_char(XK_KP_Divide, 0), '/');
	CHECK_EQ(kmap_char(XK_Up, 0), 0);
	CHECK_EQ(kmap_char(XK_F1, 0), 0);
	CHECK_EQ(kmap_char(XK_Shift_L, SH), 0);
	CHECK_EQ(kmap_char(0, 0), 0);
}

TEST(input_keymap_modifier_keys)
{
	CHECK_EQ(kmap_mod_of(INPUT_KEY_LEFTSHIFT), SH);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_RIGHTSHIFT), SH);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_LEFTCTRL), CTRL);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_RIGHTCTRL), CTRL);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_LEFTALT), INPUT_MOD_ALT);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_RIGHTALT), INPUT_MOD_ALTGR);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_LEFTMETA), INPUT_MOD_META);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_CAPSLOCK), 0);
	CHECK_EQ(kmap_mod_of(INPUT_KEY_A), 0);
}
