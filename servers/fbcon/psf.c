/* PSF1/PSF2 parser (psf.h). Formats: PSF1 = 2 magic bytes 0x36 0x04, a
 * mode byte (0x01: 512 glyphs, 0x02/0x04: a unicode table follows),
 * the glyph height; glyphs 8 wide. PSF2 = a 32-byte little-endian header
 * (magic 0x864ab572, version, header size, flags bit 0 = table, glyph
 * count, bytes per glyph, height, width). Tables: PSF1 one list of
 * 16-bit code points per glyph ended by 0xffff (0xfffe starts sequences,
 * which we skip); PSF2 the same in UTF-8 ended by 0xff (0xfe). */
#include "psf.h"

#include <string.h>

#define PSF1_MODE512	0x01u
#define PSF1_MODEHASTAB 0x02u
#define PSF1_MODESEQ	0x04u
#define PSF2_MAGIC	0x864ab572u
#define PSF2_HAS_TABLE	0x01u

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void map(struct psf_font *f, uint32_t cp, uint32_t glyph)
{
	/* The first glyph listed for a code point wins. */
	if (cp < PSF_UNI_MAX && !f->uni[cp])
		f->uni[cp] = (uint16_t)(glyph + 1);
}

static int table1(struct psf_font *f, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (uint32_t g = 0; g < f->nglyphs; g++) {
		bool seq = false;
		for (;;) {
			if (i + 2 > n)
				return PSF_ERR_TRUNC;
			uint32_t v = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
			i += 2;
			if (v == 0xffff)
				break;
			if (v == 0xfffe)
				seq = true;
			else if (!seq)
				map(f, v, g);
		}
	}
	return PSF_OK;
}

/* One UTF-8 code point at p[*i] (< n): the code point, or UINT32_MAX for
 * a malformed one (its first byte is skipped). */
static uint32_t utf8(const uint8_t *p, size_t n, size_t *i)
{
	uint8_t c = p[(*i)++];
	int need = c < 0x80		? 0
		   : (c & 0xe0) == 0xc0 ? 1
		   : (c & 0xf0) == 0xe0 ? 2
		   : (c & 0xf8) == 0xf0 ? 3
					: -1;
	if (need < 0)
		return UINT32_MAX;
	uint32_t cp = need == 0 ? c : c & (0x3fu >> need);
	for (int k = 0; k < need; k++) {
		if (*i >= n || (p[*i] & 0xc0) != 0x80)
			return UINT32_MAX;
		cp = cp << 6 | (p[(*i)++] & 0x3fu);
	}
	return cp;
}

static int table2(struct psf_font *f, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (uint32_t g = 0; g < f->nglyphs; g++) {
		bool seq = false;
		for (;;) {
			if (i >= n)
				return PSF_ERR_TRUNC;
			if (p[i] == 0xff) {
				i++;
				break;
			}
			if (p[i] == 0xfe) {
				i++;
				seq = true;
				continue;
			}
			uint32_t cp = utf8(p, n, &i);
			if (cp != UINT32_MAX && !seq)
				map(f, cp, g);
		}
	}
	return PSF_OK;
}

static int check_glyphs(struct psf_font *f, size_t hdr, size_t size)
{
	if (f->width < 1 || f->width > PSF_W_MAX || f->height < 1 ||
	    f->height > PSF_H_MAX || f->nglyphs < 1 ||
	    f->nglyphs > PSF_GLYPHS_MAX)
		return PSF_ERR_HEADER;
	f->rowbytes = (f->width + 7) / 8;
	if (f->charsize != f->rowbytes * f->height)
		return PSF_ERR_HEADER;
	/* Both factors are bounded above: no overflow. */
	uint64_t need = (uint64_t)hdr + (uint64_t)f->nglyphs * f->charsize;
	if (need > size)
		return PSF_ERR_TRUNC;
	return PSF_OK;
}

int psf_parse(struct psf_font *f, const void *data, size_t size)
{
	const uint8_t *p = data;
	memset(f, 0, sizeof(*f));
	if (!p)
		return PSF_ERR_MAGIC;
	if (size >= 4 && p[0] == 0x36 && p[1] == 0x04) {
		uint8_t mode = p[2];
		if (mode & ~(PSF1_MODE512 | PSF1_MODEHASTAB | PSF1_MODESEQ))
			return PSF_ERR_HEADER;
		f->version = 1;
		f->nglyphs = mode & PSF1_MODE512 ? 512 : 256;
		f->width = 8;
		f->height = p[3];
		f->charsize = p[3];
		int r = check_glyphs(f, 4, size);
		if (r < 0)
			return r;
		f->glyphs = p + 4;
		size_t end = 4 + (size_t)f->nglyphs * f->charsize;
		if (mode & (PSF1_MODEHASTAB | PSF1_MODESEQ)) {
			if ((r = table1(f, p + end, size - end)) < 0)
				return r;
			f->has_uni = true;
		}
		return PSF_OK;
	}
	if (size >= 4 && le32(p) == PSF2_MAGIC) {
		if (size < 32)
			return PSF_ERR_TRUNC;
		uint32_t version = le32(p + 4), hdr = le32(p + 8);
		uint32_t flags = le32(p + 12);
		f->version = 2;
		f->nglyphs = le32(p + 16);
		f->charsize = le32(p + 20);
		f->height = le32(p + 24);
		f->width = le32(p + 28);
		if (version != 0 || hdr < 32 || hdr > size)
			return hdr > size && version == 0 && hdr >= 32
				       ? PSF_ERR_TRUNC
				       : PSF_ERR_HEADER;
		int r = check_glyphs(f, hdr, size);
		if (r < 0)
			return r;
		f->glyphs = p + hdr;
		size_t end = hdr + (size_t)f->nglyphs * f->charsize;
		if (flags & PSF2_HAS_TABLE) {
			if ((r = table2(f, p + end, size - end)) < 0)
				return r;
			f->has_uni = true;
		}
		return PSF_OK;
	}
	return PSF_ERR_MAGIC;
}

static long index_of(const struct psf_font *f, uint32_t cp)
{
	if (f->has_uni) {
		if (cp < PSF_UNI_MAX && f->uni[cp])
			return f->uni[cp] - 1;
		return -1;
	}
	return cp < f->nglyphs ? (long)cp : -1;
}

const uint8_t *psf_glyph(const struct psf_font *f, uint32_t cp)
{
	long g = index_of(f, cp);
	if (g < 0)
		g = index_of(f, '?');
	if (g < 0 || (uint32_t)g >= f->nglyphs)
		g = 0;
	return f->glyphs + (size_t)g * f->charsize;
}
