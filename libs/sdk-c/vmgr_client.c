/* vmgr_client: see vmgr_client.h. */
#include "vmgr_client.h"

#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>
#include <execrt/vmgr_proto.h>

#include "cl_ports.h"

#define CALL_NS 5000000000ull

static uint64_t now_ns(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static uint64_t koid_of(handle_t h)
{
	struct handle_info hi;
	return h && sys_handle_info(h, &hi) == 0 ? hi.koid : 0;
}

/* Handles that were to be moved by a call that failed are still ours if
 * the send itself failed (same value, same object): closed then. */
static void drop_unsent(const handle_t *h, const uint64_t *koid, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (koid[i] && koid_of(h[i]) == koid[i])
			sys_handle_close(h[i]);
}

/* One call: handles to give (moved), the answer's first `want` handles
 * into got (the rest closed). */
static long call(handle_t ep, uint32_t op, uint64_t a, const handle_t *give,
		 uint32_t ngive, struct vmgr_resp *rs, handle_t *got,
		 uint32_t want)
{
	struct vmgr_req rq = {.op = op, .a = a};
	handle_t h[PORT_HANDLES_MAX];
	struct port_msg m = {.data = &rq,
			     .len = sizeof(rq),
			     .nhandles = ngive,
			     .handles = give};
	struct port_rx rx = {.buf = rs,
			     .cap = sizeof(*rs),
			     .handles = h,
			     .hcap = PORT_HANDLES_MAX};
	uint64_t koid[2] = {0, 0};
	for (uint32_t i = 0; i < ngive && i < 2; i++)
		koid[i] = koid_of(give[i]);
	long r = sys_port_call(ep, &m, &rx, now_ns() + CALL_NS);
	if (r < 0)
		drop_unsent(give, koid, ngive < 2 ? ngive : 2);
	if (r == ERR_BUFFER_TOO_SMALL)
		r = ERR_INVALID_ARGS; /* not a vmgr answer */
	uint32_t n = r ? 0 : rx.nhandles;
	for (uint32_t i = 0; i < n; i++)
		if (i < want && !rs->err)
			got[i] = h[i];
		else
			sys_handle_close(h[i]);
	if (r)
		return r;
	if (rx.len != sizeof(*rs))
		return ERR_INVALID_ARGS;
	if (!rs->err && n < want)
		return ERR_INVALID_ARGS;
	return rs->err;
}

long vmgr_client_attach(struct vmgr_client *c, handle_t svc)
{
	memset(c, 0, sizeof(*c));
	handle_t me;
	long r = sys_handle_dup(execrt_handle(START_H_SELF_TASK),
				RIGHT_WAIT | RIGHT_TRANSFER, &me);
	if (r < 0)
		return r;
	struct vmgr_resp rs;
	handle_t got[2] = {0, 0};
	r = call(svc, VMGR_CONNECT, 0, &me, 1, &rs, got, 2);
	if (r)
		return r;
	c->svc = svc;
	c->conn = got[0];
	c->pager = got[1];
	c->id = rs.val;
	c->next_key = 1;
	return 0;
}

long vmgr_client_open(struct vmgr_client *c, uint64_t deadline)
{
	struct cl_conn n;
	if (cl_connect(VMGR_NAME, deadline, &n) < 0)
		return ERR_NOT_FOUND;
	long r = vmgr_client_attach(c, n.send);
	if (r)
		cl_close(&n);
	return r;
}

void vmgr_client_close(struct vmgr_client *c)
{
	sys_handle_close(c->conn);
	sys_handle_close(c->pager);
	sys_handle_close(c->svc);
	memset(c, 0, sizeof(*c));
}

/* A pager object of size on c's pager endpoint, given to vmgr with op,
 * and mapped here with prot. */
static long pager_map(struct vmgr_client *c, uint32_t op, handle_t file,
		      uint64_t size, uint32_t prot, uint64_t *addr,
		      handle_t *vmo, uint64_t *val)
{
	handle_t v, give[2] = {0, 0};
	uint64_t key = c->next_key++;
	long r = sys_pager_vmo_create(c->pager, key, size, &v);
	if (r < 0)
		return r;
	if ((r = sys_handle_dup(v, RIGHT_SAME, &give[0])) < 0 ||
	    (file && (r = sys_handle_dup(file, RIGHT_SAME, &give[1])) < 0)) {
		if (give[0])
			sys_handle_close(give[0]);
		sys_handle_close(v);
		return r;
	}
	struct vmgr_resp rs;
	r = call(c->conn, op, key, give, file ? 2 : 1, &rs, NULL, 0);
	if (!r) {
		struct vm_map_req req = {.len = (size + 4095) & ~4095ull,
					 .prot = prot};
		r = sys_vm_map(execrt_handle(START_H_SELF_TASK), v, &req, addr);
		if (r)
			call(c->conn, VMGR_LAZY_RELEASE, key, NULL, 0, &rs,
			     NULL, 0);
	}
	if (r) {
		sys_handle_close(v);
		return r;
	}
	if (val)
		*val = rs.val;
	if (vmo)
		*vmo = v;
	else
		sys_handle_close(v); /* the mapping keeps the object */
	return 0;
}

long vmgr_lazy_map(struct vmgr_client *c, uint64_t size, uint64_t *addr,
		   handle_t *vmo)
{
	return pager_map(c, VMGR_LAZY, 0, size, VM_PROT_READ | VM_PROT_WRITE,
			 addr, vmo, NULL);
}

long vmgr_map_file(struct vmgr_client *c, handle_t file, uint64_t size,
		   uint64_t *addr, handle_t *vmo, uint64_t *fsize)
{
	if (!file)
		return ERR_INVALID_ARGS;
	return pager_map(c, VMGR_MAP_FILE, file, size, VM_PROT_READ, addr, vmo,
			 fsize);
}

long vmgr_buffer(struct vmgr_client *c, uint64_t size, handle_t *grant,
		 uint64_t *id)
{
	struct vmgr_resp rs;
	long r = call(c->conn, VMGR_BUF_ALLOC, size, NULL, 0, &rs, grant, 1);
	if (!r && id)
		*id = rs.val;
	return r;
}

long vmgr_release(struct vmgr_client *c, uint64_t id)
{
	struct vmgr_resp rs;
	return call(c->conn, VMGR_BUF_RELEASE, id, NULL, 0, &rs, NULL, 0);
}
