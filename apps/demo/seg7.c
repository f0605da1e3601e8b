/* seg7: see seg7.h. Segments:  aaa
 *                             f   b
 *                              ggg
 *                             e   c
 *                              ddd  (dot: bottom right) */
#include "seg7.h"

uint8_t seg7_mask(char c)
{
	static const uint8_t digit[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
					  0x6d, 0x7d, 0x07, 0x7f, 0x6f};
	if (c >= '0' && c <= '9')
		return digit[c - '0'];
	switch (c) {
	case '-':
		return 0x40;
	case '.':
		return 0x80;
	case 'A':
		return 0x77;
	case 'b':
		return 0x7c;
	case 'C':
		return 0x39;
	case 'd':
		return 0x5e;
	case 'E':
		return 0x79;
	case 'F':
		return 0x71;
	case 'H':
		return 0x76;
	case 'L':
		return 0x38;
	case 'n':
		return 0x54;
	case 'o':
		return 0x5c;
	case 'P':
		return 0x73;
	case 'r':
		return 0x50;
	case 'S':
		return 0x6d;
	case 't':
		return 0x78;
	case 'U':
		return 0x3e;
	case 'y':
		return 0x6e;
	default:
		return 0;
	}
}

uint32_t seg7_rects(const char *text, int32_t x, int32_t y, uint32_t s,
		    cl_rect *out, uint32_t max)
{
	uint32_t n = 0;
	if (!text || !out || !s)
		return 0;
	int32_t t = (int32_t)s;
	for (; *text; text++, x += (int32_t)SEG7_ADVANCE(s)) {
		uint8_t m = seg7_mask(*text);
		/* x, y, w, h of a..g and the dot, in units of s. */
		static const uint8_t seg[8][4] = {
			{0, 0, 4, 1}, {3, 0, 1, 4}, {3, 3, 1, 4}, {0, 6, 4, 1},
			{0, 3, 1, 4}, {0, 0, 1, 4}, {0, 3, 4, 1}, {4, 6, 1, 1}};
		for (int i = 0; i < 8; i++) {
			if (!(m & (1u << i)))
				continue;
			if (n == max)
				return n;
			out[n++] =
				(cl_rect){x + seg[i][0] * t, y + seg[i][1] * t,
					  seg[i][2] * s, seg[i][3] * s};
		}
	}
	return n;
}
