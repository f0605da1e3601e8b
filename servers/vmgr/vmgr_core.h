/* vmgr's bookkeeping (docs/vmgr.md): connections, their ledgers, shared
 * buffers and lazily committed objects, and the usage report. Pure code
 * (no system calls: handles are just numbers here), host-tested in
 * tests/host/test_vmgr_core.c; vmgr.c does the calls. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/syscall.h>
#include <execrt/types.h>
#include <execrt/vmgr_proto.h>

/* Badges of the endpoints vmgr mints: the connection id, with this bit for
 * its pager endpoint. 0 is the service endpoint. */
#define VMGR_PAGER_BIT (1ull << 62)
/* The badge of a buffer's memory-gone notice (SYS_GRANT_NOTIFY): the
 * buffer id with this bit. */
#define VMGR_BUF_BIT (1ull << 60)

/* Connections one task (by the koid of the task handle it gave) may hold
 * at once. */
#define VMGR_CONNS_PER_TASK 4

struct vmgr_conn {
	uint64_t id; /* 0: free slot */
	uint64_t task_koid;
	handle_t task;	     /* the client's task (WAIT) */
	uint64_t ledger;     /* shared-buffer bytes charged to it */
	uint64_t limit;	     /* the most ledger may reach */
	uint64_t lazy_pages; /* pages supplied to its live lazy objects */
};

/* A buffer is charged to its connection's ledger from alloc until its
 * memory is gone (the kernel's notice), not until its release: a client
 * that releases and keeps the grant still holds the memory. */
struct vmgr_buf {
	uint64_t id;   /* 0: free */
	uint64_t conn; /* 0 with id: its task ended, charged to no ledger */
	uint64_t size;
	handle_t vmo;  /* vmgr's own grant handle, closed on release */
	bool released; /* vmgr's handle closed: waiting for the notice */
};

struct vmgr_lazy {
	uint64_t conn; /* 0: free */
	uint64_t key;
	handle_t vmo;	/* MANAGE: supply */
	uint64_t size;	/* bytes */
	uint64_t pages; /* supplied to it (counted in its connection's) */
	handle_t file;	/* an fsd open file (0: zero-fill) */
	uint64_t foff;	/* where in the file the object starts */
	uint64_t fsize; /* the file's size after foff when mapped */
	/* fsd's bulk window for it (win 0: inline reads): the grant, where
	 * vmgr mapped it, its slot and size. */
	handle_t win;
	uint64_t win_addr, win_slot, win_len;
};

/* A task's own ledger limit (init's VMGR_SET_LIMIT). */
struct vmgr_limit {
	uint64_t koid; /* 0: free */
	uint64_t bytes;
	uint64_t seq; /* the oldest goes when the table is full */
};

struct vmgr {
	struct vmgr_conn conns[VMGR_MAX_CONNS];
	struct vmgr_buf bufs[VMGR_MAX_BUFS];
	struct vmgr_lazy lazy[VMGR_MAX_LAZY];
	uint64_t next_id;
	uint64_t ledger_limit; /* per task (all its connections), without a
				* limit of its own */
	struct vmgr_limit limits[VMGR_MAX_LIMITS];
	uint64_t limit_seq;
};

/* Handles that became vmgr's to close and window mappings to unmap
 * first (a release, a dead client). */
struct vmgr_drop {
	unsigned n, nu;
	handle_t h[1 + VMGR_MAX_BUFS + 3 * VMGR_MAX_LAZY];
	uint64_t unmap[VMGR_MAX_LAZY];
};

void vmgr_init(struct vmgr *v, uint64_t ledger_limit);
/* Task koid's ledger limit (bytes 0: the default again), for its
 * connections now and later. A full table drops its oldest entry. */
void vmgr_set_limit(struct vmgr *v, uint64_t koid, uint64_t bytes);
uint64_t vmgr_limit_of(const struct vmgr *v, uint64_t koid);
/* A connection for task (koid): its id, or ERR_NO_RESOURCES. */
int64_t vmgr_connect(struct vmgr *v, uint64_t koid, handle_t task);
struct vmgr_conn *vmgr_conn(struct vmgr *v, uint64_t id);
/* Charges size (page-rounded) to c's ledger for a new buffer: the buffer
 * slot (its id set already), or ERR_INVALID_ARGS (0), ERR_OUT_OF_RANGE (>
 * VMGR_BUF_MAX), ERR_NO_MEMORY (over the ledger limit), ERR_NO_RESOURCES (no
 * slot). vmgr_buf_commit() then records the memory object (or _abort). */
int vmgr_buf_reserve(struct vmgr *v, struct vmgr_conn *c, uint64_t size);
uint64_t vmgr_buf_commit(struct vmgr *v, int slot, handle_t vmo);
void vmgr_buf_abort(struct vmgr *v, int slot);
/* Releases buffer id of c: its handle goes to d; it stays on the ledger
 * until vmgr_buf_gone(). ERR_NOT_FOUND if c does not hold it or released
 * it already. */
int vmgr_buf_release(struct vmgr *v, struct vmgr_conn *c, uint64_t id,
		     struct vmgr_drop *d);
/* The memory of buffer id is gone (its notice): off the ledger, slot
 * free. ERR_NOT_FOUND: no such buffer (an aborted alloc's). */
int vmgr_buf_gone(struct vmgr *v, uint64_t id, struct vmgr_drop *d);
/* A lazy object of c under key: ERR_ALREADY_EXISTS, ERR_NO_RESOURCES. */
int vmgr_lazy_add(struct vmgr *v, struct vmgr_conn *c, uint64_t key,
		  handle_t vmo, uint64_t size);
/* Pages vmgr supplies for a fault at offset: the faulting one and up to
 * VMGR_AHEAD - 1 after it, within the object (docs/vmgr.md). */
#define VMGR_AHEAD 16
uint64_t vmgr_supply_len(const struct vmgr_lazy *l, uint64_t offset);
/* File-backed: the bytes of the file in the page at offset (the rest of
 * the page is zeros): 0 past the end of the file. */
uint64_t vmgr_file_bytes(const struct vmgr_lazy *l, uint64_t offset);
/* With a bulk window: the bytes vmgr supplies for a fault at offset (as
 * vmgr_supply_len, at most the window) and *file how many of them come
 * from the file (one FS_PREAD), the rest zeros. */
uint64_t vmgr_file_span(const struct vmgr_lazy *l, uint64_t offset,
			uint64_t *file);
struct vmgr_lazy *vmgr_lazy_find(struct vmgr *v, uint64_t conn, uint64_t key);
int vmgr_lazy_release(struct vmgr *v, struct vmgr_conn *c, uint64_t key,
		      struct vmgr_drop *d);
/* The connection is gone (its task ended): everything it held goes to d
 * (its task handle too); its buffers stay, on no ledger, until their
 * memory goes (others may hold them). */
void vmgr_disconnect(struct vmgr *v, struct vmgr_conn *c, struct vmgr_drop *d);
/* Joins the kernel's task records with the ledgers (by task koid). */
void vmgr_usage(const struct vmgr *v, const struct task_stats *ts, unsigned n,
		struct vmgr_usage *out);
