/* cl_audio: see cl_audio.h. */
#include "cl_audio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#define RING_MAGIC 0x47525041u /* AMX_APP_MAGIC */
#define RING_HDR   64

static cl_err_t req(struct cl_audio *a, const char *json, const handle_t *h,
		    uint32_t nh)
{
	long t = sys_clock_now();
	cl_err_t e = cl_request_ex(
		&a->conn, json, h, nh,
		(uint64_t)(t < 0 ? 0 : t) + CL_DEFAULT_TIMEOUT_NS, a->resp);
	if (e == CL_ERR_REMOTE || e == CL_ERR_DENIED)
		snprintf(a->error, sizeof(a->error), "%s: %s", a->resp->code,
			 a->resp->message);
	else if (e < 0)
		snprintf(a->error, sizeof(a->error), "%s", cl_strerror(e));
	return e;
}

static cl_err_t req_id(struct cl_audio *a, const char *json, const handle_t *h,
		       uint32_t nh, uint32_t *id)
{
	cl_err_t e = req(a, json, h, nh);
	int64_t v = 0;
	if (e == CL_OK && (e = cl_resp_int(a->resp, "id", &v)) == CL_OK && id)
		*id = (uint32_t)v;
	return e;
}

cl_err_t cl_audio_connect(struct cl_audio *a, uint64_t deadline)
{
	memset(a, 0, sizeof(*a));
	a->resp = malloc(sizeof(*a->resp));
	if (!a->resp)
		return CL_ERR_NOMEM;
	cl_err_t e = cl_connect(CL_AUDIO_SVC, deadline, &a->conn);
	if (e < 0) {
		free(a->resp);
		a->resp = NULL;
	}
	return e;
}

void cl_audio_close(struct cl_audio *a)
{
	cl_close(&a->conn);
	free(a->resp);
	a->resp = NULL;
}

const char *cl_audio_error(const struct cl_audio *a)
{
	return a->error;
}

cl_err_t cl_audio_device_open(struct cl_audio *a, const char *name,
			      uint32_t rate, uint32_t channels, uint32_t period)
{
	char j[192];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"device_open\",\"name\":\"%s\",\"rate\":%u,"
		 "\"channels\":%u,\"period\":%u}",
		 name ? name : "default", rate, channels, period);
	return req(a, j, NULL, 0);
}

cl_err_t cl_audio_create_node(struct cl_audio *a, const char *type,
			      const char *args_json, uint32_t *id)
{
	char j[512];
	int n = snprintf(
		j, sizeof(j),
		"{\"cmd\":\"create_node\",\"type\":\"%s\",\"args\":%s}", type,
		args_json ? args_json : "{}");
	if (n < 0 || (size_t)n >= sizeof(j))
		return CL_ERR_SPACE;
	return req_id(a, j, NULL, 0, id);
}

cl_err_t cl_audio_tone(struct cl_audio *a, double freq, double db, uint32_t *id)
{
	char args[96];
	snprintf(args, sizeof(args), "{\"freq\":%.3f,\"db\":%.3f}", freq, db);
	return cl_audio_create_node(a, "tone", args, id);
}

cl_err_t cl_audio_gain(struct cl_audio *a, double db, uint32_t *id)
{
	char args[64];
	snprintf(args, sizeof(args), "{\"db\":%.3f}", db);
	return cl_audio_create_node(a, "gain", args, id);
}

cl_err_t cl_audio_file_source(struct cl_audio *a, const char *path,
			      uint32_t *id)
{
	struct json_w w;
	char args[400];
	json_w_init(&w, args, sizeof(args));
	json_w_obj(&w);
	json_w_key(&w, "path");
	json_w_str(&w, path);
	json_w_end(&w);
	if (json_w_finish(&w) < 0)
		return CL_ERR_ARG;
	return cl_audio_create_node(a, "file_source", args, id);
}

cl_err_t cl_audio_app_source(struct cl_audio *a, uint32_t frames,
			     uint32_t channels, uint32_t rate,
			     struct cl_audio_ring *ring, uint32_t *id)
{
	memset(ring, 0, sizeof(*ring));
	if (!frames || channels < 1 || channels > 2)
		return CL_ERR_ARG;
	handle_t task = execrt_handle(START_H_SELF_TASK), give;
	uint64_t len =
		(RING_HDR + (uint64_t)frames * channels * 4 + 4095) & ~4095ull;
	if (sys_grant_create(task, 0, len, VM_PROT_READ | VM_PROT_WRITE,
			     &ring->grant) < 0)
		return CL_ERR_NOMEM;
	if (sys_grant_map(task, ring->grant, VM_PROT_READ | VM_PROT_WRITE, 0,
			  &ring->addr) < 0 ||
	    sys_handle_dup(ring->grant,
			   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
				   RIGHT_TRANSFER,
			   &give) < 0) {
		cl_audio_ring_free(ring);
		return CL_ERR_NOMEM;
	}
	ring->len = len;
	uint32_t *hdr = (uint32_t *)ring->addr;
	ring->head = &hdr[4];
	ring->tail = &hdr[5];
	ring->underruns = &hdr[6];
	ring->data = (float *)(ring->addr + RING_HDR);
	ring->frames = frames;
	ring->channels = channels;
	__atomic_store_n(&hdr[0], RING_MAGIC, __ATOMIC_RELEASE);
	char j[200];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"create_node\",\"type\":\"app_source\",\"args\":{"
		 "\"fd\":0,\"frames\":%u,\"channels\":%u,\"rate\":%u}}",
		 frames, channels, rate);
	cl_err_t e = req_id(a, j, &give, 1, id);
	if (e < 0)
		cl_audio_ring_free(ring);
	return e;
}

uint32_t cl_audio_app_write(struct cl_audio_ring *r, const float *pcm,
			    uint32_t n)
{
	uint32_t head = *r->head;
	uint32_t tail = __atomic_load_n(r->tail, __ATOMIC_ACQUIRE);
	uint32_t room = r->frames - (head - tail);
	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t c = 0; c < r->channels; c++)
			r->data[(head + i) % r->frames * r->channels + c] =
				pcm[i * r->channels + c];
	__atomic_store_n(r->head, head + n, __ATOMIC_RELEASE);
	return n;
}

void cl_audio_ring_free(struct cl_audio_ring *r)
{
	if (r->addr)
		sys_grant_unmap(execrt_handle(START_H_SELF_TASK), r->addr);
	if (r->grant) {
		sys_grant_revoke(r->grant);
		sys_handle_close(r->grant);
	}
	memset(r, 0, sizeof(*r));
}

static cl_err_t edge(struct cl_audio *a, const char *cmd, uint32_t from,
		     uint32_t to)
{
	char j[96];
	snprintf(j, sizeof(j), "{\"cmd\":\"%s\",\"from\":%u,\"to\":%u}", cmd,
		 from, to);
	return req(a, j, NULL, 0);
}

cl_err_t cl_audio_connect_nodes(struct cl_audio *a, uint32_t from, uint32_t to)
{
	return edge(a, "connect", from, to);
}

cl_err_t cl_audio_disconnect_nodes(struct cl_audio *a, uint32_t from,
				   uint32_t to)
{
	return edge(a, "disconnect", from, to);
}

cl_err_t cl_audio_destroy_node(struct cl_audio *a, uint32_t id)
{
	char j[64];
	snprintf(j, sizeof(j), "{\"cmd\":\"destroy_node\",\"id\":%u}", id);
	return req(a, j, NULL, 0);
}

cl_err_t cl_audio_start(struct cl_audio *a)
{
	return req(a, "{\"cmd\":\"start\"}", NULL, 0);
}

cl_err_t cl_audio_stop(struct cl_audio *a)
{
	return req(a, "{\"cmd\":\"stop\"}", NULL, 0);
}

cl_err_t cl_audio_subscribe(struct cl_audio *a, const char *const *events,
			    uint32_t n, struct cl_stream *s)
{
	return cl_subscribe(&a->conn, events, n, s);
}
