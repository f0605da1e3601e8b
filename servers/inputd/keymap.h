/* The US keyboard layout: evdev key code + modifier state -> X11 keysym
 * and the character a terminal would get (docs/input.md, "Keysyms").
 * Pure code, host-tested (tests/host/test_input_keymap.c). */
#pragma once
#include <stdint.h>

/* X11 keysyms the keymap produces besides Latin-1 (= ASCII codes). */
#define XK_BackSpace   0xff08u
#define XK_Tab	       0xff09u
#define XK_Return      0xff0du
#define XK_Pause       0xff13u
#define XK_Scroll_Lock 0xff14u
#define XK_Sys_Req     0xff15u
#define XK_Escape      0xff1bu
#define XK_Home	       0xff50u
#define XK_Left	       0xff51u
#define XK_Up	       0xff52u
#define XK_Right       0xff53u
#define XK_Down	       0xff54u
#define XK_Page_Up     0xff55u
#define XK_Page_Down   0xff56u
#define XK_End	       0xff57u
#define XK_Insert      0xff63u
#define XK_Menu	       0xff67u
#define XK_Num_Lock    0xff7fu
#define XK_KP_Enter    0xff8du
#define XK_KP_Multiply 0xffaau
#define XK_KP_Add      0xffabu
#define XK_KP_Subtract 0xffadu
#define XK_KP_Decimal  0xffaeu
#define XK_KP_Divide   0xffafu
#define XK_KP_0	       0xffb0u /* ... XK_KP_9 0xffb9 */
#define XK_F1	       0xffbeu /* ... XK_F12 0xffc9 */
#define XK_Shift_L     0xffe1u
#define XK_Shift_R     0xffe2u
#define XK_Control_L   0xffe3u
#define XK_Control_R   0xffe4u
#define XK_Caps_Lock   0xffe5u
#define XK_Alt_L       0xffe9u
#define XK_Alt_R       0xffeau
#define XK_Super_L     0xffebu
#define XK_Super_R     0xffecu
#define XK_Delete      0xffffu

/* The keysym of key `code` with INPUT_MOD_* state `mods` (shift and caps
 * lock matter; caps lock only for letters); 0 for keys it does not know. */
uint32_t kmap_keysym(uint32_t code, uint32_t mods);
/* The character a press of keysym gives with `mods`: printable Latin-1
 * as is, Ctrl+letter and Ctrl+[ \ ] as control codes, Return '\r',
 * Tab '\t', BackSpace 0x7f, Escape 0x1b, keypad digits and operators;
 * 0 when it types nothing. */
uint32_t kmap_char(uint32_t keysym, uint32_t mods);
/* The INPUT_MOD_* bit key `code` holds while down (shift, ctrl, alt,
 * meta, AltGr), or 0. Caps lock is a toggle, not held: 0. */
uint32_t kmap_mod_of(uint32_t code);
