/* fsd's file systems as one tree of nodes (docs/fsd.md): `/` (read-only,
 * holds the mount points), `/boot` (the initrd, read-only: its files point
 * into the mapped archive), `/tmp` (ramfs: data in 4 KiB blocks, bounded
 * by a configured size and by what the allocator gives: full is
 * FS_ENOSPC), `/dev` (device nodes that drivers register, each holding the
 * driver's send handle). Pure code: no system calls (host-tested in
 * tests/host/test_fsd_fs.c); memory comes from the hooks in struct fsd_fs.
 * Every operation returns 0 (or a byte count) or a negative FS_E*. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/fs_proto.h>

#include "fsd_path.h"

#define FSD_BLOCK	  4096u
#define FSD_NODE_COST	  128u /* bytes charged to /tmp per node, + name */
#define FSD_DEV_MAX	  64u  /* device nodes */
#define FSD_FILE_SIZE_MAX (1ull << 32) /* per /tmp file: FS_EFBIG */

enum fsd_mnt { FSD_M_ROOT, FSD_M_BOOT, FSD_M_TMP, FSD_M_DEV };

struct fsd_node {
	struct fsd_node *parent;   /* NULL for the root or once unlinked */
	struct fsd_node *next;	   /* sibling, sorted by name */
	struct fsd_node *children; /* directories */
	char *name;
	uint16_t name_len;
	uint8_t type; /* FS_DT_* */
	uint8_t mnt;  /* enum fsd_mnt */
	bool mountpoint;
	uint32_t mode; /* permission bits */
	uint32_t nchildren;
	uint32_t refs; /* open files; an unlinked node lives while > 0 */
	uint64_t ino;
	uint64_t mtime, ctime;
	uint64_t size;
	const uint8_t *rodata; /* /boot files: inside the archive */
	uint8_t **blocks;      /* /tmp files: NULL entries are holes */
	uint32_t nblocks;      /* room in blocks[] */
	uint32_t dev_handle;   /* /dev: the driver's send handle (fsd's) */
	uint64_t dev_owner;    /* /dev: the connection that made it */
};

struct fsd_fs {
	void *ctx;
	void *(*alloc)(void *ctx, size_t n); /* NULL: out of memory */
	void (*free)(void *ctx, void *p);
	uint64_t now; /* the time stamps of the next changes (ns) */
	uint64_t tmp_limit, tmp_used; /* bytes: blocks, nodes, names */
	uint64_t next_ino;
	uint32_t ndev;
	struct fsd_node *root, *boot, *tmp, *dev;
};

/* The four fixed directories. tmp_limit: /tmp's size. -FS_ENOMEM. */
int fsd_fs_init(struct fsd_fs *fs, uint64_t tmp_limit);
/* Frees every node (device handles are the caller's: use fsd_dev_drop
 * first). */
void fsd_fs_fini(struct fsd_fs *fs);
/* /boot from a cpio archive in memory (kept mapped while fs lives):
 * each file `a/b` becomes /boot/a/b. Entries with bad names are skipped
 * (counted in *skipped). -FS_ENOMEM, -FS_EIO (a damaged archive). */
int fsd_boot_load(struct fsd_fs *fs, const void *cpio, size_t len,
		  uint32_t *skipped);

int fsd_lookup(struct fsd_fs *fs, const struct fsd_path *p,
	       struct fsd_node **out);
/* flags FS_O_*: the node opened (its refs taken), created if asked. */
int fsd_open(struct fsd_fs *fs, const struct fsd_path *p, uint32_t flags,
	     uint32_t mode, struct fsd_node **out);
/* An open file is gone: drops its reference (frees an unlinked node). */
void fsd_release(struct fsd_fs *fs, struct fsd_node *n);
int fsd_mkdir(struct fsd_fs *fs, const struct fsd_path *p, uint32_t mode);
int fsd_rmdir(struct fsd_fs *fs, const struct fsd_path *p);
/* owner: the caller's connection (a /dev node only by its owner). A
 * device node's handle is returned in *dev_handle for the caller to close
 * (else 0). */
int fsd_unlink(struct fsd_fs *fs, const struct fsd_path *p, uint64_t owner,
	       uint32_t *dev_handle);
int fsd_rename(struct fsd_fs *fs, const struct fsd_path *from,
	       const struct fsd_path *to);
/* A device node /dev/NAME holding handle (kept by the node). */
int fsd_mknod(struct fsd_fs *fs, const struct fsd_path *p, uint32_t type,
	      uint32_t handle, uint64_t owner);
/* Removes owner's device nodes, calling drop(ctx, handle) for each
 * (owner UINT64_MAX: every node). */
void fsd_dev_drop(struct fsd_fs *fs, uint64_t owner,
		  void (*drop)(void *ctx, uint32_t h), void *ctx);

void fsd_stat(const struct fsd_fs *fs, const struct fsd_node *n,
	      struct fs_stat *st);
/* Bytes read (0 at or past the end). */
int64_t fsd_read(const struct fsd_fs *fs, const struct fsd_node *n,
		 uint64_t off, void *buf, uint64_t len);
/* Bytes written; a write that fills /tmp half-way returns what fitted,
 * one that fits nothing -FS_ENOSPC. */
int64_t fsd_write(struct fsd_fs *fs, struct fsd_node *n, uint64_t off,
		  const void *buf, uint64_t len);
int fsd_truncate(struct fsd_fs *fs, struct fsd_node *n, uint64_t size);
/* Directory records (struct fs_dirent) from entry *pos on, at most cap
 * bytes; *pos moves on. Bytes written; 0 at the end; -FS_EINVAL when cap
 * cannot hold the next record. */
int64_t fsd_readdir(const struct fsd_fs *fs, const struct fsd_node *dir,
		    uint64_t *pos, void *buf, uint32_t cap);
