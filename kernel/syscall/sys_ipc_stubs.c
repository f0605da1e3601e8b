/* IPC calls not implemented yet (ports, notifications, IRQs, grants):
 * each returns ERR_NOT_SUPPORTED until its object lands. */
#include <kern/syscall.h>

#define STUB(name)                                                           \
	SYSCALL(name)                                                        \
	{                                                                    \
		return ERR_NOT_SUPPORTED;                                    \
	}

STUB(sys_port_create)
STUB(sys_port_send)
STUB(sys_port_recv)
STUB(sys_port_call)
STUB(sys_port_reply)
STUB(sys_port_reply_recv)
STUB(sys_port_mint)
STUB(sys_port_bind_notif)
STUB(sys_grant_create)
STUB(sys_grant_map)
STUB(sys_grant_unmap)
STUB(sys_grant_revoke)
