/* amx_resample: see amx_resample.h. Position is 32.32 fixed point in
 * input frames of the history buffer; output frame t takes input frames
 * floor(t) - H + 1 .. floor(t) + H, weighted by the kernel at the
 * fractional offset (two neighbouring phases, interpolated). */
#include "amx_resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PHASE_BITS 8
#define PHASES	   (1u << PHASE_BITS)
#define ZC	   16 /* zero crossings each side at full band */
#define BETA	   9.0

struct amx_rs {
	uint32_t in_rate, out_rate, h, taps;
	uint64_t step, pos;
	uint32_t have, cap;
	float *table; /* (PHASES + 1) rows of taps */
	float *hist;  /* cap stereo frames */
};

static double bessel_i0(double x)
{
	double sum = 1, term = 1;
	for (int k = 1; k < 40; k++) {
		term *= (x / (2 * k)) * (x / (2 * k));
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	return sum;
}

/* The kernel at t input frames from the output instant. */
static double kernel(double t, double fc, double h)
{
	double u = t / h;
	if (u <= -1 || u >= 1)
		return 0;
	double s = t == 0 ? fc : sin(M_PI * fc * t) / (M_PI * t);
	return s * bessel_i0(BETA * sqrt(1 - u * u)) / bessel_i0(BETA);
}

struct amx_rs *amx_rs_new(uint32_t in_rate, uint32_t out_rate, uint32_t max_out)
{
	if (in_rate < AMX_RS_RATE_MIN || in_rate > AMX_RS_RATE_MAX ||
	    out_rate < AMX_RS_RATE_MIN || out_rate > AMX_RS_RATE_MAX ||
	    !max_out || max_out > 65536)
		return NULL;
	struct amx_rs *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	double ratio = out_rate < in_rate ? (double)out_rate / in_rate : 1.0;
	/* The cutoff sits below the lower Nyquist so the transition band
	 * (about 1/ZC of it wide) ends before it. */
	double fc = 0.92 * ratio;
	r->h = (uint32_t)ceil(ZC / ratio);
	r->taps = 2 * r->h;
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	r->step = ((uint64_t)in_rate << 32) / out_rate;
	r->cap = r->taps + 8 +
		 (uint32_t)(((uint64_t)max_out * in_rate + out_rate - 1) /
			    out_rate);
	r->table = malloc(sizeof(float) * (PHASES + 1) * r->taps);
	r->hist = calloc((size_t)r->cap * 2, sizeof(float));
	if (!r->table || !r->hist) {
		amx_rs_free(r);
		return NULL;
	}
	for (uint32_t ph = 0; ph <= PHASES; ph++)
		for (uint32_t j = 0; j < r->taps; j++)
			r->table[ph * r->taps + j] = (float)kernel(
				(double)j - (r->h - 1) - (double)ph / PHASES,
				fc, r->h);
	/* Output 0 lines up with input 0: h - 1 frames of silence before. */
	r->have = r->h - 1;
	r->pos = (uint64_t)(r->h - 1) << 32;
	return r;
}

void amx_rs_free(struct amx_rs *r)
{
	if (!r)
		return;
	free(r->table);
	free(r->hist);
	free(r);
}

uint32_t amx_rs_half(const struct amx_rs *r)
{
	return r->h;
}

uint32_t amx_rs_need(const struct amx_rs *r, uint32_t n)
{
	if (!n)
		return 0;
	uint64_t last = ((r->pos + (uint64_t)(n - 1) * r->step) >> 32) + r->h;
	return last + 1 > r->have ? (uint32_t)(last + 1 - r->have) : 0;
}

float *amx_rs_in(struct amx_rs *r)
{
	return r->hist + (size_t)r->have * 2;
}

void amx_rs_run(struct amx_rs *r, uint32_t fed, float *out, uint32_t n)
{
	r->have += fed;
	const uint32_t taps = r->taps;
	uint64_t pos = r->pos;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = (uint32_t)(pos >> 32), frac = (uint32_t)pos;
		uint32_t ph = frac >> (32 - PHASE_BITS);
		float a = (float)(frac << PHASE_BITS) * (1.0f / 4294967296.0f);
		const float *h0 = r->table + ph * taps, *h1 = h0 + taps;
		const float *x = r->hist + (size_t)(p - r->h + 1) * 2;
		float l = 0, rr = 0;
		for (uint32_t j = 0; j < taps; j++) {
			float c = h0[j] + a * (h1[j] - h0[j]);
			l += x[2 * j] * c;
			rr += x[2 * j + 1] * c;
		}
		out[2 * i] = l;
		out[2 * i + 1] = rr;
		pos += r->step;
	}
	/* Keep what the next output still reaches back to. */
	uint32_t keep_from = (uint32_t)(pos >> 32) - (r->h - 1);
	if (keep_from > r->have)
		keep_from = r->have;
	memmove(r->hist, r->hist + (size_t)keep_from * 2,
		(size_t)(r->have - keep_from) * 2 * sizeof(float));
	r->have -= keep_from;
	r->pos = pos - ((uint64_t)keep_from << 32);
}
