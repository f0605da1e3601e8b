/* virtio-gpu 2D commands (virtio 1.x spec, "GPU Device"): the wire
 * structures written from the specification, and pure builders/checkers
 * for them. Host-tested (tests/host/test_display_vgpu.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/display_proto.h>

#define VIRTIO_GPU_F_EDID 1 /* feature bit */

enum vgpu_type {
	VGPU_CMD_GET_DISPLAY_INFO = 0x0100,
	VGPU_CMD_RESOURCE_CREATE_2D = 0x0101,
	VGPU_CMD_RESOURCE_UNREF = 0x0102,
	VGPU_CMD_SET_SCANOUT = 0x0103,
	VGPU_CMD_RESOURCE_FLUSH = 0x0104,
	VGPU_CMD_TRANSFER_TO_HOST_2D = 0x0105,
	VGPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106,
	VGPU_CMD_RESOURCE_DETACH_BACKING = 0x0107,
	VGPU_CMD_GET_EDID = 0x010a,
	VGPU_RESP_OK_NODATA = 0x1100,
	VGPU_RESP_OK_DISPLAY_INFO = 0x1101,
	VGPU_RESP_OK_EDID = 0x1104,
	VGPU_RESP_ERR_UNSPEC = 0x1200,
};

#define VGPU_FORMAT_B8G8R8X8 2 /* = DISP_FMT_XRGB8888 in memory */
#define VGPU_MAX_SCANOUTS    16
#define VGPU_BACKING_MAX     DISP_CHUNKS_MAX

struct vgpu_hdr {
	uint32_t type;
	uint32_t flags;
	uint64_t fence_id;
	uint32_t ctx_id;
	uint8_t ring_idx;
	uint8_t padding[3];
};
_Static_assert(sizeof(struct vgpu_hdr) == 24, "virtio_gpu_ctrl_hdr");

struct vgpu_rect {
	uint32_t x, y, width, height;
};

struct vgpu_display_info {
	struct vgpu_hdr hdr;
	struct {
		struct vgpu_rect r;
		uint32_t enabled;
		uint32_t flags;
	} pmodes[VGPU_MAX_SCANOUTS];
};
_Static_assert(sizeof(struct vgpu_display_info) == 408, "display info");

struct vgpu_get_edid {
	struct vgpu_hdr hdr;
	uint32_t scanout;
	uint32_t padding;
};

struct vgpu_resp_edid {
	struct vgpu_hdr hdr;
	uint32_t size;
	uint32_t padding;
	uint8_t edid[1024];
};

struct vgpu_create_2d {
	struct vgpu_hdr hdr;
	uint32_t resource_id, format, width, height;
};

struct vgpu_unref {
	struct vgpu_hdr hdr;
	uint32_t resource_id, padding;
};

struct vgpu_set_scanout {
	struct vgpu_hdr hdr;
	struct vgpu_rect r;
	uint32_t scanout_id, resource_id;
};

struct vgpu_flush {
	struct vgpu_hdr hdr;
	struct vgpu_rect r;
	uint32_t resource_id, padding;
};

struct vgpu_transfer {
	struct vgpu_hdr hdr;
	struct vgpu_rect r;
	uint64_t offset;
	uint32_t resource_id, padding;
};
_Static_assert(sizeof(struct vgpu_transfer) == 56, "transfer_to_host_2d");

struct vgpu_mem_entry {
	uint64_t addr;
	uint32_t length, padding;
};

struct vgpu_attach {
	struct vgpu_hdr hdr;
	uint32_t resource_id, nr_entries;
	struct vgpu_mem_entry e[VGPU_BACKING_MAX];
};

/* A request: the bytes to send (at most VGPU_REQ_MAX). */
#define VGPU_REQ_MAX 128u

/* Builders: fill buf (VGPU_REQ_MAX bytes), return the length. */
uint32_t vgpu_cmd_simple(void *buf, uint32_t type);
uint32_t vgpu_cmd_get_edid(void *buf, uint32_t scanout);
uint32_t vgpu_cmd_create_2d(void *buf, uint32_t id, uint32_t w, uint32_t h);
uint32_t vgpu_cmd_unref(void *buf, uint32_t id);
uint32_t vgpu_cmd_detach(void *buf, uint32_t id);
uint32_t vgpu_cmd_attach(void *buf, uint32_t id, const uint64_t *addr,
			 const uint64_t *len, uint32_t n);
uint32_t vgpu_cmd_set_scanout(void *buf, uint32_t scanout, uint32_t id,
			      uint32_t w, uint32_t h);
/* Transfer/flush of rectangle r (clipped) of a resource whose backing
 * has rows of stride bytes. */
uint32_t vgpu_cmd_transfer(void *buf, uint32_t id, uint32_t stride,
			   const struct disp_rect *r);
uint32_t vgpu_cmd_flush(void *buf, uint32_t id, const struct disp_rect *r);

/* The answer's type when it is at least a header long, else 0. */
uint32_t vgpu_resp_type(const void *resp, uint32_t len);
/* Scanout s of a GET_DISPLAY_INFO answer: 0 and its size when the answer
 * is well-formed and the scanout enabled, else -1. */
int vgpu_display_size(const void *resp, uint32_t len, uint32_t s, uint32_t *w,
		      uint32_t *h);
/* The EDID bytes of a GET_EDID answer (NULL when malformed). */
const uint8_t *vgpu_edid_bytes(const void *resp, uint32_t len, uint32_t *size);
