/* The display protocol of /svc/display (docs/display.md has the rules;
 * this file is the wire format). Served by a display driver: virtio-gpu
 * (drivers/virtio-gpu) or the boot-framebuffer fallback
 * (drivers/fbdisplay), both on the same core (drivers/display).
 *
 * Binary for speed: every request is a port_call whose message is a
 * struct disp_req (followed, for DISP_PRESENT, by nrects struct
 * disp_rect), every answer a struct disp_resp followed by `len` bytes of
 * data, handles attached as the op says. A message starting with '{' is
 * a ports/v0 JSON request (`ping`, `status`), so no op has 0x7b in its
 * low byte. Little-endian; every struct has a fixed size.
 *
 * Two kinds of endpoint, both minted by the driver on its one port:
 *  - the public endpoint (registered as /svc/display): DISP_CONNECT,
 *    DISP_NOP and the JSON requests;
 *  - a connection (the answer of DISP_CONNECT): everything else. The
 *    driver learns that a connection ended from the kernel's no-senders
 *    notice and then frees what it held (its buffers are revoked).
 *
 * Errors: disp_resp.err is 0 or a negative ERR_* (execrt/errors.h):
 * ERR_INVALID_ARGS (malformed request, bad op/output/mode/buffer index),
 * ERR_BAD_STATE (no buffers yet, or they were dropped by a mode change),
 * ERR_ACCESS_DENIED (another connection owns the output's buffers),
 * ERR_NO_MEMORY / ERR_NO_RESOURCES (buffers), ERR_NOT_SUPPORTED (the
 * driver cannot do it: fbdisplay's one mode), ERR_TIMED_OUT (the device
 * did not complete a command). */
#pragma once
#include <execrt/types.h>

#define DISP_SVC_NAME	   "/svc/display"
#define DISP_PROTO_VERSION 1u

#define DISP_OUTPUTS_MAX 4u
#define DISP_MODES_MAX	 32u  /* modes listed per output */
#define DISP_RECTS_MAX	 128u /* damage rectangles per DISP_PRESENT */
#define DISP_BUFFERS_MAX 2u   /* double buffering */
#define DISP_CHUNKS_MAX	 4u   /* grants per buffer (each <= 4 MiB) */
#define DISP_WAITERS_MAX 16u  /* calls parked for a frame, per driver */
#define DISP_DIM_MAX	 8192u

/* Pixel formats (disp_buffers.format). XRGB8888: one little-endian
 * uint32_t per pixel, 0x00RRGGBB (bytes B, G, R, X): virtio-gpu's
 * B8G8R8X8 and the usual GOP layout. */
#define DISP_FMT_XRGB8888 1u

enum disp_op {
	/* public endpoint: a = DISP_PROTO_VERSION. Answer: val = connection
	 * id, handles[0] = the connection's send endpoint (WRITE, DUPLICATE,
	 * TRANSFER, WAIT). */
	DISP_CONNECT = 1,
	/* Answer data: struct disp_output[val]. */
	DISP_OUTPUTS = 2,
	/* output = the output id. Answer data: struct disp_mode[val] (the
	 * preferred mode first; index = what DISP_SET_MODE takes). */
	DISP_MODES = 3,
	/* output, a = mode index. Drops the output's buffers (their grants
	 * are revoked: the owner must ask DISP_BUFFERS again). A connection
	 * other than the owner of the buffers: ERR_ACCESS_DENIED. */
	DISP_SET_MODE = 4,
	/* output, a = buffer count (1 or 2), flags = DISP_BUF_*. Makes the
	 * connection the output's owner (ERR_ACCESS_DENIED while another
	 * connection owns it, unless DISP_BUF_TAKE) and gives it the scanout
	 * buffers of the current mode, zeroed (black). Asking again replaces
	 * them (the old grants are revoked). Answer data: struct
	 * disp_buffers; handles: count * nchunks grants, buffer 0's chunks
	 * first (READ | WRITE | MAP | TRANSFER | DUPLICATE, no MANAGE). Map
	 * each buffer's chunks back to back (disp_client.c does). */
	DISP_BUFFERS = 5,
	/* output, a = buffer index, flags = DISP_PRESENT_*, nrects damage
	 * rectangles follow the request (0 = the whole buffer). The buffer
	 * must hold the whole new frame; the rectangles say where it differs
	 * from the frame presented before (whichever buffer that was). The
	 * driver shows the buffer and moves only the damage (clipped to the
	 * mode, merged) to the device, and answers once the device is done
	 * (flush complete). Answer data: struct disp_frame. */
	DISP_PRESENT = 6,
	/* output, arg = a frame number: answers (struct disp_frame) once the
	 * frame clock has passed that frame; arg 0 = the next tick. At most
	 * DISP_WAITERS_MAX calls wait at once (ERR_NO_RESOURCES beyond). */
	DISP_WAIT_FRAME = 7,
	/* output: give the buffers back (revoked); the output has no owner. */
	DISP_RELEASE = 8,
	/* any endpoint: val = DISP_PROTO_VERSION, nothing touched. */
	DISP_NOP = 32,
};

/* DISP_BUFFERS flags */
#define DISP_BUF_TAKE                                                          \
	0x1u /* take the output from its owner (a VT switch):                  \
	      * the owner's buffers are revoked and its calls                  \
	      * get ERR_ACCESS_DENIED; it may ask again once                   \
	      * the taker's connection has ended */

/* DISP_PRESENT flags */
#define DISP_PRESENT_VSYNC                                                     \
	0x1u			/* answer at the next frame tick after the     \
				 * flush (the frame it shows in), not at once */
#define DISP_PRESENT_KNOWN 0x1u /* any other bit: ERR_INVALID_ARGS */

struct disp_req {
	uint32_t op;
	uint32_t output;
	uint32_t a;
	uint32_t flags;
	uint32_t nrects; /* DISP_PRESENT: rectangles after the header */
	uint32_t reserved;
	uint64_t arg;
};
_Static_assert(sizeof(struct disp_req) == 32, "disp_req layout");

/* A rectangle in pixels, top-left origin. Parts outside the mode are
 * clipped; an empty one (w or h 0) is ignored. */
struct disp_rect {
	int32_t x, y;
	uint32_t w, h;
};
_Static_assert(sizeof(struct disp_rect) == 16, "disp_rect layout");

struct disp_resp {
	int32_t err; /* 0 or a negative ERR_* */
	uint32_t len;
	uint64_t val;
};
_Static_assert(sizeof(struct disp_resp) == 16, "disp_resp layout");

/* disp_output.flags */
#define DISP_OUT_CONNECTED 0x1u
#define DISP_OUT_EDID	   0x2u /* modes come from the monitor's EDID */
#define DISP_OUT_OWNED	   0x4u /* a connection holds its buffers */

struct disp_output {
	uint32_t id;
	uint32_t flags; /* DISP_OUT_* */
	uint32_t nmodes;
	uint32_t cur_mode;	      /* index into DISP_MODES */
	uint32_t width_mm, height_mm; /* 0: unknown */
	char name[24]; /* "virtio-0", "fb0"; EDID monitor name after ':' */
};
_Static_assert(sizeof(struct disp_output) == 48, "disp_output layout");

/* disp_mode.flags */
#define DISP_MODE_PREFERRED 0x1u
#define DISP_MODE_CURRENT   0x2u

struct disp_mode {
	uint32_t width, height;
	uint32_t refresh_mhz; /* refresh rate in mHz (60000 = 60 Hz) */
	uint32_t flags;	      /* DISP_MODE_* */
};
_Static_assert(sizeof(struct disp_mode) == 16, "disp_mode layout");

struct disp_buffers {
	uint32_t width, height;
	uint32_t stride;     /* bytes per row */
	uint32_t format;     /* DISP_FMT_* */
	uint32_t count;	     /* buffers */
	uint32_t nchunks;    /* grants per buffer */
	uint64_t size;	     /* bytes per buffer (page-rounded) */
	uint64_t chunk_size; /* bytes per chunk; the last may be shorter */
	uint64_t reserved;
};
_Static_assert(sizeof(struct disp_buffers) == 48, "disp_buffers layout");

/* What DISP_PRESENT and DISP_WAIT_FRAME answer. The frame clock ticks at
 * the mode's refresh rate (a deadline-class thread of the driver:
 * virtio-gpu has no vsync); frame n's tick is at frame_ns. */
struct disp_frame {
	uint64_t frame;	    /* PRESENT: the first frame that shows it (the
			     * next tick after the flush); WAIT_FRAME: the
			     * tick that passed */
	uint64_t frame_ns;  /* that tick's time (clock_now ns) */
	uint64_t done_ns;   /* PRESENT: when the device finished the flush */
	uint64_t pixels;    /* PRESENT: pixels moved to the device */
	uint32_t rects;	    /* PRESENT: rectangles after clipping/merging */
	uint32_t period_ns; /* the frame clock's period */
};
_Static_assert(sizeof(struct disp_frame) == 40, "disp_frame layout");

/* Largest answers: a mode list fits one message. */
_Static_assert(sizeof(struct disp_resp) +
			       DISP_MODES_MAX * sizeof(struct disp_mode) <=
		       4096,
	       "mode list fits a message");
_Static_assert(sizeof(struct disp_req) +
			       DISP_RECTS_MAX * sizeof(struct disp_rect) <=
		       4096,
	       "a present fits a message");
