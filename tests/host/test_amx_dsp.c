/* audiomixerd's resampler (services/audiomixerd/amx_resample.c): SNR of
 * a converted sine against the ideal one at the output rate (the figures
 * docs/audio.md states: printed here), stopband (a tone above the output
 * Nyquist is removed when decimating), bad rates refused; the resample
 * node inside a graph keeps the pitch of its input rate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "amx_graph.h"
#include "amx_resample.h"
#include "harness.h"

/* Converts a sine of freq at in Hz to 48 kHz in 256-frame runs; the SNR
 * (dB) of the output against the ideal sine, after the filter's warm-up. */
static double snr(uint32_t in, double freq, double amp_in, double amp_want)
{
	struct amx_rs *r = amx_rs_new(in, 48000, 256);
	if (!r)
		return -1;
	enum { N = 256 * 188 };
	float *out = malloc(N * 8);
	uint64_t fed = 0;
	for (uint32_t done = 0; done < N; done += 256) {
		uint32_t need = amx_rs_need(r, 256);
		float *x = amx_rs_in(r);
		for (uint32_t i = 0; i < need; i++, fed++)
			x[2 * i] = x[2 * i + 1] =
				(float)(amp_in *
					sin(2 * M_PI * freq * fed / in));
		amx_rs_run(r, need, out + 2 * done, 256);
	}
	double sig = 0, noise = 0;
	for (int j = 2000; j < N - 2000; j++) {
		double want = amp_want * sin(2 * M_PI * freq * j / 48000.0);
		for (int c = 0; c < 2; c++) {
			double e = out[2 * j + c] - want;
			sig += want * want;
			noise += e * e;
		}
	}
	amx_rs_free(r);
	free(out);
	return noise > 0 ? 10 * log10(sig / noise) : 200;
}

TEST(amx_resample_snr)
{
	double a = snr(44100, 1000, 0.5, 0.5), b = snr(22050, 440, 0.5, 0.5),
	       c = snr(96000, 1000, 0.5, 0.5), d = snr(8000, 440, 0.5, 0.5),
	       e = snr(44100, 15000, 0.5, 0.5);
	printf("    resampler SNR: 44.1k 1kHz %.1f dB, 22.05k 440Hz %.1f dB, "
	       "96k 1kHz %.1f dB, 8k 440Hz %.1f dB, 44.1k 15kHz %.1f dB\n",
	       a, b, c, d, e);
	CHECK(a > 90 && b > 90 && c > 90 && d > 90);
	CHECK(e > 60);
}

TEST(amx_resample_stopband)
{
	/* 30 kHz at 96 kHz cannot exist at 48 kHz: it must be filtered out
	 * (not aliased to 18 kHz): its residue below -80 dB */
	struct amx_rs *r = amx_rs_new(96000, 48000, 256);
	CHECK(r != NULL);
	float out[512];
	double e = 0;
	uint64_t fed = 0;
	for (int k = 0; k < 100; k++) {
		uint32_t need = amx_rs_need(r, 256);
		float *x = amx_rs_in(r);
		for (uint32_t i = 0; i < need; i++, fed++)
			x[2 * i] = x[2 * i + 1] =
				(float)(0.5 *
					sin(2 * M_PI * 30000 * fed / 96000.));
		amx_rs_run(r, need, out, 256);
		if (k > 10)
			for (int i = 0; i < 512; i++)
				e = fmax(e, fabs(out[i]));
	}
	amx_rs_free(r);
	CHECK(20 * log10(e / 0.5) < -80);
}

TEST(amx_resample_bad_rates)
{
	CHECK(amx_rs_new(7999, 48000, 256) == NULL);
	CHECK(amx_rs_new(48000, 192001, 256) == NULL);
	CHECK(amx_rs_new(48000, 48000, 0) == NULL);
	struct amx_rs *r = amx_rs_new(192000, 48000, 256);
	CHECK(r != NULL);
	/* decimating by 4 widens the filter (the cutoff scales) */
	CHECK_EQ(amx_rs_half(r), 64);
	amx_rs_free(r);
}

TEST(amx_resample_node)
{
	/* a 440 Hz tone (48 kHz) through resample{24000}: taken as 24 kHz,
	 * it plays at half speed: 220 Hz at 48 kHz */
	struct amx_graph g;
	CHECK_EQ(amx_graph_init(&g), 0);
	int t = amx_graph_add(&g, amx_node_tone(440, -6));
	int r = amx_graph_add(&g, amx_node_resample(24000));
	int s = amx_graph_add(&g, amx_node_sink());
	CHECK_EQ(amx_graph_connect(&g, t, r), 0);
	CHECK_EQ(amx_graph_connect(&g, r, s), 0);
	static int16_t out[48000 * 2];
	for (int i = 0; i < 48000 / 64 - 1; i++)
		amx_graph_render(&g, out + i * 128, 64, 2);
	int cross = 0;
	for (int i = 4800; i < 48000 - 64; i++)
		cross += out[2 * (i - 1)] < 0 && out[2 * i] >= 0;
	CHECK(abs(cross - 198) <= 1); /* 220 Hz over 0.9 s */
	amx_graph_fini(&g, NULL);
}
