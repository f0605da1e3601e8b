/* The fixture of the fsd tree tests (test_fsd_fs.c, test_fsd_model.c):
 * a tree whose allocations are counted and can be made to fail, and
 * short-hands for paths, opens, writes, renames and listings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fix.h"

struct fsd_fs fx_fs;
long fx_live_allocs;
unsigned fx_fail_every, fx_alloc_seq; /* fx_fail_every 0: never fail */
int fx_injected;		      /* allocations refused this op */

static void *fx_alloc(void *ctx, size_t n)
{
	(void)ctx;
	fx_alloc_seq++;
	if (fx_fail_every && fx_alloc_seq % fx_fail_every == 0) {
		fx_injected++;
		return NULL;
	}
	fx_live_allocs++;
	return malloc(n);
}

static void fx_free(void *ctx, void *p)
{
	(void)ctx;
	fx_live_allocs--;
	free(p);
}

int fx_setup(uint64_t tmp_limit)
{
	memset(&fx_fs, 0, sizeof(fx_fs));
	fx_fs.alloc = fx_alloc;
	fx_fs.free = fx_free;
	fx_fail_every = 0;
	fx_live_allocs = 0;
	return fsd_fs_init(&fx_fs, tmp_limit);
}

struct fsd_path fx_p, fx_p2;

struct fsd_path *fx_path(const char *s)
{
	if (fsd_path_parse(s, strlen(s), &fx_p))
		abort();
	return &fx_p;
}

struct fsd_path *fx_path2(const char *s)
{
	if (fsd_path_parse(s, strlen(s), &fx_p2))
		abort();
	return &fx_p2;
}

int fx_open(const char *s, uint32_t fl, struct fsd_node **n)
{
	return fsd_open(&fx_fs, fx_path(s), fl, 0644, n);
}

/* Opens (creating), writes, releases. */
int64_t fx_put(const char *s, uint64_t off, const void *d, uint64_t len)
{
	struct fsd_node *n;
	int err = fx_open(s, FS_O_WRITE | FS_O_CREATE, &n);
	if (err)
		return err;
	int64_t r = fsd_write(&fx_fs, n, off, d, len);
	fsd_release(&fx_fs, n);
	return r;
}

int fx_rename(const char *a, const char *b)
{
	fx_path(a);
	return fsd_rename(&fx_fs, &fx_p, fx_path2(b));
}

/* The names readdir gives for dir, joined with ' ' (without . and ..). */
const char *fx_listing(const char *dir, uint32_t chunk)
{
	static char out[4096];
	static uint8_t buf[4096];
	struct fsd_node *d;
	out[0] = 0;
	if (fsd_lookup(&fx_fs, fx_path(dir), &d))
		return "?";
	uint64_t pos = 0;
	size_t o = 0;
	for (;;) {
		int64_t n = fsd_readdir(&fx_fs, d, &pos, buf, chunk);
		if (n <= 0)
			return n < 0 ? "!" : out;
		for (int64_t i = 0; i < n;) {
			struct fs_dirent *e = (struct fs_dirent *)(buf + i);
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				o += (size_t)snprintf(out + o, sizeof(out) - o,
						      "%s%s", o ? " " : "",
						      e->d_name);
			i += e->d_reclen;
		}
	}
}
