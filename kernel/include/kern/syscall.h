/* The system-call layer: one dispatch table (kernel/syscall/syscall.c)
 * with handlers grouped by object. Decode then invoke is structural:
 *
 *  1. decode: SYSCALLn() turns each raw 64-bit register into a named,
 *     typed argument of a declared kind (ARG_<KIND> below); a value that
 *     does not fit its kind (a handle with bits above 32, unknown flag or
 *     right bits) is refused before the handler's body runs;
 *  2. the body looks its objects up with the typed getters of kern/cap.h
 *     (handle, type, rights), checks the arguments against them, checks
 *     user pointers and copies user memory in, reserves what it can
 *     (quota, handle slots) and only then changes anything (invoke).
 *
 * On an error nothing has changed and nothing leaks; a copy-out that
 * faults after the change is undone by the handler. */
#pragma once
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/syscall.h>
#include <kern/cap.h>
#include <kern/object.h>
#include <kern/thread.h>
#include <kern/types.h>

/* The system calls by number, for the arch entry code (x86_64 syscall.S),
 * which calls the handler with the six arguments: syscall_table_len
 * entries, NULL for a number with no call; a number out of range or NULL
 * gets syscall_bad_number(). */
typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
			   uint64_t);
extern const syscall_fn syscall_table[];
extern const uint64_t syscall_table_len;
long syscall_bad_number(void);

/* The raw entry point of a handler, as the table calls it. */
#define SYSCALL(name)                                                          \
	long name(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,          \
		  uint64_t a4, uint64_t a5)

/* Argument kinds: ARG_T_<K> is the C type, arg_<K>() its decode. */
#define ARG_T_HANDLE   handle_t /* 32 bits; more is ERR_BAD_HANDLE */
#define ARG_T_U64      uint64_t
#define ARG_T_U32      uint32_t /* more than 32 bits: ERR_INVALID_ARGS */
#define ARG_T_I64      int64_t
#define ARG_T_UPTR     uint64_t /* a user address, checked where used */
#define ARG_T_DEADLINE uint64_t /* absolute ns, DEADLINE_NONE/POLL */
#define ARG_T_RIGHTS   uint32_t /* RIGHTS_ALL bits, or exactly RIGHT_SAME */
#define ARG_T_PROT     uint32_t /* VM_PROT_READ/WRITE/EXEC bits only */
#define ARG_T_BOOL     bool	/* 0 or 1 */

static inline int arg_HANDLE(uint64_t r, handle_t *v)
{
	*v = (handle_t)r;
	return r >> 32 ? ERR_BAD_HANDLE : 0;
}
static inline int arg_U64(uint64_t r, uint64_t *v)
{
	*v = r;
	return 0;
}
static inline int arg_U32(uint64_t r, uint32_t *v)
{
	*v = (uint32_t)r;
	return r >> 32 ? ERR_INVALID_ARGS : 0;
}
static inline int arg_I64(uint64_t r, int64_t *v)
{
	*v = (int64_t)r;
	return 0;
}
#define arg_UPTR     arg_U64
#define arg_DEADLINE arg_U64
static inline int arg_RIGHTS(uint64_t r, uint32_t *v)
{
	*v = (uint32_t)r;
	return r != RIGHT_SAME && (r & ~(uint64_t)RIGHTS_ALL) ? ERR_INVALID_ARGS
							      : 0;
}
static inline int arg_PROT(uint64_t r, uint32_t *v)
{
	*v = (uint32_t)r;
	return r & ~(uint64_t)(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)
		       ? ERR_INVALID_ARGS
		       : 0;
}
static inline int arg_BOOL(uint64_t r, bool *v)
{
	*v = r != 0;
	return r > 1 ? ERR_INVALID_ARGS : 0;
}

/* SYSCALLn(name, KIND, arg, ...): defines the raw entry `name` (decode)
 * and opens the typed body `name##_body(args)` (invoke). */
#define SYSARG_(k, n) ARG_T_##k n
#define SYSDEC_(k, n, raw)                                                     \
	ARG_T_##k n;                                                           \
	if ((err_ = arg_##k(raw, &n)))                                         \
		return err_;

#define SYSCALL0(name)                                                         \
	static long name##_body(void);                                         \
	SYSCALL(name)                                                          \
	{                                                                      \
		return name##_body();                                          \
	}                                                                      \
	static long name##_body(void)
#define SYSCALL1(name, k0, n0)                                                 \
	static long name##_body(SYSARG_(k0, n0));                              \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		return name##_body(n0);                                        \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0))
#define SYSCALL2(name, k0, n0, k1, n1)                                         \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1));             \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		SYSDEC_(k1, n1, a1)                                            \
		return name##_body(n0, n1);                                    \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1))
#define SYSCALL3(name, k0, n0, k1, n1, k2, n2)                                 \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2));                              \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		SYSDEC_(k1, n1, a1)                                            \
		SYSDEC_(k2, n2, a2)                                            \
		return name##_body(n0, n1, n2);                                \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2))
#define SYSCALL4(name, k0, n0, k1, n1, k2, n2, k3, n3)                         \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3));             \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		SYSDEC_(k1, n1, a1)                                            \
		SYSDEC_(k2, n2, a2)                                            \
		SYSDEC_(k3, n3, a3)                                            \
		return name##_body(n0, n1, n2, n3);                            \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3))
#define SYSCALL5(name, k0, n0, k1, n1, k2, n2, k3, n3, k4, n4)                 \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3),              \
				SYSARG_(k4, n4));                              \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		SYSDEC_(k1, n1, a1)                                            \
		SYSDEC_(k2, n2, a2)                                            \
		SYSDEC_(k3, n3, a3)                                            \
		SYSDEC_(k4, n4, a4)                                            \
		return name##_body(n0, n1, n2, n3, n4);                        \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3),              \
				SYSARG_(k4, n4))
#define SYSCALL6(name, k0, n0, k1, n1, k2, n2, k3, n3, k4, n4, k5, n5)         \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3),              \
				SYSARG_(k4, n4), SYSARG_(k5, n5));             \
	SYSCALL(name)                                                          \
	{                                                                      \
		int err_;                                                      \
		SYSDEC_(k0, n0, a0)                                            \
		SYSDEC_(k1, n1, a1)                                            \
		SYSDEC_(k2, n2, a2)                                            \
		SYSDEC_(k3, n3, a3)                                            \
		SYSDEC_(k4, n4, a4)                                            \
		SYSDEC_(k5, n5, a5)                                            \
		return name##_body(n0, n1, n2, n3, n4, n5);                    \
	}                                                                      \
	static long name##_body(SYSARG_(k0, n0), SYSARG_(k1, n1),              \
				SYSARG_(k2, n2), SYSARG_(k3, n3),              \
				SYSARG_(k4, n4), SYSARG_(k5, n5))

struct task;
struct thread;

/* The calling thread's task. */
static inline struct task *cur_task(void)
{
	return thread_current()->task;
}
/* The handle a call creates: its slot is reserved in the calling task and
 * its value copied to the user pointer uout *before* the object is made,
 * so the handle quota and the pointer are checked before anything
 * changes (ERR_NO_RESOURCES, ERR_FAULT, ERR_BAD_STATE for a dying task).
 * Then newh_commit() installs the object (a new reference; it fails only
 * with ERR_BAD_STATE when the task died meanwhile), or newh_cancel()
 * gives the slot back. */
/* Copies to the user array ubuf (room for max_recs records of rec_size
 * bytes, each starting with its uint64_t koid) the records that
 * collect() lists in ascending koid order after `after`, `batch` at a
 * time through a kernel buffer (collect runs under its own locks, the
 * copies outside them). Returns the count copied or ERR_FAULT /
 * ERR_NO_MEMORY. SYS_TASK_STATS and SYS_SCHED_STATS page this way. */
typedef uint32_t (*koid_collect_fn)(uint64_t after, void *out, uint32_t max);
long copy_out_by_koid(uint64_t after, uintptr_t ubuf, uint64_t max_recs,
		      size_t rec_size, uint32_t batch, koid_collect_fn collect);

struct new_handle {
	handle_t h;
};
int newh_reserve(struct new_handle *nh, uint64_t uout);
int newh_commit(struct new_handle *nh, struct kobject *o, uint32_t rights);
void newh_cancel(struct new_handle *nh);

/* The handlers, by object (kernel/syscall/sys_*.c). */
SYSCALL(sys_debug_write);
SYSCALL(sys_clock_now);
SYSCALL(sys_null);
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
SYSCALL(sys_port_mint_ex);
SYSCALL(sys_task_quota_lend);
SYSCALL(sys_port_bind_notif);
SYSCALL(sys_notif_create);
SYSCALL(sys_notif_signal);
SYSCALL(sys_notif_wait);
SYSCALL(sys_irq_create);
SYSCALL(sys_irq_ack);
SYSCALL(sys_irq_create_msi);
SYSCALL(sys_pci_cfg_read);
SYSCALL(sys_pci_cfg_write);
SYSCALL(sys_grant_create);
SYSCALL(sys_grant_map);
SYSCALL(sys_grant_unmap);
SYSCALL(sys_grant_revoke);
SYSCALL(sys_grant_notify);
SYSCALL(sys_port_call_reg);
SYSCALL(sys_port_reply_recv_reg);
SYSCALL(sys_ioport_io);
SYSCALL(sys_sched_set);
SYSCALL(sys_sched_get);
SYSCALL(sys_sched_affinity);
SYSCALL(sys_sched_auth_derive);
SYSCALL(sys_sched_auth_info);
SYSCALL(sys_sched_config);
SYSCALL(sys_task_set_cpu_quota);
SYSCALL(sys_sched_trace_read);
SYSCALL(sys_sched_stats);
SYSCALL(sys_sched_cpu_info);
SYSCALL(sys_resource_derive);
SYSCALL(sys_object_notify);
SYSCALL(sys_task_stats);
SYSCALL(sys_pager_vmo_create);
SYSCALL(sys_pager_supply);
SYSCALL(sys_vmo_create_dma);
SYSCALL(sys_vmo_phys);
SYSCALL(sys_vmo_create_phys);
