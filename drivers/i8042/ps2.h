/* PS/2 byte streams to evdev events (docs/input.md "i8042"). Pure code,
 * host-tested (tests/host/test_input_ps2.c).
 *
 * Keyboard: scancode set 1, which is what the 8042 hands us with its
 * translation on (the keyboard itself stays in its default set 2; the
 * controller translates, as PC firmware and Linux's default leave it).
 * Set 1 is one byte per make code, the same with bit 7 set for the
 * break, 0xE0 before extended keys and 0xE1 before Pause; for codes
 * 0x01-0x53 the evdev code is the scancode itself.
 *
 * Mouse: standard 3-byte packets, or 4 with the IntelliMouse wheel
 * (device id 3 after the 200/100/80 sample-rate knock). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/input_proto.h>

struct ps2kbd {
	uint8_t state; /* 0, after E0, in an E1 sequence */
	uint8_t e1;    /* the E1 sequence's first byte */
	uint64_t ignored;
};

/* One byte from the keyboard: true with *code / *value (1 down, 0 up)
 * when it completes a key; false for prefixes, controller replies (ACK,
 * resend, errors), fake shifts and unknown codes (counted in ignored). */
bool ps2kbd_byte(struct ps2kbd *k, uint8_t b, uint16_t *code, int32_t *value);

/* The evdev code of set-1 scancode sc (without bit 7), extended (after
 * E0) or not; 0 when unknown. */
uint16_t ps2_set1_code(uint8_t sc, bool extended);

struct ps2mouse {
	uint8_t size; /* 3, or 4 with the wheel */
	uint8_t n;    /* bytes of the current packet */
	uint8_t pkt[4];
	uint8_t buttons; /* the last packet's button bits */
	uint64_t resyncs, overflows;
};

#define PS2_MOUSE_EVENTS_MAX 8

void ps2mouse_init(struct ps2mouse *m, bool wheel);
/* One byte from the mouse: the number of events (at most
 * PS2_MOUSE_EVENTS_MAX, SYN_REPORT last) when it completes a packet,
 * else 0. Relative motion in evdev's sense (REL_Y grows downwards,
 * REL_WHEEL +1 is a notch away from the user), buttons only when they
 * change; time_ns is left 0. A first byte without its always-one bit 3
 * is dropped (resync); a packet with an overflow bit moves nothing. */
int ps2mouse_byte(struct ps2mouse *m, uint8_t b, struct input_event *ev);
