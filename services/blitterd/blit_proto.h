/* blit_proto: blitterd's ports/v0 protocol without system calls
 * (docs/graphics.md "blitterd"): requests parsed into jobs, surfaces
 * (grants attached to the request, or bound once with surface_bind),
 * sessions, subscribers and their events, the status counters. What
 * needs the kernel (mapping a grant, minting a session endpoint, sending
 * an event) goes through struct blit_plat, which the host tests
 * (tests/host/test_blit_proto.c) fake. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blit_kern.h"
#include "blit_ops.h"
#include "json.h"

#define BLIT_NAME	  "/svc/blitterd"
#define BLIT_VERSION	  "0.1.0"
#define BLIT_MAX_MEMS	  64 /* grants mapped at once */
#define BLIT_MAX_SURFACES 64 /* bound with surface_bind */
#define BLIT_MAX_SUBS	  16
#define BLIT_MAX_SESSIONS 64
/* Per sending task (port_rx.sender): one client cannot take every slot. */
#define BLIT_TASK_SURFACES 16
#define BLIT_TASK_SUBS	   4
#define BLIT_TASK_SESSIONS 16
#define BLIT_BATCH_MAX	   32	       /* ops in one batch */
#define BLIT_COORD_MAX	   (1ll << 30) /* |x|, |y|, w, h of a rect */
#define BLIT_RESULT_MAX	   512
#define BLIT_EVENT_MAX	   256

/* The kernel side. Handles are uint32_t (handle_t on exec-rt). */
struct blit_plat {
	void *ctx;
	/* The object behind handle h (its koid): one mapping per grant, so
	 * the same pixels always sit at one address. *can_write: whether
	 * this handle has RIGHT_WRITE (handles of one grant differ). <0 if
	 * not a grant. */
	int (*ident)(void *ctx, uint32_t h, uint64_t *koid, bool *can_write);
	/* Maps grant h read-write, else read-only (*writable false). */
	int (*map)(void *ctx, uint32_t h, uint8_t **base, bool *writable);
	/* Whether the grant mapped at base holds at least bytes. */
	bool (*fits)(void *ctx, uint8_t *base, uint64_t bytes);
	void (*unmap)(void *ctx, uint8_t *base);
	/* A new session endpoint with this badge (no-senders notice). */
	int (*mint)(void *ctx, uint64_t badge, uint32_t *h);
	/* One-way event: 0 sent, 1 queue full (lost), <0 receiver gone. */
	int (*send)(void *ctx, uint32_t h, const char *data, uint32_t len);
	void (*close)(void *ctx, uint32_t h);
	uint64_t (*now)(void *ctx); /* ns */
	/* Whether the grant mapped at base was revoked under us (a job then
	 * wrote to scratch memory instead); NULL: never. */
	bool (*lost)(void *ctx, uint8_t *base);
	/* Whether task koid has ended; asked only when the surfaces,
	 * mappings or subscribers are full, or an event to a public
	 * subscriber is lost (public surfaces and subscriptions of ended
	 * makers are then reclaimed); NULL: never known, all are kept. */
	bool (*task_gone)(void *ctx, uint64_t koid);
};

struct blit_mem {
	uint64_t koid;
	uint8_t *base;
	bool writable; /* the mapping; each use checks its handle's right */
	uint32_t refs; /* bound surfaces + the current job's uses */
};

struct blit_bound {
	uint32_t id;	/* 0: free slot */
	uint64_t owner; /* session badge; 0: the public endpoint */
	struct blit_mem *mem;
	struct blit_surf s;
	bool can_write;	  /* the binding handle had RIGHT_WRITE */
	uint64_t sender;  /* koid of the task that bound it (0: unknown) */
	uint64_t used_at; /* use clock at its bind / last naming */
};

struct blit_sub {
	uint32_t h;	/* 0: free slot */
	uint64_t owner; /* the events of this endpoint's jobs (0: public) */
	unsigned mask;	/* which events */
	uint64_t sender;
	uint64_t made_at; /* use clock at its subscribe */
	/* A lost event asked about its maker, which lived: not asked again
	 * until an event gets through. */
	bool maker_live;
};

enum blit_op_type { BLIT_OP_FILL, BLIT_OP_COPY, BLIT_OP_CONVERT };

struct blit_op {
	enum blit_op_type type;
	struct blit_surf src, dst;
	struct blit_rect r; /* fill: the rect; copy: the source rect */
	int64_t dx, dy;	    /* copy: dst_xy */
	struct blit_color c;
};

/* One job being checked and run: its ops and the mappings it holds. */
struct blit_job {
	uint32_t id;
	uint64_t owner;
	unsigned n, nused;
	struct blit_op ops[BLIT_BATCH_MAX];
	struct blit_mem *used[2 * BLIT_BATCH_MAX];
};

struct blit_stats {
	uint64_t requests, jobs, ops, pixels, errors, bad_requests;
	uint64_t events_sent, events_dropped, last_job_ns;
	uint64_t reclaimed;	 /* public surfaces of ended makers unbound */
	uint64_t subs_reclaimed; /* public subscriptions of ended makers */
};

struct blit_svc {
	const struct blit_kern *k;
	struct blit_plat plat;
	struct blit_mem mems[BLIT_MAX_MEMS];
	struct blit_bound surf[BLIT_MAX_SURFACES];
	struct blit_sub subs[BLIT_MAX_SUBS];
	uint64_t sessions[BLIT_MAX_SESSIONS]; /* live badges; 0 free */
	uint64_t session_sender[BLIT_MAX_SESSIONS];
	uint64_t sender; /* of the call being handled */
	uint64_t next_badge;
	uint32_t next_surface, next_job;
	uint64_t use_clock;
	struct blit_stats st;
	struct blit_job job;
	struct json_doc doc;
};

/* The answer to one call. */
struct blit_ans {
	bool ok;
	char code[16];
	char message[160];
	char result[BLIT_RESULT_MAX];
	uint32_t handle; /* to attach to the answer (connect); 0 none */
};

void blit_init(struct blit_svc *s, const struct blit_kern *k,
	       const struct blit_plat *p);
/* One call: len bytes of text with nh handles h[] attached, received on
 * the endpoint of badge (0: the public one). Handles it keeps are set to
 * 0 in h[]; the caller closes the rest. */
void blit_handle(struct blit_svc *s, const char *text, size_t len, uint32_t *h,
		 uint32_t nh, uint64_t badge, struct blit_ans *a);
/* The same, from task koid sender (port_rx.sender), which is held to the
 * BLIT_TASK_* limits; sender 0 (blit_handle) is not. */
void blit_handle_from(struct blit_svc *s, const char *text, size_t len,
		      uint32_t *h, uint32_t nh, uint64_t badge, uint64_t sender,
		      struct blit_ans *a);
/* The no-senders notice of a session endpoint: its surfaces and
 * subscriptions go. */
void blit_session_closed(struct blit_svc *s, uint64_t badge);
/* Counts for tests and status. */
unsigned blit_nsurfaces(const struct blit_svc *s);
unsigned blit_nmems(const struct blit_svc *s);
unsigned blit_nsubs(const struct blit_svc *s);
unsigned blit_nsessions(const struct blit_svc *s);
