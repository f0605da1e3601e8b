/* audio_core: the /svc/audio protocol without system calls (docs/
 * audio.md "/svc/audio"). It parses and checks every request, keeps the
 * connections and the one open stream, turns the device's ring offset
 * into monotonic frame/period counts, counts xruns, sends the period
 * notices and writes the answers; the platform half (audio_main.c) and
 * the device (struct audio_hw: ac97, hda) do the rest. Host-tested with
 * a fake device (tests/host/test_audio_core.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/audio_proto.h>

#include "audio_hw.h"

#define AUDIO_CONNS_MAX	     16u
#define AUDIO_CONNS_PER_TASK 4u
#define AUDIO_BADGE_CONN     0x100u /* connection badges: base + slot + gen<<8 */
#define AUDIO_RING_MAX	     (1u << 20) /* bytes */

/* The platform. Handles are the platform's numbers. */
struct audio_plat_ops {
	/* Answer a call (reply handle) with len bytes and nh handles; the
	 * platform closes the handles if the answer is not delivered. */
	void (*answer)(void *ctx, uint32_t reply, const void *data,
		       uint32_t len, const uint32_t *h, uint32_t nh);
	/* A connection endpoint with this badge (no-senders notice on). */
	int (*mint)(void *ctx, uint64_t badge, uint32_t *out);
	void (*close)(void *ctx, uint32_t h);
	/* bytes of zeroed, contiguous DMA memory for the ring: va/phys in
	 * *ring, *grant the client's grant over it (no MANAGE). */
	int (*ring_alloc)(void *ctx, uint32_t bytes, struct audio_hw_ring *ring,
			  uint32_t *grant);
	/* Revokes the grant (the client's mapping goes) and frees it. */
	void (*ring_free)(void *ctx, struct audio_hw_ring *ring);
	/* A one-way message on send endpoint h, never blocking: 0 or ERR_*
	 * (queue full: the notice is lost and counted). */
	int (*notify)(void *ctx, uint32_t h, const void *msg, uint32_t len);
	uint64_t (*now)(void *ctx);
};

struct audio_conn {
	uint64_t badge;	 /* 0: free slot */
	uint64_t sender; /* koid of the task that connected (0: unknown) */
};

struct audio_stream {
	bool open, running;
	uint32_t owner;	 /* connection slot */
	uint32_t notify; /* the client's send endpoint, 0: none */
	struct audio_fmt fmt;
	uint32_t frame_bytes, period_bytes;
	struct audio_hw_ring ring;
	/* position: bytes played since START, the device offset last read */
	uint64_t bytes;
	uint32_t last_off;
	uint64_t periods; /* completed periods handled (notices, xruns) */
	uint64_t xruns;
	uint64_t sum[AUDIO_PERIODS_MAX]; /* hash of each slot when played */
};

struct audio_core {
	const struct audio_plat_ops *ops;
	void *ctx;
	const struct audio_hw *hw;
	struct audio_info info;
	char device[24]; /* the dev-name iod gave */
	char sched[8];	 /* the server thread's class: "rt", "be" */
	uint64_t sender; /* the current request's sending task (0: unknown) */
	struct audio_conn conns[AUDIO_CONNS_MAX];
	uint32_t gen;
	struct audio_stream s;
	struct {
		uint64_t requests, errors, connects, opens, starts, irqs,
			period_irqs, dev_errors, notices, notices_lost,
			periods_total, xruns_total, hw_underruns;
	} st;
	_Alignas(8) uint8_t buf[2048]; /* answer scratch */
};

void audio_core_init(struct audio_core *c, const struct audio_plat_ops *ops,
		     void *ctx, const struct audio_hw *hw, const char *device);
/* One call: badge of the endpoint it came in on, the sending task's koid
 * (0: unknown), the message, attached handles h[nh] (the core zeroes the
 * ones it keeps; the caller closes the rest afterwards), the reply. */
void audio_core_request(struct audio_core *c, uint64_t badge, uint64_t sender,
			const void *msg, uint32_t len, uint32_t *h, uint32_t nh,
			uint32_t reply);
/* A connection endpoint died (no-senders notice). */
void audio_core_notice(struct audio_core *c, uint64_t badge);
/* The device interrupted: asks the device, then accounts the periods
 * completed (notices, xruns). */
void audio_core_irq(struct audio_core *c);
/* Reads the device position and advances the counters (pure
 * bookkeeping; audio_core_irq and AUDIO_POSITION call it). */
void audio_core_sync(struct audio_core *c);
/* The hash of ring bytes p[0..n) xrun detection compares (exposed for
 * tests). */
uint64_t audio_core_hash(const uint8_t *p, uint32_t n);
/* AUDIO_RATE_* bit of rate, 0 if none. */
uint32_t audio_rate_bit(uint32_t rate);
