/* Keyboard events (the input hub's, input_proto.h) to the bytes the
 * console's line discipline reads, as a serial terminal would send them:
 * the hub's character for keys that type one (Return '\r', BackSpace
 * 0x7f, Ctrl+C 0x03), VT100 sequences for the cursor and editing keys.
 * Pure code, host-tested (tests/host/test_fbcon_keys.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define KEYS_OUT_MAX 8

/* evdev codes (linux/input-event-codes.h values) of the keys mapped here */
#define KEYS_EV_KEY   1u
#define KEYS_HOME     102u
#define KEYS_UP	      103u
#define KEYS_PAGEUP   104u
#define KEYS_LEFT     105u
#define KEYS_RIGHT    106u
#define KEYS_END      107u
#define KEYS_DOWN     108u
#define KEYS_PAGEDOWN 109u
#define KEYS_INSERT   110u
#define KEYS_DELETE   111u

/* One event (type, code, value 0 up / 1 down / 2 repeat, the hub's ch):
 * the bytes to type into out (KEYS_OUT_MAX), their number (0: none). */
size_t keys_bytes(uint32_t type, uint32_t code, int32_t value, uint32_t ch,
		  char out[KEYS_OUT_MAX]);
