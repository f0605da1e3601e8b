/* amx_dsp: the per-frame kernels of the render (docs/audio.md "Cost"):
 * sine by rotating phasors, gain, sum, f32 -> S16LE. Written with GCC /
 * clang vector extensions (portable: no intrinsics) so a stereo frame
 * costs a few instructions; buffers are 16-byte aligned and periods a
 * multiple of 4 frames. */
#include <math.h>
#include <string.h>

#include "amx_graph.h"
#include "amx_dsp.h"

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef int16_t v4s __attribute__((vector_size(8)));

float amx_db_to_amp(float db)
{
	return powf(10.0f, db / 20.0f);
}

void amx_tone_init(struct amx_node *n, float freq, float db)
{
	double w = 2 * M_PI * freq / AMX_RATE;
	for (int i = 0; i < 4; i++) {
		n->u.tone.c[i] = (float)cos(w * i);
		n->u.tone.s[i] = (float)sin(w * i);
	}
	n->u.tone.cr = (float)cos(4 * w);
	n->u.tone.sr = (float)sin(4 * w);
	n->u.tone.amp = amx_db_to_amp(db);
	n->u.tone.freq = freq;
}

void amx_tone_run(struct amx_node *n, float *out, uint32_t frames)
{
	v4f c, s;
	memcpy(&c, n->u.tone.c, 16);
	memcpy(&s, n->u.tone.s, 16);
	const float cr = n->u.tone.cr, sr = n->u.tone.sr, amp = n->u.tone.amp;
	for (uint32_t i = 0; i < frames; i += 4) {
		v4f y = s * amp;
		v4f lo = __builtin_shufflevector(y, y, 0, 0, 1, 1);
		v4f hi = __builtin_shufflevector(y, y, 2, 2, 3, 3);
		memcpy(out + 2 * i, &lo, 16);
		memcpy(out + 2 * i + 4, &hi, 16);
		v4f c2 = c * cr - s * sr;
		s = c * sr + s * cr;
		c = c2;
	}
	/* Pull the phasors back onto the unit circle (rounding drifts them
	 * by ~1e-7 per step): one Newton step of 1/sqrt, per period. */
	v4f g = 1.5f - 0.5f * (c * c + s * s);
	c *= g;
	s *= g;
	memcpy(n->u.tone.c, &c, 16);
	memcpy(n->u.tone.s, &s, 16);
}

void amx_gain_run(const float *in, float *out, uint32_t samples, float g)
{
	for (uint32_t i = 0; i < samples; i += 4) {
		v4f x;
		memcpy(&x, in + i, 16);
		x *= g;
		memcpy(out + i, &x, 16);
	}
}

void amx_add(float *acc, const float *in, uint32_t samples)
{
	for (uint32_t i = 0; i < samples; i += 4) {
		v4f a, b;
		memcpy(&a, acc + i, 16);
		memcpy(&b, in + i, 16);
		a += b;
		memcpy(acc + i, &a, 16);
	}
}

/* Round to nearest (even) by adding 1.5 * 2^23: the integer lands in the
 * low mantissa bits. Exact for the S16 range, which the clamp ensures, so
 * an S16 input played at 0 dB comes out bit-exact. */
static inline v4i to_int(v4f x)
{
	const v4f hi = {32767.f, 32767.f, 32767.f, 32767.f};
	const v4f lo = {-32768.f, -32768.f, -32768.f, -32768.f};
	x *= 32768.f;
	v4i m = x > hi;
	x = (v4f)(((v4i)x & ~m) | ((v4i)hi & m));
	m = x < lo;
	x = (v4f)(((v4i)x & ~m) | ((v4i)lo & m));
	x += 12582912.f;
	return (v4i)x - 0x4B400000;
}

void amx_f32_to_s16(const float *in, int16_t *out, uint32_t samples)
{
	for (uint32_t i = 0; i < samples; i += 4) {
		v4f x;
		memcpy(&x, in + i, 16);
		v4s s = __builtin_convertvector(to_int(x), v4s);
		memcpy(out + i, &s, 8);
	}
}

void amx_f32_to_s16_mono(const float *in, int16_t *out, uint32_t frames)
{
	for (uint32_t i = 0; i < frames; i += 4) {
		v4f a, b;
		memcpy(&a, in + 2 * i, 16);
		memcpy(&b, in + 2 * i + 4, 16);
		v4f l = __builtin_shufflevector(a, b, 0, 2, 4, 6);
		v4f r = __builtin_shufflevector(a, b, 1, 3, 5, 7);
		v4s s = __builtin_convertvector(to_int((l + r) * 0.5f), v4s);
		memcpy(out + i, &s, 8);
	}
}
