/* virtio-gpu command building and answer checks (drivers/virtio-gpu/
 * vgpu_cmd.c): layouts from the virtio specification, offsets of damage
 * transfers, hostile answers. */
#include "harness.h"
#include "vgpu_cmd.h"

#include <stddef.h>

TEST(vgpu_commands_have_the_spec_layout)
{
	_Alignas(8) uint8_t b[VGPU_REQ_MAX];
	CHECK_EQ(vgpu_cmd_simple(b, VGPU_CMD_GET_DISPLAY_INFO), 24);
	CHECK_EQ(((struct vgpu_hdr *)(void *)b)->type, 0x100);
	CHECK_EQ(vgpu_cmd_create_2d(b, 7, 640, 480), 40);
	struct vgpu_create_2d *c = (void *)b;
	CHECK(c->resource_id == 7 && c->format == 2 && c->width == 640 &&
	      c->height == 480);
	CHECK_EQ(vgpu_cmd_set_scanout(b, 0, 7, 640, 480), 48);
	CHECK_EQ(vgpu_cmd_flush(b, 7, &(struct disp_rect){1, 2, 3, 4}), 48);
	struct vgpu_flush *f = (void *)b;
	CHECK(f->r.x == 1 && f->r.y == 2 && f->r.width == 3 &&
	      f->r.height == 4 && f->resource_id == 7);
	CHECK_EQ(vgpu_cmd_get_edid(b, 0), 32);
	CHECK_EQ(vgpu_cmd_unref(b, 7), 32);
	CHECK_EQ(vgpu_cmd_detach(b, 7), 32);
	CHECK_EQ(((struct vgpu_hdr *)(void *)b)->type, 0x107);
}

TEST(vgpu_transfer_offset_is_the_rectangles_first_pixel)
{
	_Alignas(8) uint8_t b[VGPU_REQ_MAX];
	CHECK_EQ(vgpu_cmd_transfer(b, 3, 5120,
				   &(struct disp_rect){100, 20, 8, 9}),
		 56);
	struct vgpu_transfer *t = (void *)b;
	CHECK_EQ(t->offset, 20ull * 5120 + 100 * 4);
	CHECK(t->r.x == 100 && t->r.y == 20 && t->r.width == 8 &&
	      t->r.height == 9 && t->resource_id == 3);
}

TEST(vgpu_attach_lists_every_chunk)
{
	_Alignas(8) uint8_t b[VGPU_REQ_MAX];
	uint64_t addr[3] = {0x100000, 0x800000, 0x2000000};
	uint64_t len[3] = {4u << 20, 4u << 20, 8192};
	CHECK_EQ(vgpu_cmd_attach(b, 9, addr, len, 3), 32 + 3 * 16);
	struct vgpu_attach *a = (void *)b;
	CHECK(a->resource_id == 9 && a->nr_entries == 3);
	CHECK(a->e[1].addr == 0x800000 && a->e[2].length == 8192);
	CHECK_EQ(offsetof(struct vgpu_attach, e), 32);
}

TEST(vgpu_answers_are_checked)
{
	static struct vgpu_display_info d;
	uint32_t w = 0, h = 0;
	memset(&d, 0, sizeof(d));
	d.hdr.type = VGPU_RESP_OK_DISPLAY_INFO;
	d.pmodes[0].enabled = 1;
	d.pmodes[0].r.width = 1280;
	d.pmodes[0].r.height = 800;
	CHECK_EQ(vgpu_display_size(&d, sizeof(d), 0, &w, &h), 0);
	CHECK(w == 1280 && h == 800);
	CHECK_EQ(vgpu_display_size(&d, sizeof(d) - 1, 0, &w, &h), -1);
	CHECK_EQ(vgpu_display_size(&d, sizeof(d), 1, &w, &h), -1);
	CHECK_EQ(vgpu_display_size(&d, sizeof(d), 16, &w, &h), -1);
	d.pmodes[0].r.width = 100000;
	CHECK_EQ(vgpu_display_size(&d, sizeof(d), 0, &w, &h), -1);
	CHECK_EQ(vgpu_resp_type(&d, 23), 0);
	static struct vgpu_resp_edid e;
	e.hdr.type = VGPU_RESP_OK_EDID;
	e.size = 256;
	uint32_t size = 0;
	CHECK(vgpu_edid_bytes(&e, 32 + 256, &size) == e.edid && size == 256);
	CHECK(vgpu_edid_bytes(&e, 32 + 255, &size) == NULL);
	e.size = 2000;
	CHECK(vgpu_edid_bytes(&e, sizeof(e), &size) == NULL);
	e.hdr.type = VGPU_RESP_ERR_UNSPEC;
	e.size = 128;
	CHECK(vgpu_edid_bytes(&e, sizeof(e), &size) == NULL);
}
