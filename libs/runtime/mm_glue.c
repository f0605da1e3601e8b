/* mmap through vmgr (docs/userland.md "Memory mappings", docs/vmgr.md):
 * a read-only mapping of an fsd file and MAP_NORESERVE anonymous memory
 * are pager-backed objects vmgr pages in; munmap of one of them as a
 * whole gives it back (VMGR_LAZY_RELEASE, the object closed, its pages
 * back to this task's quota). The connection to vmgr is made on first
 * use (/svc/vmgr through names); without vmgr a file mapping is ENODEV
 * and MAP_NORESERVE falls back to eager memory (glue.c). Single-threaded,
 * like the fd table. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>

#include "fd_glue.h"
#include "fs_int.h"
#include "vmgr_client.h"

#define MAPS_MAX 64
#define LOOKUP_WAIT_NS                                                         \
	1000000000ull /* the first time: vmgr may be starting                  \
		       */

static struct vmgr_client vc;
static bool vc_up, vc_tried;
static uint64_t next_key = 1; /* kept over reconnects: keys stay unique */
static struct vmgr_mapping maps[MAPS_MAX];

static struct vmgr_client *client(void)
{
	if (vc_up)
		return &vc;
	long now = sys_clock_now();
	uint64_t dl = vc_tried || now < 0 ? DEADLINE_POLL
					  : (uint64_t)now + LOOKUP_WAIT_NS;
	vc_tried = true;
	if (vmgr_client_open(&vc, dl))
		return NULL;
	vc.next_key = next_key;
	vc_up = true;
	return &vc;
}

/* vmgr went away: the next call connects to the new one. */
static void lost(void)
{
	vmgr_client_close(&vc);
	vc_up = false;
}

static struct vmgr_mapping *free_slot(void)
{
	for (int i = 0; i < MAPS_MAX; i++)
		if (!maps[i].len)
			return &maps[i];
	return NULL;
}

static long to_errno(long r)
{
	if (r == ERR_INVALID_ARGS)
		return -ENODEV; /* vmgr: not a regular fsd file */
	return -(long)execrt_errno(r);
}

/* One mapping through vmgr (fd < 0: lazy memory), once more after a
 * reconnect if vmgr had gone. */
static long map(const struct execrt_fd *e, uint64_t foff,
		const struct vm_map_req *req)
{
	struct vmgr_mapping *m = free_slot();
	if (!m)
		return -ENOMEM;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct vmgr_client *c = client();
		if (!c)
			return -ENODEV;
		long r = e ? vmgr_map_file_req(c, e->h, foff, req, m, NULL)
			   : vmgr_lazy_map_req(c, req, m);
		next_key = vc.next_key;
		if (r == ERR_PEER_CLOSED) {
			lost();
			continue;
		}
		return r ? to_errno(r) : (long)m->addr;
	}
	return -ENODEV;
}

long fsc_mmap_file(const struct vm_map_req *req, long flags, long fd, long off)
{
	long type = flags & MAP_SHARED_VALIDATE;
	if (type != MAP_SHARED && type != MAP_PRIVATE &&
	    type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (off < 0 || (off & (long)(PAGE_SIZE_USER - 1)))
		return -EINVAL;
	struct execrt_fd *e = fsc_fd(fd);
	if (!e)
		return -EBADF;
	if (e->kind != FDK_FILE)
		return -ENODEV;
	if ((e->flags & O_ACCMODE) == O_WRONLY)
		return -EACCES;
	/* A private copy that is never written back: read-only. */
	if (req->prot & PROT_WRITE)
		return -EACCES;
	return map(e, (uint64_t)off, req);
}

long fsc_mmap_lazy(const struct vm_map_req *req)
{
	return map(NULL, 0, req);
}

void fsc_munmap_vm(uint64_t addr, uint64_t len)
{
	for (int i = 0; i < MAPS_MAX; i++) {
		struct vmgr_mapping *m = &maps[i];
		if (!m->len || m->addr < addr || m->addr + m->len > addr + len)
			continue;
		/* Unmapped already (glue.c): vmgr forgets it (a vmgr that
		 * died with it has nothing to forget), the object goes. */
		if (vc_up && vmgr_forget(&vc, m->key) == ERR_PEER_CLOSED)
			lost();
		sys_handle_close(m->vmo);
		memset(m, 0, sizeof(*m));
	}
}
