/* The system-call layer: one dispatch table (kernel/syscall/syscall.c)
 * with handlers grouped by object. Every handler first decodes (checks
 * every argument, handle and right, copies user memory in) and only then
 * invokes (mutates); on an error nothing has changed and nothing leaks. */
#pragma once
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/syscall.h>
#include <kern/object.h>
#include <kern/types.h>

long syscall_dispatch(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
		      uint64_t a3, uint64_t a4, uint64_t a5);

#define SYSCALL(name)                                                        \
	long name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,        \
		  uint64_t a4, uint64_t a5)

struct task;
struct thread;

/* The calling thread's task. */
struct task *cur_task(void);
/* handle_get() on the current task's table. */
int cur_get(handle_t h, uint32_t type, uint32_t rights, struct kobject **out);
/* Install a new handle in the current task and copy its value to the
 * user pointer `uout`; on a bad pointer the handle is closed again and
 * ERR_FAULT returned (the caller then undoes its object). */
int cur_install(struct kobject *o, uint32_t rights, uint64_t uout);

/* Rights a creator gets on new objects. */
#define RIGHTS_TASK   (RIGHT_READ | RIGHT_MANAGE | RIGHT_WAIT | RIGHTS_BASIC)
#define RIGHTS_THREAD (RIGHT_READ | RIGHT_MANAGE | RIGHT_WAIT | RIGHTS_BASIC)
#define RIGHTS_SCHED_AUTH (RIGHT_READ | RIGHT_WRITE | RIGHT_MANAGE | RIGHTS_BASIC)
#define RIGHTS_VMO                                                           \
	(RIGHT_READ | RIGHT_WRITE | RIGHT_MAP | RIGHT_EXECUTE | RIGHTS_BASIC)

/* The handlers, by object (kernel/syscall/sys_*.c). */
SYSCALL(sys_debug_write);
SYSCALL(sys_clock_now);
SYSCALL(sys_yield);
SYSCALL(sys_sleep_until);
SYSCALL(sys_kernel_stats);
SYSCALL(sys_handle_close);
SYSCALL(sys_handle_dup);
SYSCALL(sys_handle_info);
SYSCALL(sys_task_give_handle);
SYSCALL(sys_task_create);
SYSCALL(sys_task_kill);
SYSCALL(sys_task_exit);
SYSCALL(sys_object_wait);
SYSCALL(sys_task_set_fault_handler);
SYSCALL(sys_fault_wait);
SYSCALL(sys_fault_resume);
SYSCALL(sys_thread_create);
SYSCALL(sys_thread_start);
SYSCALL(sys_thread_exit);
SYSCALL(sys_thread_set_tls);
SYSCALL(sys_vm_map);
SYSCALL(sys_vm_unmap);
SYSCALL(sys_vm_protect);
SYSCALL(sys_vmo_create);
SYSCALL(sys_vmo_read);
SYSCALL(sys_vmo_write);
SYSCALL(sys_vmo_get_size);
SYSCALL(sys_port_create);
SYSCALL(sys_port_send);
SYSCALL(sys_port_recv);
SYSCALL(sys_port_call);
SYSCALL(sys_port_reply);
SYSCALL(sys_port_reply_recv);
SYSCALL(sys_port_mint);
SYSCALL(sys_port_bind_notif);
SYSCALL(sys_notif_create);
SYSCALL(sys_notif_signal);
SYSCALL(sys_notif_wait);
SYSCALL(sys_irq_create);
SYSCALL(sys_irq_ack);
SYSCALL(sys_grant_create);
SYSCALL(sys_grant_map);
SYSCALL(sys_grant_unmap);
SYSCALL(sys_grant_revoke);
SYSCALL(sys_ioport_io);
SYSCALL(sys_sched_set);
SYSCALL(sys_sched_get);
SYSCALL(sys_sched_auth_derive);
SYSCALL(sys_sched_auth_info);
SYSCALL(sys_sched_config);
SYSCALL(sys_task_set_cpu_quota);
SYSCALL(sys_sched_trace_read);
SYSCALL(sys_sched_stats);
SYSCALL(sys_sched_cpu_info);
