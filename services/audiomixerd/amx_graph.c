/* amx_graph: see amx_graph.h. Rendering pulls from each sink: a node
 * fills its buffer once per render (stamp), so a node feeding several
 * others runs once. Every pull is a multiple of 4 frames (the kernels'
 * vector width): a resample node rounds its input request up and keeps
 * the extra frames for the next period. */
#include "amx_graph.h"

#include <stdlib.h>
#include <string.h>

#include "amx_dsp.h"

static struct amx_node *node_new(enum amx_type t)
{
	struct amx_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->buf = aligned_alloc(16, AMX_BUF_FRAMES * 2 * sizeof(float));
	if (!n->buf) {
		free(n);
		return NULL;
	}
	memset(n->buf, 0, AMX_BUF_FRAMES * 2 * sizeof(float));
	n->type = t;
	return n;
}

struct amx_node *amx_node_tone(float freq, float db)
{
	struct amx_node *n = node_new(AMX_TONE);
	if (n)
		amx_tone_init(n, freq, db);
	return n;
}

struct amx_node *amx_node_gain(float db)
{
	struct amx_node *n = node_new(AMX_GAIN);
	if (n)
		n->u.gain.g = amx_db_to_amp(db);
	return n;
}

struct amx_node *amx_node_mixer(void)
{
	return node_new(AMX_MIXER);
}

struct amx_node *amx_node_sink(void)
{
	return node_new(AMX_SINK);
}

struct amx_node *amx_node_file(float *pcm, uint64_t frames)
{
	struct amx_node *n = node_new(AMX_FILE);
	if (!n) {
		free(pcm);
		return NULL;
	}
	n->u.file.pcm = pcm;
	n->u.file.frames = frames;
	return n;
}

struct amx_node *amx_node_resample(uint32_t rate)
{
	struct amx_node *n = node_new(AMX_RESAMPLE);
	if (!n)
		return NULL;
	n->u.rs.rs = amx_rs_new(rate, AMX_RATE, AMX_PERIOD_MAX);
	if (!n->u.rs.rs) {
		amx_node_free(n);
		return NULL;
	}
	return n;
}

struct amx_node *amx_node_app(void *map, uint64_t len, uint32_t frames,
			      uint32_t channels, uint32_t rate, int *err)
{
	*err = AMX_E_BADARG;
	if (!map || !frames || frames > (1u << 20) ||
	    (channels != 1 && channels != 2) || rate < AMX_RS_RATE_MIN ||
	    rate > AMX_RS_RATE_MAX)
		return NULL;
	uint64_t need =
		AMX_APP_HDR + (uint64_t)frames * channels * sizeof(float);
	if (len < need)
		return NULL; /* the ring does not fit in the grant */
	struct amx_app_ring *ring = map;
	if (__atomic_load_n(&ring->magic, __ATOMIC_ACQUIRE) != AMX_APP_MAGIC)
		return NULL;
	*err = AMX_E_NOMEM;
	struct amx_node *n = node_new(AMX_APP);
	if (!n)
		return NULL;
	if (rate != AMX_RATE) {
		n->u.app.rs = amx_rs_new(rate, AMX_RATE, AMX_PERIOD_MAX);
		if (!n->u.app.rs) {
			amx_node_free(n);
			return NULL;
		}
	}
	ring->frames = frames;
	ring->channels = channels;
	ring->rate = rate;
	n->u.app.ring = ring;
	n->u.app.data = (float *)((char *)map + AMX_APP_HDR);
	n->u.app.frames = frames;
	n->u.app.channels = channels;
	n->u.app.map = map;
	n->u.app.map_len = len;
	*err = AMX_OK;
	return n;
}

void amx_node_free(struct amx_node *n)
{
	if (!n)
		return;
	if (n->type == AMX_FILE)
		free(n->u.file.pcm);
	else if (n->type == AMX_RESAMPLE)
		amx_rs_free(n->u.rs.rs);
	else if (n->type == AMX_APP)
		amx_rs_free(n->u.app.rs);
	free(n->buf);
	free(n);
}

int amx_graph_init(struct amx_graph *g)
{
	memset(g, 0, sizeof(*g));
	g->mix = aligned_alloc(16, AMX_PERIOD_MAX * 2 * sizeof(float));
	return g->mix ? AMX_OK : AMX_E_NOMEM;
}

void amx_graph_fini(struct amx_graph *g, void (*unmap)(struct amx_node *))
{
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++) {
		struct amx_node *n = g->nodes[i];
		if (!n)
			continue;
		if (unmap && n->type == AMX_APP)
			unmap(n);
		amx_node_free(n);
		g->nodes[i] = NULL;
	}
	free(g->mix);
	g->mix = NULL;
}

int amx_graph_add(struct amx_graph *g, struct amx_node *n)
{
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++) {
		if (!g->nodes[i]) {
			n->id = ++g->next_id;
			n->nin = 0;
			n->stamp = 0;
			g->nodes[i] = n;
			return (int)n->id;
		}
	}
	return AMX_E_BUSY;
}

struct amx_node *amx_graph_find(const struct amx_graph *g, uint32_t id)
{
	for (uint32_t i = 0; id && i < AMX_MAX_NODES; i++)
		if (g->nodes[i] && g->nodes[i]->id == id)
			return g->nodes[i];
	return NULL;
}

static uint32_t max_inputs(enum amx_type t)
{
	switch (t) {
	case AMX_GAIN:
	case AMX_RESAMPLE:
		return 1;
	case AMX_MIXER:
	case AMX_SINK:
		return AMX_MAX_IN;
	default:
		return 0; /* sources */
	}
}

/* Whether target is n or feeds n (walks inputs; the graph is a DAG, so
 * this ends; depth is bounded by the node count). */
static bool reaches(const struct amx_node *n, const struct amx_node *target,
		    uint32_t depth)
{
	if (n == target)
		return true;
	if (depth > AMX_MAX_NODES)
		return true; /* cannot happen in a DAG: refuse, to be safe */
	for (uint32_t i = 0; i < n->nin; i++)
		if (reaches(n->in[i], target, depth + 1))
			return true;
	return false;
}

int amx_graph_connect(struct amx_graph *g, uint32_t from, uint32_t to)
{
	struct amx_node *f = amx_graph_find(g, from),
			*t = amx_graph_find(g, to);
	if (!f || !t)
		return AMX_E_NOTFOUND;
	if (f->type == AMX_SINK || t->nin >= max_inputs(t->type))
		return AMX_E_BADARG;
	for (uint32_t i = 0; i < t->nin; i++)
		if (t->in[i] == f)
			return AMX_E_BADARG;
	/* from -> to closes a cycle iff to already feeds from. */
	if (reaches(f, t, 0))
		return AMX_E_BADARG;
	t->in[t->nin++] = f;
	return AMX_OK;
}

static bool drop_input(struct amx_node *t, const struct amx_node *f)
{
	for (uint32_t i = 0; i < t->nin; i++) {
		if (t->in[i] == f) {
			memmove(&t->in[i], &t->in[i + 1],
				(t->nin - i - 1) * sizeof(t->in[0]));
			t->nin--;
			return true;
		}
	}
	return false;
}

int amx_graph_disconnect(struct amx_graph *g, uint32_t from, uint32_t to)
{
	struct amx_node *f = amx_graph_find(g, from),
			*t = amx_graph_find(g, to);
	if (!f || !t)
		return AMX_E_NOTFOUND;
	return drop_input(t, f) ? AMX_OK : AMX_E_NOTFOUND;
}

struct amx_node *amx_graph_remove(struct amx_graph *g, uint32_t id)
{
	struct amx_node *n = amx_graph_find(g, id);
	if (!n)
		return NULL;
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++) {
		if (g->nodes[i] == n)
			g->nodes[i] = NULL;
		else if (g->nodes[i])
			while (drop_input(g->nodes[i], n))
				;
	}
	return n;
}

/* ---- render ---- */

static const float *pull(struct amx_graph *g, struct amx_node *n,
			 uint32_t frames);
static const float *run(struct amx_graph *g, struct amx_node *n,
			uint32_t frames);

static void file_run(struct amx_node *n, float *out, uint32_t frames)
{
	uint64_t left = n->u.file.frames - n->u.file.pos;
	uint32_t k = left < frames ? (uint32_t)left : frames;
	memcpy(out, n->u.file.pcm + n->u.file.pos * 2, (size_t)k * 8);
	memset(out + (size_t)k * 2, 0, (size_t)(frames - k) * 8);
	n->u.file.pos += k;
}

/* Reads up to frames frames of the app's ring as stereo; the rest
 * silence (an underrun of this source, counted). */
static void app_read(struct amx_node *n, float *out, uint32_t frames,
		     const uint64_t *frame)
{
	struct amx_app_ring *r = n->u.app.ring;
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t tail = r->tail;
	uint32_t avail = head - tail;
	if (avail > n->u.app.frames) /* a producer that lies: drop all */
		avail = 0, tail = head;
	uint32_t k = avail < frames ? avail : frames;
	const uint32_t cap = n->u.app.frames, ch = n->u.app.channels;
	const float *d = n->u.app.data;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t at = (tail + i) % cap * ch;
		out[2 * i] = d[at];
		out[2 * i + 1] = d[at + ch - 1];
	}
	if (k < frames) {
		memset(out + (size_t)k * 2, 0, (size_t)(frames - k) * 8);
		n->underruns++;
		__atomic_store_n(&r->underruns, n->underruns, __ATOMIC_RELAXED);
	}
	if (k && frame) { /* read before tail moves (its release) */
		__atomic_store_n(&r->map_tail, tail, __ATOMIC_RELAXED);
		__atomic_store_n(&r->map_frame, *frame, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&r->tail, tail + k, __ATOMIC_RELEASE);
}

/* Without a resampler the app's frames reach the sink frame for frame
 * (gain, mixer and sink keep the offset): its first frame read is the
 * render's first. Behind a resampler (its own or a resample node's) there
 * is no such frame: no map. */
static void app_run(const struct amx_graph *g, struct amx_node *n, float *out,
		    uint32_t frames)
{
	struct amx_rs *rs = n->u.app.rs;
	if (!rs) {
		app_read(n, out, frames, g->resampling ? NULL : &g->frame);
		return;
	}
	uint32_t need = amx_rs_need(rs, frames);
	app_read(n, amx_rs_in(rs), need, NULL);
	amx_rs_run(rs, need, out, frames);
}

static void resample_run(struct amx_graph *g, struct amx_node *n, float *out,
			 uint32_t frames)
{
	struct amx_rs *rs = n->u.rs.rs;
	uint32_t need = (amx_rs_need(rs, frames) + 3) & ~3u;
	if (!need) {
		amx_rs_run(rs, 0, out, frames);
		return;
	}
	float *in = amx_rs_in(rs);
	if (n->nin) {
		g->resampling++; /* the frames below map to no device frame */
		const float *src = pull(g, n->in[0], need);
		g->resampling--;
		memcpy(in, src, (size_t)need * 8);
	} else {
		memset(in, 0, (size_t)need * 8);
	}
	amx_rs_run(rs, need, out, frames);
}

/* Sum of the inputs; a single input is passed through without a copy. */
static const float *sum_inputs(struct amx_graph *g, struct amx_node *n,
			       float *out, uint32_t frames)
{
	if (n->nin == 1)
		return pull(g, n->in[0], frames);
	if (!n->nin) {
		memset(out, 0, (size_t)frames * 8);
		return out;
	}
	memcpy(out, pull(g, n->in[0], frames), (size_t)frames * 8);
	for (uint32_t i = 1; i < n->nin; i++)
		amx_add(out, pull(g, n->in[i], frames), frames * 2);
	return out;
}

static const float *pull(struct amx_graph *g, struct amx_node *n,
			 uint32_t frames)
{
	if (frames > AMX_BUF_FRAMES)
		frames = AMX_BUF_FRAMES; /* cannot happen: bounded rates */
	if (n->stamp == g->stamp)
		return n->res; /* a second consumer in the same render */
	n->stamp = g->stamp;
	n->res = run(g, n, frames);
	return n->res;
}

static const float *run(struct amx_graph *g, struct amx_node *n,
			uint32_t frames)
{
	float *out = n->buf;
	switch (n->type) {
	case AMX_TONE:
		amx_tone_run(n, out, frames);
		return out;
	case AMX_FILE:
		file_run(n, out, frames);
		return out;
	case AMX_APP:
		app_run(g, n, out, frames);
		return out;
	case AMX_GAIN:
		if (!n->nin) {
			memset(out, 0, (size_t)frames * 8);
			return out;
		}
		amx_gain_run(pull(g, n->in[0], frames), out, frames * 2,
			     n->u.gain.g);
		return out;
	case AMX_RESAMPLE:
		resample_run(g, n, out, frames);
		return out;
	case AMX_MIXER:
	case AMX_SINK:
		return sum_inputs(g, n, out, frames);
	}
	return out;
}

void amx_graph_render(struct amx_graph *g, int16_t *out, uint32_t n,
		      uint32_t channels)
{
	g->stamp++;
	const float *sum = NULL;
	uint32_t sinks = 0;
	for (uint32_t i = 0; i < AMX_MAX_NODES; i++) {
		struct amx_node *s = g->nodes[i];
		if (!s || s->type != AMX_SINK)
			continue;
		const float *r = pull(g, s, n);
		if (sinks++ == 0) {
			sum = r;
		} else {
			if (sum != g->mix) {
				memcpy(g->mix, sum, (size_t)n * 8);
				sum = g->mix;
			}
			amx_add(g->mix, r, n * 2);
		}
	}
	if (!sum) {
		memset(out, 0, (size_t)n * channels * 2);
		return;
	}
	if (channels == 1)
		amx_f32_to_s16_mono(sum, out, n);
	else
		amx_f32_to_s16(sum, out, n * 2);
}
