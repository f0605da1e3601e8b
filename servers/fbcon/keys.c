/* Key events to terminal bytes (keys.h). */
#include "keys.h"

#include <string.h>

static const struct {
	uint16_t code;
	char seq[6];
} special[] = {
	{KEYS_UP, "\x1b[A"},	  {KEYS_DOWN, "\x1b[B"},
	{KEYS_RIGHT, "\x1b[C"},	  {KEYS_LEFT, "\x1b[D"},
	{KEYS_HOME, "\x1b[H"},	  {KEYS_END, "\x1b[F"},
	{KEYS_INSERT, "\x1b[2~"}, {KEYS_DELETE, "\x1b[3~"},
	{KEYS_PAGEUP, "\x1b[5~"}, {KEYS_PAGEDOWN, "\x1b[6~"},
};

size_t keys_bytes(uint32_t type, uint32_t code, int32_t value, uint32_t ch,
		  char out[KEYS_OUT_MAX])
{
	if (type != KEYS_EV_KEY || (value != 1 && value != 2))
		return 0;
	if (ch) {
		/* The line discipline is byte-wide: UTF-8 above ASCII. */
		if (ch < 0x80) {
			out[0] = (char)ch;
			return 1;
		}
		if (ch < 0x800) {
			out[0] = (char)(0xc0 | ch >> 6);
			out[1] = (char)(0x80 | (ch & 0x3f));
			return 2;
		}
		if (ch < 0x10000 && (ch < 0xd800 || ch > 0xdfff)) {
			out[0] = (char)(0xe0 | ch >> 12);
			out[1] = (char)(0x80 | (ch >> 6 & 0x3f));
			out[2] = (char)(0x80 | (ch & 0x3f));
			return 3;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (special[i].code == code) {
			size_t n = strlen(special[i].seq);
			memcpy(out, special[i].seq, n);
			return n;
		}
	return 0;
}
