/* amx_wav: WAV files for file_source (docs/audio.md "WAV"): RIFF/WAVE
 * with a fmt chunk of PCM 16/24/32-bit or IEEE float32 (also as
 * WAVE_FORMAT_EXTENSIBLE), mono or stereo, any rate in 8..192 kHz;
 * converted to f32 stereo at 48 kHz (band-limited resampling). Pure code,
 * host-tested with hostile files (tests/host/test_amx_wav.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define AMX_WAV_MAX_FRAMES (48000u * 600) /* 10 minutes after resampling */

struct amx_wav {
	uint32_t rate;
	uint16_t channels;
	uint16_t bits;
	uint16_t is_float;
	uint64_t frames;
	const uint8_t *data; /* frames * channels * bits / 8 bytes */
};

/* 0, or -1 with a reason in err. */
int amx_wav_parse(const void *buf, size_t len, struct amx_wav *w, char *err,
		  size_t errcap);
/* The parsed file as f32 stereo at 48 kHz (malloc'd, *frames set); NULL
 * with a reason in err. */
float *amx_wav_decode(const struct amx_wav *w, uint64_t *frames, char *err,
		      size_t errcap);
