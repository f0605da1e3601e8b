/* comp_srv: compositord's ports/v0 requests (PHASE0-PROTOCOL.md section
 * 2, docs/graphics.md "compositord"), pure: parses a request, checks
 * every argument, changes the scene, and asks the platform (ops) for
 * what needs system calls: mapping a grant, reading a file, keeping a
 * subscriber's port, the outputs. Host-tested with fake ops
 * (tests/host/test_comp_srv.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comp_scene.h"
#include "json.h"

#define COMP_RESULT_MAX 3000
#define COMP_DIM_MAX	8192u
/* Layers one client task may hold (all its sessions and the public
 * endpoint together): one client cannot take all COMP_LAYERS_MAX. */
#define COMP_TASK_LAYERS 16u

/* Event bits (subscribe). */
#define COMP_EV_VSYNC	 0x1u
#define COMP_EV_PAGEFLIP 0x2u
#define COMP_EV_HOTPLUG	 0x4u
#define COMP_EV_ERROR	 0x8u

/* Platform errors the ops return (negative). */
#define COMP_OPS_SMALL (-1) /* grant smaller than needed: BAD_ARG */
#define COMP_OPS_ARG   (-2) /* bad handle / file: BAD_ARG */
#define COMP_OPS_NOMEM (-3) /* NO_MEMORY */
#define COMP_OPS_BUSY  (-4) /* BUSY */
#define COMP_OPS_NOENT (-5) /* NOT_FOUND (file) */

/* bind_image reads the file whole in the frame thread, between frames:
 * at most this many bytes (w*h*4), so one request stalls the frames for
 * a bounded time (16 MiB, e.g. 2048x2048). Larger content: bind_dmabuf. */
#define COMP_IMAGE_MAX (16ull << 20)

struct comp_srv_ops {
	void *ctx;
	/* Map attached handle `index` read-only; it must hold `need`
	 * bytes. *px = its pixels; the platform keeps it for layer id
	 * until unbind(id). On success only, it first drops what it held
	 * for id (a rebind); a failure leaves the old content bound. */
	int (*bind_dmabuf)(void *ctx, uint32_t id, uint32_t index,
			   uint64_t need, const uint8_t **px);
	/* Read `need` bytes of file path into memory kept for layer id. */
	int (*bind_image)(void *ctx, uint32_t id, const char *path,
			  uint64_t need, const uint8_t **px);
	/* Forget what is kept for layer id (if anything). */
	void (*unbind)(void *ctx, uint32_t id);
	/* Keep attached handle `index` as a subscriber of owner for mask. */
	int (*subscribe)(void *ctx, uint64_t owner, uint32_t index,
			 uint32_t mask);
	/* Writes the outputs array's members ({...},{...}) into out. */
	int (*outputs)(void *ctx, char *out, size_t cap);
	/* Mode change of output id; 0 or COMP_OPS_ARG (no such mode). */
	int (*set_mode)(void *ctx, uint32_t id, uint32_t w, uint32_t h,
			uint32_t hz);
	/* The output's pixel (x, y) as last composed (0x00RRGGBB); -1
	 * outside or when nothing was composed. */
	int (*pixel)(void *ctx, uint32_t x, uint32_t y, uint32_t *rgb);
	/* Platform counters for status: `"k":v,...` without braces. */
	int (*status)(void *ctx, char *out, size_t cap);
	/* Has task koid ended? Asked only when the layer table is full
	 * (public layers of ended makers are then reclaimed); NULL or
	 * false: not known to have ended, its layers are kept. */
	bool (*task_gone)(void *ctx, uint64_t koid);
};

struct comp_srv {
	struct comp_scene *scene;
	struct comp_srv_ops ops;
	uint64_t requests, errors;
	uint64_t reclaimed; /* public layers of ended makers freed for room */
	uint64_t sender; /* task koid of the request being handled (0: none) */
	struct json_doc doc;
};

/* What to answer. */
struct comp_reply {
	bool ok;
	bool connect; /* a `connect`: the platform mints the session */
	char code[16];
	char message[128];
	char result[COMP_RESULT_MAX];
};

void comp_srv_init(struct comp_srv *s, struct comp_scene *scene,
		   const struct comp_srv_ops *ops);
/* One request of len bytes with nh handles attached, from owner (a
 * session's badge; 0: the public endpoint). */
void comp_srv_handle(struct comp_srv *s, uint64_t owner, const char *text,
		     size_t len, uint32_t nh, struct comp_reply *r);
/* The same from task koid sender (port_rx.sender), held to the per-task
 * limit of COMP_TASK_LAYERS layers (the service-wide COMP_LAYERS_MAX is
 * the ceiling); sender 0 (comp_srv_handle) is not. */
void comp_srv_handle_from(struct comp_srv *s, uint64_t owner, uint64_t sender,
			  const char *text, size_t len, uint32_t nh,
			  struct comp_reply *r);
/* A session ended: its layers (unbound first) and its queued REGS
 * batches go. */
uint32_t comp_srv_drop_owner(struct comp_srv *s, uint64_t owner);
/* A grant-size probe's verdict: r is sys_vm_protect's answer over the
 * last page of the needed length of a mapping at a free slot: 0 or
 * INVALID_ARGS (the range cuts the grant mapping, which is longer) mean
 * it fits; NOT_FOUND: too small (COMP_OPS_SMALL); else COMP_OPS_ARG. */
int comp_probe_verdict(long r);
/* A REGS message of len bytes: 0, or -1 if malformed (counted). */
int comp_srv_regs(struct comp_srv *s, const void *msg, size_t len,
		  uint64_t sender);
/* "vsync" -> COMP_EV_VSYNC ...; 0 if unknown. */
uint32_t comp_event_bit(const char *name, size_t len);
