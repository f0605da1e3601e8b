/* inputmon's text (docs/input.md "inputmon"): one line per event, in the
 * manner of Linux's evtest, and one per device. Pure code, host-tested
 * (tests/host/test_input_evfmt.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/input_proto.h>

/* "EV_KEY", ... or NULL. */
const char *evfmt_type_name(uint32_t type);
/* "KEY_A", "BTN_LEFT", "REL_X", "SYN_REPORT", ... or NULL. */
const char *evfmt_code_name(uint32_t type, uint32_t code);
/* Event: time 1.234567, dev 1, type 1 (EV_KEY), code 30 (KEY_A),
 * value 1, keysym 0x61 'a', mods 0x0, ch 0x61
 * (keysym/mods/ch only for EV_KEY). Length written (cut to cap). */
int evfmt_event(const struct input_event *e, char *buf, size_t cap);
/* Input device 1: "name" keyboard, bus 0x11[, ABS_X 0..32767 ...] */
int evfmt_device(const struct input_dev_desc *d, char *buf, size_t cap);
