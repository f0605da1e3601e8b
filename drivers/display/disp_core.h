/* disp_core: the /svc/display protocol without system calls (docs/
 * display.md). It parses and checks every request, keeps connections,
 * output ownership, the per-buffer damage a device with its own copy of
 * each buffer still lacks, the frame clock's waiters, and writes the
 * answers; the platform half (disp_main.c) and the device backend
 * (virtio-gpu, fbdisplay) do the rest through struct disp_ops. Host-tested
 * with a fake backend (tests/host/test_display_core.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/display_proto.h>

#include "damage.h"

#define DISP_CONNS_MAX 16u
/* Per client task (port_rx.sender): one program cannot take every
 * connection or every frame waiter. */
#define DISP_CONNS_PER_TASK   4u
#define DISP_WAITERS_PER_TASK 4u
#define DISP_BADGE_CONN	      0x100u /* connection badges: base + slot + gen<<8 */
#define DISP_HANDLES_OUT      8u

/* The platform and the device. Handles are the platform's numbers. */
struct disp_ops {
	/* Answer a call (reply handle) with len bytes and nh handles; the
	 * platform closes the handles if the answer is not delivered. */
	void (*answer)(void *ctx, uint32_t reply, const void *data,
		       uint32_t len, const uint32_t *h, uint32_t nh);
	/* A connection endpoint with this badge (no-senders notice on). */
	int (*mint)(void *ctx, uint64_t badge, uint32_t *out);
	void (*close)(void *ctx, uint32_t h);
	/* Program mode m on output o (buffers already dropped). */
	int (*set_mode)(void *ctx, uint32_t o, const struct disp_mode *m);
	/* Make `b->count` buffers of geometry b for output o; fill grants[]
	 * (count * nchunks client handles, buffer-major). */
	int (*buffers_new)(void *ctx, uint32_t o, const struct disp_buffers *b,
			   uint32_t *grants);
	/* Revoke and free output o's buffers (none: nothing). */
	void (*buffers_free)(void *ctx, uint32_t o);
	/* Show buffer buf, moving only the n rectangles (clipped, non-empty)
	 * to the device; returns when the device is done (0) or an ERR_*. */
	int (*present)(void *ctx, uint32_t o, uint32_t buf,
		       const struct disp_rect *r, uint32_t n);
	uint64_t (*now)(void *ctx);
};

struct disp_out {
	struct disp_output info;
	struct disp_mode modes[DISP_MODES_MAX];
	uint32_t owner;		 /* connection slot + 1; 0: none */
	struct disp_buffers buf; /* count 0: no buffers */
	/* Per buffer: damage presented while it was not shown, which the
	 * device's copy of it lacks (only with per_buffer_copies). */
	struct damage stale[DISP_BUFFERS_MAX];
	int32_t shown; /* buffer last presented, -1: none */
};

struct disp_conn {
	uint64_t badge;	 /* 0: free slot */
	uint64_t sender; /* koid of the task that connected (0: unknown) */
	uint64_t presents;
};

struct disp_waiter {
	uint32_t reply; /* 0: free */
	uint32_t conn;	/* its connection's slot */
	uint32_t output;
	uint64_t target;      /* answer once frame >= target */
	struct disp_frame fr; /* what to answer (frame fields filled then) */
};

struct disp_core {
	uint64_t sender; /* the current request's sending task (0: unknown) */
	const struct disp_ops *ops;
	void *ctx;
	char driver[16]; /* "virtio-gpu", "fbdisplay" */
	char device[24]; /* the dev-name iod gave */
	char clock[8];	 /* the frame clock's class: "dl", "rt", "be" */
	/* The device keeps its own copy of each buffer (virtio-gpu host
	 * resources): a present must also move what changed since that
	 * buffer was last shown. */
	bool per_buffer_copies;
	uint64_t chunk_max; /* bytes per grant chunk (0: one chunk) */
	uint64_t buf_max;   /* bytes all buffers may take (0: no limit) */
	uint32_t noutputs;
	struct disp_out out[DISP_OUTPUTS_MAX];
	struct disp_conn conns[DISP_CONNS_MAX];
	uint32_t gen;
	/* Frame clock: the last tick seen and the period. */
	uint64_t frame, frame_ns, period_ns;
	struct disp_waiter waiters[DISP_WAITERS_MAX];
	struct {
		uint64_t requests, errors, connects, notices, presents, pixels,
			waits, mode_sets, present_ns_last;
		uint64_t late_ticks; /* waiters answered without the clock */
		/* the backend's: device commands, and the last present's
		 * time from submission to the device's completion */
		uint64_t dev_cmds, dev_ns_last, dev_ns_total, dev_ns_max;
		uint64_t takeovers; /* DISP_BUF_TAKE from another owner */
	} st;
	/* answer scratch */
	_Alignas(8) uint8_t buf[4096];
};

void disp_core_init(struct disp_core *c, const struct disp_ops *ops, void *ctx,
		    const char *driver, const char *device);
/* Adds an output with its modes (the first preferred if none is marked)
 * and the current mode index; returns its id or -1 when full. */
int disp_core_add_output(struct disp_core *c, const char *name,
			 const struct disp_mode *modes, uint32_t nmodes,
			 uint32_t cur, uint32_t width_mm, uint32_t height_mm,
			 uint32_t flags);
/* One call: badge of the endpoint it came in on, the message, attached
 * handles (closed by the caller afterwards), the reply handle (answered
 * now or parked for a frame). */
void disp_core_request(struct disp_core *c, uint64_t badge, const void *msg,
		       uint32_t len, uint32_t nh, uint32_t reply);
/* The same with the koid of the sending task (port_rx.sender), which the
 * per-task limits count by; 0 (unknown) is not limited per task. */
void disp_core_request_from(struct disp_core *c, uint64_t badge,
			    uint64_t sender, const void *msg, uint32_t len,
			    uint32_t nh, uint32_t reply);
/* A connection endpoint died (no-senders notice). */
void disp_core_notice(struct disp_core *c, uint64_t badge);
/* The frame clock ticked: frame n at time ns. Answers due waiters. */
void disp_core_tick(struct disp_core *c, uint64_t frame, uint64_t ns);
/* Whether calls wait for a frame. */
bool disp_core_waiting(const struct disp_core *c);
/* The mode's refresh period in ns (the platform's clock thread uses it). */
uint64_t disp_core_period(const struct disp_core *c, uint32_t o);
/* Buffer geometry of mode m with count buffers (pure; for tests too). */
int disp_core_geometry(const struct disp_core *c, const struct disp_mode *m,
		       uint32_t count, struct disp_buffers *out);
