/* The vmgr protocol (docs/vmgr.md): binary requests as port calls on
 * /svc/vmgr's endpoint and on the per-client endpoints it mints.
 *
 *   VMGR_CONNECT (service endpoint), handle 0: the caller's own task
 *       handle (WAIT is all vmgr uses: it learns the task's end and koid).
 *       Answer: handle 0 the connection (calls below), handle 1 a pager
 *       endpoint for SYS_PAGER_VMO_CREATE; val = connection id.
 *   VMGR_USAGE a = after_koid: up to VMGR_USAGE_MAX records of live tasks
 *       with koid > a, ascending (struct vmgr_usage after the answer);
 *       val = how many. Works on the service endpoint too.
 *   VMGR_BUF_ALLOC a = size: a shared buffer (a grant of fresh memory,
 *       handle 0, without MANAGE: SYS_GRANT_MAP it, pass it on) charged
 *       to this connection's ledger; val = buffer id.
 *   VMGR_BUF_RELEASE a = id: the ledger lets go of it (the memory goes
 *       when every holder has closed its handles and mappings).
 *   VMGR_LAZY a = key, handle 0: a pager-backed object the client made on
 *       its pager endpoint with that key (with MANAGE): vmgr supplies its
 *       pages zero-filled on first touch (lazily committed memory, each
 *       page charged to the client's own quota by the kernel).
 *   VMGR_LAZY_RELEASE a = key (also for VMGR_MAP_FILE objects).
 *   VMGR_MAP_FILE a = key, handle 0: a pager-backed object as for
 *       VMGR_LAZY, handle 1: an fsd open-file endpoint (fs_proto.h) of a
 *       regular file: vmgr supplies each page from the file (FS_PREAD),
 *       zeros past its end. A private, read-only copy: nothing is written
 *       back. val = the file's size.
 *   VMGR_INFO: val = this task's ledger limit (all its connections
 *       together), val2 = bytes the ledger of this connection holds.
 *   VMGR_SET_LIMIT a = task koid, b = bytes (0: back to the default): the
 *       ledger limit of that task, now and later. Only as a send (no
 *       answer) on the control endpoint (badge VMGR_CTL_BADGE), which
 *       only init holds (it made vmgr's port: manifest "vmgr-port",
 *       docs/vmgr.md "Ledger limits"); anywhere else it is ignored.
 *   VMGR_GIVE_QUOTA b = bytes, handle 0: a task (MANAGE): vmgr lends b
 *       bytes of its own quota to that task (SYS_TASK_QUOTA_LEND) and
 *       closes the handle; err is the call's. Only as a call on the
 *       control endpoint (init's, when it starts a service: docs/vmgr.md
 *       "Who holds the memory authority"); elsewhere ERR_NOT_SUPPORTED.
 * Every answer starts with struct vmgr_resp; err is 0 or an ERR_* code. */
#pragma once
#include <stdint.h>

#define VMGR_NAME "/svc/vmgr"

enum vmgr_op {
	VMGR_CONNECT = 1,
	VMGR_USAGE = 2,
	VMGR_BUF_ALLOC = 3,
	VMGR_BUF_RELEASE = 4,
	VMGR_LAZY = 5,
	VMGR_LAZY_RELEASE = 6,
	VMGR_INFO = 7,
	VMGR_MAP_FILE = 8,
	VMGR_SET_LIMIT = 9,
	VMGR_GIVE_QUOTA = 10,
};

/* The badge of init's control endpoint on vmgr's port (connection ids
 * are small; bit 62 marks pager endpoints). */
#define VMGR_CTL_BADGE (1ull << 61)

struct vmgr_req {
	uint32_t op, flags; /* flags: 0 */
	uint64_t a, b;
};

struct vmgr_resp {
	int32_t err;
	uint32_t count; /* records after the answer (VMGR_USAGE) */
	uint64_t val, val2;
};

/* One task as the kernel and vmgr see it. */
struct vmgr_usage {
	uint64_t koid, parent_koid;
	char name[32];
	uint64_t quota, used; /* its kernel memory account */
	uint64_t shared;      /* shared-buffer bytes on its ledgers */
	uint64_t lazy_pages;  /* pages vmgr supplied to its live lazy objects */
};

#define VMGR_USAGE_MAX 32
/* Limits (docs/vmgr.md "Limits"). */
#define VMGR_MAX_CONNS	64
#define VMGR_MAX_BUFS	256
#define VMGR_MAX_LAZY	128
#define VMGR_MAX_LIMITS 64 /* tasks with a limit of their own */
#define VMGR_BUF_MAX	(64ull << 20)
