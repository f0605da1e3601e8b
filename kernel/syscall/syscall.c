/* The system-call table and helpers shared by the handlers. */
#include <kern/handle.h>
#include <kern/lib.h>
#include <kern/slab.h>
#include <kern/syscall.h>
#include <kern/task.h>
#include <kern/thread.h>
#include <kern/uaccess.h>

/* Indexed by number; the arch entry code calls through it directly. */
const syscall_fn syscall_table[SYS_COUNT] = {
	[SYS_DEBUG_WRITE] = sys_debug_write,
	[SYS_HANDLE_CLOSE] = sys_handle_close,
	[SYS_HANDLE_DUP] = sys_handle_dup,
	[SYS_HANDLE_INFO] = sys_handle_info,
	[SYS_CLOCK_NOW] = sys_clock_now,
	[SYS_YIELD] = sys_yield,
	[SYS_SLEEP_UNTIL] = sys_sleep_until,
	[SYS_TASK_CREATE] = sys_task_create,
	[SYS_TASK_KILL] = sys_task_kill,
	[SYS_TASK_EXIT] = sys_task_exit,
	[SYS_THREAD_CREATE] = sys_thread_create,
	[SYS_THREAD_START] = sys_thread_start,
	[SYS_THREAD_EXIT] = sys_thread_exit,
	[SYS_THREAD_SET_TLS] = sys_thread_set_tls,
	[SYS_OBJECT_WAIT] = sys_object_wait,
	[SYS_VM_MAP] = sys_vm_map,
	[SYS_VM_UNMAP] = sys_vm_unmap,
	[SYS_VM_PROTECT] = sys_vm_protect,
	[SYS_VMO_CREATE] = sys_vmo_create,
	[SYS_VMO_READ] = sys_vmo_read,
	[SYS_VMO_WRITE] = sys_vmo_write,
	[SYS_VMO_GET_SIZE] = sys_vmo_get_size,
	[SYS_SCHED_SET] = sys_sched_set,
	[SYS_TASK_GIVE_HANDLE] = sys_task_give_handle,
	[SYS_KERNEL_STATS] = sys_kernel_stats,
	[SYS_TASK_SET_FAULT_HANDLER] = sys_task_set_fault_handler,
	[SYS_FAULT_WAIT] = sys_fault_wait,
	[SYS_FAULT_RESUME] = sys_fault_resume,
	[SYS_PORT_CREATE] = sys_port_create,
	[SYS_PORT_SEND] = sys_port_send,
	[SYS_PORT_RECV] = sys_port_recv,
	[SYS_PORT_CALL] = sys_port_call,
	[SYS_PORT_REPLY] = sys_port_reply,
	[SYS_PORT_REPLY_RECV] = sys_port_reply_recv,
	[SYS_PORT_MINT] = sys_port_mint,
	[SYS_NOTIF_CREATE] = sys_notif_create,
	[SYS_NOTIF_SIGNAL] = sys_notif_signal,
	[SYS_NOTIF_WAIT] = sys_notif_wait,
	[SYS_PORT_BIND_NOTIF] = sys_port_bind_notif,
	[SYS_IRQ_CREATE] = sys_irq_create,
	[SYS_IRQ_ACK] = sys_irq_ack,
	[SYS_GRANT_CREATE] = sys_grant_create,
	[SYS_GRANT_MAP] = sys_grant_map,
	[SYS_GRANT_UNMAP] = sys_grant_unmap,
	[SYS_GRANT_REVOKE] = sys_grant_revoke,
	[SYS_IOPORT_IO] = sys_ioport_io,
	[SYS_SCHED_GET] = sys_sched_get,
	[SYS_SCHED_AUTH_DERIVE] = sys_sched_auth_derive,
	[SYS_SCHED_AUTH_INFO] = sys_sched_auth_info,
	[SYS_SCHED_CONFIG] = sys_sched_config,
	[SYS_TASK_SET_CPU_QUOTA] = sys_task_set_cpu_quota,
	[SYS_SCHED_TRACE_READ] = sys_sched_trace_read,
	[SYS_SCHED_STATS] = sys_sched_stats,
	[SYS_SCHED_CPU_INFO] = sys_sched_cpu_info,
	[SYS_RESOURCE_DERIVE] = sys_resource_derive,
	[SYS_OBJECT_NOTIFY] = sys_object_notify,
	[SYS_TASK_STATS] = sys_task_stats,
	[SYS_SCHED_AFFINITY] = sys_sched_affinity,
	[SYS_NULL] = sys_null,
	[SYS_PAGER_VMO_CREATE] = sys_pager_vmo_create,
	[SYS_PAGER_SUPPLY] = sys_pager_supply,
	[SYS_VMO_CREATE_DMA] = sys_vmo_create_dma,
	[SYS_VMO_PHYS] = sys_vmo_phys,
	[SYS_PORT_MINT_EX] = sys_port_mint_ex,
	[SYS_TASK_QUOTA_LEND] = sys_task_quota_lend,
	[SYS_VMO_CREATE_PHYS] = sys_vmo_create_phys,
	[SYS_PCI_CFG_READ] = sys_pci_cfg_read,
	[SYS_PCI_CFG_WRITE] = sys_pci_cfg_write,
	[SYS_IRQ_CREATE_MSI] = sys_irq_create_msi,
	[SYS_GRANT_NOTIFY] = sys_grant_notify,
	[SYS_PORT_CALL_REG] = sys_port_call_reg,
	[SYS_PORT_REPLY_RECV_REG] = sys_port_reply_recv_reg,
};

const uint64_t syscall_table_len = SYS_COUNT;

long syscall_bad_number(void)
{
	return ERR_BAD_SYSCALL;
}

int newh_reserve(struct new_handle *nh, uint64_t uout)
{
	nh->h = HANDLE_INVALID;
	if (!user_range_ok(uout, sizeof(handle_t)))
		return ERR_FAULT;
	struct handle_table *t = &cur_task()->handles;
	int err = handle_reserve(t, 1, &nh->h);
	if (err)
		return err;
	if (copy_to_user((void *)uout, &nh->h, sizeof(nh->h))) {
		handle_cancel(t, 1, &nh->h);
		return ERR_FAULT;
	}
	return 0;
}

int newh_commit(struct new_handle *nh, struct kobject *o, uint32_t rights)
{
	return handle_commit(&cur_task()->handles, 1, &nh->h, &o, &rights);
}

void newh_cancel(struct new_handle *nh)
{
	handle_cancel(&cur_task()->handles, 1, &nh->h);
}

long copy_out_by_koid(uint64_t after, uintptr_t ubuf, uint64_t max_recs,
		      size_t rec_size, uint32_t batch, koid_collect_fn collect)
{
	uint32_t max = (uint32_t)MIN(max_recs, 1u << 20);
	if (max && !user_range_ok(ubuf, (uint64_t)max * rec_size))
		return ERR_FAULT;
	char *buf = kmalloc(batch * rec_size);
	if (!buf)
		return ERR_NO_MEMORY;
	uint32_t done = 0;
	while (done < max) {
		uint32_t want = MIN(max - done, batch);
		uint32_t n = collect(after, buf, want);
		if (n && copy_to_user((char *)ubuf + (size_t)done * rec_size,
				      buf, n * rec_size)) {
			kfree(buf);
			return ERR_FAULT;
		}
		done += n;
		if (n < want)
			break;
		memcpy(&after, buf + (size_t)(n - 1) * rec_size, sizeof(after));
	}
	kfree(buf);
	return done;
}
