/* audiomixerd's graph (services/audiomixerd/amx_graph.c): ids, connect
 * rules and cycle refusal, removal drops edges, render of tone -> gain ->
 * mixer -> sink (frequency by zero crossings, level), two sinks summed,
 * fan-out runs a node once, app_source ring (wrap, underrun, a lying
 * producer), conversion to S16 (clamping, exact round trip). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "amx_dsp.h"
#include "amx_graph.h"
#include "harness.h"

static struct amx_graph g;

static int add(struct amx_node *n)
{
	return amx_graph_add(&g, n);
}

TEST(amx_graph_connect_rules)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	int t = add(amx_node_tone(440, 0)), a = add(amx_node_gain(0)),
	    b = add(amx_node_gain(0)), m = add(amx_node_mixer()),
	    s = add(amx_node_sink());
	CHECK(t == 1 && a == 2 && b == 3 && m == 4 && s == 5);
	CHECK_EQ(amx_graph_connect(&g, t, a), AMX_OK);
	CHECK_EQ(amx_graph_connect(&g, a, b), AMX_OK);
	CHECK_EQ(amx_graph_connect(&g, b, m), AMX_OK);
	CHECK_EQ(amx_graph_connect(&g, m, s), AMX_OK);
	/* cycles: m -> a (a feeds m), a -> a, b -> a (gain full anyway) */
	CHECK_EQ(amx_graph_connect(&g, m, a), AMX_E_BADARG);
	CHECK_EQ(amx_graph_connect(&g, a, a), AMX_E_BADARG);
	int m2 = add(amx_node_mixer());
	CHECK_EQ(amx_graph_connect(&g, m2, m), AMX_OK);
	CHECK_EQ(amx_graph_connect(&g, m, m2), AMX_E_BADARG); /* cycle */
	CHECK_EQ(amx_graph_connect(&g, b, m2), AMX_OK);	      /* fan-out ok */
	/* a source takes no input, a sink feeds nothing, gain takes one */
	CHECK_EQ(amx_graph_connect(&g, a, t), AMX_E_BADARG);
	CHECK_EQ(amx_graph_connect(&g, s, m2), AMX_E_BADARG);
	CHECK_EQ(amx_graph_connect(&g, t, b), AMX_E_BADARG);
	CHECK_EQ(amx_graph_connect(&g, b, m), AMX_E_BADARG); /* twice */
	CHECK_EQ(amx_graph_connect(&g, 99, m), AMX_E_NOTFOUND);
	CHECK_EQ(amx_graph_connect(&g, t, 0), AMX_E_NOTFOUND);
	CHECK_EQ(amx_graph_disconnect(&g, t, m), AMX_E_NOTFOUND);
	CHECK_EQ(amx_graph_disconnect(&g, b, m2), AMX_OK);
	/* removing b drops b -> m; ids are never reused */
	struct amx_node *n = amx_graph_remove(&g, b);
	CHECK(n != NULL);
	amx_node_free(n);
	CHECK(amx_graph_find(&g, b) == NULL);
	CHECK_EQ(amx_graph_find(&g, m)->nin, 1);
	CHECK(amx_graph_remove(&g, b) == NULL);
	CHECK_EQ(add(amx_node_mixer()), 7);
	amx_graph_fini(&g, NULL);
}

TEST(amx_graph_full)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	for (int i = 0; i < AMX_MAX_NODES; i++)
		CHECK(add(amx_node_mixer()) > 0);
	struct amx_node *n = amx_node_mixer();
	CHECK_EQ(add(n), AMX_E_BUSY);
	amx_node_free(n);
	/* a long chain is still a DAG, and closing it is refused */
	for (int i = 1; i < AMX_MAX_NODES; i++)
		CHECK_EQ(amx_graph_connect(&g, i, i + 1), AMX_OK);
	CHECK_EQ(amx_graph_connect(&g, AMX_MAX_NODES, 1), AMX_E_BADARG);
	amx_graph_fini(&g, NULL);
}

/* Frequency from upward zero crossings (interpolated), and peak. */
static void measure(const int16_t *x, size_t frames, double *freq, double *peak)
{
	double first = -1, last = -1;
	int cross = 0;
	*peak = 0;
	for (size_t i = 1; i < frames; i++) {
		double a = x[2 * (i - 1)], b = x[2 * i];
		if (fabs(b) > *peak)
			*peak = fabs(b);
		if (a < 0 && b >= 0) {
			double t = (double)(i - 1) + a / (a - b);
			if (first < 0)
				first = t;
			else
				cross++;
			last = t;
		}
	}
	*freq = cross ? cross * 48000.0 / (last - first) : 0;
}

TEST(amx_graph_render_tone)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	int t = add(amx_node_tone(440, -6)), a = add(amx_node_gain(-6)),
	    m = add(amx_node_mixer()), s = add(amx_node_sink());
	CHECK_EQ(amx_graph_connect(&g, t, a), 0);
	CHECK_EQ(amx_graph_connect(&g, a, m), 0);
	CHECK_EQ(amx_graph_connect(&g, m, s), 0);
	enum { P = 128, N = 48000 * 2 };
	int16_t *out = malloc(N * 4);
	for (int i = 0; i < N / P; i++)
		amx_graph_render(&g, out + i * P * 2, P, 2);
	double f, peak;
	measure(out, N, &f, &peak);
	CHECK(fabs(f - 440) < 0.01);
	double want = 32768 * pow(10, -12 / 20.0);
	CHECK(fabs(20 * log10(peak / want)) < 0.05);
	/* both channels carry it; the phasors do not drift over 2 s */
	for (int i = 0; i < N; i++)
		CHECK(out[2 * i] == out[2 * i + 1]);
	double peak_end = 0;
	for (int i = N - 4800; i < N; i++)
		peak_end = fmax(peak_end, fabs((double)out[2 * i]));
	CHECK(fabs(peak_end - peak) < 2);
	/* mono device: the average of the channels */
	int16_t mono[P];
	amx_graph_render(&g, mono, P, 1);
	CHECK(mono[0] != 0 || mono[1] != 0);
	free(out);
	amx_graph_fini(&g, NULL);
}

TEST(amx_graph_two_sinks_fanout)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	int16_t out[256];
	amx_graph_render(&g, out, 128, 2); /* no sink: silence */
	for (int i = 0; i < 256; i++)
		CHECK_EQ(out[i], 0);
	/* one file source feeding two sinks: the sum is twice it, and the
	 * file advanced once per render */
	float *pcm = malloc(1024 * 8);
	for (int i = 0; i < 2048; i++)
		pcm[i] = (float)(i % 64) / 4096.0f;
	int f = add(amx_node_file(pcm, 1024));
	int s1 = add(amx_node_sink()), s2 = add(amx_node_sink());
	CHECK_EQ(amx_graph_connect(&g, f, s1), 0);
	CHECK_EQ(amx_graph_connect(&g, f, s2), 0);
	amx_graph_render(&g, out, 64, 2);
	amx_graph_render(&g, out, 64, 2);
	for (int i = 0; i < 128; i++)
		CHECK_EQ(out[i], 2 * 8 * ((128 + i) % 64));
	/* past the end: silence */
	for (int i = 0; i < 14; i++)
		amx_graph_render(&g, out, 64, 2);
	amx_graph_render(&g, out, 64, 2);
	for (int i = 0; i < 128; i++)
		CHECK_EQ(out[i], 0);
	amx_graph_fini(&g, NULL);
}

TEST(amx_s16_convert)
{
	/* every S16 value survives f32 and back; clamps at both ends */
	static float f[65536];
	static int16_t s[65536];
	for (int i = 0; i < 65536; i++)
		f[i] = (float)(i - 32768) / 32768.0f;
	amx_f32_to_s16(f, s, 65536);
	for (int i = 0; i < 65536; i++)
		CHECK_EQ(s[i], i - 32768);
	float big[4] = {1.5f, -1.5f, 1e30f, -1e30f};
	amx_f32_to_s16(big, s, 4);
	CHECK(s[0] == 32767 && s[1] == -32768 && s[2] == 32767 &&
	      s[3] == -32768);
	float half[4] = {0.4f / 32768, 0.6f / 32768, -0.6f / 32768,
			 2.5f / 32768};
	amx_f32_to_s16(half, s, 4);
	CHECK(s[0] == 0 && s[1] == 1 && s[2] == -1 && s[3] == 2);
}

static float ring_mem[(AMX_APP_HDR + 256 * 8) / 4] __attribute__((aligned(16)));

TEST(amx_app_ring)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	struct amx_app_ring *r = (void *)ring_mem;
	memset(ring_mem, 0, sizeof(ring_mem));
	int e;
	/* no magic, a grant too small, bad channels */
	CHECK(!amx_node_app(ring_mem, sizeof(ring_mem), 256, 2, 48000, &e));
	CHECK_EQ(e, AMX_E_BADARG);
	r->magic = AMX_APP_MAGIC;
	CHECK(!amx_node_app(ring_mem, sizeof(ring_mem) - 1, 256, 2, 48000, &e));
	CHECK(!amx_node_app(ring_mem, sizeof(ring_mem), 256, 3, 48000, &e));
	CHECK(!amx_node_app(ring_mem, sizeof(ring_mem), 256, 2, 4000, &e));
	struct amx_node *n =
		amx_node_app(ring_mem, sizeof(ring_mem), 256, 2, 48000, &e);
	CHECK(n && e == AMX_OK && r->frames == 256);
	int a = add(n), s = add(amx_node_sink());
	CHECK_EQ(amx_graph_connect(&g, a, s), 0);
	float *d = (float *)((char *)ring_mem + AMX_APP_HDR);
	int16_t out[128 * 2];
	uint32_t head = 0;
	for (int round = 0; round < 5; round++) { /* wraps the ring */
		for (int i = 0; i < 128; i++, head++) {
			d[(head % 256) * 2] = (float)(round * 128 + i) / 32768;
			d[(head % 256) * 2 + 1] = -(float)i / 32768;
		}
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
		amx_graph_render(&g, out, 128, 2);
		for (int i = 0; i < 128; i++) {
			CHECK_EQ(out[2 * i], round * 128 + i);
			CHECK_EQ(out[2 * i + 1], -i);
		}
		CHECK_EQ(r->tail, head);
	}
	CHECK_EQ(n->underruns, 0);
	/* 64 frames for a 128-frame period: the rest is silence, counted */
	for (int i = 0; i < 64; i++, head++)
		d[(head % 256) * 2] = d[(head % 256) * 2 + 1] = 0.5f;
	__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	amx_graph_render(&g, out, 128, 2);
	CHECK(out[0] == 16384 && out[127] == 16384 && out[128] == 0 &&
	      out[255] == 0);
	CHECK(n->underruns == 1 && r->underruns == 1);
	/* a producer claiming more than the ring holds gets nothing read */
	__atomic_store_n(&r->head, head + 100000, __ATOMIC_RELEASE);
	amx_graph_render(&g, out, 128, 2);
	CHECK_EQ(out[0], 0);
	CHECK_EQ(r->tail, head + 100000);
	amx_graph_fini(&g, NULL);
}

/* The ring header's map (docs/audio.md "app_source"): a frame written at
 * head h ends in the render whose map says map_frame + (h - map_tail),
 * through gain and mixer; behind a resampler the map is not written. */
TEST(amx_app_ring_maps_frames_to_device_frames)
{
	CHECK_EQ(amx_graph_init(&g), 0);
	struct amx_app_ring *r = (void *)ring_mem;
	memset(ring_mem, 0, sizeof(ring_mem));
	r->magic = AMX_APP_MAGIC;
	int e;
	struct amx_node *n =
		amx_node_app(ring_mem, sizeof(ring_mem), 256, 2, 48000, &e);
	CHECK(n != NULL);
	int a = add(n), gn = add(amx_node_gain(0)), m = add(amx_node_mixer());
	int s = add(amx_node_sink());
	CHECK(!amx_graph_connect(&g, a, gn) && !amx_graph_connect(&g, gn, m) &&
	      !amx_graph_connect(&g, m, s));
	float *d = (float *)((char *)ring_mem + AMX_APP_HDR);
	int16_t out[128 * 2];
	uint32_t head = 0, seed = 7;
	for (uint64_t k = 0; k < 300; k++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t lead = seed >> 16 & 63; /* silence before the mark */
		if (k % 3 == 0) {		 /* a mark every third period */
			for (uint32_t i = 0; i < lead; i++, head++)
				d[head % 256 * 2] = d[head % 256 * 2 + 1] = 0;
			d[head % 256 * 2] = d[head % 256 * 2 + 1] = 0.5f;
			__atomic_store_n(&r->head, ++head, __ATOMIC_RELEASE);
		}
		uint32_t mark = head - 1;
		g.frame = 1000 + k * 128;
		amx_graph_render(&g, out, 128, 2);
		if (k % 3)
			continue;
		uint64_t f = r->map_frame + (uint32_t)(mark - r->map_tail);
		CHECK(f >= g.frame && f < g.frame + 128);
		CHECK_EQ(f - g.frame, lead);
		CHECK_EQ(out[2 * (f - g.frame)], 16384);
	}
	/* a resample node in between: the frames map to no device frame */
	amx_graph_disconnect(&g, gn, m);
	int rs = add(amx_node_resample(24000));
	CHECK(!amx_graph_connect(&g, gn, rs) && !amx_graph_connect(&g, rs, m));
	uint64_t before = r->map_frame;
	d[head % 256 * 2] = 0.5f;
	__atomic_store_n(&r->head, ++head, __ATOMIC_RELEASE);
	g.frame = 99999;
	amx_graph_render(&g, out, 128, 2);
	CHECK_EQ(r->tail, head);
	CHECK_EQ(r->map_frame, before);
	amx_graph_fini(&g, NULL);
}
