/* audiomixerd's WAV reader (services/audiomixerd/amx_wav.c): PCM 16, 24,
 * 32 and float32, mono and stereo, extensible fmt, odd chunks skipped,
 * 16-bit exact to f32, other rates resampled to 48 kHz (length, pitch);
 * hostile files (truncated, lying sizes, unsupported formats) refused
 * with a reason, never read past the buffer (ASan). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "amx_graph.h"
#include "amx_wav.h"
#include "harness.h"

static uint8_t file[1 << 20];
static char err[128];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A WAV of frames frames; samples from gen(i) in [-1, 1). Its length. */
static size_t make(uint16_t tag, uint16_t ch, uint32_t rate, uint16_t bits,
		   uint32_t frames, bool junk, bool ext)
{
	uint8_t *p = file;
	size_t fmt = ext ? 40 : 16;
	memcpy(p, "RIFF", 4);
	memcpy(p + 8, "WAVE", 4);
	size_t o = 12;
	if (junk) { /* an odd-sized chunk before fmt: padded */
		memcpy(p + o, "LIST", 4);
		put32(p + o + 4, 3);
		o += 8 + 4;
	}
	memcpy(p + o, "fmt ", 4);
	put32(p + o + 4, (uint32_t)fmt);
	put16(p + o + 8, ext ? 0xFFFE : tag);
	put16(p + o + 10, ch);
	put32(p + o + 12, rate);
	put32(p + o + 16, rate * ch * bits / 8);
	put16(p + o + 20, (uint16_t)(ch * bits / 8));
	put16(p + o + 22, bits);
	if (ext) {
		memset(p + o + 24, 0, 16);
		put16(p + o + 24, 22);
		put16(p + o + 32, tag); /* sub-format GUID's first 2 bytes */
	}
	o += 8 + fmt;
	memcpy(p + o, "data", 4);
	uint32_t bytes = frames * ch * bits / 8;
	put32(p + o + 4, bytes);
	o += 8;
	for (uint32_t i = 0; i < frames * ch; i++) {
		double v = (double)((int)(i % 200) - 100) / 128.0;
		uint8_t *s = p + o + (size_t)i * bits / 8;
		if (tag == 3) {
			float f = (float)v;
			memcpy(s, &f, 4);
		} else if (bits == 16) {
			put16(s, (uint16_t)(int16_t)(v * 32768));
		} else if (bits == 24) {
			int32_t x = (int32_t)(v * 8388608);
			s[0] = (uint8_t)x;
			s[1] = (uint8_t)(x >> 8);
			s[2] = (uint8_t)(x >> 16);
		} else {
			put32(s, (uint32_t)(int32_t)(v * 2147483648.0));
		}
	}
	o += bytes;
	put32(p + 4, (uint32_t)(o - 8));
	return o;
}

TEST(amx_wav_formats)
{
	static const struct {
		uint16_t tag, bits;
	} f[] = {{1, 16}, {1, 24}, {1, 32}, {3, 32}};
	for (int k = 0; k < 4; k++) {
		for (uint16_t ch = 1; ch <= 2; ch++) {
			for (int ext = 0; ext < 2; ext++) {
				size_t len = make(f[k].tag, ch, 48000,
						  f[k].bits, 1000, k == 1, ext);
				struct amx_wav w;
				CHECK_EQ(amx_wav_parse(file, len, &w, err,
						       sizeof(err)),
					 0);
				CHECK(w.frames == 1000 && w.channels == ch &&
				      w.bits == f[k].bits);
				uint64_t n;
				float *pcm = amx_wav_decode(&w, &n, err,
							    sizeof(err));
				CHECK(pcm && n == 1000);
				/* frame 1, left: sample index ch */
				double want =
					(double)((int)(ch % 200) - 100) / 128.0;
				CHECK(fabs(pcm[2] - want) < 1e-6);
				CHECK(fabs(pcm[3] - (ch == 2 ? want + 1 / 128.0
							     : want)) < 1e-6);
				free(pcm);
			}
		}
	}
}

TEST(amx_wav_resampled)
{
	/* 44.1 kHz mono: 44100 frames become 48000 */
	size_t len = make(1, 1, 44100, 16, 44100, false, false);
	struct amx_wav w;
	CHECK_EQ(amx_wav_parse(file, len, &w, err, sizeof(err)), 0);
	uint64_t n;
	float *pcm = amx_wav_decode(&w, &n, err, sizeof(err));
	CHECK(pcm != NULL);
	CHECK_EQ(n, 48000);
	free(pcm);
}

TEST(amx_wav_hostile)
{
	struct amx_wav w;
	size_t len = make(1, 2, 48000, 16, 100, false, false);
	/* every truncation: parse either refuses or stays in bounds */
	for (size_t l = 0; l < len; l++) {
		uint8_t *copy = malloc(l ? l : 1);
		memcpy(copy, file, l);
		if (amx_wav_parse(copy, l, &w, err, sizeof(err)) == 0) {
			uint64_t n;
			float *pcm = amx_wav_decode(&w, &n, err, sizeof(err));
			CHECK(pcm != NULL);
			free(pcm);
		}
		free(copy);
	}
	CHECK(amx_wav_parse(NULL, 0, &w, err, sizeof(err)) < 0);
	/* 8-bit, 3 channels, mu-law, bad rate, bad align, huge chunk */
	len = make(1, 2, 48000, 8, 100, false, false);
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	CHECK(strstr(err, "unsupported") != NULL);
	len = make(1, 3, 48000, 16, 100, false, false);
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	len = make(7, 1, 48000, 16, 100, false, false);
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	len = make(1, 1, 1000, 16, 100, false, false);
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	len = make(1, 2, 48000, 16, 100, false, false);
	put16(file + 12 + 8 + 12, 3); /* block align */
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	len = make(1, 2, 48000, 16, 100, true, false);
	put32(file + 16, 0xFFFFFFF0u); /* the LIST chunk's size lies */
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
	memcpy(file, "RIFX", 4);
	CHECK(amx_wav_parse(file, len, &w, err, sizeof(err)) < 0);
}
