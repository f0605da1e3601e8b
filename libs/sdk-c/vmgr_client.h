/* A client of vmgr (docs/vmgr.md): a connection, lazily committed memory
 * (MAP_NORESERVE-style), read-only file mappings and shared buffers, over
 * include/execrt/vmgr_proto.h. Results are 0 or a negative ERR_* code
 * (the kernel's or vmgr's); a dead vmgr is ERR_PEER_CLOSED: open again. */
#pragma once
#include <stdint.h>

#include <execrt/syscall.h>
#include <execrt/types.h>
#include <execrt/vmgr_proto.h>

struct vmgr_client {
	handle_t svc;	/* /svc/vmgr */
	handle_t conn;	/* this connection */
	handle_t pager; /* for SYS_PAGER_VMO_CREATE */
	uint64_t id;
	uint64_t next_key;
};

/* Looks /svc/vmgr up (waiting until deadline) and connects. */
long vmgr_client_open(struct vmgr_client *c, uint64_t deadline);
/* Connects through a service endpoint the caller has (svc is kept). */
long vmgr_client_attach(struct vmgr_client *c, handle_t svc);
void vmgr_client_close(struct vmgr_client *c);
/* size bytes of zero-filled memory mapped read-write in this task, whose
 * pages are supplied (and charged to this task) only when first touched.
 * *vmo: the memory object (close it after unmapping; 0 if not wanted). */
long vmgr_lazy_map(struct vmgr_client *c, uint64_t size, uint64_t *addr,
		   handle_t *vmo);
/* The fsd open file `file` mapped read-only, size bytes (past the end of
 * the file: zeros); vmgr gets a duplicate, `file` stays the caller's.
 * *fsize: the file's size (NULL: not wanted). */
long vmgr_map_file(struct vmgr_client *c, handle_t file, uint64_t size,
		   uint64_t *addr, handle_t *vmo, uint64_t *fsize);
/* A shared buffer of size bytes (a grant: SYS_GRANT_MAP it, pass it on),
 * charged to this connection's ledger until vmgr_release and until every
 * holder has closed and unmapped it (docs/vmgr.md). */
long vmgr_buffer(struct vmgr_client *c, uint64_t size, handle_t *grant,
		 uint64_t *id);
long vmgr_release(struct vmgr_client *c, uint64_t id);

/* A mapping made through vmgr (what vmgr_unmap needs). */
struct vmgr_mapping {
	uint64_t addr, len, key;
	handle_t vmo; /* the memory object (this task's handle) */
};
/* Lazily committed memory mapped as *req says (len, prot, addr hint,
 * VM_MAP_FIXED: sys_vm_map's rules). */
long vmgr_lazy_map_req(struct vmgr_client *c, const struct vm_map_req *req,
		       struct vmgr_mapping *m);
/* The fsd open file `file` from byte foff (page-aligned) mapped as *req
 * says (vmgr supplies the pages: a private copy, never written back). */
long vmgr_map_file_req(struct vmgr_client *c, handle_t file, uint64_t foff,
		       const struct vm_map_req *req, struct vmgr_mapping *m,
		       uint64_t *fsize);
/* Unmaps m, tells vmgr (VMGR_LAZY_RELEASE) and closes the object: its
 * pages go back to this task's quota. */
long vmgr_unmap(struct vmgr_client *c, struct vmgr_mapping *m);
/* VMGR_LAZY_RELEASE of key alone (the caller unmaps and closes). */
long vmgr_forget(struct vmgr_client *c, uint64_t key);
/* vmgr's usage record of the task koid (VMGR_USAGE). */
long vmgr_usage_of(struct vmgr_client *c, uint64_t koid,
		   struct vmgr_usage *out);
