/* fsd's protocol handler against the fake kernel (fsd_fake.c), part
 * two: calls in flight per connection, bulk windows, device nodes, /tmp
 * full and JSON, and 50,000 random requests from random badges, live,
 * stale and forged, with every handle accounted for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fake.h"
#include "harness.h"

TEST(fsd_srv_calls_in_flight_per_connection)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	int err;
	uint64_t f = fk_open(c, "/tmp/f", FS_O_READ | FS_O_CREATE, &err);
	uint32_t fh = fk_last_handle;
	uint64_t c2 = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch2 = fk_out.handle;
	int slots[FS_INFLIGHT_MAX];
	/* Calls on the connection and on its files count together. */
	for (uint32_t i = 0; i < FS_INFLIGHT_MAX; i++) {
		slots[i] = fsd_admit(&fk_srv, i % 2 ? f : c);
		CHECK(slots[i] >= 0);
	}
	CHECK_EQ(fsd_admit(&fk_srv, c), -FS_EAGAIN);
	CHECK_EQ(fsd_admit(&fk_srv, f), -FS_EAGAIN);
	int o = fsd_admit(&fk_srv, c2); /* another connection is not held up */
	CHECK(o >= 0);
	fsd_done(&fk_srv, o);
	CHECK_EQ(fsd_admit(&fk_srv, 0x7ull << 56), FSD_NO_SLOT);
	fsd_done(&fk_srv, FSD_NO_SLOT);
	/* The connection and its file die while calls are held: it stays
	 * until the last is done. */
	fk_gone(fh);
	fk_gone(ch);
	CHECK(fk_srv.conns[c & 0xffff].badge == c);
	for (uint32_t i = 0; i < FS_INFLIGHT_MAX; i++)
		fsd_done(&fk_srv, slots[i]);
	CHECK_EQ(fk_srv.conns[c & 0xffff].badge, 0);
	CHECK(fk_srv.st.eagain == 2);
	/* The public endpoint has its own, larger allowance. */
	int pub[FSD_PUBLIC_INFLIGHT];
	for (uint32_t i = 0; i < FSD_PUBLIC_INFLIGHT; i++)
		CHECK((pub[i] = fsd_admit(&fk_srv, FSD_BADGE_PUBLIC)) >= 0);
	CHECK_EQ(fsd_admit(&fk_srv, FSD_BADGE_PUBLIC), -FS_EAGAIN);
	for (uint32_t i = 0; i < FSD_PUBLIC_INFLIGHT; i++)
		fsd_done(&fk_srv, pub[i]);
	fk_gone(ch2);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_bulk_windows)
{
	CHECK_EQ(fk_setup(4 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	int err;
	uint64_t f = fk_open(c, "/tmp/big",
			     FS_O_READ | FS_O_WRITE | FS_O_CREATE, &err);
	uint32_t fh = fk_last_handle;
	uint64_t g = fk_open(c, "/tmp/other", FS_O_READ | FS_O_CREATE, &err);
	uint32_t gh = fk_last_handle;
	CHECK_EQ(fk_req(f, FS_BULK_SETUP, 0, 0, 0, 100, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(fk_req(f, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX + 1, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(fk_req(f, FS_BULK_SETUP, 0, 0, 0, 65536 + 1, NULL, NULL), 0);
	uint64_t slot = fk_resp.val;
	uint32_t client = fk_out.handle;
	CHECK(client != 0);
	struct fsd_bulk *b = &fk_srv.files[f & 0xffff].bulk[slot];
	CHECK_EQ(b->size, 65536 + 4096); /* whole pages */
	for (uint32_t i = 0; i < 65536; i++)
		b->addr[i] = (uint8_t)(i * 13);
	CHECK_EQ(fk_req(f, FS_WRITE, FS_IO_BULK, 0, slot, 65536, NULL, NULL),
		 0);
	CHECK_EQ(fk_resp.val, 65536);
	memset(b->addr, 0, 65536);
	CHECK_EQ(fk_req(f, FS_PREAD, FS_IO_BULK, 1000, slot, 65536, NULL, NULL),
		 0);
	CHECK_EQ(fk_resp.val, 64536);
	CHECK_EQ(fk_out.len, sizeof(fk_resp)); /* nothing inline */
	for (uint32_t i = 0; i < 64536; i++)
		CHECK_EQ(b->addr[i], (uint8_t)((i + 1000) * 13));
	/* Too long for the window; a slot of another file; no such slot. */
	CHECK_EQ(fk_req(f, FS_READ, FS_IO_BULK, 0, slot, 1 << 20, NULL, NULL),
		 -FS_EINVAL);
	CHECK_EQ(fk_req(g, FS_PREAD, FS_IO_BULK, 0, slot, 10, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(f, FS_PREAD, FS_IO_BULK, 0, 3, 10, NULL, NULL),
		 -FS_EBADF);
	CHECK_EQ(fk_req(f, FS_PREAD, FS_IO_BULK, 0, 1ull << 40, 10, NULL, NULL),
		 -FS_EBADF);
	/* Four slots per file, then EBUSY; bytes per connection bounded. */
	uint32_t more[3];
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(fk_req(f, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL,
				NULL),
			 0);
		more[i] = fk_out.handle;
	}
	CHECK_EQ(fk_req(f, FS_BULK_SETUP, 0, 0, 0, 4096, NULL, NULL),
		 -FS_EBUSY);
	CHECK_EQ(fk_req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL),
		 -FS_ENOMEM); /* 3 MiB + 68 KiB + 1 MiB > 4 MiB */
	CHECK_EQ(fk.windows, 4);
	CHECK_EQ(fk_req(f, FS_BULK_FREE, 0, 0, 1, 0, NULL, NULL), 0);
	CHECK_EQ(fk_req(f, FS_BULK_FREE, 0, 0, 1, 0, NULL, NULL), -FS_EBADF);
	CHECK_EQ(fk.windows, 3);
	CHECK_EQ(fk_req(g, FS_BULK_SETUP, 0, 0, 0, FS_BULK_MAX, NULL, NULL), 0);
	uint32_t gclient = fk_out.handle;
	fk_gone(fh); /* the file's windows go with it */
	CHECK_EQ(fk.windows, 1);
	fk_gone(gh);
	CHECK_EQ(fk.windows, 0);
	CHECK_EQ(fk_srv.bulk_total, 0);
	/* The clients' grant handles are theirs to close. */
	fk_close(NULL, client);
	fk_close(NULL, gclient);
	for (int i = 0; i < 3; i++)
		fk_close(NULL, more[i]);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_device_nodes)
{
	CHECK_EQ(fk_setup(1 << 20), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	uint64_t dc = fk_connect(FSD_BADGE_DEVPUB);
	uint32_t dch = fk_out.handle;
	fk.live[SEND0 + 1] = fk.live[SEND0 + 2] = fk.live[77] = 1;
	uint32_t h[2] = {SEND0 + 1, 0};
	CHECK_EQ(fk_req_h(c, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
			  NULL, 0, h, 1),
		 -FS_EPERM);
	CHECK_EQ(h[0], SEND0 + 1); /* not kept */
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
			  NULL, 0, NULL, 0),
		 -FS_EINVAL);
	h[0] = 77; /* not a send endpoint */
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
			  NULL, 0, h, 1),
		 -FS_EINVAL);
	fk_close(NULL, 77); /* still the caller's */
	h[0] = SEND0 + 1;
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, 0644, 0, 0, "/dev/ser", NULL, NULL,
			  0, h, 1),
		 -FS_EINVAL);
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/tmp/ser", NULL,
			  NULL, 0, h, 1),
		 -FS_EPERM);
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
			  NULL, 0, h, 1),
		 0);
	CHECK_EQ(h[0], 0); /* kept by the node */
	h[0] = SEND0 + 2;
	CHECK_EQ(fk_req_h(dc, FS_MKNOD, 0, FS_MODE_CHR, 0, 0, "/dev/ser", NULL,
			  NULL, 0, h, 1),
		 -FS_EEXIST);
	fk_close(NULL, SEND0 + 2);
	int err;
	fk_open(c, "/dev/ser", FS_O_READ | FS_O_WRITE, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(fk_resp.flags, FS_RESP_DEVICE);
	CHECK(fk_out.handle != 0 && fk_out.handle != SEND0 + 1);
	fk_close(NULL, fk_out.handle); /* the client's duplicate */
	CHECK_EQ(fk_srv.nfiles, 0);    /* not an fsd file */
	CHECK_EQ(fk_req(c, FS_UNLINK, 0, 0, 0, 0, "/dev/ser", NULL), -FS_EPERM);
	/* The driver's connection dies: its nodes go, handles closed. */
	fk_gone(dch);
	CHECK_EQ(fk.live[SEND0 + 1], 0);
	CHECK_EQ(fk_req(c, FS_STAT, 0, 0, 0, 0, "/dev/ser", NULL), -FS_ENOENT);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

TEST(fsd_srv_full_tmp_and_json)
{
	CHECK_EQ(fk_setup(32 << 10), 0);
	uint64_t c = fk_connect(FSD_BADGE_PUBLIC);
	uint32_t ch = fk_out.handle;
	int err;
	uint64_t f = fk_open(c, "/tmp/f", FS_O_WRITE | FS_O_CREATE, &err);
	uint32_t fh = fk_last_handle;
	static char blk[3000];
	memset(blk, 'z', sizeof(blk));
	int enospc = 0;
	for (int i = 0; i < 40; i++) {
		int e = fk_req_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, blk,
				 sizeof(blk), NULL, 0);
		if (e) {
			CHECK_EQ(e, -FS_ENOSPC);
			enospc++;
		}
	}
	CHECK(enospc > 20);
	CHECK(fk_srv.fs.tmp_used <= 32 << 10);
	fsd_request(&fk_srv, FSD_BADGE_PUBLIC, "{\"cmd\":\"ping\"}", 14, NULL,
		    0, &fk_out);
	fk_out.buf[fk_out.len] = 0;
	CHECK(strstr((char *)fk_out.buf, "\"ok\":true") &&
	      strstr((char *)fk_out.buf, "\"name\":\"fsd\""));
	fsd_request(&fk_srv, c, "{\"cmd\":\"status\"}", 16, NULL, 0, &fk_out);
	fk_out.buf[fk_out.len] = 0;
	CHECK(strstr((char *)fk_out.buf, "\"files\":1"));
	CHECK(strstr((char *)fk_out.buf, "\"connections\":1"));
	fsd_request(&fk_srv, c, "{\"cmd\":\"nope\"}", 14, NULL, 0, &fk_out);
	fk_out.buf[fk_out.len] = 0;
	CHECK(strstr((char *)fk_out.buf, "BAD_CMD"));
	fsd_request(&fk_srv, c, "{bad", 4, NULL, 0, &fk_out);
	fk_out.buf[fk_out.len] = 0;
	CHECK(strstr((char *)fk_out.buf, "BAD_JSON"));
	fk_gone(fh);
	fk_gone(ch);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}

/* Random requests (ops, flags, fields, paths, lengths) from random
 * badges, live and stale: the answer is always a well-formed error or
 * success, and every handle comes back. */
TEST(fsd_srv_random_requests)
{
	CHECK_EQ(fk_setup(256 << 10), 0);
	static const char *const paths[] = {
		"/",	 "/tmp",    "/tmp/a", "/tmp/a/b", "/tmp/b", "/dev/x",
		"/boot", "/tmp/..", "//",     "/tmp/a/",  "x",	    ""};
	uint64_t badges[64];
	uint32_t hof[64];
	int nb = 0;
	unsigned seed = 99;
	static uint8_t data[3000];
	for (int step = 0; step < 50000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;
		if (nb < 2 || r % 40 == 0) {
			uint64_t pub =
				r % 3 ? FSD_BADGE_PUBLIC : FSD_BADGE_DEVPUB;
			if (fk_req(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0,
				   NULL, NULL) == 0 &&
			    nb < 64) {
				badges[nb] = fk_resp.val;
				hof[nb++] = fk_out.handle;
			} else if (fk_out.handle) {
				fk_close(NULL, fk_out.handle);
			}
			continue;
		}
		if (r % 23 == 0 && nb) { /* a handle goes: its notice */
			int i = (int)((r >> 5) % (unsigned)nb);
			fk_gone(hof[i]);
			badges[i] = badges[--nb];
			hof[i] = hof[nb];
			continue;
		}
		uint64_t badge = badges[(r >> 4) % (unsigned)nb];
		if (r % 17 == 0)
			badge ^= 1ull << ((r >> 3) % 64); /* stale or forged */
		seed = seed * 1103515245u + 12345u;
		uint32_t op = (seed >> 8) % 34;
		uint32_t flags = (seed >> 4) % 5 ? (seed >> 12) % 0x80 : seed;
		uint64_t a = (seed >> 3) % 5 ? (seed >> 10) % 20000 : ~0ull;
		uint64_t b = (seed >> 7) % 4 ? (seed >> 9) % 4 : seed;
		uint64_t c = (seed >> 11) % 6000;
		const char *p1 = paths[(seed >> 13) % 12];
		const char *p2 = paths[(seed >> 17) % 12];
		uint32_t dl = (seed >> 19) % 5 ? (seed >> 14) % 3000 : 0;
		uint32_t hs[2] = {0, 0};
		uint32_t nh = op == FS_MKNOD ? 1 : 0;
		if (nh) {
			hs[0] = fk_new_handle();
			if (r & 1) { /* a "send endpoint" */
				fk.live[hs[0]] = 0;
				hs[0] = SEND0 + (uint32_t)(r % 1000);
				if (fk.live[hs[0]])
					nh = 0;
				else
					fk.live[hs[0]] = 1;
			}
		}
		int e = fk_req_h(badge, op, flags, a, b, c, p1, p2, data, dl,
				 hs, nh);
		CHECK(e <= 0 && e > -200);
		if (fk_out.handle) {
			/* Opens hand out endpoints the client keeps or drops.
			 */
			if (op == FS_OPEN &&
			    !(fk_resp.flags & FS_RESP_DEVICE) && nb < 64 &&
			    (r & 2)) {
				badges[nb] = fk_resp.val;
				hof[nb++] = fk_out.handle;
			} else if (op == FS_OPEN &&
				   !(fk_resp.flags & FS_RESP_DEVICE)) {
				fk_gone(fk_out.handle);
			} else {
				fk_close(NULL, fk_out.handle);
			}
		}
		for (uint32_t i = 0; i < nh; i++)
			if (hs[i])
				fk_close(NULL, hs[i]);
	}
	while (nb)
		fk_gone(hof[--nb]);
	CHECK_EQ(fk_srv.nfiles, 0);
	CHECK_EQ(fk.windows, 0);
	fk_teardown();
	CHECK_EQ(fk_open_handles(), 0);
}
