/* The tree (fsd_fs.h): lookups, creation, removal, rename, /boot from the
 * initrd, /dev nodes. Which file system a node is on decides what may be
 * done to it: only /tmp changes (and /dev through mknod/unlink by the
 * node's owner); `/` and `/boot` are read-only; the mount points cannot be
 * removed or renamed. Every change that needs memory gets it (and charges
 * /tmp) before it touches the tree, so a failure changes nothing. */
#include <string.h>

#include <execrt/cpio.h>

#include "fsd_fs.h"

static void fsd_node_free(struct fsd_fs *fs, struct fsd_node *n);

static bool charge(struct fsd_fs *fs, uint8_t mnt, uint64_t bytes)
{
	if (mnt != FSD_M_TMP)
		return true;
	if (fs->tmp_used + bytes > fs->tmp_limit)
		return false;
	fs->tmp_used += bytes;
	return true;
}

static void uncharge(struct fsd_fs *fs, uint8_t mnt, uint64_t bytes)
{
	if (mnt == FSD_M_TMP)
		fs->tmp_used -= bytes;
}

/* A new unlinked node on mnt, charged; NULL when /tmp is full or memory
 * is out. */
static struct fsd_node *node_new(struct fsd_fs *fs, uint8_t mnt, uint8_t type,
				 const char *name, uint16_t len, uint32_t mode)
{
	if (!charge(fs, mnt, FSD_NODE_COST + len))
		return NULL;
	struct fsd_node *n = fs->alloc(fs->ctx, sizeof(*n));
	char *nm = n ? fs->alloc(fs->ctx, (size_t)len + 1) : NULL;
	if (!nm) {
		if (n)
			fs->free(fs->ctx, n);
		uncharge(fs, mnt, FSD_NODE_COST + len);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	memcpy(nm, name, len);
	nm[len] = 0;
	n->name = nm;
	n->name_len = len;
	n->type = type;
	n->mnt = mnt;
	n->mode = mode & 07777;
	n->ino = ++fs->next_ino;
	n->mtime = n->ctime = fs->now;
	return n;
}

/* Frees n and (directories) everything under it. */
static void fsd_node_free(struct fsd_fs *fs, struct fsd_node *n)
{
	while (n->children) {
		struct fsd_node *c = n->children;
		n->children = c->next;
		fsd_node_free(fs, c);
	}
	if (n->blocks) {
		for (uint32_t i = 0; i < n->nblocks; i++)
			if (n->blocks[i]) {
				fs->free(fs->ctx, n->blocks[i]);
				uncharge(fs, n->mnt, FSD_BLOCK);
			}
		fs->free(fs->ctx, n->blocks);
		uncharge(fs, n->mnt, (uint64_t)n->nblocks * sizeof(void *));
	}
	if (!n->mountpoint) /* the fixed directories cost /tmp nothing */
		uncharge(fs, n->mnt, FSD_NODE_COST + n->name_len);
	fs->free(fs->ctx, n->name);
	fs->free(fs->ctx, n);
}

static int name_cmp(const char *a, uint16_t al, const char *b, uint16_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (int)al - (int)bl;
}

static struct fsd_node *child(const struct fsd_node *dir, const char *name,
			      uint16_t len)
{
	for (struct fsd_node *c = dir->children; c; c = c->next) {
		int d = name_cmp(c->name, c->name_len, name, len);
		if (d == 0)
			return c;
		if (d > 0)
			break;
	}
	return NULL;
}

static void link_child(struct fsd_node *dir, struct fsd_node *n)
{
	struct fsd_node **pp = &dir->children;
	while (*pp &&
	       name_cmp((*pp)->name, (*pp)->name_len, n->name, n->name_len) < 0)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	n->parent = dir;
	dir->nchildren++;
}

static void unlink_child(struct fsd_node *n)
{
	struct fsd_node *dir = n->parent;
	struct fsd_node **pp = &dir->children;
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->next = NULL;
	n->parent = NULL;
	dir->nchildren--;
}

/* The first `upto` components of p, from the root. */
static int walk(struct fsd_fs *fs, const struct fsd_path *p, uint32_t upto,
		struct fsd_node **out)
{
	struct fsd_node *n = fs->root;
	for (uint32_t i = 0; i < upto; i++) {
		if (n->type != FS_DT_DIR)
			return -FS_ENOTDIR;
		n = child(n, p->c[i], p->len[i]);
		if (!n)
			return -FS_ENOENT;
	}
	*out = n;
	return 0;
}

int fsd_lookup(struct fsd_fs *fs, const struct fsd_path *p,
	       struct fsd_node **out)
{
	return walk(fs, p, p->n, out);
}

/* The directory a new last component of p goes in. */
static int parent_of(struct fsd_fs *fs, const struct fsd_path *p,
		     struct fsd_node **dir)
{
	int err = walk(fs, p, p->n - 1, dir);
	if (!err && (*dir)->type != FS_DT_DIR)
		err = -FS_ENOTDIR;
	return err;
}

/* May entries be added to or removed from dir by path calls? */
static int dir_writable(const struct fsd_node *dir)
{
	switch (dir->mnt) {
	case FSD_M_TMP:
		return 0;
	case FSD_M_DEV:
		return -FS_EPERM; /* only FS_MKNOD (and its owner's unlink) */
	default:
		return -FS_EROFS;
	}
}

static struct fsd_node *mkfixed(struct fsd_fs *fs, const char *name,
				uint8_t mnt)
{
	struct fsd_node *n =
		node_new(fs, FSD_M_ROOT, FS_DT_DIR, name, strlen(name), 0755);
	if (n) {
		n->mnt = mnt;
		n->mountpoint = true;
		link_child(fs->root, n);
	}
	return n;
}

int fsd_fs_init(struct fsd_fs *fs, uint64_t tmp_limit)
{
	fs->tmp_limit = tmp_limit;
	fs->tmp_used = 0;
	fs->ndev = 0;
	fs->root = node_new(fs, FSD_M_ROOT, FS_DT_DIR, "", 0, 0755);
	if (!fs->root)
		return -FS_ENOMEM;
	fs->root->mountpoint = true;
	fs->boot = mkfixed(fs, "boot", FSD_M_BOOT);
	fs->dev = mkfixed(fs, "dev", FSD_M_DEV);
	fs->tmp = mkfixed(fs, "tmp", FSD_M_TMP);
	if (fs->tmp)
		fs->tmp->mode = 01777;
	if (!fs->boot || !fs->dev || !fs->tmp) {
		fsd_fs_fini(fs);
		return -FS_ENOMEM;
	}
	return 0;
}

void fsd_fs_fini(struct fsd_fs *fs)
{
	if (fs->root)
		fsd_node_free(fs, fs->root);
	fs->root = fs->boot = fs->tmp = fs->dev = NULL;
}

int fsd_open(struct fsd_fs *fs, const struct fsd_path *p, uint32_t flags,
	     uint32_t mode, struct fsd_node **out)
{
	if ((flags & ~FS_O_ALL) || !(flags & (FS_O_READ | FS_O_WRITE)) ||
	    ((flags & FS_O_TRUNC) && !(flags & FS_O_WRITE)))
		return -FS_EINVAL;
	struct fsd_node *n;
	int err = fsd_lookup(fs, p, &n);
	if (!err) {
		if ((flags & FS_O_CREATE) && (flags & FS_O_EXCL))
			return -FS_EEXIST;
		if ((flags & FS_O_DIRECTORY) && n->type != FS_DT_DIR)
			return -FS_ENOTDIR;
		if (n->type == FS_DT_DIR && (flags & FS_O_WRITE))
			return -FS_EISDIR;
		if ((flags & FS_O_WRITE) && n->type == FS_DT_REG &&
		    n->mnt != FSD_M_TMP)
			return -FS_EROFS;
		if ((flags & FS_O_TRUNC) && n->type == FS_DT_REG &&
		    (err = fsd_truncate(fs, n, 0)))
			return err;
	} else if (err == -FS_ENOENT && (flags & FS_O_CREATE)) {
		if (flags & FS_O_DIRECTORY)
			return -FS_EINVAL;
		struct fsd_node *dir;
		if ((err = parent_of(fs, p, &dir)) || (err = dir_writable(dir)))
			return err;
		n = node_new(fs, dir->mnt, FS_DT_REG, p->c[p->n - 1],
			     p->len[p->n - 1], mode);
		if (!n)
			return -FS_ENOSPC;
		link_child(dir, n);
		dir->mtime = fs->now;
	} else {
		return err;
	}
	n->refs++;
	*out = n;
	return 0;
}

void fsd_release(struct fsd_fs *fs, struct fsd_node *n)
{
	if (--n->refs == 0 && !n->parent && n != fs->root)
		fsd_node_free(fs, n);
}

/* n leaves the tree; freed unless still open. */
static void remove_node(struct fsd_fs *fs, struct fsd_node *n)
{
	struct fsd_node *dir = n->parent;
	unlink_child(n);
	dir->mtime = fs->now;
	if (n->refs == 0)
		fsd_node_free(fs, n);
}

int fsd_mkdir(struct fsd_fs *fs, const struct fsd_path *p, uint32_t mode)
{
	if (p->n == 0)
		return -FS_EEXIST;
	struct fsd_node *dir;
	int err = parent_of(fs, p, &dir);
	if (err)
		return err;
	if (child(dir, p->c[p->n - 1], p->len[p->n - 1]))
		return -FS_EEXIST;
	if ((err = dir_writable(dir)))
		return err;
	struct fsd_node *n = node_new(fs, dir->mnt, FS_DT_DIR, p->c[p->n - 1],
				      p->len[p->n - 1], mode);
	if (!n)
		return -FS_ENOSPC;
	link_child(dir, n);
	dir->mtime = fs->now;
	return 0;
}

int fsd_rmdir(struct fsd_fs *fs, const struct fsd_path *p)
{
	struct fsd_node *n;
	int err = fsd_lookup(fs, p, &n);
	if (err)
		return err;
	if (n->type != FS_DT_DIR)
		return -FS_ENOTDIR;
	if (n->mountpoint)
		return -FS_EBUSY;
	if ((err = dir_writable(n->parent)))
		return err;
	if (n->nchildren)
		return -FS_ENOTEMPTY;
	remove_node(fs, n);
	return 0;
}

int fsd_unlink(struct fsd_fs *fs, const struct fsd_path *p, uint64_t owner,
	       uint32_t *dev_handle)
{
	*dev_handle = 0;
	struct fsd_node *n;
	int err = fsd_lookup(fs, p, &n);
	if (err)
		return err;
	if (n->type == FS_DT_DIR)
		return -FS_EISDIR;
	if (n->mnt == FSD_M_DEV) {
		if (n->dev_owner != owner)
			return -FS_EPERM;
		*dev_handle = n->dev_handle;
		fs->ndev--;
	} else if ((err = dir_writable(n->parent))) {
		return err;
	}
	remove_node(fs, n);
	return 0;
}

int fsd_rename(struct fsd_fs *fs, const struct fsd_path *from,
	       const struct fsd_path *to)
{
	struct fsd_node *n, *dir;
	int err = fsd_lookup(fs, from, &n);
	if (err)
		return err;
	if (n->mountpoint || to->n == 0)
		return -FS_EBUSY;
	if ((err = dir_writable(n->parent)) || (err = parent_of(fs, to, &dir)))
		return err;
	if (dir->mnt != n->mnt)
		return -FS_EXDEV;
	const char *name = to->c[to->n - 1];
	uint16_t len = to->len[to->n - 1];
	struct fsd_node *t = child(dir, name, len);
	if (t == n)
		return 0;
	if (t) {
		if (n->type == FS_DT_DIR && t->type != FS_DT_DIR)
			return -FS_ENOTDIR;
		if (n->type != FS_DT_DIR && t->type == FS_DT_DIR)
			return -FS_EISDIR;
		if (t->nchildren)
			return -FS_ENOTEMPTY;
	}
	for (struct fsd_node *a = dir; a; a = a->parent)
		if (a == n) /* into itself or below */
			return -FS_EINVAL;
	/* The new name first: nothing has changed if it cannot be had. */
	if (!charge(fs, n->mnt, len))
		return -FS_ENOSPC;
	char *nm = fs->alloc(fs->ctx, (size_t)len + 1);
	if (!nm) {
		uncharge(fs, n->mnt, len);
		return -FS_ENOSPC;
	}
	memcpy(nm, name, len);
	nm[len] = 0;
	if (t)
		remove_node(fs, t);
	struct fsd_node *old = n->parent;
	unlink_child(n);
	old->mtime = fs->now;
	uncharge(fs, n->mnt, n->name_len);
	fs->free(fs->ctx, n->name);
	n->name = nm;
	n->name_len = len;
	n->ctime = fs->now;
	link_child(dir, n);
	dir->mtime = fs->now;
	return 0;
}

int fsd_mknod(struct fsd_fs *fs, const struct fsd_path *p, uint32_t type,
	      uint32_t handle, uint64_t owner)
{
	if (p->n != 2 || p->len[0] != 3 || memcmp(p->c[0], "dev", 3))
		return -FS_EPERM;
	if (type != FS_DT_CHR && type != FS_DT_BLK)
		return -FS_EINVAL;
	if (child(fs->dev, p->c[1], p->len[1]))
		return -FS_EEXIST;
	if (fs->ndev >= FSD_DEV_MAX)
		return -FS_ENOSPC;
	struct fsd_node *n = node_new(fs, FSD_M_DEV, (uint8_t)type, p->c[1],
				      p->len[1], 0666);
	if (!n)
		return -FS_ENOMEM;
	n->dev_handle = handle;
	n->dev_owner = owner;
	link_child(fs->dev, n);
	fs->dev->mtime = fs->now;
	fs->ndev++;
	return 0;
}

void fsd_dev_drop(struct fsd_fs *fs, uint64_t owner,
		  void (*drop)(void *ctx, uint32_t h), void *ctx)
{
	struct fsd_node *c = fs->dev->children;
	while (c) {
		struct fsd_node *next = c->next;
		if (owner == UINT64_MAX || c->dev_owner == owner) {
			drop(ctx, c->dev_handle);
			fs->ndev--;
			remove_node(fs, c);
		}
		c = next;
	}
}

/* The directory /boot/<p's first n components>, made as needed. */
static struct fsd_node *boot_dir(struct fsd_fs *fs, const struct fsd_path *p,
				 uint32_t n)
{
	struct fsd_node *d = fs->boot;
	for (uint32_t i = 0; i < n && d; i++) {
		struct fsd_node *c = child(d, p->c[i], p->len[i]);
		if (!c) {
			c = node_new(fs, FSD_M_BOOT, FS_DT_DIR, p->c[i],
				     p->len[i], 0555);
			if (c)
				link_child(d, c);
		} else if (c->type != FS_DT_DIR) {
			return NULL;
		}
		d = c;
	}
	return d;
}

int fsd_boot_load(struct fsd_fs *fs, const void *cpio, size_t len,
		  uint32_t *skipped)
{
	static char buf[FS_PATH_MAX + 2];
	static struct fsd_path p;
	*skipped = 0;
	size_t pos = 0;
	struct cpio_file f;
	int r;
	while ((r = cpio_next(cpio, len, &pos, &f)) == CPIO_OK) {
		const char *name = f.name;
		size_t nl = f.name_len;
		if (nl >= 2 && name[0] == '.' && name[1] == '/') {
			name += 2;
			nl -= 2;
		}
		if (nl == 0 || (nl == 1 && name[0] == '.'))
			continue;
		buf[0] = '/';
		if (nl > FS_PATH_MAX - 1) {
			(*skipped)++;
			continue;
		}
		memcpy(buf + 1, name, nl);
		if (fsd_path_parse(buf, nl + 1, &p) || p.n == 0) {
			(*skipped)++;
			continue;
		}
		bool dir = (f.mode & FS_MODE_TYPE) == FS_MODE_DIR;
		struct fsd_node *d = boot_dir(fs, &p, dir ? p.n : p.n - 1);
		if (!d) {
			(*skipped)++; /* a file where a directory should be */
			continue;
		}
		if (dir)
			continue;
		if ((f.mode & FS_MODE_TYPE) != FS_MODE_REG ||
		    child(d, p.c[p.n - 1], p.len[p.n - 1])) {
			(*skipped)++;
			continue;
		}
		struct fsd_node *n =
			node_new(fs, FSD_M_BOOT, FS_DT_REG, p.c[p.n - 1],
				 p.len[p.n - 1], f.mode & 0777);
		if (!n)
			return -FS_ENOMEM;
		n->rodata = f.data;
		n->size = f.size;
		link_child(d, n);
	}
	return r == CPIO_END ? 0 : -FS_EIO;
}
