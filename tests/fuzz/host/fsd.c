/* fsd's protocol handler and file systems (servers/fsd/fsd_srv.c,
 * fsd_file.c, fsd_fs.c, fsd_data.c, fsd_path.c) against a fake kernel.
 * The input is a program of 16-byte steps: a request on one of the
 * endpoints the client holds (or a forged badge), the client closing one
 * (the kernel's notice), or admission. Besides memory safety: every
 * answer is well-formed (a header, an errno in range, no handle with an
 * error, inline reads the size they say), /tmp stays within its size,
 * a handle is never closed twice nor one fsd does not hold, and once the
 * client closes everything and fsd ends, every handle and every
 * allocation is back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_srv.h"

#define HMAX  4096
#define SEND0 3000 /* handles SEND0.. are send endpoints */
#define POOL  32

static struct {
	uint8_t live[HMAX];
	uint64_t badge[HMAX];
	uint32_t next;
	long allocs;
} K;

static struct fsd_srv S;
static struct fsd_out O;

static void fail(const char *what)
{
	fprintf(stderr, "fsd fuzz: %s\n", what);
	abort();
}

static uint32_t new_handle(void)
{
	if (K.next >= SEND0)
		return 0;
	K.live[K.next] = 1;
	return K.next++;
}

static int k_mint(void *c, uint64_t badge, uint32_t *out)
{
	(void)c;
	if (!(*out = new_handle()))
		return -FS_ENOMEM;
	K.badge[*out] = badge;
	return 0;
}

static int k_dup(void *c, uint32_t h, uint32_t *out)
{
	(void)c;
	if (h >= HMAX || !K.live[h])
		fail("dup of a handle fsd does not hold");
	return (*out = new_handle()) ? 0 : -FS_ENOMEM;
}

static void k_close(void *c, uint32_t h)
{
	(void)c;
	if (h >= HMAX || !K.live[h])
		fail("close of a handle not held");
	K.live[h] = 0;
}

static int k_check_send(void *c, uint32_t h)
{
	(void)c;
	return h >= SEND0 ? 0 : -FS_EINVAL;
}

static int k_bulk_new(void *c, uint32_t size, struct fsd_bulk *b,
		      uint32_t *client)
{
	(void)c;
	b->grant = new_handle();
	*client = new_handle();
	if (!b->grant || !*client || !(b->addr = calloc(1, size)))
		fail("out of fake handles");
	K.allocs++;
	return 0;
}

static void k_bulk_free(void *c, struct fsd_bulk *b)
{
	(void)c;
	free(b->addr);
	K.allocs--;
	k_close(NULL, b->grant);
}

static void *t_alloc(void *c, size_t n)
{
	(void)c;
	K.allocs++;
	return malloc(n);
}

static void t_free(void *c, void *p)
{
	(void)c;
	K.allocs--;
	free(p);
}

static const char *const paths[16] = {
	"/",	   "/tmp",   "/tmp/a", "/tmp/b",       "/tmp/a/b", "/tmp/a/c",
	"/dev/x",  "/dev/y", "/boot",  "/boot/bin/sh", "/tmp/..",  "//",
	"/tmp/a/", "x",	     "",       "/tmp/./c"};

/* A tiny archive for /boot: bin/sh. */
static uint8_t ar[512];
static size_t ar_len;

static void make_archive(void)
{
	static const struct {
		const char *name, *data;
	} f[] = {{"bin/sh", "ELF-sh"}, {"TRAILER!!!", ""}};
	ar_len = 0;
	for (int i = 0; i < 2; i++) {
		size_t dl = strlen(f[i].data);
		ar_len += (size_t)sprintf(
			(char *)ar + ar_len,
			"070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
			"%08X",
			1u, 0100755u, 0u, 0u, 1u, 0u, (unsigned)dl, 0u, 0u, 0u,
			0u, (unsigned)strlen(f[i].name) + 1, 0u);
		memcpy(ar + ar_len, f[i].name, strlen(f[i].name) + 1);
		ar_len += strlen(f[i].name) + 1;
		while (ar_len & 3)
			ar[ar_len++] = 0;
		memcpy(ar + ar_len, f[i].data, dl);
		ar_len += dl;
		while (ar_len & 3)
			ar[ar_len++] = 0;
	}
}

/* The client's endpoints: pool[0] public, pool[1] device-public. */
static uint64_t pool_badge[POOL];
static uint32_t pool_h[POOL];
static int npool;

static void pool_add(uint32_t h)
{
	if (npool < POOL) {
		pool_badge[npool] = K.badge[h];
		pool_h[npool++] = h;
	} else { /* no room: the client closes it at once */
		k_close(NULL, h);
		fsd_notice(&S, K.badge[h]);
	}
}

static void pool_close(int i)
{
	k_close(NULL, pool_h[i]);
	fsd_notice(&S, pool_badge[i]);
	pool_badge[i] = pool_badge[--npool];
	pool_h[i] = pool_h[npool];
}

static void check_answer(const struct fs_req *q)
{
	if (!O.reply || O.len < sizeof(struct fs_resp) || O.len > 4096)
		fail("answer size");
	struct fs_resp r;
	memcpy(&r, O.buf, sizeof(r));
	if (O.buf[0] == '{')
		return;
	if (r.err > 0 || r.err < -200)
		fail("errno out of range");
	if (r.err && O.handle)
		fail("a handle with an error");
	if (!r.err && (q->op == FS_READ || q->op == FS_PREAD) &&
	    !(q->flags & FS_IO_BULK) &&
	    (r.val > FS_INLINE_MAX || O.len != sizeof(r) + r.val))
		fail("inline read size");
	if (S.fs.tmp_used > S.fs.tmp_limit)
		fail("/tmp over its size");
}

static void step(const uint8_t *s)
{
	int ep = npool ? s[1] % npool : 0;
	uint64_t badge = npool ? pool_badge[ep] : 0;
	switch (s[0] % 8) {
	case 4:
		if (npool > 2 && ep >= 2)
			pool_close(ep);
		return;
	case 5: {
		int slot = fsd_admit(&S, badge);
		if (slot != -FS_EAGAIN)
			fsd_done(&S, slot);
		return;
	}
	case 6: /* a forged badge */
		memcpy(&badge, s + 8, 8);
		break;
	default:
		break;
	}
	struct fs_req q = {.op = s[2] % 34,
			   .flags = s[3] == 0xff ? 0xffffffffu : s[3] & 0x7f,
			   .a = (uint64_t)s[4] | (uint64_t)s[5] << 8,
			   .b = s[6] < 0xf0 ? s[6] % 6 : ~0ull,
			   .c = ((uint64_t)s[7] | (uint64_t)s[8] << 8) * 4};
	if (s[3] & 0x80)
		q.flags |= FS_IO_BULK;
	static char p1[64], p2[64];
	char sfx[3] = {'/', (char)s[10], 0};
	snprintf(p1, sizeof(p1), "%s%s", paths[s[9] % 16],
		 s[10] >= 'a' && s[10] <= 'd' ? sfx : "");
	snprintf(p2, sizeof(p2), "%s", paths[s[11] % 16]);
	if (s[9] >= 0xf8) /* a NUL inside */
		p1[1] = 0;
	static uint8_t msg[4200];
	static uint8_t data[2048];
	q.path_len = s[9] >= 0xf8 ? 4 : (uint16_t)strlen(p1);
	q.path2_len = q.op == FS_RENAME ? (uint16_t)strlen(p2) : 0;
	q.data_len = (uint32_t)s[12] * 8;
	memset(data, s[14], q.data_len);
	uint32_t len = sizeof(q);
	memcpy(msg, &q, sizeof(q));
	memcpy(msg + len, p1, q.path_len);
	len += q.path_len;
	memcpy(msg + len, p2, q.path2_len);
	len += q.path2_len;
	memcpy(msg + len, data, q.data_len);
	len += q.data_len;
	if (s[15] == 0xff) /* lengths that do not add up */
		len -= 1;
	uint32_t hs[1] = {0}, nh = 0;
	if (s[13] % 3 == 1) {
		for (uint32_t h = SEND0; h < HMAX && !nh; h++)
			if (!K.live[h]) {
				K.live[h] = 1;
				hs[0] = h;
				nh = 1;
			}
	} else if (s[13] % 3 == 2 && (hs[0] = new_handle())) {
		nh = 1;
	}
	int slot = fsd_admit(&S, badge);
	if (slot == -FS_EAGAIN)
		fail("a lone call refused");
	fsd_request(&S, badge, msg, len, hs, nh, &O);
	fsd_done(&S, slot);
	check_answer(&q);
	if (getenv("FSD_FUZZ_TRACE")) { /* what each step got (seeds) */
		struct fs_resp r;
		memcpy(&r, O.buf, sizeof(r));
		fprintf(stderr, "op %2u on %d: err %d val %llu\n", q.op, ep,
			r.err, (unsigned long long)r.val);
	}
	if (nh && hs[0])
		k_close(NULL, hs[0]); /* not kept: still ours */
	if (O.handle) {
		struct fs_resp r;
		memcpy(&r, O.buf, sizeof(r));
		if ((q.op == FS_CONNECT || q.op == FS_OPEN) &&
		    !(r.flags & FS_RESP_DEVICE))
			pool_add(O.handle);
		else
			k_close(NULL, O.handle); /* a grant or a device */
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	memset(&K, 0, sizeof(K));
	K.next = 100;
	memset(&S, 0, sizeof(S));
	S.fs.alloc = t_alloc;
	S.fs.free = t_free;
	static const struct fsd_ops ops = {.mint = k_mint,
					   .dup = k_dup,
					   .close = k_close,
					   .check_send = k_check_send,
					   .bulk_new = k_bulk_new,
					   .bulk_free = k_bulk_free};
	if (fsd_fs_init(&S.fs, 64 << 10))
		fail("init");
	make_archive();
	uint32_t skipped;
	if (fsd_boot_load(&S.fs, ar, ar_len, &skipped) || skipped)
		fail("boot");
	fsd_srv_init(&S, &ops);
	npool = 2;
	pool_badge[0] = FSD_BADGE_PUBLIC;
	pool_badge[1] = FSD_BADGE_DEVPUB;
	pool_h[0] = pool_h[1] = 0;
	for (size_t o = 0; o + 16 <= size && o < 16 * 400; o += 16)
		step(data + o);
	while (npool > 2)
		pool_close(npool - 1);
	if (S.nfiles || S.bulk_total)
		fail("files or windows left after every handle closed");
	for (int i = 2; i < FSD_CONN_SLOTS; i++)
		if (S.conns[i].badge)
			fail("a connection left");
	fsd_srv_fini(&S);
	for (uint32_t h = 0; h < HMAX; h++)
		if (K.live[h])
			fail("a handle left open");
	if (K.allocs)
		fail("allocations left");
	return 0;
}
