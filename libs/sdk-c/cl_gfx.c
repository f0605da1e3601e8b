/* cl_gfx: request builders of the graphics clients (see cl_gfx.h). Pure:
 * no system calls. Doubles are written with %.9g (alpha, scale, rotation
 * need no more); NaN and infinities are refused, not sent. */
#include "cl_gfx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* A small appender: the first error sticks. */
struct gb {
	char *b;
	size_t cap, len;
	int err;
};

static void gb_init(struct gb *g, char *buf, size_t cap)
{
	g->b = buf;
	g->cap = cap;
	g->len = 0;
	g->err = (!buf || !cap) ? CL_ERR_ARG : 0;
	if (!g->err)
		buf[0] = 0;
}

static void gb_fmt(struct gb *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void gb_fmt(struct gb *g, const char *fmt, ...)
{
	if (g->err)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(g->b + g->len, g->cap - g->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= g->cap - g->len) {
		g->err = CL_ERR_SPACE;
		g->b[g->len] = 0;
		return;
	}
	g->len += (size_t)n;
}

/* A JSON string with the escapes JSON needs. */
static void gb_str(struct gb *g, const char *s)
{
	gb_fmt(g, "\"");
	for (; s && *s && !g->err; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			gb_fmt(g, "\\%c", c);
		else if (c < 0x20)
			gb_fmt(g, "\\u%04x", c);
		else
			gb_fmt(g, "%c", c);
	}
	gb_fmt(g, "\"");
}

static void gb_double(struct gb *g, double v)
{
	if (!__builtin_isfinite(v)) {
		if (!g->err)
			g->err = CL_ERR_ARG;
		return;
	}
	gb_fmt(g, "%.9g", v);
}

static int gb_done(struct gb *g)
{
	return g->err ? g->err : (int)g->len;
}

const char *cl_blend_name(enum cl_blend b)
{
	static const char *const names[] = {"normal", "add", "mul", "screen"};
	return (unsigned)b < 4 ? names[b] : NULL;
}

bool cl_format_ok(const char *format)
{
	return format && (!strcmp(format, "RGBA8") || !strcmp(format, "BGRA8"));
}

int cl_gfx_fmt_id(char *buf, size_t cap, const char *cmd, uint32_t id)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!cmd)
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":");
	gb_str(&g, cmd);
	gb_fmt(&g, ",\"id\":%u}", id);
	return gb_done(&g);
}

int cl_gfx_fmt_set(char *buf, size_t cap, uint32_t id,
		   const cl_comp_layer_params *p)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!p || (p->set & ~(uint32_t)CL_LP_ALL))
		return CL_ERR_ARG;
	uint32_t s = p->set ? p->set : CL_LP_PHASE0;
	gb_fmt(&g, "{\"cmd\":\"set\",\"id\":%u", id);
	if (s & CL_LP_X)
		gb_fmt(&g, ",\"x\":%d", (int)p->x);
	if (s & CL_LP_Y)
		gb_fmt(&g, ",\"y\":%d", (int)p->y);
	if (s & CL_LP_ALPHA) {
		gb_fmt(&g, ",\"alpha\":");
		gb_double(&g, p->alpha);
	}
	if (s & CL_LP_Z)
		gb_fmt(&g, ",\"z\":%d", (int)p->z);
	if (s & CL_LP_VISIBLE)
		gb_fmt(&g, ",\"visible\":%s", p->visible ? "true" : "false");
	if (s & CL_LP_SCALE_X) {
		gb_fmt(&g, ",\"scale_x\":");
		gb_double(&g, p->scale_x);
	}
	if (s & CL_LP_SCALE_Y) {
		gb_fmt(&g, ",\"scale_y\":");
		gb_double(&g, p->scale_y);
	}
	if (s & CL_LP_ROTATION) {
		gb_fmt(&g, ",\"rotation\":");
		gb_double(&g, p->rotation);
	}
	if (s & CL_LP_BLEND) {
		const char *b = cl_blend_name(p->blend);
		if (!b)
			return CL_ERR_ARG;
		gb_fmt(&g, ",\"blend\":\"%s\"", b);
	}
	gb_fmt(&g, "}");
	return gb_done(&g);
}

static bool reg_name_ok(const char *r)
{
	if (!r || !*r)
		return false;
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || *r == '_'))
			return false;
	return true;
}

int cl_gfx_fmt_set_regs(char *buf, size_t cap, const cl_reg_write *w,
			uint32_t n)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if ((!w && n) || !n)
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":\"set_regs\",\"regs\":{");
	for (uint32_t i = 0; i < n; i++) {
		if (!reg_name_ok(w[i].reg))
			return CL_ERR_ARG;
		gb_fmt(&g, "%s\"layer[%u].%s\":", i ? "," : "", w[i].layer,
		       w[i].reg);
		gb_double(&g, w[i].value);
	}
	gb_fmt(&g, "}}");
	return gb_done(&g);
}

int cl_gfx_fmt_bind_dmabuf(char *buf, size_t cap, uint32_t id, uint32_t w,
			   uint32_t h, const char *format, uint32_t stride)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!cl_format_ok(format))
		return CL_ERR_ARG;
	gb_fmt(&g,
	       "{\"cmd\":\"bind_dmabuf\",\"id\":%u,\"fd\":0,\"w\":%u,\"h\":%u,"
	       "\"format\":\"%s\",\"stride\":%u,\"modifier\":0}",
	       id, w, h, format, stride);
	return gb_done(&g);
}

int cl_gfx_fmt_bind_image(char *buf, size_t cap, uint32_t id, const char *path,
			  uint32_t w, uint32_t h, const char *format)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!path || !*path || !cl_format_ok(format))
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":\"bind_image\",\"id\":%u,\"path\":", id);
	gb_str(&g, path);
	gb_fmt(&g, ",\"w\":%u,\"h\":%u,\"format\":\"%s\"}", w, h, format);
	return gb_done(&g);
}

static void gb_rect(struct gb *g, const char *key, const cl_rect *r)
{
	gb_fmt(g, "\"%s\":{\"x\":%d,\"y\":%d,\"w\":%u,\"h\":%u}", key,
	       (int)r->x, (int)r->y, r->w, r->h);
}

int cl_gfx_fmt_damage(char *buf, size_t cap, uint32_t id, const cl_rect *r)
{
	struct gb g;
	gb_init(&g, buf, cap);
	gb_fmt(&g, "{\"cmd\":\"damage\",\"id\":%u", id);
	if (r) {
		gb_fmt(&g, ",");
		gb_rect(&g, "rect", r);
	}
	gb_fmt(&g, "}");
	return gb_done(&g);
}

/* Whether s is one JSON object (so it can be pasted into a request). */
static bool is_object(const char *s)
{
	static struct json_doc d; /* large; callers are single-threaded */
	return s && json_parse(&d, s, strlen(s)) == 0 &&
	       json_type_of(&d, 0) == JSON_OBJECT;
}

int cl_gfx_fmt_load(char *buf, size_t cap, const char *program_json,
		    const char *mask_json)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!is_object(program_json) || (mask_json && !is_object(mask_json)))
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":\"load\",\"program\":%s", program_json);
	if (mask_json)
		gb_fmt(&g, ",\"mask\":%s", mask_json);
	gb_fmt(&g, "}");
	return gb_done(&g);
}

int cl_gfx_fmt_load_binary(char *buf, size_t cap, const uint64_t *ops,
			   uint32_t n)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!ops || !n)
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":\"load\",\"binary\":\"");
	for (uint32_t i = 0; i < n; i++)
		gb_fmt(&g, "%016llx", (unsigned long long)ops[i]);
	gb_fmt(&g, "\"}");
	return gb_done(&g);
}

/* A surface argument; *nh counts attached grants. */
static void gb_surface(struct gb *g, const char *key, const cl_surface_desc *s,
		       uint32_t *nh)
{
	if (s->surface) {
		gb_fmt(g, "\"%s\":{\"surface\":%u}", key, s->surface);
		return;
	}
	if (!cl_format_ok(s->format) || !s->grant) {
		if (!g->err)
			g->err = CL_ERR_ARG;
		return;
	}
	gb_fmt(g,
	       "\"%s\":{\"fd\":%u,\"w\":%u,\"h\":%u,\"format\":\"%s\","
	       "\"stride\":%u}",
	       key, *nh, s->w, s->h, s->format, s->stride);
	(*nh)++;
}

int cl_gfx_fmt_rect_fill(char *buf, size_t cap, const cl_surface_desc *dst,
			 const cl_rect *r, const cl_color *c, uint32_t *nh)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!dst || !r || !c || !nh)
		return CL_ERR_ARG;
	*nh = 0;
	gb_fmt(&g, "{\"cmd\":\"rect_fill\",");
	gb_surface(&g, "dst", dst, nh);
	gb_fmt(&g, ",");
	gb_rect(&g, "rect", r);
	gb_fmt(&g, ",\"color\":{\"r\":%u,\"g\":%u,\"b\":%u,\"a\":%u}}", c->r,
	       c->g, c->b, c->a);
	return gb_done(&g);
}

int cl_gfx_fmt_rect_copy(char *buf, size_t cap, const cl_surface_desc *src,
			 const cl_surface_desc *dst, const cl_rect *sr,
			 int32_t dx, int32_t dy, uint32_t *nh)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!src || !dst || !sr || !nh)
		return CL_ERR_ARG;
	*nh = 0;
	gb_fmt(&g, "{\"cmd\":\"rect_copy\",");
	gb_surface(&g, "src", src, nh);
	gb_fmt(&g, ",");
	gb_surface(&g, "dst", dst, nh);
	gb_fmt(&g, ",");
	gb_rect(&g, "src_rect", sr);
	gb_fmt(&g, ",\"dst_xy\":{\"x\":%d,\"y\":%d}}", (int)dx, (int)dy);
	return gb_done(&g);
}

int cl_gfx_fmt_convert(char *buf, size_t cap, const cl_surface_desc *src,
		       const cl_surface_desc *dst, uint32_t *nh)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!src || !dst || !nh)
		return CL_ERR_ARG;
	*nh = 0;
	gb_fmt(&g, "{\"cmd\":\"convert\",");
	gb_surface(&g, "src", src, nh);
	gb_fmt(&g, ",");
	gb_surface(&g, "dst", dst, nh);
	gb_fmt(&g, "}");
	return gb_done(&g);
}

int cl_gfx_fmt_surface_bind(char *buf, size_t cap, const cl_surface_desc *s)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!s || !cl_format_ok(s->format))
		return CL_ERR_ARG;
	gb_fmt(&g,
	       "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":%u,\"h\":%u,"
	       "\"format\":\"%s\",\"stride\":%u}",
	       s->w, s->h, s->format, s->stride);
	return gb_done(&g);
}

int cl_gfx_fmt_batch_fill(char *buf, size_t cap, const cl_surface_desc *dst,
			  const cl_rect *r, const cl_color *c, uint32_t n)
{
	struct gb g;
	gb_init(&g, buf, cap);
	if (!dst || !dst->surface || !r || !c || !n ||
	    n > CL_GFX_BATCH_FILL_MAX)
		return CL_ERR_ARG;
	gb_fmt(&g, "{\"cmd\":\"batch\",\"ops\":[");
	for (uint32_t i = 0; i < n; i++) {
		gb_fmt(&g, "%s{\"op\":\"rect_fill\",\"dst\":{\"surface\":%u},",
		       i ? "," : "", dst->surface);
		gb_rect(&g, "rect", &r[i]);
		gb_fmt(&g, ",\"color\":{\"r\":%u,\"g\":%u,\"b\":%u,\"a\":%u}}",
		       c[i].r, c[i].g, c[i].b, c[i].a);
	}
	gb_fmt(&g, "]}");
	return gb_done(&g);
}
