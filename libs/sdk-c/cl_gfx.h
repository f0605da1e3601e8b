/* cl_gfx: the types shared by the graphics clients (cl_compositor.h,
 * cl_copper.h, cl_blitter.h; PHASE0-PROTOCOL.md section 6) and the pure
 * half of those clients: building each request's JSON. No system calls
 * here, so tests/host/test_gfx_sdk.c checks every request under ASan.
 * Each cl_gfx_fmt_* writes one NUL-terminated JSON object into buf and
 * returns its length, CL_ERR_ARG for a bad argument (NaN, unknown
 * format, negative size) or CL_ERR_SPACE when it does not fit. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/types.h>

#include "cl_ports.h"

typedef struct cl_rect {
	int32_t x, y;
	uint32_t w, h;
} cl_rect;

typedef struct cl_color {
	uint8_t r, g, b, a;
} cl_color;

/* A pixel buffer a service reads or writes: a grant (moved or
 * duplicated into each request) or, once bound with cl_blit_bind, a
 * blitterd surface id. addr: where this task mapped it (0 if not). */
typedef struct cl_surface_desc {
	handle_t grant;
	uint32_t surface; /* blitterd's id (0: send the grant each time) */
	uint32_t w, h, stride;
	char format[8]; /* "RGBA8" or "BGRA8" */
	uint64_t addr;
	uint64_t size;	 /* bytes of the grant */
	uint64_t buf_id; /* vmgr's buffer id (cl_surface_alloc), 0 if none */
} cl_surface_desc;

/* cl_comp_layer_params.set: which fields a `set` sends. 0 means the
 * Phase-0 five (x, y, alpha, z, visible). */
enum {
	CL_LP_X = 1u << 0,
	CL_LP_Y = 1u << 1,
	CL_LP_ALPHA = 1u << 2,
	CL_LP_Z = 1u << 3,
	CL_LP_VISIBLE = 1u << 4,
	CL_LP_SCALE_X = 1u << 5,
	CL_LP_SCALE_Y = 1u << 6,
	CL_LP_ROTATION = 1u << 7,
	CL_LP_BLEND = 1u << 8,
	CL_LP_PHASE0 = 0x1fu,
	CL_LP_ALL = 0x1ffu,
};

enum cl_blend {
	CL_BLEND_NORMAL,
	CL_BLEND_ADD,
	CL_BLEND_MUL,
	CL_BLEND_SCREEN,
};

typedef struct cl_comp_layer_params {
	int32_t x, y;
	double alpha; /* 0.0 .. 1.0 */
	int32_t z;
	bool visible;
	double scale_x, scale_y; /* > 0 */
	double rotation;	 /* degrees about the centre */
	enum cl_blend blend;
	uint32_t set; /* CL_LP_* (0: CL_LP_PHASE0) */
} cl_comp_layer_params;

/* One register write of a set_regs batch: "layer[<layer>].<reg>". */
typedef struct cl_reg_write {
	uint32_t layer;
	const char *reg; /* "x", "alpha", "blend", ... */
	double value;
} cl_reg_write;

const char *cl_blend_name(enum cl_blend b);
bool cl_format_ok(const char *format);

/* ---- request builders (pure) ---- */

/* {"cmd":"<cmd>","id":<id>}: destroy_layer, unbind, start, stop, unload. */
int cl_gfx_fmt_id(char *buf, size_t cap, const char *cmd, uint32_t id);
int cl_gfx_fmt_set(char *buf, size_t cap, uint32_t id,
		   const cl_comp_layer_params *p);
int cl_gfx_fmt_set_regs(char *buf, size_t cap, const cl_reg_write *w,
			uint32_t n);
/* bind_dmabuf with the grant as attached handle 0. */
int cl_gfx_fmt_bind_dmabuf(char *buf, size_t cap, uint32_t id, uint32_t w,
			   uint32_t h, const char *format, uint32_t stride);
int cl_gfx_fmt_bind_image(char *buf, size_t cap, uint32_t id, const char *path,
			  uint32_t w, uint32_t h, const char *format);
/* damage {id, rect?} (rect NULL: the whole layer). */
int cl_gfx_fmt_damage(char *buf, size_t cap, uint32_t id, const cl_rect *r);
/* load {program:<program_json>, mask:<mask_json>?}: both must be JSON
 * objects (checked: CL_ERR_ARG otherwise). */
int cl_gfx_fmt_load(char *buf, size_t cap, const char *program_json,
		    const char *mask_json);
/* load {binary:"<hex>"}: n 64-bit ops, 16 hex digits each, big-endian. */
int cl_gfx_fmt_load_binary(char *buf, size_t cap, const uint64_t *ops,
			   uint32_t n);

/* blitterd. A surface is written {"surface":id} when bound, else
 * {"fd":<*nh>,"w":..,"h":..,"format":..,"stride":..} and *nh counts the
 * handles the request attaches (the caller attaches them in order). */
int cl_gfx_fmt_rect_fill(char *buf, size_t cap, const cl_surface_desc *dst,
			 const cl_rect *r, const cl_color *c, uint32_t *nh);
int cl_gfx_fmt_rect_copy(char *buf, size_t cap, const cl_surface_desc *src,
			 const cl_surface_desc *dst, const cl_rect *sr,
			 int32_t dx, int32_t dy, uint32_t *nh);
int cl_gfx_fmt_convert(char *buf, size_t cap, const cl_surface_desc *src,
		       const cl_surface_desc *dst, uint32_t *nh);
/* surface_bind {fd:0, w, h, format, stride}. */
int cl_gfx_fmt_surface_bind(char *buf, size_t cap, const cl_surface_desc *s);

/* ---- sessions (cl_gfx_conn.c: system calls) ---- */

/* A connection to one graphics service: the public endpoint (looked up
 * by name) and the session endpoint `connect` gave (or the public one
 * again when the service answers BAD_CMD), the events subscribed and the
 * last answer. */
#define CL_GFX_EVENTS_MAX 4
struct cl_gfx_conn {
	struct cl_conn svc;
	struct cl_conn session;
	bool has_session;
	struct cl_stream events;
	uint32_t nevents;
	char event_names[CL_GFX_EVENTS_MAX][16];
	struct cl_resp resp;
};

cl_err_t cl_gfx_open(struct cl_gfx_conn *g, const char *path,
		     uint64_t deadline);
/* Looks the name up again, a new session, the same subscription. */
cl_err_t cl_gfx_reopen(struct cl_gfx_conn *g, uint64_t deadline);
void cl_gfx_close(struct cl_gfx_conn *g);
/* One request on the session (handles moved), CL_DEFAULT_TIMEOUT_NS. */
cl_err_t cl_gfx_call(struct cl_gfx_conn *g, const char *json, const handle_t *h,
		     uint32_t nh);
/* The same with a freshly formatted request (n: a cl_gfx_fmt_* result). */
cl_err_t cl_gfx_call_fmt(struct cl_gfx_conn *g, int n, const char *json,
			 const handle_t *h, uint32_t nh);
cl_err_t cl_gfx_subscribe(struct cl_gfx_conn *g, const char *const *events,
			  uint32_t n);
cl_err_t cl_gfx_next_event(struct cl_gfx_conn *g, uint64_t deadline,
			   struct cl_event *ev);
/* result.<key> of the last answer as an unsigned id (CL_ERR_PROTO). */
cl_err_t cl_gfx_result_u32(const struct cl_gfx_conn *g, const char *key,
			   uint32_t *out);

/* batch {ops:[rect_fill...]} of n rects, colour c[i], into a bound
 * surface (dst->surface != 0). A rect_fill op is 28 JSON tokens: at most
 * CL_GFX_BATCH_FILL_MAX fit the 256 tokens a ports/v0 peer parses. */
#define CL_GFX_BATCH_FILL_MAX 8
int cl_gfx_fmt_batch_fill(char *buf, size_t cap, const cl_surface_desc *dst,
			  const cl_rect *r, const cl_color *c, uint32_t n);
