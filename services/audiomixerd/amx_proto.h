/* amx_proto: audiomixerd's ports/v0 protocol (PHASE0-PROTOCOL.md section
 * 5, docs/audio.md "Protocol") without system calls: every request is
 * checked, then applied to the graph or handed to the platform through
 * amx_ops (device, files, grants, the period thread, subscribers), which
 * the service implements (amx_main.c) and host tests fake
 * (tests/host/test_amx_proto.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amx_graph.h"
#include "json.h"

#define AMX_EV_XRUN  1u
#define AMX_EV_STATS 2u
#define AMX_EV_STATE 4u

struct amx_dev_cfg {
	char name[32];
	uint32_t rate, channels, period;
};

/* Errors from ops are AMX_E_* (or AMX_E_INTERNAL) with a message. */
#define AMX_E_INTERNAL (-5)
#define AMX_E_DENIED   (-6)

struct amx_ops {
	void *ctx;
	/* The whole file (malloc'd) or NULL with a message. */
	void *(*read_file)(void *ctx, const char *path, size_t *len, char *err,
			   size_t cap);
	/* Maps attached handle idx (a grant): its address and size, or NULL. */
	void *(*map_grant)(void *ctx, uint32_t idx, uint64_t *len);
	void (*unmap)(void *ctx, void *addr, uint64_t len);
	/* Opens the device; result: JSON members to add ("\"device\":..."). */
	int (*device_open)(void *ctx, const struct amx_dev_cfg *cfg,
			   char *result, size_t rcap, char *err, size_t ecap);
	int (*start)(void *ctx, char *err, size_t ecap);
	int (*stop)(void *ctx);
	/* The device's position now (its AUDIO_POSITION); result: JSON
	 * members ("\"frames\":..."). */
	int (*position)(void *ctx, char *result, size_t rcap, char *err,
			size_t ecap);
	/* Keeps attached handle idx as a subscriber for the events in mask. */
	int (*subscribe)(void *ctx, uint32_t idx, uint32_t mask);
	/* Around graph edits (the period thread renders concurrently). */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
};

struct amx_state {
	struct amx_graph g;
	struct amx_ops ops;
	bool device_open, running;
	struct amx_dev_cfg dev;
	uint64_t requests, errors;
	/* kept by the period side (the service copies them in) */
	uint64_t xruns, notices, periods_written;
	uint64_t cost_max_us, budget_us, late_max_us;
	uint64_t lead_frames, step_max; /* the adaptive lead (frames) */
	struct json_doc doc;
};

struct amx_reply {
	bool ok;
	char code[16];
	char message[200];
	char result[1024]; /* the "result" object */
};

int amx_init(struct amx_state *s, const struct amx_ops *ops);
void amx_fini(struct amx_state *s);
/* One request of len bytes with nh attached handles. */
void amx_handle(struct amx_state *s, const char *text, size_t len, uint32_t nh,
		struct amx_reply *r);

/* Events (their length, or -1 if cap is too small). */
int amx_ev_state(char *buf, size_t cap, bool running);
int amx_ev_xrun(char *buf, size_t cap, uint64_t usec, uint32_t node);
int amx_ev_stats(char *buf, size_t cap, uint32_t cpu_pct, uint32_t period,
		 uint64_t late_us);
