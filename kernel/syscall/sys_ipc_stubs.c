/* IPC calls not implemented yet (ports, notifications, IRQs, grants):
 * each returns ERR_NOT_SUPPORTED until its object lands. */
#include <kern/syscall.h>

#define STUB(name)                                                           \
	SYSCALL(name)                                                        \
	{                                                                    \
		return ERR_NOT_SUPPORTED;                                    \
	}

STUB(sys_port_bind_notif)
STUB(sys_notif_create)
STUB(sys_notif_signal)
STUB(sys_notif_wait)
STUB(sys_irq_create)
STUB(sys_irq_ack)
STUB(sys_grant_create)
STUB(sys_grant_map)
STUB(sys_grant_unmap)
STUB(sys_grant_revoke)
