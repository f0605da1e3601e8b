/* fsd's tree and ramfs against a simple model (servers/fsd/fsd_fs.c,
 * fsd_data.c): 60,000 random operations on /tmp (mkdir, create and write
 * at an offset, append, truncate, unlink, rmdir, rename, read back and
 * stat), /tmp small enough to fill and allocations failing at random;
 * every result and every byte read is the model's, ENOSPC only when /tmp
 * is full or an allocation failed, and /tmp's charge is recomputed from
 * the tree now and then. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsd_fix.h"
#include "harness.h"

/* The model: paths (strings) to directories or files with their bytes. */
#define M_MAX  256
#define M_FILE 24576
struct m_ent {
	bool used, dir;
	char path[240];
	size_t size;
	uint8_t data[M_FILE];
};
static struct m_ent M[M_MAX];

static void setp(char *dst, const char *src)
{
	size_t n = strlen(src);
	if (n >= sizeof(M[0].path))
		abort(); /* the model's paths grew too deep */
	memcpy(dst, src, n + 1);
}

static struct m_ent *m_find(const char *p)
{
	for (int i = 0; i < M_MAX; i++)
		if (M[i].used && !strcmp(M[i].path, p))
			return &M[i];
	return NULL;
}

static struct m_ent *m_add(const char *p, bool dir)
{
	for (int i = 0; i < M_MAX; i++)
		if (!M[i].used) {
			memset(&M[i], 0, sizeof(M[i]));
			M[i].used = true;
			M[i].dir = dir;
			setp(M[i].path, p);
			return &M[i];
		}
	abort();
}

static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && p[n] == '/';
}

static int m_children(const char *dir)
{
	int n = 0;
	for (int i = 0; i < M_MAX; i++)
		if (M[i].used && under(M[i].path, dir) &&
		    !strchr(M[i].path + strlen(dir) + 1, '/'))
			n++;
	return n;
}

/* The lookup error of p in the model (0: exists). */
static int m_lookup(const char *p)
{
	char pre[256];
	for (const char *s = strchr(p + 5, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(pre, sizeof(pre), "%.*s", (int)(s - p), p);
		struct m_ent *e = m_find(pre);
		if (!e)
			return -FS_ENOENT;
		if (!e->dir)
			return -FS_ENOTDIR;
	}
	return m_find(p) ? 0 : -FS_ENOENT;
}

/* The error of looking up p's parent (0: a directory). */
static int m_parent(const char *p)
{
	char par[256];
	snprintf(par, sizeof(par), "%.*s", (int)(strrchr(p, '/') - p), p);
	if (!strcmp(par, "/tmp"))
		return 0;
	int e = m_lookup(par);
	return e ? e : m_find(par)->dir ? 0 : -FS_ENOTDIR;
}

/* Model of rename, in fsd_rename's order of checks. */
static int m_rename_err(const char *a, const char *b)
{
	int e = m_lookup(a);
	if (e)
		return e;
	if ((e = m_parent(b)))
		return e;
	struct m_ent *s = m_find(a), *t = m_find(b);
	if (t == s)
		return 0;
	if (t && s->dir && !t->dir)
		return -FS_ENOTDIR;
	if (t && !s->dir && t->dir)
		return -FS_EISDIR;
	if (t && t->dir && m_children(b))
		return -FS_ENOTEMPTY;
	if (under(b, a))
		return -FS_EINVAL;
	return 1; /* it may go ahead */
}

static void m_rename(const char *a, const char *b)
{
	char na[256], nb[256];
	snprintf(na, sizeof(na), "%s", a);
	snprintf(nb, sizeof(nb), "%s", b);
	struct m_ent *t = m_find(nb);
	if (t)
		t->used = false;
	for (int i = 0; i < M_MAX; i++) {
		if (!M[i].used)
			continue;
		char tmp[512];
		if (!strcmp(M[i].path, na)) {
			setp(M[i].path, nb);
		} else if (under(M[i].path, na)) {
			snprintf(tmp, sizeof(tmp), "%s%s", nb,
				 M[i].path + strlen(na));
			setp(M[i].path, tmp);
		}
	}
}

/* What /tmp should be charged, recomputed from the tree. */
static uint64_t charged(const struct fsd_node *n)
{
	uint64_t c = FSD_NODE_COST + n->name_len +
		     (uint64_t)n->nblocks * sizeof(void *);
	for (uint32_t i = 0; i < n->nblocks; i++)
		c += n->blocks[i] ? FSD_BLOCK : 0;
	for (const struct fsd_node *k = n->children; k; k = k->next)
		c += charged(k);
	return c;
}

static const char *rand_path(unsigned *seed)
{
	static const char *const names[] = {"a", "b", "c", "dd"};
	static char p[256];
	*seed = *seed * 1103515245u + 12345u;
	unsigned r = *seed >> 8;
	int depth = 1 + (int)(r % 3);
	size_t n = (size_t)snprintf(p, sizeof(p), "/tmp");
	for (int i = 0; i < depth; i++) {
		r /= 4;
		n += (size_t)snprintf(p + n, sizeof(p) - n, "/%s",
				      names[(r >> 2) % 4]);
	}
	return p;
}

TEST(fsd_fs_random_against_model)
{
	const uint64_t lim = 120 << 10;
	CHECK_EQ(fx_setup(lim), 0);
	memset(M, 0, sizeof(M));
	static uint8_t buf[M_FILE], rd[M_FILE];
	unsigned seed = 2026;
	int counts[8] = {0}, enospc = 0;
	for (int step = 0; step < 60000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned op = (seed >> 16) % 8;
		char a[256], b[256];
		snprintf(a, sizeof(a), "%s", rand_path(&seed));
		snprintf(b, sizeof(b), "%s", rand_path(&seed));
		fx_fail_every =
			step % 7 == 0 ? 1 + (unsigned)(step / 7) % 3 : 0;
		fx_alloc_seq = 0;
		fx_injected = 0;
		uint64_t used0 = fx_fs.tmp_used;
		struct m_ent *e = m_find(a);
		int want, got;
		counts[op]++;
		switch (op) {
		case 0: /* mkdir */
			want = m_parent(a);
			if (!want && e)
				want = -FS_EEXIST;
			got = fsd_mkdir(&fx_fs, fx_path(a), 0755);
			if (got == -FS_ENOSPC && !want) {
				CHECK(fx_injected ||
				      used0 + FSD_NODE_COST + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want);
			if (!got)
				m_add(a, true);
			break;
		case 1:
		case 2: { /* open (create) + write at an offset */
			struct fsd_node *n;
			uint64_t off = (seed >> 4) % 16000;
			uint64_t len = (seed >> 9) % 8000;
			if (op == 2)
				off = e && !e->dir ? e->size : 0; /* append */
			if (len > M_FILE - off)
				len = M_FILE - off;
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (uint8_t)(step + i * 7);
			want = m_lookup(a);
			if (want == -FS_ENOENT)
				want = m_parent(a);
			if (!want && e && e->dir)
				want = -FS_EISDIR;
			got = fx_open(a, FS_O_WRITE | FS_O_CREATE, &n);
			if (got == -FS_ENOSPC && !want && !e) {
				CHECK(fx_injected ||
				      used0 + FSD_NODE_COST + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want);
			if (got)
				break;
			if (!e)
				e = m_add(a, false);
			used0 = fx_fs.tmp_used;
			int64_t w = fsd_write(&fx_fs, n, off, buf, len);
			fsd_release(&fx_fs, n);
			if (len == 0) {
				CHECK_EQ(w, 0);
				break;
			}
			if (w == -FS_ENOSPC) {
				enospc++;
				CHECK(fx_injected || used0 + FSD_BLOCK > lim);
				break;
			}
			CHECK(w > 0 && (uint64_t)w <= len);
			if ((uint64_t)w < len)
				CHECK(fx_injected ||
				      fx_fs.tmp_used + FSD_BLOCK > lim);
			if (off + (uint64_t)w > e->size) {
				if (off > e->size)
					memset(e->data + e->size, 0,
					       off - e->size);
				e->size = off + (uint64_t)w;
			}
			memcpy(e->data + off, buf, (size_t)w);
			break;
		}
		case 3: { /* truncate */
			uint64_t sz = (seed >> 5) % 20000;
			struct fsd_node *n;
			want = m_lookup(a);
			if (!want && e->dir)
				want = -FS_EISDIR;
			got = fsd_lookup(&fx_fs, fx_path(a), &n);
			if (!got)
				got = fsd_truncate(&fx_fs, n, sz);
			CHECK_EQ(got, want);
			if (!got) {
				if (sz > e->size)
					memset(e->data + e->size, 0,
					       sz - e->size);
				e->size = sz;
			}
			break;
		}
		case 4: { /* unlink or rmdir */
			uint32_t h;
			want = m_lookup(a);
			if ((seed >> 3) & 1) {
				if (!want && e->dir)
					want = -FS_EISDIR;
				got = fsd_unlink(&fx_fs, fx_path(a), 0, &h);
			} else {
				if (!want && !e->dir)
					want = -FS_ENOTDIR;
				if (!want && m_children(a))
					want = -FS_ENOTEMPTY;
				got = fsd_rmdir(&fx_fs, fx_path(a));
			}
			CHECK_EQ(got, want);
			if (!got)
				e->used = false;
			break;
		}
		case 5: /* rename */
			want = m_rename_err(a, b);
			got = fx_rename(a, b);
			if (want == 1 && got == -FS_ENOSPC) {
				CHECK(fx_injected || used0 + 2 > lim);
				enospc++;
				break;
			}
			CHECK_EQ(got, want == 1 ? 0 : want);
			if (want == 1)
				m_rename(a, b);
			break;
		default: { /* read back and stat */
			struct fsd_node *n;
			want = m_lookup(a);
			got = fsd_lookup(&fx_fs, fx_path(a), &n);
			CHECK_EQ(got, want);
			if (got)
				break;
			struct fs_stat st;
			fsd_stat(&fx_fs, n, &st);
			if (e->dir) {
				CHECK_EQ(st.mode & FS_MODE_TYPE, FS_MODE_DIR);
				CHECK_EQ(st.size, (uint64_t)m_children(a));
				break;
			}
			CHECK_EQ(st.size, e->size);
			uint64_t off = (seed >> 6) % (e->size + 10);
			int64_t r = fsd_read(&fx_fs, n, off, rd, sizeof(rd));
			CHECK_EQ(r,
				 off >= e->size ? 0 : (int64_t)(e->size - off));
			CHECK(r <= 0 || !memcmp(rd, e->data + off, (size_t)r));
		}
		}
		CHECK(fx_fs.tmp_used <= lim);
		if (step % 500 == 0) {
			/* /tmp's own node is not charged. */
			CHECK_EQ(fx_fs.tmp_used,
				 charged(fx_fs.tmp) - (FSD_NODE_COST + 3));
		}
	}
	int live = 0;
	for (int i = 0; i < M_MAX; i++)
		live += M[i].used;
	printf("    ops %d %d %d %d %d %d %d %d, %d ENOSPC, %d entries at "
	       "the end\n",
	       counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
	       counts[6], counts[7], enospc, live);
	/* Every operation ran, /tmp filled up at times. */
	for (int i = 0; i < 8; i++)
		CHECK(counts[i] > 1000);
	CHECK(enospc > 10);
	fx_fail_every = 0;
	fsd_fs_fini(&fx_fs);
	CHECK_EQ(fx_live_allocs, 0);
}
