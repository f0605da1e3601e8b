/* sock_os.h inside netd: the system calls behind the socket code. Not
 * host-tested (tests/host/netd_sock_fake.c stands in for it); the guest
 * tests over 127.0.0.1 run it. */
#include <execrt/ipc.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "sock_os.h"

#define NE_ENOBUFS 105
#define NE_EINVAL  22

static handle_t self(void)
{
	return execrt_handle(START_H_SELF_TASK);
}

static int errno_of(long r)
{
	return r == ERR_NO_MEMORY || r == ERR_NO_RESOURCES ? -NE_ENOBUFS
							   : -NE_EINVAL;
}

int sock_os_region_new(size_t size, struct sock_region *r, handle_t *client)
{
	struct vm_map_req req = {.len = size,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	uint64_t addr = 0;
	handle_t g;
	long e = sys_vm_map(self(), HANDLE_INVALID, &req, &addr);
	if (e < 0)
		return errno_of(e);
	e = sys_grant_create(self(), addr, size, VM_PROT_READ | VM_PROT_WRITE,
			     &g);
	if (e == 0) {
		/* No MANAGE, no DUPLICATE: the client maps it, cannot
		 * revoke it and cannot pass copies around. */
		e = sys_handle_dup(g,
				   RIGHT_READ | RIGHT_WRITE | RIGHT_MAP |
					   RIGHT_TRANSFER,
				   client);
		if (e < 0)
			sys_handle_close(g);
	}
	if (e < 0) {
		sys_vm_unmap(self(), addr, size);
		return errno_of(e);
	}
	r->base = (void *)addr;
	r->size = size;
	r->grant = g;
	r->revoked = false;
	return 0;
}

void sock_os_region_revoke(struct sock_region *r)
{
	if (r->revoked || !r->grant)
		return;
	sys_grant_revoke(r->grant);
	r->revoked = true;
}

void sock_os_region_free(struct sock_region *r)
{
	if (!r->grant)
		return;
	sock_os_region_revoke(r);
	sys_handle_close(r->grant);
	sys_vm_unmap(self(), (uint64_t)r->base, r->size);
	r->grant = HANDLE_INVALID;
	r->base = NULL;
}

int sock_os_mint(handle_t port, uint64_t badge, handle_t *out)
{
	long e = sys_port_mint_ex(port, badge, PORT_MINT_NOTIFY_CLOSED, out);
	return e < 0 ? errno_of(e) : 0;
}

int sock_os_dup_signal(handle_t notif, handle_t *out)
{
	long e = sys_handle_dup(notif, RIGHT_SIGNAL | RIGHT_TRANSFER, out);
	return e < 0 ? errno_of(e) : 0;
}

int sock_os_check_notif(handle_t h)
{
	struct handle_info hi;
	if (sys_handle_info(h, &hi) < 0 || hi.type != OBJ_NOTIFICATION ||
	    !(hi.rights & RIGHT_SIGNAL))
		return -NE_EINVAL;
	return 0;
}

void sock_os_signal(handle_t notif, uint64_t bits)
{
	sys_notif_signal(notif, bits);
}

int sock_os_reply(handle_t reply, const void *msg, uint32_t len,
		  const handle_t *handles, uint32_t nhandles)
{
	struct port_msg m = {.data = msg,
			     .len = len,
			     .nhandles = nhandles,
			     .handles = handles};
	long e = sys_port_reply(reply, &m);
	if (e < 0 && e != ERR_PEER_CLOSED)
		sys_handle_close(reply); /* refused: end the call anyway */
	return e < 0 ? -NE_EINVAL : 0;
}

void sock_os_close(handle_t h)
{
	if (h)
		sys_handle_close(h);
}
