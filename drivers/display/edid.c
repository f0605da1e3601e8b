/* EDID parser (edid.h). Layout from VESA E-EDID 1.4 and CTA-861. */
#include "edid.h"

#include <string.h>

static const uint8_t header[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0};

/* Established timings I and II (bytes 35-36, bit 7 first) and the
 * manufacturer's byte 37 bit 7. Interlaced 1024x768@87 is left out. */
static const struct {
	uint16_t w, h, hz;
} est[17] = {
	{720, 400, 70},	 {720, 400, 88},  {640, 480, 60},  {640, 480, 67},
	{640, 480, 72},	 {640, 480, 75},  {800, 600, 56},  {800, 600, 60},
	{800, 600, 72},	 {800, 600, 75},  {832, 624, 75},  {0, 0, 0},
	{1024, 768, 60}, {1024, 768, 70}, {1024, 768, 75}, {1280, 1024, 75},
	{1152, 870, 75},
};

static int sum_ok(const uint8_t *b)
{
	uint8_t s = 0;
	for (unsigned i = 0; i < EDID_BLOCK; i++)
		s = (uint8_t)(s + b[i]);
	return s == 0;
}

/* Adds a mode unless an equal one (same size, refresh within 0.5 Hz) is
 * there; a preferred one marks the existing entry preferred. */
static void add(struct edid_info *e, uint32_t w, uint32_t h, uint32_t mhz,
		uint32_t flags)
{
	if (!w || !h || !mhz || w > DISP_DIM_MAX || h > DISP_DIM_MAX)
		return;
	for (uint32_t i = 0; i < e->nmodes; i++) {
		struct disp_mode *m = &e->modes[i];
		uint32_t d = m->refresh_mhz > mhz ? m->refresh_mhz - mhz
						  : mhz - m->refresh_mhz;
		if (m->width == w && m->height == h && d < 500) {
			m->flags |= flags;
			return;
		}
	}
	if (e->nmodes < DISP_MODES_MAX)
		e->modes[e->nmodes++] = (struct disp_mode){w, h, mhz, flags};
}

/* An 18-byte detailed timing: a mode, or (clock 0) a display
 * descriptor. */
static void detailed(struct edid_info *e, const uint8_t *d, int first)
{
	uint32_t clock = d[0] | (uint32_t)d[1] << 8; /* 10 kHz units */
	if (clock == 0) {
		if (d[3] == 0xfc) { /* monitor name: up to 13, '\n' ends */
			unsigned n = 0;
			while (n < 13 && d[5 + n] != '\n' && d[5 + n] >= 0x20 &&
			       d[5 + n] < 0x7f)
				n++;
			memcpy(e->name, d + 5, n);
			e->name[n] = 0;
		}
		return;
	}
	uint32_t hact = d[2] | (uint32_t)(d[4] & 0xf0) << 4;
	uint32_t hbl = d[3] | (uint32_t)(d[4] & 0x0f) << 8;
	uint32_t vact = d[5] | (uint32_t)(d[7] & 0xf0) << 4;
	uint32_t vbl = d[6] | (uint32_t)(d[7] & 0x0f) << 8;
	uint32_t wmm = d[12] | (uint32_t)(d[14] & 0xf0) << 4;
	uint32_t hmm = d[13] | (uint32_t)(d[14] & 0x0f) << 8;
	if (d[17] & 0x80) /* interlaced: not offered */
		return;
	uint64_t total = (uint64_t)(hact + hbl) * (vact + vbl);
	if (!total)
		return;
	uint32_t mhz = (uint32_t)(((uint64_t)clock * 10000 * 1000 + total / 2) /
				  total);
	if (first && wmm && hmm && !e->width_mm) {
		e->width_mm = wmm;
		e->height_mm = hmm;
	}
	add(e, hact, vact, mhz, first ? DISP_MODE_PREFERRED : 0);
}

static void standard(struct edid_info *e, uint8_t b0, uint8_t b1)
{
	if ((b0 == 1 && b1 == 1) || b0 == 0)
		return; /* unused slot */
	uint32_t w = ((uint32_t)b0 + 31) * 8, h;
	switch (b1 >> 6) {
	case 0: /* 16:10 from EDID 1.3 on, 1:1 before */
		h = e->version == 1 && e->revision < 3 ? w : w * 10 / 16;
		break;
	case 1:
		h = w * 3 / 4;
		break;
	case 2:
		h = w * 4 / 5;
		break;
	default:
		h = w * 9 / 16;
		break;
	}
	add(e, w, h, ((uint32_t)(b1 & 0x3f) + 60) * 1000, 0);
}

static void cta_block(struct edid_info *e, const uint8_t *b)
{
	uint8_t dtd = b[2]; /* offset of the first detailed timing */
	if (dtd < 4 || dtd > EDID_BLOCK - 1)
		return;
	for (unsigned off = dtd; off + 18 <= EDID_BLOCK - 1; off += 18) {
		if (b[off] == 0 && b[off + 1] == 0)
			break; /* padding */
		detailed(e, b + off, 0);
	}
}

/* Preferred first, then larger areas, then higher refresh (insertion
 * sort: at most DISP_MODES_MAX entries). */
static int before(const struct disp_mode *a, const struct disp_mode *b)
{
	int pa = !!(a->flags & DISP_MODE_PREFERRED);
	int pb = !!(b->flags & DISP_MODE_PREFERRED);
	if (pa != pb)
		return pa > pb;
	uint64_t aa = (uint64_t)a->width * a->height;
	uint64_t ab = (uint64_t)b->width * b->height;
	if (aa != ab)
		return aa > ab;
	return a->refresh_mhz > b->refresh_mhz;
}

static void sort_modes(struct edid_info *e)
{
	for (uint32_t i = 1; i < e->nmodes; i++) {
		struct disp_mode m = e->modes[i];
		uint32_t j = i;
		while (j > 0 && before(&m, &e->modes[j - 1])) {
			e->modes[j] = e->modes[j - 1];
			j--;
		}
		e->modes[j] = m;
	}
}

int edid_parse(const uint8_t *buf, size_t len, struct edid_info *e)
{
	memset(e, 0, sizeof(*e));
	if (!buf || len < EDID_BLOCK)
		return EDID_ERR_SHORT;
	if (memcmp(buf, header, sizeof(header)))
		return EDID_ERR_HEADER;
	if (!sum_ok(buf))
		return EDID_ERR_CHECKSUM;
	uint16_t mfg = (uint16_t)(buf[8] << 8 | buf[9]);
	for (int i = 0; i < 3; i++) {
		unsigned c = (mfg >> (10 - 5 * i)) & 0x1f;
		e->vendor[i] = c >= 1 && c <= 26 ? (char)('A' + c - 1) : '?';
	}
	e->product = (uint16_t)(buf[10] | buf[11] << 8);
	e->serial = buf[12] | (uint32_t)buf[13] << 8 | (uint32_t)buf[14] << 16 |
		    (uint32_t)buf[15] << 24;
	e->version = buf[18];
	e->revision = buf[19];
	/* Detailed timings first: the first is the preferred mode. */
	for (unsigned i = 0; i < 4; i++)
		detailed(e, buf + 54 + 18 * i, i == 0);
	if (!e->width_mm && buf[21] && buf[22]) { /* cm */
		e->width_mm = buf[21] * 10u;
		e->height_mm = buf[22] * 10u;
	}
	for (unsigned bit = 0; bit < 17; bit++) {
		unsigned byte = 35 + bit / 8, mask = 0x80u >> (bit % 8);
		if ((buf[byte] & mask) && est[bit].w)
			add(e, est[bit].w, est[bit].h, est[bit].hz * 1000u, 0);
	}
	for (unsigned i = 0; i < 8; i++)
		standard(e, buf[38 + 2 * i], buf[39 + 2 * i]);
	/* Range-limit and 0xfa descriptors carry standard timings too. */
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *d = buf + 54 + 18 * i;
		if (d[0] == 0 && d[1] == 0 && d[3] == 0xfa)
			for (unsigned k = 0; k < 6; k++)
				standard(e, d[5 + 2 * k], d[6 + 2 * k]);
	}
	size_t next = buf[126];
	for (size_t x = 1; x <= next && (x + 1) * EDID_BLOCK <= len; x++) {
		const uint8_t *b = buf + x * EDID_BLOCK;
		if (!sum_ok(b) || b[0] != 0x02) {
			e->ext_bad++;
			continue;
		}
		cta_block(e, b);
	}
	sort_modes(e);
	return 0;
}
