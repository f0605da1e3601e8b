/* amx_dsp: the render's kernels (amx_dsp.c). Sample counts are multiples
 * of 4; buffers need no alignment (unaligned vector loads). */
#pragma once
#include <stdint.h>

struct amx_node;
void amx_tone_init(struct amx_node *n, float freq, float db);
/* frames % 4 == 0: amp * sin into both channels. */
void amx_tone_run(struct amx_node *n, float *out, uint32_t frames);
void amx_gain_run(const float *in, float *out, uint32_t samples, float g);
void amx_add(float *acc, const float *in, uint32_t samples);
