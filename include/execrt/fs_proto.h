/* The file protocol of fsd (docs/fsd.md has the rules; this file the
 * wire format). Binary: every request is a port_call whose message is a
 * struct fs_req followed by inline bytes, every answer a struct fs_resp
 * followed by inline bytes. Little-endian, no padding surprises: every
 * struct below has a fixed size checked with _Static_assert.
 *
 * Three kinds of endpoint, all minted by fsd on its one port:
 *  - the public endpoint (registered as /svc/fsd): FS_CONNECT only (and
 *    the JSON `ping` / `status` of ports/v0, told apart by the first byte
 *    '{');
 *  - a connection (the answer of FS_CONNECT): the path operations
 *    (FS_OPEN, FS_STAT, FS_MKDIR, ...), from the task that made it only
 *    (another task: FS_EPERM; docs/fsd.md);
 *  - an open file (the answer of FS_OPEN): the file operations (FS_READ,
 *    FS_WRITE, ...). Duplicating the handle shares the file and its offset
 *    (POSIX dup/fork); the file is closed when its last handle is closed.
 * A request sent to the wrong kind of endpoint is FS_EBADF. */
#pragma once
#include <execrt/types.h>

#define FS_SVC_NAME      "/svc/fsd"     /* FS_CONNECT: any client */
#define FS_SVC_DEV_NAME  "/drv/fsd"     /* FS_CONNECT: may also FS_MKNOD */
#define FS_PROTO_VERSION 1u

/* Limits (fsd checks them all; violations get the errno named). */
#define FS_NAME_MAX      255u  /* bytes per path component: FS_ENAMETOOLONG */
#define FS_PATH_MAX      1024u /* bytes per path (no NUL): FS_ENAMETOOLONG */
#define FS_INLINE_MAX    3072u /* data bytes a client sends/asks inline */
#define FS_OPEN_MAX      64u   /* open files per connection: FS_EMFILE */
#define FS_INFLIGHT_MAX  8u    /* calls held per connection: FS_EAGAIN */
#define FS_BULK_MIN      4096u          /* bulk window size bounds (bytes, */
#define FS_BULK_MAX      (1024u * 1024) /* rounded up to pages)            */
#define FS_BULK_SLOTS    4u    /* bulk windows per open file: FS_EBUSY */

/* Operations (fs_req.op). Never 0x7b ('{') in the low byte: a message
 * starting with '{' is a ports/v0 JSON request. */
enum fs_op {
	/* public endpoint: a = FS_PROTO_VERSION. Answer: val = client id,
	 * handles[0] = the connection's send endpoint (WRITE, DUPLICATE,
	 * TRANSFER, WAIT). */
	FS_CONNECT = 1,

	/* connection endpoint, path in the bytes after fs_req */
	/* flags = FS_O_*, a = mode (permission bits, kept, not enforced).
	 * Answer: val = open-file id, data = struct fs_stat of the file,
	 * handles[0] = the open file's endpoint (or, with FS_RESP_DEVICE, a
	 * duplicate of the device driver's send handle: talk to the driver). */
	FS_OPEN = 2,
	FS_STAT = 3,     /* answer data = struct fs_stat */
	FS_MKDIR = 4,    /* a = mode */
	FS_RMDIR = 5,
	FS_UNLINK = 6,   /* not a directory: FS_EISDIR */
	FS_RENAME = 7,   /* path -> path2 (same file system: else FS_EXDEV) */
	FS_TRUNCATE = 8, /* a = new size */
	/* path under /dev, a = FS_MODE_CHR or FS_MODE_BLK, one send handle
	 * attached (WRITE | DUPLICATE needed). Only on a connection made
	 * through FS_SVC_DEV_NAME (else FS_EPERM). The node goes when its
	 * maker unlinks it or when the maker's connection ends. */
	FS_MKNOD = 9,

	/* open-file endpoint */
	/* c = max bytes. Inline: answer data = the bytes (at most
	 * FS_INLINE_MAX: a larger c is a short read). With FS_IO_BULK: b = a
	 * bulk slot, the bytes land at the start of its window, c at most the
	 * window size. val = bytes read (0: end of file). Advances the offset. */
	FS_READ = 16,
	/* Inline: the data follows the path-less fs_req (data_len bytes).
	 * With FS_IO_BULK: b = slot, c = bytes at the start of its window.
	 * val = bytes written. Advances the offset (FS_O_APPEND: writes at
	 * the end). */
	FS_WRITE = 17,
	FS_PREAD = 18,   /* as FS_READ at offset a; the offset is kept */
	FS_PWRITE = 19,  /* as FS_WRITE at offset a (even with FS_O_APPEND) */
	FS_SEEK = 20,    /* a = (int64) offset, b = FS_SEEK_*; val = new offset */
	FS_FSTAT = 21,   /* answer data = struct fs_stat */
	/* c = max bytes of records: answer data = struct fs_dirent records
	 * (the layout of Linux's getdents64), val = their bytes (0: end).
	 * The file offset counts entries; FS_SEEK to 0 rewinds. */
	FS_READDIR = 22,
	FS_FTRUNCATE = 23, /* a = new size */
	/* Ends the open file for every holder at once (later calls on any
	 * of its handles: FS_EBADF) and frees its bulk windows. Optional: a
	 * client's close() just closes its handle; fsd learns of the last
	 * one from the kernel's no-senders notice (docs/ipc.md). */
	FS_CLOSE = 24,
	/* c = window size (FS_BULK_MIN..FS_BULK_MAX, rounded up to pages).
	 * Answer: val = slot id, handles[0] = a grant (READ | WRITE | MAP |
	 * TRANSFER | DUPLICATE, no MANAGE) over a window of memory fsd owns;
	 * the client maps it (SYS_GRANT_MAP). fsd revokes it when the file
	 * closes or on FS_BULK_FREE. */
	FS_BULK_SETUP = 25,
	FS_BULK_FREE = 26, /* b = slot */

	/* any endpoint: answer val = FS_PROTO_VERSION, no state touched */
	FS_NOP = 32,
};

/* FS_OPEN flags (fs_req.flags). Neither READ nor WRITE: FS_EINVAL. */
#define FS_O_READ      0x001u
#define FS_O_WRITE     0x002u
#define FS_O_CREATE    0x004u /* create a regular file if missing */
#define FS_O_TRUNC     0x008u /* needs FS_O_WRITE */
#define FS_O_APPEND    0x010u /* every FS_WRITE at the end */
#define FS_O_EXCL      0x020u /* with FS_O_CREATE: FS_EEXIST if it exists */
#define FS_O_DIRECTORY 0x040u /* must be a directory: else FS_ENOTDIR */
#define FS_O_ALL       0x07fu /* any other bit: FS_EINVAL */

/* FS_READ/WRITE/PREAD/PWRITE flags. */
#define FS_IO_BULK 0x1u

/* FS_SEEK whence (b). */
#define FS_SEEK_SET 0u
#define FS_SEEK_CUR 1u
#define FS_SEEK_END 2u

/* A request. The message is this header, then path_len bytes of path,
 * then path2_len bytes of path2 (FS_RENAME), then data_len bytes of data
 * (FS_WRITE/FS_PWRITE); len must equal the sum. Paths are absolute
 * ('/' first), not NUL-terminated, normalised by the client; fsd still
 * checks each one: no '/' first, an empty component ("a//b", a trailing
 * '/' other than the root "/"), a NUL byte or `..` above the root is
 * FS_EINVAL; an empty path FS_ENOENT; a component over FS_NAME_MAX or a
 * path over FS_PATH_MAX FS_ENAMETOOLONG (docs/fsd.md). */
struct fs_req {
	uint32_t op;    /* enum fs_op */
	uint32_t flags; /* FS_O_* or FS_IO_* */
	uint64_t a, b, c;
	uint16_t path_len, path2_len;
	uint32_t data_len;
};
_Static_assert(sizeof(struct fs_req) == 40, "fs_req is wire format");

/* An answer: this header, then inline data (read bytes, fs_stat,
 * dirents); handles as the op says. */
struct fs_resp {
	int32_t err;    /* 0 or a negative FS_E* (Linux/musl errno) */
	uint32_t flags; /* FS_RESP_* */
	uint64_t val;
};
_Static_assert(sizeof(struct fs_resp) == 16, "fs_resp is wire format");

#define FS_RESP_DEVICE 0x1u /* FS_OPEN: handles[0] is a driver's endpoint */

/* Maximum inline payloads in one 4096-byte message. */
#define FS_REQ_DATA_MAX  (4096u - (uint32_t)sizeof(struct fs_req))
#define FS_RESP_DATA_MAX (4096u - (uint32_t)sizeof(struct fs_resp))

/* File types in fs_stat.mode: Linux's S_IF* values. */
#define FS_MODE_TYPE 0170000u
#define FS_MODE_DIR  0040000u
#define FS_MODE_REG  0100000u
#define FS_MODE_CHR  0020000u
#define FS_MODE_BLK  0060000u

struct fs_stat {
	uint64_t ino;
	uint64_t size;     /* bytes (a directory: its entries) */
	uint32_t mode;     /* FS_MODE_* | permission bits */
	uint32_t nlink;
	uint64_t mtime_ns; /* ns since boot (clock_now) */
	uint64_t ctime_ns;
	uint32_t blksize;  /* 4096 */
	uint32_t flags;    /* FS_ST_* */
};
_Static_assert(sizeof(struct fs_stat) == 48, "fs_stat is wire format");

#define FS_ST_RDONLY 0x1u /* on a read-only file system (bootfs) */

/* FS_READDIR records: Linux's struct linux_dirent64, 8-byte aligned
 * reclen, NUL-terminated name. `.` and `..` come first. */
struct fs_dirent {
	uint64_t d_ino;
	int64_t d_off; /* the entry index after this one */
	uint16_t d_reclen;
	uint8_t d_type; /* FS_DT_* */
	char d_name[];
};
#define FS_DT_CHR 2
#define FS_DT_DIR 4
#define FS_DT_BLK 6
#define FS_DT_REG 8

/* Errors (negated in fs_resp.err): Linux's numbers, as musl's errno. */
#define FS_EPERM        1
#define FS_ENOENT       2
#define FS_EIO          5
#define FS_EBADF        9
#define FS_EAGAIN       11
#define FS_ENOMEM       12
#define FS_EACCES       13
#define FS_EFAULT       14
#define FS_EBUSY        16
#define FS_EEXIST       17
#define FS_EXDEV        18
#define FS_ENODEV       19
#define FS_ENOTDIR      20
#define FS_EISDIR       21
#define FS_EINVAL       22
#define FS_ENFILE       23
#define FS_EMFILE       24
#define FS_EFBIG        27
#define FS_ENOSPC       28
#define FS_ESPIPE       29
#define FS_EROFS        30
#define FS_ENAMETOOLONG 36
#define FS_ENOSYS       38
#define FS_ENOTEMPTY    39
#define FS_EPROTO       71
#define FS_EOVERFLOW    75
