/* virtio-gpu commands (vgpu_cmd.h). */
#include "vgpu_cmd.h"

#include <string.h>

static void hdr(void *buf, uint32_t type, size_t size)
{
	memset(buf, 0, size);
	((struct vgpu_hdr *)buf)->type = type;
}

uint32_t vgpu_cmd_simple(void *buf, uint32_t type)
{
	hdr(buf, type, sizeof(struct vgpu_hdr));
	return sizeof(struct vgpu_hdr);
}

uint32_t vgpu_cmd_get_edid(void *buf, uint32_t scanout)
{
	struct vgpu_get_edid *c = buf;
	hdr(c, VGPU_CMD_GET_EDID, sizeof(*c));
	c->scanout = scanout;
	return sizeof(*c);
}

uint32_t vgpu_cmd_create_2d(void *buf, uint32_t id, uint32_t w, uint32_t h)
{
	struct vgpu_create_2d *c = buf;
	hdr(c, VGPU_CMD_RESOURCE_CREATE_2D, sizeof(*c));
	c->resource_id = id;
	c->format = VGPU_FORMAT_B8G8R8X8;
	c->width = w;
	c->height = h;
	return sizeof(*c);
}

uint32_t vgpu_cmd_unref(void *buf, uint32_t id)
{
	struct vgpu_unref *c = buf;
	hdr(c, VGPU_CMD_RESOURCE_UNREF, sizeof(*c));
	c->resource_id = id;
	return sizeof(*c);
}

uint32_t vgpu_cmd_detach(void *buf, uint32_t id)
{
	struct vgpu_unref *c = buf; /* the same layout */
	hdr(c, VGPU_CMD_RESOURCE_DETACH_BACKING, sizeof(*c));
	c->resource_id = id;
	return sizeof(*c);
}

uint32_t vgpu_cmd_attach(void *buf, uint32_t id, const uint64_t *addr,
			 const uint64_t *len, uint32_t n)
{
	struct vgpu_attach *c = buf;
	if (n > VGPU_BACKING_MAX)
		n = VGPU_BACKING_MAX;
	hdr(c, VGPU_CMD_RESOURCE_ATTACH_BACKING, sizeof(*c));
	c->resource_id = id;
	c->nr_entries = n;
	for (uint32_t i = 0; i < n; i++)
		c->e[i] = (struct vgpu_mem_entry){addr[i], (uint32_t)len[i], 0};
	return (uint32_t)(offsetof(struct vgpu_attach, e) +
			  n * sizeof(struct vgpu_mem_entry));
}

uint32_t vgpu_cmd_set_scanout(void *buf, uint32_t scanout, uint32_t id,
			      uint32_t w, uint32_t h)
{
	struct vgpu_set_scanout *c = buf;
	hdr(c, VGPU_CMD_SET_SCANOUT, sizeof(*c));
	c->r = (struct vgpu_rect){0, 0, w, h};
	c->scanout_id = scanout;
	c->resource_id = id;
	return sizeof(*c);
}

static struct vgpu_rect rect(const struct disp_rect *r)
{
	return (struct vgpu_rect){(uint32_t)(r->x < 0 ? 0 : r->x),
				  (uint32_t)(r->y < 0 ? 0 : r->y), r->w, r->h};
}

uint32_t vgpu_cmd_transfer(void *buf, uint32_t id, uint32_t stride,
			   const struct disp_rect *r)
{
	struct vgpu_transfer *c = buf;
	hdr(c, VGPU_CMD_TRANSFER_TO_HOST_2D, sizeof(*c));
	c->r = rect(r);
	/* Where the rectangle's first pixel is in the backing. */
	c->offset = (uint64_t)c->r.y * stride + (uint64_t)c->r.x * 4;
	c->resource_id = id;
	return sizeof(*c);
}

uint32_t vgpu_cmd_flush(void *buf, uint32_t id, const struct disp_rect *r)
{
	struct vgpu_flush *c = buf;
	hdr(c, VGPU_CMD_RESOURCE_FLUSH, sizeof(*c));
	c->r = rect(r);
	c->resource_id = id;
	return sizeof(*c);
}

uint32_t vgpu_resp_type(const void *resp, uint32_t len)
{
	if (len < sizeof(struct vgpu_hdr))
		return 0;
	return ((const struct vgpu_hdr *)resp)->type;
}

int vgpu_display_size(const void *resp, uint32_t len, uint32_t s, uint32_t *w,
		      uint32_t *h)
{
	const struct vgpu_display_info *d = resp;
	if (len < sizeof(*d) || s >= VGPU_MAX_SCANOUTS ||
	    d->hdr.type != VGPU_RESP_OK_DISPLAY_INFO || !d->pmodes[s].enabled)
		return -1;
	uint32_t dw = d->pmodes[s].r.width, dh = d->pmodes[s].r.height;
	if (!dw || !dh || dw > DISP_DIM_MAX || dh > DISP_DIM_MAX)
		return -1;
	*w = dw;
	*h = dh;
	return 0;
}

const uint8_t *vgpu_edid_bytes(const void *resp, uint32_t len, uint32_t *size)
{
	const struct vgpu_resp_edid *e = resp;
	if (len < offsetof(struct vgpu_resp_edid, edid) ||
	    e->hdr.type != VGPU_RESP_OK_EDID || e->size > sizeof(e->edid) ||
	    offsetof(struct vgpu_resp_edid, edid) + e->size > len)
		return NULL;
	*size = e->size;
	return e->edid;
}
