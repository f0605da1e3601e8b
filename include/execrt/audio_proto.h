/* The audio device protocol of /svc/audio (docs/audio.md "/svc/audio"
 * has the rules; this file is the wire format). Served by an audio
 * driver: AC97 (drivers/ac97) or Intel HDA (drivers/hda), both on the
 * same core (drivers/audio).
 *
 * Binary like /svc/display: every request is a port_call whose message is
 * a struct audio_req, every answer a struct audio_resp followed by `len`
 * bytes of data, handles attached as the op says. A message starting with
 * '{' is a ports/v0 JSON request (`ping`, `status`), so no op has 0x7b in
 * its low byte. Little-endian; every struct has a fixed size.
 *
 * Two kinds of endpoint, both minted by the driver on its one port:
 *  - the public endpoint (registered as /svc/audio): AUDIO_CONNECT and
 *    the JSON requests;
 *  - a connection (the answer of AUDIO_CONNECT): everything else. The
 *    driver learns that a connection ended from the kernel's no-senders
 *    notice and then closes its stream (the ring grant is revoked).
 *
 * Errors: audio_resp.err is 0 or a negative ERR_* (execrt/errors.h):
 * ERR_INVALID_ARGS (malformed request, unknown op, bad format),
 * ERR_NOT_SUPPORTED (a rate/format/channel count the device cannot play),
 * ERR_BAD_STATE (no stream open, or START/STOP at the wrong moment),
 * ERR_ALREADY_EXISTS ("busy": another stream is open on the device),
 * ERR_NO_MEMORY (the ring does not fit the DMA budget). */
#pragma once
#include <execrt/types.h>

#define AUDIO_SVC_NAME	    "/svc/audio"
#define AUDIO_PROTO_VERSION 1u

enum audio_op {
	/* public: a = AUDIO_PROTO_VERSION. Answer: val = connection id,
	 * handles[0] = the connection's send endpoint (no-senders notice at
	 * the driver when its last handle goes). */
	AUDIO_CONNECT = 1,
	/* Answer data: struct audio_info. */
	AUDIO_INFO = 2,
	/* fmt = the requested format; attached handle 0: a send endpoint of
	 * the client's port for the period notices (optional: without it no
	 * notices are sent). Answer data: struct audio_ring; handles[0]: the
	 * ring, a grant of DMA memory (READ | WRITE | MAP | TRANSFER, no
	 * MANAGE), zeroed. One open stream per device: ERR_ALREADY_EXISTS
	 * (busy) for a second one, from any connection. */
	AUDIO_OPEN = 3,
	/* The device plays the ring from offset 0 (position counters reset). */
	AUDIO_START = 4,
	/* The device stops; START plays from offset 0 again. */
	AUDIO_STOP = 5,
	/* Answer data: struct audio_pos. */
	AUDIO_POSITION = 6,
	/* The stream ends (also when the connection's last handle goes): the
	 * device stops, the ring grant is revoked. */
	AUDIO_CLOSE = 7,
};

/* Sample formats (audio_fmt.format, bit (1 << f) in audio_info.formats). */
#define AUDIO_FMT_S16LE 1u

/* audio_info.rates bits. */
#define AUDIO_RATE_8000	 (1u << 0)
#define AUDIO_RATE_11025 (1u << 1)
#define AUDIO_RATE_16000 (1u << 2)
#define AUDIO_RATE_22050 (1u << 3)
#define AUDIO_RATE_32000 (1u << 4)
#define AUDIO_RATE_44100 (1u << 5)
#define AUDIO_RATE_48000 (1u << 6)
#define AUDIO_RATE_96000 (1u << 7)

#define AUDIO_PERIODS_MIN 2u
#define AUDIO_PERIODS_MAX 32u

struct audio_fmt {
	uint32_t rate; /* Hz, one of the AUDIO_RATE_* values */
	uint16_t channels;
	uint16_t format; /* AUDIO_FMT_* */
	uint32_t period_frames;
	uint32_t periods; /* AUDIO_PERIODS_MIN..AUDIO_PERIODS_MAX */
};

struct audio_req {
	uint32_t op; /* enum audio_op */
	uint32_t a;
	struct audio_fmt fmt;
};

struct audio_resp {
	int32_t err;  /* 0 or ERR_* */
	uint32_t len; /* data bytes after this header */
	uint64_t val;
};

struct audio_info {
	char name[32];	/* "hda" or "ac97" */
	uint32_t rates; /* AUDIO_RATE_* bits */
	uint16_t channels_max;
	uint16_t formats;		 /* bit (1 << AUDIO_FMT_*) */
	uint32_t period_min, period_max; /* frames */
};

struct audio_ring {
	/* What was granted: a device may round the period (the client uses
	 * this, not what it asked for). */
	struct audio_fmt fmt;
	uint32_t frame_bytes; /* channels * bytes per sample */
	uint32_t ring_bytes;  /* periods * period_frames * frame_bytes */
};

struct audio_pos {
	uint64_t frames;  /* played since START, monotonic (the driver
			     handles the device counter's wraps) */
	uint64_t time_ns; /* sys_clock_now when read */
	uint64_t periods; /* completed since START */
	uint64_t xruns;	  /* periods the hardware played that the client had
			     not refilled: best effort, from the driver's view */
};

/* The period notice, one-way on the client's port (zero deadline; lost if
 * its queue is full, counted in status). */
#define AUDIO_PERIOD_MAGIC 0x444f5250u /* "PROD" */
struct audio_period_msg {
	uint32_t magic; /* AUDIO_PERIOD_MAGIC */
	uint32_t pad;
	uint64_t period; /* periods completed since START */
	uint64_t frames;
	uint64_t time_ns;
};

/* The ring is periods * period_frames * frame_bytes, a circular buffer the
 * device plays in order from offset 0 after START; the client keeps it
 * filled ahead of audio_pos.frames. */
