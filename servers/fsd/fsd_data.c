/* File contents and metadata (fsd_fs.h): /tmp files keep their bytes in
 * 4 KiB blocks (a hole is a NULL block and reads as zeros), /boot files
 * read straight out of the archive. Every block and every slot of a
 * block table is charged to /tmp's size before it is allocated. */
#include <string.h>

#include "fsd_fs.h"

#define BLOCKS(bytes) (((bytes) + FSD_BLOCK - 1) / FSD_BLOCK)

void fsd_stat(const struct fsd_fs *fs, const struct fsd_node *n,
	      struct fs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->ino = n->ino;
	uint32_t t = n->type == FS_DT_DIR   ? FS_MODE_DIR
		     : n->type == FS_DT_CHR ? FS_MODE_CHR
		     : n->type == FS_DT_BLK ? FS_MODE_BLK
					    : FS_MODE_REG;
	st->mode = t | n->mode;
	st->size = n->type == FS_DT_DIR ? n->nchildren : n->size;
	st->nlink = (n->parent || n == fs->root)
			    ? (n->type == FS_DT_DIR ? 2 : 1)
			    : 0;
	st->mtime_ns = n->mtime;
	st->ctime_ns = n->ctime;
	st->blksize = FSD_BLOCK;
	if (n->mnt == FSD_M_BOOT || n->mnt == FSD_M_ROOT)
		st->flags |= FS_ST_RDONLY;
}

int64_t fsd_read(const struct fsd_fs *fs, const struct fsd_node *n,
		 uint64_t off, void *buf, uint64_t len)
{
	(void)fs;
	if (n->type == FS_DT_DIR)
		return -FS_EISDIR;
	if (n->type != FS_DT_REG)
		return -FS_EINVAL;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - off;
	if (n->rodata) {
		memcpy(buf, n->rodata + off, len);
		return (int64_t)len;
	}
	uint8_t *out = buf;
	uint64_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		uint64_t bi = pos / FSD_BLOCK, bo = pos % FSD_BLOCK;
		uint64_t k = FSD_BLOCK - bo;
		if (k > len - done)
			k = len - done;
		if (bi < n->nblocks && n->blocks[bi])
			memcpy(out + done, n->blocks[bi] + bo, k);
		else
			memset(out + done, 0, k);
		done += k;
	}
	return (int64_t)len;
}

/* Room in n's block table for `need` blocks (grown by half again). */
static int table_fit(struct fsd_fs *fs, struct fsd_node *n, uint64_t need)
{
	if (need <= n->nblocks)
		return 0;
	uint64_t cap = n->nblocks + n->nblocks / 2;
	if (cap < need)
		cap = need;
	if (cap < 4)
		cap = 4;
	if (cap > BLOCKS(FSD_FILE_SIZE_MAX))
		cap = BLOCKS(FSD_FILE_SIZE_MAX);
	uint64_t add = (cap - n->nblocks) * sizeof(void *);
	if (fs->tmp_used + add > fs->tmp_limit)
		return -FS_ENOSPC;
	uint8_t **t = fs->alloc(fs->ctx, cap * sizeof(void *));
	if (!t)
		return -FS_ENOSPC;
	fs->tmp_used += add;
	if (n->nblocks)
		memcpy(t, n->blocks, n->nblocks * sizeof(void *));
	memset(t + n->nblocks, 0, (cap - n->nblocks) * sizeof(void *));
	if (n->blocks)
		fs->free(fs->ctx, n->blocks);
	n->blocks = t;
	n->nblocks = (uint32_t)cap;
	return 0;
}

static int check_writable(const struct fsd_node *n)
{
	if (n->type == FS_DT_DIR)
		return -FS_EISDIR;
	if (n->type != FS_DT_REG)
		return -FS_EINVAL;
	if (n->mnt != FSD_M_TMP)
		return -FS_EROFS;
	return 0;
}

int64_t fsd_write(struct fsd_fs *fs, struct fsd_node *n, uint64_t off,
		  const void *buf, uint64_t len)
{
	int err = check_writable(n);
	if (err)
		return err;
	if (len == 0)
		return 0;
	if (off >= FSD_FILE_SIZE_MAX)
		return -FS_EFBIG;
	if (len > FSD_FILE_SIZE_MAX - off)
		len = FSD_FILE_SIZE_MAX - off;
	/* The table for the whole write; when that does not fit, as far as
	 * it does (a short write). */
	uint64_t need = BLOCKS(off + len);
	if (table_fit(fs, n, need)) {
		need = n->nblocks;
		if (need * FSD_BLOCK <= off)
			return -FS_ENOSPC;
		len = need * FSD_BLOCK - off;
	}
	const uint8_t *in = buf;
	uint64_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		uint64_t bi = pos / FSD_BLOCK, bo = pos % FSD_BLOCK;
		uint64_t k = FSD_BLOCK - bo;
		if (k > len - done)
			k = len - done;
		if (!n->blocks[bi]) {
			uint8_t *b = NULL;
			if (fs->tmp_used + FSD_BLOCK <= fs->tmp_limit)
				b = fs->alloc(fs->ctx, FSD_BLOCK);
			if (!b)
				break;
			fs->tmp_used += FSD_BLOCK;
			/* Only the bytes not written now need zeros. */
			if (bo)
				memset(b, 0, bo);
			if (bo + k < FSD_BLOCK)
				memset(b + bo + k, 0, FSD_BLOCK - bo - k);
			n->blocks[bi] = b;
		}
		memcpy(n->blocks[bi] + bo, in + done, k);
		done += k;
	}
	if (done == 0)
		return -FS_ENOSPC;
	if (off + done > n->size)
		n->size = off + done;
	n->mtime = n->ctime = fs->now;
	return (int64_t)done;
}

int fsd_truncate(struct fsd_fs *fs, struct fsd_node *n, uint64_t size)
{
	int err = check_writable(n);
	if (err)
		return err;
	if (size > FSD_FILE_SIZE_MAX)
		return -FS_EFBIG;
	if (size < n->size) {
		uint64_t keep = BLOCKS(size);
		for (uint64_t i = keep; i < n->nblocks; i++)
			if (n->blocks[i]) {
				fs->free(fs->ctx, n->blocks[i]);
				n->blocks[i] = NULL;
				fs->tmp_used -= FSD_BLOCK;
			}
		/* The cut block's tail reads as zeros if the file grows. */
		if (size % FSD_BLOCK && keep - 1 < n->nblocks &&
		    n->blocks[keep - 1])
			memset(n->blocks[keep - 1] + size % FSD_BLOCK, 0,
			       FSD_BLOCK - size % FSD_BLOCK);
	}
	n->size = size; /* growing: a hole */
	n->mtime = n->ctime = fs->now;
	return 0;
}

static uint8_t dt_of(const struct fsd_node *n)
{
	return n->type;
}

/* One record at out (cap bytes left): its length, or 0 if it does not
 * fit. */
static uint32_t put_dirent(uint8_t *out, uint32_t cap, uint64_t ino,
			   int64_t next, uint8_t type, const char *name,
			   uint16_t len)
{
	uint32_t rl = (uint32_t)(offsetof(struct fs_dirent, d_name) + len + 1);
	rl = (rl + 7) & ~7u;
	if (rl > cap)
		return 0;
	struct fs_dirent d = {.d_ino = ino,
			      .d_off = next,
			      .d_reclen = (uint16_t)rl,
			      .d_type = type};
	memset(out, 0, rl);
	memcpy(out, &d, offsetof(struct fs_dirent, d_name));
	memcpy(out + offsetof(struct fs_dirent, d_name), name, len);
	return rl;
}

int64_t fsd_readdir(const struct fsd_fs *fs, const struct fsd_node *dir,
		    uint64_t *pos, void *buf, uint32_t cap)
{
	if (dir->type != FS_DT_DIR)
		return -FS_ENOTDIR;
	uint8_t *out = buf;
	uint32_t used = 0;
	uint64_t i = *pos;
	const struct fsd_node *c = dir->children;
	for (uint64_t k = 2; c && k < i; k++)
		c = c->next;
	for (;; i++) {
		uint32_t rl;
		if (i == 0) {
			rl = put_dirent(out + used, cap - used, dir->ino, 1,
					FS_DT_DIR, ".", 1);
		} else if (i == 1) {
			const struct fsd_node *up =
				dir->parent ? dir->parent : fs->root;
			rl = put_dirent(out + used, cap - used, up->ino, 2,
					FS_DT_DIR, "..", 2);
		} else {
			if (!c)
				break;
			rl = put_dirent(out + used, cap - used, c->ino,
					(int64_t)i + 1, dt_of(c), c->name,
					c->name_len);
			if (rl)
				c = c->next;
		}
		if (!rl) {
			if (used == 0)
				return -FS_EINVAL;
			break;
		}
		used += rl;
	}
	*pos = i;
	return used;
}
