/* amx_graph: audiomixerd's graph (docs/audio.md): nodes, the edges between
 * them (a DAG: a connect that would close a cycle is refused) and the
 * per-period render, pull model, f32 interleaved stereo at 48 kHz, into
 * the device's S16LE. Pure code (no system calls): host-tested under
 * ASan+UBSan (tests/host/test_amx_graph.c). Not thread-safe: the service
 * serialises editing and rendering (amx_main.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amx_resample.h"

#define AMX_RATE       48000
#define AMX_MAX_NODES  64
#define AMX_MAX_IN     16 /* inputs of one mixer or sink */
#define AMX_PERIOD_MAX 256
/* A pull asks at most this many frames (a resample node at 192 kHz asks
 * 4 periods of its input, plus its filter's reach). */
#define AMX_BUF_FRAMES 1280

/* Errors (negative), mapped to ports/v0 codes by amx_proto.c. */
#define AMX_OK	       0
#define AMX_E_BADARG   (-1)
#define AMX_E_NOTFOUND (-2)
#define AMX_E_NOMEM    (-3)
#define AMX_E_BUSY     (-4)

enum amx_type {
	AMX_TONE = 1,
	AMX_FILE,
	AMX_APP,
	AMX_GAIN,
	AMX_RESAMPLE,
	AMX_MIXER,
	AMX_SINK,
};

/* The app_source ring header, at offset 0 of the client's grant
 * (docs/audio.md "app_source"). head and tail are free-running frame
 * counters: the producer writes frames at data[(head % frames)] then
 * stores head (release); the consumer reads and stores tail. */
#define AMX_APP_MAGIC 0x47525041u /* "APRG" */
#define AMX_APP_HDR   64
struct amx_app_ring {
	uint32_t magic;	    /* the producer sets AMX_APP_MAGIC (checked) */
	uint32_t frames;    /* capacity, as in create_node (the service sets) */
	uint32_t channels;  /* 1 or 2 (the service sets) */
	uint32_t rate;	    /* Hz (the service sets) */
	uint32_t head;	    /* written by the producer */
	uint32_t tail;	    /* written by the consumer (audiomixerd) */
	uint32_t underruns; /* periods the ring ran dry (the service counts) */
	/* Where the ring's audio goes (48 kHz rings; the service writes them
	 * before tail, in a render that read frames): ring frame map_tail
	 * became the device's frame map_frame (frames since its START). */
	uint32_t map_tail;
	uint64_t map_frame;
	uint32_t pad[6];
	/* then frames * channels float32 samples, interleaved */
};
_Static_assert(sizeof(struct amx_app_ring) == AMX_APP_HDR, "ring header");

struct amx_node {
	uint32_t id;
	enum amx_type type;
	uint32_t nin;
	struct amx_node *in[AMX_MAX_IN];
	uint64_t stamp;	    /* the render that filled buf */
	const float *res;   /* what that render gave (buf, or a pass-through) */
	uint32_t underruns; /* app_source: pulls that found too few frames */
	float *buf;	    /* AMX_BUF_FRAMES stereo frames, 16-byte aligned */
	union {
		struct {
			float c[4], s[4]; /* phasors of 4 consecutive frames */
			float cr, sr;	  /* rotation by 4 frames */
			float amp, freq;
		} tone;
		struct {
			float *pcm; /* stereo frames at 48 kHz (owned) */
			uint64_t frames, pos;
		} file;
		struct {
			struct amx_app_ring *ring; /* in the mapped grant */
			float *data;
			uint32_t frames, channels;
			struct amx_rs *rs; /* NULL at 48 kHz */
			void *map;	   /* the mapping (the service's) */
			uint64_t map_len;
		} app;
		struct {
			float g;
		} gain;
		struct {
			struct amx_rs *rs;
		} rs;
	} u;
};

struct amx_graph {
	struct amx_node *nodes[AMX_MAX_NODES];
	uint32_t next_id;
	uint64_t stamp;
	uint64_t frame; /* the device frame of the render's first frame (the
			   caller sets it; app rings report it) */
	uint32_t resampling; /* inside a resample node's pull */
	float *mix;	     /* the sinks' sum (AMX_PERIOD_MAX stereo frames) */
};

int amx_graph_init(struct amx_graph *g);
/* Destroys every node (app mappings are the caller's: see unmap). */
void amx_graph_fini(struct amx_graph *g, void (*unmap)(struct amx_node *));

/* New nodes (not yet in a graph); NULL when out of memory. */
struct amx_node *amx_node_tone(float freq, float db);
struct amx_node *amx_node_gain(float db);
struct amx_node *amx_node_mixer(void);
struct amx_node *amx_node_sink(void);
/* pcm: stereo f32 frames at 48 kHz, owned by the node from now on. */
struct amx_node *amx_node_file(float *pcm, uint64_t frames);
/* rate: what the resample node's input is taken to run at. */
struct amx_node *amx_node_resample(uint32_t rate);
/* map/len: the client's grant mapped; the ring header is checked (magic,
 * size: AMX_E_BADARG through *err) and its fields set. */
struct amx_node *amx_node_app(void *map, uint64_t len, uint32_t frames,
			      uint32_t channels, uint32_t rate, int *err);
void amx_node_free(struct amx_node *n);

/* Puts n in the graph; its id (> 0) or AMX_E_BUSY (full). */
int amx_graph_add(struct amx_graph *g, struct amx_node *n);
struct amx_node *amx_graph_find(const struct amx_graph *g, uint32_t id);
/* from's output becomes an input of to. AMX_E_NOTFOUND (no such node),
 * AMX_E_BADARG: a cycle (from == to included), to takes no input (a
 * source) or no more (gain/resample: one), from is a sink, already
 * connected. */
int amx_graph_connect(struct amx_graph *g, uint32_t from, uint32_t to);
int amx_graph_disconnect(struct amx_graph *g, uint32_t from, uint32_t to);
/* Takes the node out (its edges too) and returns it for the caller to
 * free (after unmapping what it maps); NULL if there is none. */
struct amx_node *amx_graph_remove(struct amx_graph *g, uint32_t id);

/* One period: every sink's input mixed, converted to S16LE in out
 * (channels 1 or 2, n <= AMX_PERIOD_MAX frames, n % 4 == 0). No sink:
 * silence. */
void amx_graph_render(struct amx_graph *g, int16_t *out, uint32_t n,
		      uint32_t channels);

/* The DSP kernels (amx_dsp.c), also used by the benchmark. */
void amx_f32_to_s16(const float *in, int16_t *out, uint32_t samples);
void amx_f32_to_s16_mono(const float *in, int16_t *out, uint32_t frames);
float amx_db_to_amp(float db);
