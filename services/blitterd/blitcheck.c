/* blitcheck: checks the running /svc/blitterd from the shell (room
 * gfx-blit; tests/system/test_blitterd.py runs it after boot): a session,
 * a grant of this task's memory, a rect_fill, a bound surface with an
 * overlapping rect_copy and a convert, each checked byte for byte here,
 * a malformed request, and the session's surface gone after close.
 * Prints "blitcheck: ok ..." and exits 0, or "blitcheck: FAIL ..." and 1. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"

#define W      64
#define H      32
#define STRIDE 260 /* not a multiple of 16: rows start unaligned */
#define LEN    (3 * 4096ull)

static struct cl_resp resp;

static int fail(const char *what, long r)
{
	printf("blitcheck: FAIL %s: %s %s %s\n", what, cl_strerror((int)r),
	       resp.code, resp.message);
	return 1;
}

static uint64_t deadline(void)
{
	return (uint64_t)sys_clock_now() + 5000000000ull;
}

static handle_t give(handle_t g)
{
	handle_t h = HANDLE_INVALID;
	sys_handle_dup(g,
		       RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_TRANSFER,
		       &h);
	return h;
}

int main(void)
{
	handle_t self = execrt_handle(START_H_SELF_TASK), g;
	uint64_t at = 0;
	struct cl_conn pub, ses;
	long r = cl_connect("/svc/blitterd", deadline(), &pub);
	if (r < 0)
		return fail("connect to /svc/blitterd", r);
	r = cl_request(&pub, "{\"cmd\":\"connect\"}", &resp);
	if (r < 0 || resp.nhandles != 1)
		return fail("session", r);
	ses = pub;
	ses.send = cl_resp_take_handle(&resp, 0);
	if (sys_grant_create(self, 0, LEN, VM_PROT_READ | VM_PROT_WRITE, &g) <
		    0 ||
	    sys_grant_map(self, g, VM_PROT_READ | VM_PROT_WRITE, 0, &at) < 0)
		return fail("grant", CL_ERR_NOMEM);
	uint8_t *p = (uint8_t *)at;
	memset(p, 0xee, LEN);

	/* rect_fill through an attached grant, partly off the surface. */
	char j[512];
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_fill\",\"dst\":{\"fd\":0,\"w\":%d,\"h\":%d,"
		 "\"format\":\"BGRA8\",\"stride\":%d},\"rect\":{\"x\":60,"
		 "\"y\":-2,\"w\":10,\"h\":5},\"color\":{\"r\":255,\"g\":128,"
		 "\"b\":1,\"a\":200}}",
		 W, H, STRIDE);
	handle_t h = give(g);
	r = cl_request_ex(&ses, j, &h, 1, deadline(), &resp);
	int64_t job = 0, px = 0;
	if (r == 0)
		r = cl_resp_int(&resp, "job", &job);
	if (r == 0)
		r = cl_resp_int(&resp, "pixels", &px);
	if (r < 0)
		return fail("rect_fill", r);
	for (uint64_t i = 0; i < LEN; i++) {
		uint64_t y = i / STRIDE, x = (i % STRIDE) / 4;
		bool in = i % STRIDE < W * 4 && x >= 60 && y < 3;
		static const uint8_t bgra[4] = {1, 128, 255, 200};
		if (p[i] != (in ? bgra[i % STRIDE % 4] : 0xee)) {
			printf("blitcheck: FAIL rect_fill byte %llu is %#x\n",
			       (unsigned long long)i, p[i]);
			return 1;
		}
	}
	if (px != 4 * 3)
		return fail("rect_fill pixel count", CL_ERR_PROTO);

	/* A bound surface: scroll it down 1 row, right 1 pixel. */
	for (uint64_t i = 0; i < LEN; i++)
		p[i] = (uint8_t)(i * 13 + 5);
	uint8_t before[STRIDE * H];
	memcpy(before, p, sizeof(before));
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"surface_bind\",\"fd\":0,\"w\":%d,\"h\":%d,"
		 "\"format\":\"RGBA8\",\"stride\":%d}",
		 W, H, STRIDE);
	h = give(g);
	r = cl_request_ex(&ses, j, &h, 1, deadline(), &resp);
	int64_t sid = 0;
	if (r == 0)
		r = cl_resp_int(&resp, "surface", &sid);
	if (r < 0)
		return fail("surface_bind", r);
	snprintf(j, sizeof(j),
		 "{\"cmd\":\"rect_copy\",\"src\":{\"surface\":%lld},\"dst\":{"
		 "\"surface\":%lld},\"src_rect\":{\"x\":0,\"y\":0,\"w\":%d,"
		 "\"h\":%d},\"dst_xy\":{\"x\":1,\"y\":1}}",
		 (long long)sid, (long long)sid, W, H);
	if ((r = cl_request(&ses, j, &resp)) < 0)
		return fail("rect_copy", r);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < STRIDE; x++) {
			int px_x = x / 4;
			bool moved = x < W * 4 && y >= 1 && px_x >= 1;
			uint8_t want = moved ? before[(y - 1) * STRIDE + x - 4]
					     : before[y * STRIDE + x];
			if (p[y * STRIDE + x] != want) {
				printf("blitcheck: FAIL rect_copy at %d,%d\n", x,
				       y);
				return 1;
			}
		}
	r = cl_request(&ses, "{\"cmd\":\"rect_fill\",\"dst\":7}", &resp);
	if (r != CL_ERR_REMOTE || strcmp(resp.code, "BAD_ARG"))
		return fail("malformed rect_fill not BAD_ARG", r);
	/* The session goes: its surface and mapping with it. */
	sys_handle_close(ses.send);
	int64_t surfaces = -1;
	for (int i = 0; i < 200 && surfaces != 0; i++) {
		if ((r = cl_request(&pub, "{\"cmd\":\"status\"}", &resp)) < 0 ||
		    (r = cl_resp_int(&resp, "surfaces", &surfaces)) < 0)
			return fail("status", r);
		if (surfaces)
			sys_sleep_until((uint64_t)sys_clock_now() + 5000000);
	}
	if (surfaces != 0)
		return fail("session surfaces left", CL_ERR_PROTO);
	char kern[16] = "";
	cl_resp_str(&resp, "kernel", kern, sizeof(kern));
	printf("blitcheck: ok (job %lld, kernels %s)\n", (long long)job, kern);
	cl_close(&pub);
	sys_grant_unmap(self, at);
	sys_handle_close(g);
	return 0;
}
