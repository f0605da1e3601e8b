/* cop_proto: copperd's ports/v0 protocol (docs/graphics.md, "copperd")
 * on the server thread: ping, status, connect (sessions), load, start,
 * stop, unload, subscribe; the no-senders notice of a session; events
 * from the engine to subscribers. System calls go through struct
 * cop_plat (handles are plain numbers here), so all of it is host-tested
 * (tests/host/test_copper_proto.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cop_engine.h"
#include "json.h"

#define COP_MAX_SUBS	 16 /* subscribers, all sessions */
#define COP_MAX_SESSIONS 64
#define COP_RESULT_MAX	 3600
#define COP_VERSION	 "0.1.0"

#define COP_SEND_OK   0
#define COP_SEND_FULL 1 /* the subscriber's queue is full: event lost */
#define COP_SEND_GONE 2 /* its port is gone: drop the subscriber */

/* What the platform knows and the protocol reports in `status`. */
struct cop_live {
	const char *sched;  /* the DL thread's class: "dl", "rt", "be" */
	uint64_t period_ns; /* the frame period in use */
	uint32_t hz;	    /* compositord's refresh (default 60) */
	uint64_t frame;	    /* copperd's frame counter (jobs' frames) */
	uint64_t dl_met, dl_missed; /* the kernel's DL accounting */
	uint64_t batches;	    /* comp_regs_msg sent */
	uint64_t dropped_writes;    /* writes while compositord was away */
	uint64_t dropped_batches;
	uint64_t reconnects;
	bool comp_connected;
	int64_t late_writes; /* compositord's status (-1: unknown) */
	uint64_t max_job_ns; /* longest job seen */
	uint64_t last_job_ns;
	uint64_t max_late_ns; /* a job's start after its wake time, longest */
	uint64_t late_jobs;   /* jobs that started > 1 ms late */
};

struct cop_plat {
	void *ctx;
	/* A session endpoint with badge, minted with the no-senders notice:
	 * 0 and *h, or < 0. */
	int (*mint)(void *ctx, uint64_t badge, uint32_t *h);
	void (*close)(void *ctx, uint32_t h);
	/* One event, one-way, without waiting: COP_SEND_*. */
	int (*send)(void *ctx, uint32_t h, const char *json, uint32_t len);
	/* Reads len bytes at 0 from memory object h (0 or < 0: not one, or
	 * too small). */
	int (*read_vmo)(void *ctx, uint32_t h, void *buf, uint64_t len);
	void (*live)(void *ctx, struct cop_live *out);
};

struct cop_sub {
	uint32_t h;	 /* 0: free */
	uint32_t events; /* bit 0 irq, bit 1 state */
	uint64_t owner;
};

struct cop_srv {
	struct cop_engine eng;
	const struct cop_plat *plat;
	struct cop_sub subs[COP_MAX_SUBS];
	uint32_t nsubs;
	uint64_t next_session; /* badges of sessions: 1, 2, ... */
	uint32_t sessions;
	uint64_t requests, errors, events_sent, events_dropped;
	uint64_t loads, load_errors;
	struct json_doc doc;
	uint64_t words[COP_MAX_OPS + 1];
};

/* An answer: result (ok) or code/message; `handle` attached when set. */
struct cop_reply {
	bool ok;
	char code[16];
	char message[128];
	char result[COP_RESULT_MAX];
	uint32_t handle; /* 0: none */
};

void cop_srv_init(struct cop_srv *s, const struct cop_plat *plat);
/* One call on the endpoint of badge (0 public, else a session). h[i]
 * set to 0 are taken; the rest are the caller's to close. */
void cop_srv_request(struct cop_srv *s, uint64_t badge, const char *text,
		     size_t len, uint32_t *h, uint32_t nh, struct cop_reply *r);
/* The no-senders notice of a session endpoint: its programs are
 * unloaded, its subscriptions closed. */
void cop_srv_session_gone(struct cop_srv *s, uint64_t badge);
/* Frees what the DL thread let go, sends the engine's events. */
void cop_srv_poll(struct cop_srv *s);
void cop_srv_fini(struct cop_srv *s);
