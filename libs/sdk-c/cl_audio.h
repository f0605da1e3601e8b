/* cl_audio: the C client of audiomixerd (/svc/audiomixerd; protocol in
 * PHASE0-PROTOCOL.md section 5, docs/audio.md). Synchronous requests over
 * cl_ports; errors are negative CL_ERR_* (CL_ERR_REMOTE: the service said
 * no, cl_audio_error() has its code and message). An app_source ring is a
 * grant this library creates, maps and fills (cl_audio_app_write). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cl_ports.h"

#define CL_AUDIO_SVC "/svc/audiomixerd"

struct cl_audio {
	struct cl_conn conn;
	struct cl_resp *resp; /* the last answer (heap) */
	char error[240];      /* "CODE: message" of the last failure */
};

/* The SPSC ring of an app_source, as the service reads it (the header
 * is struct amx_app_ring in docs/audio.md "app_source"). */
struct cl_audio_ring {
	volatile uint32_t *head, *tail, *underruns;
	float *data;
	uint32_t frames, channels;
	uint64_t addr, len; /* our mapping */
	handle_t grant;	    /* ours (MANAGE): revoked by close */
};

cl_err_t cl_audio_connect(struct cl_audio *a, uint64_t deadline);
void cl_audio_close(struct cl_audio *a);
const char *cl_audio_error(const struct cl_audio *a);

/* {"cmd":"device_open","name":name,"rate":..,"channels":..,"period":..} */
cl_err_t cl_audio_device_open(struct cl_audio *a, const char *name,
			      uint32_t rate, uint32_t channels,
			      uint32_t period);
/* create_node with args_json the "args" object ("{}" if NULL). */
cl_err_t cl_audio_create_node(struct cl_audio *a, const char *type,
			      const char *args_json, uint32_t *id);
cl_err_t cl_audio_tone(struct cl_audio *a, double freq, double db,
		       uint32_t *id);
cl_err_t cl_audio_gain(struct cl_audio *a, double db, uint32_t *id);
cl_err_t cl_audio_file_source(struct cl_audio *a, const char *path,
			      uint32_t *id);
/* Makes a ring of frames frames, sends it as an app_source. */
cl_err_t cl_audio_app_source(struct cl_audio *a, uint32_t frames,
			     uint32_t channels, uint32_t rate,
			     struct cl_audio_ring *ring, uint32_t *id);
/* Copies up to n frames in; how many fitted. */
uint32_t cl_audio_app_write(struct cl_audio_ring *ring, const float *pcm,
			    uint32_t n);
void cl_audio_ring_free(struct cl_audio_ring *ring);
cl_err_t cl_audio_connect_nodes(struct cl_audio *a, uint32_t from, uint32_t to);
cl_err_t cl_audio_disconnect_nodes(struct cl_audio *a, uint32_t from,
				   uint32_t to);
cl_err_t cl_audio_destroy_node(struct cl_audio *a, uint32_t id);
cl_err_t cl_audio_start(struct cl_audio *a);
cl_err_t cl_audio_stop(struct cl_audio *a);
/* events: "xrun", "stats", "state". */
cl_err_t cl_audio_subscribe(struct cl_audio *a, const char *const *events,
			    uint32_t n, struct cl_stream *s);
