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
 *   VMGR_INFO: val = ledger limit per task (all its connections
 *       together), val2 = bytes the ledger of this connection holds.
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
};

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
	uint64_t lazy_pages;  /* pages vmgr supplied to its lazy objects */
};

#define VMGR_USAGE_MAX 32
/* Limits (docs/vmgr.md "Limits"). */
#define VMGR_MAX_CONNS 64
#define VMGR_MAX_BUFS  256
#define VMGR_MAX_LAZY  128
#define VMGR_BUF_MAX   (64ull << 20)
