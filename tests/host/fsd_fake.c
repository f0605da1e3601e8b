/* The fake kernel and client of the fsd protocol-handler tests
 * (test_fsd_srv.c, test_fsd_proto.c): handle values are tracked (a close
 * of one not held aborts), endpoints remember their badges, bulk windows
 * are plain memory. */
#include <stdlib.h>
#include <string.h>

#include "fsd_fake.h"

struct fk_kernel fk;

struct fsd_srv fk_srv;
struct fsd_out fk_out;
struct fs_resp fk_resp;
const uint8_t *fk_data;

uint32_t fk_new_handle(void)
{
	uint32_t h = fk.next++;
	if (h >= SEND0)
		abort();
	fk.live[h] = 1;
	return h;
}

static int fk_mint(void *c, uint64_t badge, uint32_t *out)
{
	(void)c;
	if (fk.fail_mint)
		return -FS_ENOMEM;
	*out = fk_new_handle();
	fk.badge[*out] = badge;
	return 0;
}

static int fk_dup(void *c, uint32_t h, uint32_t *out)
{
	(void)c;
	if (!fk.live[h])
		abort();
	*out = fk_new_handle();
	return 0;
}

void fk_close(void *c, uint32_t h)
{
	(void)c;
	if (h >= HMAX || !fk.live[h])
		abort(); /* closed twice, or never ours */
	fk.live[h] = 0;
}

static int fk_check_send(void *c, uint32_t h)
{
	(void)c;
	return h >= SEND0 ? 0 : -FS_EINVAL;
}

static int fk_bulk_new(void *c, uint32_t size, struct fsd_bulk *b,
		       uint32_t *client)
{
	(void)c;
	b->addr = calloc(1, size);
	b->grant = fk_new_handle();
	*client = fk_new_handle();
	fk.windows++;
	return 0;
}

static void fk_bulk_free(void *c, struct fsd_bulk *b)
{
	(void)c;
	free(b->addr);
	fk_close(NULL, b->grant);
	fk.windows--;
}

static void *fk_alloc(void *c, size_t n)
{
	(void)c;
	return malloc(n);
}

static void fk_free(void *c, void *p)
{
	(void)c;
	free(p);
}

uint64_t fk_dead_lo, fk_dead_hi;

static bool fk_task_gone(void *c, uint64_t koid)
{
	(void)c;
	return koid >= fk_dead_lo && koid < fk_dead_hi;
}

int fk_setup(uint64_t tmp)
{
	fk_dead_lo = fk_dead_hi = 0;
	memset(&fk, 0, sizeof(fk));
	fk.next = 100;
	memset(&fk_srv.fs, 0, sizeof(fk_srv.fs));
	fk_srv.fs.alloc = fk_alloc;
	fk_srv.fs.free = fk_free;
	static const struct fsd_ops ops = {.mint = fk_mint,
					   .dup = fk_dup,
					   .close = fk_close,
					   .check_send = fk_check_send,
					   .bulk_new = fk_bulk_new,
					   .bulk_free = fk_bulk_free,
					   .task_gone = fk_task_gone};
	int err = fsd_fs_init(&fk_srv.fs, tmp);
	fsd_srv_init(&fk_srv, &ops);
	return err;
}

/* Handles still open (after fini: must be none). */
int fk_open_handles(void)
{
	int n = 0;
	for (int i = 0; i < HMAX; i++)
		n += fk.live[i];
	return n;
}

uint8_t fk_msg[4200];

/* One request; returns the answer's err. */
int fk_req_h(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a,
	     uint64_t b, uint64_t c, const char *p1, const char *p2,
	     const void *data, uint32_t dlen, uint32_t *hs, uint32_t nh)
{
	struct fs_req q = {.op = op, .flags = flags, .a = a, .b = b, .c = c};
	q.path_len = p1 ? (uint16_t)strlen(p1) : 0;
	q.path2_len = p2 ? (uint16_t)strlen(p2) : 0;
	q.data_len = dlen;
	uint32_t len = sizeof(q);
	memcpy(fk_msg, &q, sizeof(q));
	if (p1)
		memcpy(fk_msg + len, p1, q.path_len);
	len += q.path_len;
	if (p2)
		memcpy(fk_msg + len, p2, q.path2_len);
	len += q.path2_len;
	if (dlen)
		memcpy(fk_msg + len, data, dlen);
	len += dlen;
	fsd_request(&fk_srv, badge, fk_msg, len, hs, nh, &fk_out);
	if (!fk_out.reply || fk_out.len < sizeof(fk_resp))
		abort();
	memcpy(&fk_resp, fk_out.buf, sizeof(fk_resp));
	fk_data = fk_out.buf + sizeof(fk_resp);
	return fk_resp.err;
}

int fk_req(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a, uint64_t b,
	   uint64_t c, const char *p1, const char *p2)
{
	return fk_req_h(badge, op, flags, a, b, c, p1, p2, NULL, 0, NULL, 0);
}

/* A connection (through the public endpoint or the device one). */
uint64_t fk_connect(uint64_t pub)
{
	if (fk_req(pub, FS_CONNECT, 0, FS_PROTO_VERSION, 0, 0, NULL, NULL) ||
	    !fk_out.handle || fk.badge[fk_out.handle] != fk_resp.val)
		abort();
	return fk_resp.val;
}

uint32_t fk_last_handle;

/* Opens: the file's badge (0 on error, *err set). */
uint64_t fk_open(uint64_t conn, const char *p, uint32_t fl, int *err)
{
	*err = fk_req(conn, FS_OPEN, fl, 0644, 0, 0, p, NULL);
	fk_last_handle = fk_out.handle;
	return *err ? 0 : fk_resp.val;
}

int fk_write(uint64_t f, const char *s)
{
	return fk_req_h(f, FS_WRITE, 0, 0, 0, 0, NULL, NULL, s,
			(uint32_t)strlen(s), NULL, 0);
}

/* The client closes its last handle: the kernel's notice. */
void fk_gone(uint32_t h)
{
	fk_close(NULL, h);
	fsd_notice(&fk_srv, fk.badge[h]);
}

void fk_teardown(void)
{
	fsd_srv_fini(&fk_srv);
}
