/* The PSF1/PSF2 parser (servers/fbcon/psf.c): good fonts, their unicode
 * tables, every truncation and hostile headers refused, the real font
 * the build packs (Debian's console-setup-linux). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "psf.h"

static struct psf_font f;

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
	p[3] = (uint8_t)(v >> 24);
}

/* A PSF2 font: 4 glyphs of w x h, glyph g's rows all (g + 1); table
 * maps 'A' -> 0, U+00E9 and 'B' -> 1, sequence junk -> 2, '?' -> 3. */
static size_t psf2(uint8_t *b, uint32_t w, uint32_t h)
{
	uint32_t rb = (w + 7) / 8, cs = rb * h;
	memset(b, 0, 32);
	le32(b, 0x864ab572u);
	le32(b + 4, 0);
	le32(b + 8, 32);
	le32(b + 12, 1);
	le32(b + 16, 4);
	le32(b + 20, cs);
	le32(b + 24, h);
	le32(b + 28, w);
	size_t n = 32;
	for (uint32_t g = 0; g < 4; g++)
		for (uint32_t i = 0; i < cs; i++)
			b[n++] = (uint8_t)(g + 1);
	static const uint8_t tab[] = {'A',  0xff, 0xc3, 0xa9, 'B', 0xff,
				      0xfe, 'x',  'y',	0xff, '?', 0xff};
	memcpy(b + n, tab, sizeof(tab));
	return n + sizeof(tab);
}

/* A PSF1 font: 256 glyphs of 8 x h, glyph g = g; a table mapping glyph g
 * to code point g, except glyph 0x41 which is also U+2500. */
static size_t psf1(uint8_t *b, uint8_t h, bool table)
{
	b[0] = 0x36, b[1] = 0x04, b[2] = table ? 0x02 : 0, b[3] = h;
	size_t n = 4;
	for (int g = 0; g < 256; g++)
		for (int i = 0; i < h; i++)
			b[n++] = (uint8_t)g;
	if (!table)
		return n;
	for (int g = 0; g < 256; g++) {
		b[n++] = (uint8_t)g, b[n++] = 0;
		if (g == 0x41)
			b[n++] = 0x00, b[n++] = 0x25;
		b[n++] = 0xff, b[n++] = 0xff;
	}
	return n;
}

TEST(fbcon_psf2_parses_and_maps)
{
	static uint8_t b[4096];
	size_t n = psf2(b, 12, 20);
	CHECK_EQ(psf_parse(&f, b, n), PSF_OK);
	CHECK_EQ(f.version, 2);
	CHECK_EQ(f.width, 12);
	CHECK_EQ(f.height, 20);
	CHECK_EQ(f.rowbytes, 2);
	CHECK_EQ(f.nglyphs, 4);
	CHECK(f.has_uni);
	CHECK_EQ(psf_glyph(&f, 'A')[0], 1);
	CHECK_EQ(psf_glyph(&f, 0xe9)[0], 2);
	CHECK_EQ(psf_glyph(&f, 'B')[0], 2);
	/* Sequences are not single code points; unknown ones show '?'. */
	CHECK_EQ(psf_glyph(&f, 'x')[0], 4);
	CHECK_EQ(psf_glyph(&f, 0x1234)[0], 4);
	CHECK_EQ(psf_glyph(&f, 0x10ffff)[0], 4);
}

TEST(fbcon_psf1_parses_with_and_without_table)
{
	static uint8_t b[8192];
	size_t n = psf1(b, 16, true);
	CHECK_EQ(psf_parse(&f, b, n), PSF_OK);
	CHECK_EQ(f.version, 1);
	CHECK_EQ(f.width, 8);
	CHECK_EQ(f.height, 16);
	CHECK_EQ(f.nglyphs, 256);
	CHECK_EQ(psf_glyph(&f, 'z')[15], 'z');
	CHECK_EQ(psf_glyph(&f, 0x2500)[0], 0x41);
	CHECK_EQ(psf_glyph(&f, 0x2501)[0], '?');
	n = psf1(b, 8, false);
	CHECK_EQ(psf_parse(&f, b, n), PSF_OK);
	CHECK(!f.has_uni);
	CHECK_EQ(psf_glyph(&f, 200)[0], 200); /* index = code point */
	CHECK_EQ(psf_glyph(&f, 300)[0], '?');
}

TEST(fbcon_psf_every_truncation_refused)
{
	static uint8_t b[8192];
	size_t n = psf2(b, 9, 10);
	for (size_t k = 0; k < n; k++) {
		int r = psf_parse(&f, b, k);
		CHECK(r == PSF_ERR_TRUNC || (k < 4 && r == PSF_ERR_MAGIC));
	}
	n = psf1(b, 14, true);
	for (size_t k = 0; k < n; k += 3) {
		int r = psf_parse(&f, b, k);
		CHECK(r == PSF_ERR_TRUNC || (k < 4 && r == PSF_ERR_MAGIC));
	}
	CHECK_EQ(psf_parse(&f, NULL, 0), PSF_ERR_MAGIC);
	CHECK_EQ(psf_parse(&f, "hello world", 11), PSF_ERR_MAGIC);
}

TEST(fbcon_psf_hostile_headers_refused)
{
	static uint8_t b[8192];
	size_t n = psf2(b, 8, 8);
	/* glyph count, sizes, header size, version: each out of range */
	struct {
		int off;
		uint32_t v;
		int want;
	} bad[] = {
		{16, 0, PSF_ERR_HEADER},
		{16, 0xffffffffu, PSF_ERR_HEADER},
		{16, 4096, PSF_ERR_TRUNC},
		{20, 9, PSF_ERR_HEADER},
		{20, 0x80000000u, PSF_ERR_HEADER},
		{24, 0, PSF_ERR_HEADER},
		{24, 65, PSF_ERR_HEADER},
		{28, 0, PSF_ERR_HEADER},
		{28, 33, PSF_ERR_HEADER},
		{8, 31, PSF_ERR_HEADER},
		{8, 0xfffffff0u, PSF_ERR_TRUNC},
		{4, 1, PSF_ERR_HEADER},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static uint8_t c[8192];
		memcpy(c, b, n);
		le32(c + bad[i].off, bad[i].v);
		CHECK_EQ(psf_parse(&f, c, n), bad[i].want);
	}
	/* PSF1: unknown mode bits, zero height */
	n = psf1(b, 16, false);
	b[2] = 0x08;
	CHECK_EQ(psf_parse(&f, b, n), PSF_ERR_HEADER);
	b[2] = 0, b[3] = 0;
	CHECK_EQ(psf_parse(&f, b, n), PSF_ERR_HEADER);
	/* A table that never ends its last glyph's list */
	n = psf2(b, 8, 8);
	b[n - 1] = '?';
	CHECK_EQ(psf_parse(&f, b, n), PSF_ERR_TRUNC);
}

/* Random mutations of a good font: parsed or refused, and when parsed
 * every glyph lies inside the buffer (ASan would catch a read past it). */
TEST(fbcon_psf_random_mutations)
{
	static uint8_t good[8192];
	size_t n = psf2(good, 10, 12);
	unsigned seed = 777;
	for (int round = 0; round < 5000; round++) {
		size_t len = n - (size_t)(rand_r(&seed) % 8);
		uint8_t *c = malloc(len);
		CHECK(c != NULL);
		memcpy(c, good, len);
		for (int k = rand_r(&seed) % 4; k >= 0; k--)
			c[(size_t)rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		if (psf_parse(&f, c, len) == PSF_OK) {
			for (uint32_t cp = 0; cp < 300; cp++) {
				const uint8_t *g = psf_glyph(&f, cp);
				volatile uint8_t last = g[f.charsize - 1];
				(void)last;
			}
		}
		free(c);
	}
}

TEST(fbcon_psf_real_font_from_debian)
{
	FILE *fp = fopen(FBCON_TEST_FONT, "rb");
	if (!fp)
		fprintf(stderr,
			"    %s missing: make builds it from "
			"console-setup-linux\n",
			FBCON_TEST_FONT);
	CHECK(fp != NULL);
	static uint8_t b[65536];
	size_t n = fread(b, 1, sizeof(b), fp);
	fclose(fp);
	CHECK_EQ(psf_parse(&f, b, n), PSF_OK);
	CHECK_EQ(f.width, 8);
	CHECK_EQ(f.height, 16);
	CHECK(f.has_uni);
	/* 'A' and 'H' differ and are not blank; box drawing is mapped. */
	const uint8_t *a = psf_glyph(&f, 'A'), *h = psf_glyph(&f, 'H');
	CHECK(memcmp(a, h, f.charsize) != 0);
	int bits = 0;
	for (uint32_t i = 0; i < f.charsize; i++)
		bits += __builtin_popcount(a[i]);
	CHECK(bits > 10);
	CHECK(f.uni[0x2500] != 0);
	CHECK(psf_glyph(&f, ' ')[7] == 0);
}
