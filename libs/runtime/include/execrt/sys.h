/* Raw exec-rt system calls for user space: one static inline function per
 * call of <execrt/syscall.h>. Each returns the kernel's result: >= 0 on
 * success, a negative ERR_* (<execrt/errors.h>) on failure. No errno.
 *
 * Built with -DEXECRT_EMULATE the calls go to a C function
 * __execrt_emulate() instead of the `syscall` instruction (the Linux
 * smoke test provides one that emulates the kernel with Linux calls). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/rights.h>
#include <execrt/syscall.h>
#include <execrt/types.h>

_Static_assert(SYS_COUNT == 72, "new system call: add its stub to sys.h");

#ifdef EXECRT_EMULATE
long __execrt_emulate(long n, long a, long b, long c, long d, long e, long f);
#endif

static inline long execrt_syscall6(long n, long a, long b, long c, long d,
				   long e, long f)
{
#ifdef EXECRT_EMULATE
	return __execrt_emulate(n, a, b, c, d, e, f);
#else
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10),
			       "r"(r8), "r"(r9)
			     : "rcx", "r11", "memory");
	return ret;
#endif
}

/* A call with no arguments: nothing to load but the number. */
static inline long execrt_syscall0(long n)
{
#ifdef EXECRT_EMULATE
	return __execrt_emulate(n, 0, 0, 0, 0, 0, 0);
#else
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "a"(n)
			     : "rcx", "r11", "memory");
	return ret;
#endif
}

#define EXECRT_SC(n, a, b, c, d, e, f)                                         \
	execrt_syscall6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), \
			(long)(e), (long)(f))

static inline long sys_debug_write(handle_t console, const char *buf,
				   size_t len)
{
	return EXECRT_SC(SYS_DEBUG_WRITE, console, buf, len, 0, 0, 0);
}

static inline long sys_handle_close(handle_t h)
{
	return EXECRT_SC(SYS_HANDLE_CLOSE, h, 0, 0, 0, 0, 0);
}

static inline long sys_handle_dup(handle_t h, uint32_t rights, handle_t *out)
{
	return EXECRT_SC(SYS_HANDLE_DUP, h, rights, out, 0, 0, 0);
}

static inline long sys_handle_info(handle_t h, struct handle_info *out)
{
	return EXECRT_SC(SYS_HANDLE_INFO, h, out, 0, 0, 0, 0);
}

/* Monotonic nanoseconds since boot. */
static inline long sys_clock_now(void)
{
	return EXECRT_SC(SYS_CLOCK_NOW, 0, 0, 0, 0, 0, 0);
}

/* Does nothing: the cost of a system call (benchmarks). */
static inline long sys_null(void)
{
	return execrt_syscall0(SYS_NULL);
}

static inline long sys_yield(void)
{
	return EXECRT_SC(SYS_YIELD, 0, 0, 0, 0, 0, 0);
}

static inline long sys_sleep_until(uint64_t deadline_ns)
{
	return EXECRT_SC(SYS_SLEEP_UNTIL, deadline_ns, 0, 0, 0, 0, 0);
}

static inline long sys_task_create(handle_t parent, const char *name,
				   size_t name_len, uint64_t mem_quota,
				   handle_t *out)
{
	return EXECRT_SC(SYS_TASK_CREATE, parent, name, name_len, mem_quota,
			 out, 0);
}

static inline long sys_task_kill(handle_t task, int64_t status)
{
	return EXECRT_SC(SYS_TASK_KILL, task, status, 0, 0, 0, 0);
}

static inline _Noreturn void sys_task_exit(int64_t status)
{
	EXECRT_SC(SYS_TASK_EXIT, status, 0, 0, 0, 0, 0);
	__builtin_trap();
}

static inline long sys_thread_create(handle_t task, const char *name,
				     size_t name_len, handle_t *out)
{
	return EXECRT_SC(SYS_THREAD_CREATE, task, name, name_len, out, 0, 0);
}

static inline long sys_thread_start(handle_t thread, uint64_t entry,
				    uint64_t stack_top, uint64_t arg)
{
	return EXECRT_SC(SYS_THREAD_START, thread, entry, stack_top, arg, 0, 0);
}

static inline _Noreturn void sys_thread_exit(int64_t status)
{
	EXECRT_SC(SYS_THREAD_EXIT, status, 0, 0, 0, 0, 0);
	__builtin_trap();
}

static inline long sys_thread_set_tls(uint64_t fs_base)
{
	return EXECRT_SC(SYS_THREAD_SET_TLS, fs_base, 0, 0, 0, 0, 0);
}

static inline long sys_object_wait(handle_t h, uint64_t deadline_ns,
				   int64_t *status)
{
	return EXECRT_SC(SYS_OBJECT_WAIT, h, deadline_ns, status, 0, 0, 0);
}

static inline long sys_vm_map(handle_t task, handle_t vmo,
			      const struct vm_map_req *req, uint64_t *out_addr)
{
	return EXECRT_SC(SYS_VM_MAP, task, vmo, req, out_addr, 0, 0);
}

static inline long sys_vm_unmap(handle_t task, uint64_t addr, uint64_t len)
{
	return EXECRT_SC(SYS_VM_UNMAP, task, addr, len, 0, 0, 0);
}

static inline long sys_vm_protect(handle_t task, uint64_t addr, uint64_t len,
				  uint32_t prot)
{
	return EXECRT_SC(SYS_VM_PROTECT, task, addr, len, prot, 0, 0);
}

static inline long sys_vmo_create(uint64_t size, handle_t *out)
{
	return EXECRT_SC(SYS_VMO_CREATE, size, out, 0, 0, 0, 0);
}

static inline long sys_vmo_read(handle_t vmo, void *buf, uint64_t offset,
				uint64_t len)
{
	return EXECRT_SC(SYS_VMO_READ, vmo, buf, offset, len, 0, 0);
}

static inline long sys_vmo_write(handle_t vmo, const void *buf, uint64_t offset,
				 uint64_t len)
{
	return EXECRT_SC(SYS_VMO_WRITE, vmo, buf, offset, len, 0, 0);
}

static inline long sys_vmo_get_size(handle_t vmo, uint64_t *size)
{
	return EXECRT_SC(SYS_VMO_GET_SIZE, vmo, size, 0, 0, 0, 0);
}

static inline long sys_sched_set(handle_t auth, handle_t thread,
				 const struct sched_params *p)
{
	return EXECRT_SC(SYS_SCHED_SET, auth, thread, p, 0, 0, 0);
}

static inline long sys_sched_get(handle_t thread, struct sched_params *out)
{
	return EXECRT_SC(SYS_SCHED_GET, thread, out, 0, 0, 0, 0);
}

static inline long sys_sched_auth_derive(handle_t auth,
					 const struct sched_auth_limits *lim,
					 handle_t *out)
{
	return EXECRT_SC(SYS_SCHED_AUTH_DERIVE, auth, lim, out, 0, 0, 0);
}

static inline long sys_sched_auth_info(handle_t auth,
				       struct sched_auth_info *out)
{
	return EXECRT_SC(SYS_SCHED_AUTH_INFO, auth, out, 0, 0, 0, 0);
}

static inline long sys_sched_config(handle_t auth,
				    const struct sched_config *set,
				    struct sched_config *out)
{
	return EXECRT_SC(SYS_SCHED_CONFIG, auth, set, out, 0, 0, 0);
}

static inline long sys_task_set_cpu_quota(handle_t auth, handle_t task,
					  uint64_t runtime_ns,
					  uint64_t period_ns)
{
	return EXECRT_SC(SYS_TASK_SET_CPU_QUOTA, auth, task, runtime_ns,
			 period_ns, 0, 0);
}

static inline long sys_sched_trace_read(handle_t telemetry, uint32_t cpu,
					uint64_t from_seq,
					struct sched_trace_rec *buf,
					uint32_t max,
					struct sched_trace_status *st)
{
	return EXECRT_SC(SYS_SCHED_TRACE_READ, telemetry, cpu, from_seq, buf,
			 max, st);
}

static inline long sys_sched_stats(handle_t telemetry, uint64_t after_koid,
				   struct sched_thread_stats *buf,
				   uint32_t max)
{
	return EXECRT_SC(SYS_SCHED_STATS, telemetry, after_koid, buf, max, 0,
			 0);
}

static inline long sys_sched_cpu_info(handle_t telemetry, uint32_t cpu,
				      struct sched_cpu_info *out)
{
	return EXECRT_SC(SYS_SCHED_CPU_INFO, telemetry, cpu, out, 0, 0, 0);
}

static inline long sys_task_give_handle(handle_t task, handle_t h,
					uint32_t rights, handle_t *out)
{
	return EXECRT_SC(SYS_TASK_GIVE_HANDLE, task, h, rights, out, 0, 0);
}

static inline long sys_kernel_stats(handle_t sysinfo, struct kernel_stats *out)
{
	return EXECRT_SC(SYS_KERNEL_STATS, sysinfo, out, 0, 0, 0, 0);
}

static inline long sys_task_set_fault_handler(handle_t task, int enable)
{
	return EXECRT_SC(SYS_TASK_SET_FAULT_HANDLER, task, enable, 0, 0, 0, 0);
}

static inline long sys_fault_wait(handle_t task, uint64_t deadline_ns,
				  struct fault_report *out)
{
	return EXECRT_SC(SYS_FAULT_WAIT, task, deadline_ns, out, 0, 0, 0);
}

static inline long sys_fault_resume(handle_t task, uint64_t thread_koid)
{
	return EXECRT_SC(SYS_FAULT_RESUME, task, thread_koid, 0, 0, 0, 0);
}

/* Ports-RT IPC (include/execrt/ipc.h, docs/ipc.md). */
static inline long sys_port_create(uint32_t options, handle_t *recv,
				   handle_t *send)
{
	return EXECRT_SC(SYS_PORT_CREATE, options, recv, send, 0, 0, 0);
}

static inline long sys_port_send(handle_t port, const struct port_msg *msg,
				 uint64_t deadline_ns)
{
	return EXECRT_SC(SYS_PORT_SEND, port, msg, deadline_ns, 0, 0, 0);
}

static inline long sys_port_recv(handle_t port, struct port_rx *rx,
				 uint64_t deadline_ns)
{
	return EXECRT_SC(SYS_PORT_RECV, port, rx, deadline_ns, 0, 0, 0);
}

static inline long sys_port_call(handle_t port, const struct port_msg *req,
				 struct port_rx *reply, uint64_t deadline_ns)
{
	return EXECRT_SC(SYS_PORT_CALL, port, req, reply, deadline_ns, 0, 0);
}

static inline long sys_port_reply(handle_t reply, const struct port_msg *msg)
{
	return EXECRT_SC(SYS_PORT_REPLY, reply, msg, 0, 0, 0, 0);
}

static inline long sys_port_reply_recv(handle_t reply,
				       const struct port_msg *msg,
				       handle_t port, struct port_rx *rx,
				       uint64_t deadline_ns)
{
	return EXECRT_SC(SYS_PORT_REPLY_RECV, reply, msg, port, rx,
			 deadline_ns, 0);
}

/* Register messages (docs/ipc.md "Register messages"): up to
 * PORT_REG_MAX bytes in w[] go in registers and the result comes back in
 * them; no user memory is involved. Out (0 or ERR_BUFFER_TOO_SMALL):
 * len (on ERR_BUFFER_TOO_SMALL the size needed, nhandles the handles),
 * flags (PORT_RX_CLOSED; PORT_RX_IMPLICIT_REPLY: a call, answer it with
 * REPLY_IMPLICIT), badge, sender, w[] (zero past len). */
struct port_reg {
	uint64_t w[PORT_REG_WORDS];
	uint32_t len, flags, nhandles;
	uint64_t badge, sender;
};

static inline long execrt_syscall_reg(long n, uint64_t ctl, uint64_t deadline,
				      struct port_reg *io)
{
#ifdef EXECRT_EMULATE
	(void)n, (void)ctl, (void)deadline, (void)io;
	return ERR_NOT_SUPPORTED;
#else
	register uint64_t rdi __asm__("rdi") = ctl;
	register uint64_t rsi __asm__("rsi") = deadline;
	register uint64_t rdx __asm__("rdx") = io->w[0];
	register uint64_t r10 __asm__("r10") = io->w[1];
	register uint64_t r8 __asm__("r8") = io->w[2];
	register uint64_t r9 __asm__("r9") = io->w[3];
	uint64_t rbx;
	long ret = n;
	__asm__ __volatile__("syscall"
			     : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx),
			       "+r"(r10), "+r"(r8), "+r"(r9), "=b"(rbx)
			     :
			     : "rcx", "r11", "memory");
	if (ret == ERR_BUFFER_TOO_SMALL) {
		io->len = (uint32_t)rdi;
		io->nhandles = (uint32_t)rdx;
	} else if (ret == 0) {
		io->len = (uint32_t)rdi;
		io->flags = (uint32_t)(rdi >> 32);
		io->nhandles = 0;
		io->badge = rsi;
		io->sender = rbx;
		io->w[0] = rdx;
		io->w[1] = r10;
		io->w[2] = r8;
		io->w[3] = r9;
	}
	return ret;
#endif
}

/* Calls with len bytes of io->w; the answer replaces io. */
static inline long sys_port_call_reg(handle_t port, uint32_t len,
				     struct port_reg *io, uint64_t deadline_ns)
{
	return execrt_syscall_reg(SYS_PORT_CALL_REG, PORT_REG_CTL(port, len),
				  deadline_ns, io);
}

/* answer: first answer the thread's implicit call with len bytes of
 * io->w; then receive into io (a call comes with PORT_RX_IMPLICIT_REPLY
 * in io->flags). */
static inline long sys_port_reply_recv_reg(int answer, uint32_t len,
					   handle_t port, struct port_reg *io,
					   uint64_t deadline_ns)
{
	return execrt_syscall_reg(SYS_PORT_REPLY_RECV_REG,
				  PORT_REG_CTL(port, len) |
					  (answer ? PORT_REG_ANSWER : 0),
				  deadline_ns, io);
}

static inline long sys_port_mint(handle_t recv, uint64_t badge,
				 handle_t *send)
{
	return EXECRT_SC(SYS_PORT_MINT, recv, badge, send, 0, 0, 0);
}

/* options: PORT_MINT_NOTIFY_CLOSED (ipc.h) */
static inline long sys_port_mint_ex(handle_t recv, uint64_t badge,
				    uint32_t options, handle_t *send)
{
	return EXECRT_SC(SYS_PORT_MINT_EX, recv, badge, options, send, 0, 0);
}

static inline long sys_notif_create(handle_t *out)
{
	return EXECRT_SC(SYS_NOTIF_CREATE, out, 0, 0, 0, 0, 0);
}

static inline long sys_notif_signal(handle_t notif, uint64_t bits)
{
	return EXECRT_SC(SYS_NOTIF_SIGNAL, notif, bits, 0, 0, 0, 0);
}

static inline long sys_notif_wait(handle_t notif, uint64_t mask,
				  uint64_t deadline_ns, uint64_t *bits)
{
	return EXECRT_SC(SYS_NOTIF_WAIT, notif, mask, deadline_ns, bits, 0, 0);
}

static inline long sys_port_bind_notif(handle_t recv, handle_t notif,
				       uint64_t bits)
{
	return EXECRT_SC(SYS_PORT_BIND_NOTIF, recv, notif, bits, 0, 0, 0);
}

static inline long sys_irq_create(handle_t authority, uint32_t gsi,
				  handle_t notif, uint64_t bits, handle_t *out)
{
	return EXECRT_SC(SYS_IRQ_CREATE, authority, gsi, notif, bits, out, 0);
}

static inline long sys_irq_ack(handle_t irq)
{
	return EXECRT_SC(SYS_IRQ_ACK, irq, 0, 0, 0, 0, 0);
}

static inline long sys_ioport_io(handle_t authority, uint32_t port,
				 uint32_t op, uint32_t value)
{
	return EXECRT_SC(SYS_IOPORT_IO, authority, port, op, value, 0, 0);
}

static inline long sys_grant_create(handle_t task, uint64_t addr,
				    uint64_t len, uint32_t perms, handle_t *out)
{
	return EXECRT_SC(SYS_GRANT_CREATE, task, addr, len, perms, out, 0);
}

static inline long sys_grant_map(handle_t task, handle_t grant, uint32_t perms,
				 uint64_t hint, uint64_t *out_addr)
{
	return EXECRT_SC(SYS_GRANT_MAP, task, grant, perms, hint, out_addr, 0);
}

static inline long sys_grant_unmap(handle_t task, uint64_t addr)
{
	return EXECRT_SC(SYS_GRANT_UNMAP, task, addr, 0, 0, 0, 0);
}

static inline long sys_grant_revoke(handle_t grant)
{
	return EXECRT_SC(SYS_GRANT_REVOKE, grant, 0, 0, 0, 0, 0);
}

static inline long sys_resource_derive(handle_t res, uint64_t base,
				       uint64_t size, uint32_t rights,
				       handle_t *out)
{
	return EXECRT_SC(SYS_RESOURCE_DERIVE, res, base, size, rights, out, 0);
}

static inline long sys_object_notify(handle_t h, handle_t notif, uint64_t bits)
{
	return EXECRT_SC(SYS_OBJECT_NOTIFY, h, notif, bits, 0, 0, 0);
}

static inline long sys_task_stats(handle_t sysinfo, uint64_t after_koid,
				  struct task_stats *buf, uint32_t max)
{
	return EXECRT_SC(SYS_TASK_STATS, sysinfo, after_koid, buf, max, 0, 0);
}

static inline long sys_sched_affinity(handle_t auth, handle_t thread,
				      uint64_t cpu_mask)
{
	return EXECRT_SC(SYS_SCHED_AFFINITY, auth, thread, cpu_mask, 0, 0, 0);
}

/* Demand paging and DMA memory (docs/vmgr.md). */
static inline long sys_pager_vmo_create(handle_t pager_send, uint64_t key,
					uint64_t size, handle_t *out)
{
	return EXECRT_SC(SYS_PAGER_VMO_CREATE, pager_send, key, size, out, 0,
			 0);
}

static inline long sys_pager_supply(handle_t vmo, uint64_t offset,
				    uint64_t len, const void *src)
{
	return EXECRT_SC(SYS_PAGER_SUPPLY, vmo, offset, len, src, 0, 0);
}

static inline long sys_vmo_create_dma(handle_t dma_auth, uint64_t size,
				      handle_t *out)
{
	return EXECRT_SC(SYS_VMO_CREATE_DMA, dma_auth, size, out, 0, 0, 0);
}

static inline long sys_vmo_phys(handle_t vmo, uint64_t *phys)
{
	return EXECRT_SC(SYS_VMO_PHYS, vmo, phys, 0, 0, 0, 0);
}

/* MMIO memory objects (docs/devices.md "Kernel: MMIO and DMA"). */
static inline long sys_vmo_create_phys(handle_t mmio_auth, uint64_t base,
				       uint64_t size, uint32_t cache,
				       handle_t *out)
{
	return EXECRT_SC(SYS_VMO_CREATE_PHYS, mmio_auth, base, size, cache,
			 out, 0);
}

/* PCI configuration space and MSI (docs/devices.md). */
static inline long sys_pci_cfg_read(handle_t pci, uint32_t bdf,
				    uint32_t offset, uint32_t width,
				    uint32_t *out)
{
	return EXECRT_SC(SYS_PCI_CFG_READ, pci, bdf, offset, width, out, 0);
}

static inline long sys_pci_cfg_write(handle_t pci, uint32_t bdf,
				     uint32_t offset, uint32_t width,
				     uint32_t value)
{
	return EXECRT_SC(SYS_PCI_CFG_WRITE, pci, bdf, offset, width, value, 0);
}

static inline long sys_irq_create_msi(handle_t pci, uint32_t bdf,
				      handle_t notif, uint64_t bits,
				      struct irq_msi *out)
{
	return EXECRT_SC(SYS_IRQ_CREATE_MSI, pci, bdf, notif, bits, out, 0);
}

/* SYS_GRANT_NOTIFY: send (an endpoint, moved) is kept until the grant's
 * memory is freed. */
static inline long sys_grant_notify(handle_t grant, handle_t send)
{
	return EXECRT_SC(SYS_GRANT_NOTIFY, grant, send, 0, 0, 0, 0);
}

/* Quota loans (docs/tasks.md). */
static inline long sys_task_quota_lend(handle_t lender, handle_t task,
				       uint64_t bytes)
{
	return EXECRT_SC(SYS_TASK_QUOTA_LEND, lender, task, bytes, 0, 0, 0);
}
