/* fsd's protocol handler (docs/fsd.md): connections, open files, bulk
 * windows, per-connection limits, and every request of fs_proto.h turned
 * into calls on the tree (fsd_fs.h). No system calls: what needs the
 * kernel (minting endpoints, duplicating and closing handles, bulk
 * memory) goes through struct fsd_ops, so the host tests
 * (tests/host/test_fsd_srv.c) drive it with fakes.
 *
 * Badges say what an endpoint is: bits 63-56 the kind, then a serial
 * (never reused) and the table index, so a stale badge finds nothing. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/fs_proto.h>

#include "fsd_fs.h"

#define FSD_CONN_MAX	    256		/* connections: FS_ENFILE beyond */
#define FSD_FILE_MAX	    2048	/* open files in all: FS_ENFILE */
/* Per client task (port_rx.sender, which a task cannot multiply as it
 * can connections): FS_EMFILE beyond. One task takes at most 1/64 of
 * the connections, 1/16 of the open files and 1/4 of the bulk bytes
 * (beyond that its bulk set-ups fail and it reads inline). */
#define FSD_CONN_PER_TASK   4
#define FSD_FILES_PER_TASK  128
#define FSD_BULK_PER_TASK   FSD_BULK_CONN
#define FSD_PUBLIC_INFLIGHT 32		/* calls held on each public endpoint */
#define FSD_BULK_CONN	    (4u << 20)	/* bulk window bytes per connection */
#define FSD_BULK_TOTAL	    (16u << 20) /* bulk window bytes in all */

/* The table also keeps connections whose maker has died while files
 * opened on them are still held (by the maker's children): they count
 * against the open files, not against FSD_CONN_MAX, and each has one. */
#define FSD_CONN_SLOTS (FSD_CONN_MAX + FSD_FILE_MAX + 2)

#define FSD_KIND_PUBLIC	 0u /* the endpoint registered as /svc/fsd: badge 0 */
#define FSD_KIND_DEVPUB	 1u /* /drv/fsd */
#define FSD_KIND_CONN	 2u
#define FSD_KIND_FILE	 3u
#define FSD_BADGE_PUBLIC 0ull
#define FSD_BADGE_DEVPUB (1ull << 56)
#define FSD_NO_SLOT	 0xffffu /* fsd_admit: not counted */

/* A bulk window: fsd's mapping of memory it shares with one client. */
struct fsd_bulk {
	uint8_t *addr; /* NULL: slot free */
	uint32_t size;
	uint32_t grant; /* the platform's own handle (to revoke) */
};

struct fsd_ops {
	void *ctx;
	/* A send endpoint of fsd's port carrying badge, minted with the
	 * no-senders notice: 0 and *out, or a negative FS_E*. */
	int (*mint)(void *ctx, uint64_t badge, uint32_t *out);
	/* A duplicate of a device's send handle for a client. */
	int (*dup)(void *ctx, uint32_t h, uint32_t *out);
	void (*close)(void *ctx, uint32_t h);
	/* Is h a send endpoint with WRITE and DUPLICATE? 0 or -FS_EINVAL. */
	int (*check_send)(void *ctx, uint32_t h);
	/* size bytes (page multiple) of zeroed memory mapped into fsd and
	 * a grant of it for the client (*client: no MANAGE). */
	int (*bulk_new)(void *ctx, uint32_t size, struct fsd_bulk *b,
			uint32_t *client);
	/* Revokes the grant (the client's mapping goes too) and unmaps. */
	void (*bulk_free)(void *ctx, struct fsd_bulk *b);
	/* Has the task with this koid ended (dying or freed)? false when
	 * unknown (no way to ask): its connections are then kept. NULL: the
	 * same. */
	bool (*task_gone)(void *ctx, uint64_t koid);
};

struct fsd_file {
	uint64_t badge; /* 0: free */
	struct fsd_node *node;
	uint32_t flags; /* FS_O_* it was opened with */
	uint16_t conn;	/* the connection it was opened on (admission) */
	/* The task it counts against (koid: its opener, or the task that
	 * used it last once the opener ended, fsd_reclaim_files), and the
	 * sender of its last call (0: none yet). */
	uint64_t task, user;
	uint64_t off;
	struct fsd_bulk bulk[FS_BULK_SLOTS];
};

struct fsd_conn {
	uint64_t badge; /* 0: free (slots 0, 1: the public endpoints) */
	bool alive;	/* handles to its endpoint exist */
	bool dev;	/* made through /drv/fsd: may FS_MKNOD */
	bool orphan;	/* its maker ended: unusable, kept for its files */
	uint64_t task;	/* koid of the task that connected (0: unknown);
			 * only it may call on the connection (REVIEW-18 R3) */
	uint32_t nopen, inflight;
	uint64_t bulk_bytes;
};

struct fsd_stats {
	uint64_t requests, errors, eagain, notices, connects, opens;
	uint64_t reclaimed; /* files of ended tasks freed */
	uint64_t bulk_bytes;
};

/* The answer to one request: bytes and at most one handle. */
struct fsd_out {
	bool reply; /* false: nothing to answer (a notice) */
	uint32_t len;
	uint32_t handle; /* a new handle to attach (0: none) */
	_Alignas(8) uint8_t buf[4096];
};

struct fsd_srv {
	struct fsd_fs fs;
	struct fsd_ops ops;
	struct fsd_conn conns[FSD_CONN_SLOTS];
	struct fsd_file files[FSD_FILE_MAX];
	uint64_t serial;
	uint64_t bulk_total;
	uint32_t nfiles;
	struct fsd_stats st;
	struct fsd_path p1, p2; /* scratch */
	/* The task whose request is being served (port_rx.sender), set by
	 * the platform before fsd_request; 0 (unknown, e.g. host tests that
	 * do not set it) disables the per-task limits. */
	uint64_t sender;
};

/* Would `more` bulk bytes charged to task stay within its share
 * (FSD_BULK_PER_TASK)? Task 0 (unknown): yes. */
bool fsd_task_bulk_ok(struct fsd_srv *s, uint64_t task, uint64_t more);
/* Open files and bulk bytes charged to task (koid, not 0). */
void fsd_task_files(struct fsd_srv *s, uint64_t task, uint32_t *files,
		    uint64_t *bulk);
/* The file table or the bulk bytes are full: files charged to ended
 * tasks go to the live task that used them last, within its share, or
 * are freed (REVIEW-18 R3, docs/fsd.md). keep is never freed. */
void fsd_reclaim_files(struct fsd_srv *s, const struct fsd_file *keep);

/* fs must be set up (fsd_fs_init, fsd_boot_load) by the caller. */
void fsd_srv_init(struct fsd_srv *s, const struct fsd_ops *ops);
/* Everything closed (device handles, bulk windows), the tree freed. */
void fsd_srv_fini(struct fsd_srv *s);

/* A call arrived through badge: the slot it is counted against (pass it
 * to fsd_done once answered), FSD_NO_SLOT (a stale badge: not counted),
 * or -FS_EAGAIN when that connection already has its calls in flight. */
int fsd_admit(struct fsd_srv *s, uint64_t badge);
void fsd_done(struct fsd_srv *s, int slot);

/* Serves one call. handles[0..nh) came with it: the core zeroes those it
 * keeps; the caller closes the rest. If out->handle cannot be delivered
 * the caller closes it. */
void fsd_request(struct fsd_srv *s, uint64_t badge, const void *msg,
		 uint32_t len, uint32_t *handles, uint32_t nh,
		 struct fsd_out *out);
/* The no-senders notice of badge's endpoint. */
void fsd_notice(struct fsd_srv *s, uint64_t badge);

/* Between fsd_srv.c and fsd_file.c. */
void fsd_answer(struct fsd_out *out, int err, uint64_t val);
void fsd_file_op(struct fsd_srv *s, struct fsd_file *f, const struct fs_req *q,
		 const uint8_t *data, struct fsd_out *out);
void fsd_file_free(struct fsd_srv *s, struct fsd_file *f);
void fsd_conn_maybe_free(struct fsd_srv *s, uint16_t i);
