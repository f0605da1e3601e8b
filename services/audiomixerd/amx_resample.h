/* amx_resample: a band-limited sample-rate converter (docs/audio.md
 * "Resampling"): windowed sinc (Kaiser, beta 9), 256 phases with linear
 * interpolation between them, 16 zero crossings each side (more when
 * decimating, so the cutoff scales), stereo f32. Streaming: the caller
 * asks how many input frames the next n output frames need, writes them
 * where amx_rs_in points, then runs. Pure code, host-tested (SNR on a
 * sine in tests/host/test_amx_dsp.c). */
#pragma once
#include <stdint.h>

#define AMX_RS_RATE_MIN 8000
#define AMX_RS_RATE_MAX 192000

struct amx_rs;

/* NULL on bad rates or out of memory. max_out: the largest n of a run. */
struct amx_rs *amx_rs_new(uint32_t in_rate, uint32_t out_rate,
			  uint32_t max_out);
void amx_rs_free(struct amx_rs *r);
/* Input frames to feed before producing n output frames. */
uint32_t amx_rs_need(const struct amx_rs *r, uint32_t n);
/* Where to write them (stereo interleaved). */
float *amx_rs_in(struct amx_rs *r);
/* Takes fed frames (as amx_rs_need said) and writes n output frames. */
void amx_rs_run(struct amx_rs *r, uint32_t fed, float *out, uint32_t n);
/* The filter's half length in input frames (for tests). */
uint32_t amx_rs_half(const struct amx_rs *r);
