/* amx_wav: see amx_wav.h. Chunks are walked with every size checked
 * against what is left; unknown chunks are skipped (padded to even). */
#include "amx_wav.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amx_graph.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int fail(char *err, size_t cap, const char *why)
{
	snprintf(err, cap, "%s", why);
	return -1;
}

int amx_wav_parse(const void *buf, size_t len, struct amx_wav *w, char *err,
		  size_t errcap)
{
	const uint8_t *p = buf;
	memset(w, 0, sizeof(*w));
	if (!p || len < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WAVE", 4))
		return fail(err, errcap, "not a RIFF/WAVE file");
	size_t off = 12;
	int have_fmt = 0;
	uint16_t tag = 0, align = 0;
	while (len - off >= 8) {
		uint32_t sz = le32(p + off + 4);
		const uint8_t *c = p + off + 8;
		size_t left = len - off - 8;
		if (!memcmp(p + off, "fmt ", 4)) {
			if (sz < 16 || sz > left)
				return fail(err, errcap, "bad fmt chunk");
			tag = le16(c);
			w->channels = le16(c + 2);
			w->rate = le32(c + 4);
			align = le16(c + 12);
			w->bits = le16(c + 14);
			if (tag == 0xFFFE) { /* extensible: the sub-format */
				if (sz < 40)
					return fail(err, errcap,
						    "bad extensible fmt");
				tag = le16(c + 24);
			}
			have_fmt = 1;
		} else if (!memcmp(p + off, "data", 4)) {
			if (!have_fmt)
				return fail(err, errcap, "data before fmt");
			if (sz >
			    left) /* a truncated file: play what is there */
				sz = (uint32_t)left;
			w->data = c;
			if (tag == 1 &&
			    (w->bits == 16 || w->bits == 24 || w->bits == 32))
				w->is_float = 0;
			else if (tag == 3 && w->bits == 32)
				w->is_float = 1;
			else
				return fail(err, errcap,
					    "unsupported sample format (PCM "
					    "16/24/32 or float32)");
			if (w->channels != 1 && w->channels != 2)
				return fail(err, errcap, "only mono or stereo");
			if (w->rate < AMX_RS_RATE_MIN ||
			    w->rate > AMX_RS_RATE_MAX)
				return fail(err, errcap,
					    "rate out of 8000..192000");
			uint32_t fb = w->channels * (w->bits / 8u);
			if (align != fb)
				return fail(err, errcap, "bad block align");
			w->frames = sz / fb;
			return 0;
		}
		if (sz > left)
			break;
		off += 8 + (size_t)sz + (sz & 1);
		if (off > len)
			break;
	}
	return fail(err, errcap, have_fmt ? "no data chunk" : "no fmt chunk");
}

static float sample(const struct amx_wav *w, const uint8_t *s)
{
	if (w->is_float) {
		float f;
		uint32_t u = le32(s);
		memcpy(&f, &u, 4);
		return f != f ? 0.0f : f; /* NaN would poison the mix */
	}
	switch (w->bits) {
	case 16:
		return (float)(int16_t)le16(s) * (1.0f / 32768.0f);
	case 24: {
		int32_t v =
			(int32_t)((uint32_t)s[0] << 8 | (uint32_t)s[1] << 16 |
				  (uint32_t)s[2] << 24) >>
			8;
		return (float)v * (1.0f / 8388608.0f);
	}
	default:
		return (float)(int32_t)le32(s) * (1.0f / 2147483648.0f);
	}
}

/* Frames i .. i+n of the file as stereo f32. */
static void frames_at(const struct amx_wav *w, uint64_t i, uint32_t n,
		      float *out)
{
	uint32_t bps = w->bits / 8u, fb = bps * w->channels;
	for (uint32_t k = 0; k < n; k++, i++) {
		if (i >= w->frames) {
			out[2 * k] = out[2 * k + 1] = 0;
			continue;
		}
		const uint8_t *s = w->data + i * fb;
		out[2 * k] = sample(w, s);
		out[2 * k + 1] =
			w->channels == 2 ? sample(w, s + bps) : out[2 * k];
	}
}

float *amx_wav_decode(const struct amx_wav *w, uint64_t *frames, char *err,
		      size_t errcap)
{
	uint64_t out_frames = w->frames * AMX_RATE / w->rate;
	if (out_frames > AMX_WAV_MAX_FRAMES) {
		fail(err, errcap, "file too long");
		return NULL;
	}
	float *pcm = malloc((size_t)(out_frames + 4) * 2 * sizeof(float));
	if (!pcm) {
		fail(err, errcap, "out of memory");
		return NULL;
	}
	*frames = out_frames;
	if (w->rate == AMX_RATE) {
		frames_at(w, 0, (uint32_t)out_frames, pcm);
		return pcm;
	}
	struct amx_rs *rs = amx_rs_new(w->rate, AMX_RATE, AMX_PERIOD_MAX);
	if (!rs) {
		free(pcm);
		fail(err, errcap, "out of memory");
		return NULL;
	}
	uint64_t in_pos = 0;
	for (uint64_t done = 0; done < out_frames;) {
		uint32_t n = out_frames - done < AMX_PERIOD_MAX
				     ? (uint32_t)(out_frames - done)
				     : AMX_PERIOD_MAX;
		uint32_t need = amx_rs_need(rs, n);
		frames_at(w, in_pos, need, amx_rs_in(rs));
		in_pos += need;
		amx_rs_run(rs, need, pcm + done * 2, n);
		done += n;
	}
	amx_rs_free(rs);
	return pcm;
}
