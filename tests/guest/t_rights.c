/* The rights matrix: every system call x every right it needs on each of
 * its handles, called with a handle lacking exactly that right (a
 * duplicate with that right dropped, or the handle moved back into this
 * task with it dropped when it cannot be duplicated) and everything else
 * valid: ERR_ACCESS_DENIED in every cell. A control call with all rights
 * must not be refused, so a cell cannot pass for another reason.
 *
 * The table is indexed by call number and the test walks 0..SYS_COUNT-1:
 * a new call without a row (its rights, or why it takes none) fails it. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"
#include "rights_fx.h"

struct row {
	const char *none; /* takes no handle, or needs no right: why */
	uint32_t need[SLOTS];
	long (*setup)(struct fx *f);
	long (*call)(struct fx *f, uint32_t missing);
};

/* --- the calls; `missing` picks the form that needs that right --- */

static long c_debug_write(struct fx *f, uint32_t m)
{
	return sys_debug_write(f->h[0], "", 0);
}
static long c_dup(struct fx *f, uint32_t m)
{
	handle_t d;
	long r = sys_handle_dup(f->h[0], RIGHT_SAME, &d);
	f->x[3] = r < 0 ? 0 : d;
	return r;
}
static long c_task_create(struct fx *f, uint32_t m)
{
	handle_t t;
	long r = sys_task_create(f->h[0], "c", 1, PAGE, &t);
	f->x[3] = r < 0 ? 0 : t;
	return r;
}
static long c_task_kill(struct fx *f, uint32_t m)
{
	return sys_task_kill(f->h[0], 7);
}
static long c_thread_create(struct fx *f, uint32_t m)
{
	handle_t t;
	long r = sys_thread_create(f->h[0], "c", 1, &t);
	f->x[3] = r < 0 ? 0 : t;
	return r;
}
static long c_thread_start(struct fx *f, uint32_t m)
{
	/* In the child, which has no memory: it faults and ends. */
	return sys_thread_start(f->h[0], USER_BASE, USER_BASE + PAGE, 0);
}
static long c_object_wait(struct fx *f, uint32_t m)
{
	return sys_object_wait(f->h[0], DEADLINE_POLL, NULL);
}
static long c_vm_map(struct fx *f, uint32_t m)
{
	struct vm_map_req req = {
		.len = PAGE,
		.prot = m == RIGHT_EXECUTE ? VM_PROT_READ | VM_PROT_EXEC
					   : VM_PROT_READ | VM_PROT_WRITE};
	uint64_t a = 0;
	long r = sys_vm_map(f->h[0], f->h[1], &req, &a);
	if (r == 0)
		sys_vm_unmap(g_self(), a, PAGE);
	return r;
}
static long fx_vm_map(struct fx *f)
{
	long r = fx_self(f);
	return r < 0 ? r : sys_vmo_create(PAGE, &f->h[1]);
}
static long c_vm_unmap(struct fx *f, uint32_t m)
{
	return sys_vm_unmap(f->h[0], (uint64_t)f->map, PAGE);
}
static long c_vm_protect(struct fx *f, uint32_t m)
{
	return sys_vm_protect(f->h[0], (uint64_t)f->map, PAGE, VM_PROT_READ);
}
static long c_vmo_read(struct fx *f, uint32_t m)
{
	return sys_vmo_read(f->h[0], buf, 0, 8);
}
static long c_vmo_write(struct fx *f, uint32_t m)
{
	return sys_vmo_write(f->h[0], buf, 0, 8);
}
static long c_sched_set(struct fx *f, uint32_t m)
{
	struct sched_params p = {.cls = SCHED_CLASS_BE, .cpu = SCHED_CPU_KEEP};
	return sys_sched_set(f->h[0], f->h[1], &p);
}
static long c_sched_affinity(struct fx *f, uint32_t m)
{
	return sys_sched_affinity(f->h[0], f->h[1], 1);
}
static long c_give(struct fx *f, uint32_t m)
{
	handle_t out;
	long r = sys_task_give_handle(f->h[0], f->h[1], RIGHT_SAME, &out);
	if (r == 0)
		f->h[1] = 0; /* moved */
	return r;
}
static long c_kernel_stats(struct fx *f, uint32_t m)
{
	struct kernel_stats s;
	return sys_kernel_stats(f->h[0], &s);
}
static long c_fault_handler(struct fx *f, uint32_t m)
{
	return sys_task_set_fault_handler(f->h[0], 1);
}
static long c_fault_wait(struct fx *f, uint32_t m)
{
	struct fault_report fr;
	return sys_fault_wait(f->h[0], DEADLINE_POLL, &fr);
}
static long c_fault_resume(struct fx *f, uint32_t m)
{
	return sys_fault_resume(f->h[0], 1);
}
/* A message carrying h[1] (TRANSFER needed); not moved when refused. */
static struct port_msg msg_with(struct fx *f)
{
	static handle_t hv[1];
	hv[0] = f->h[1];
	return (struct port_msg){
		.data = "m", .len = 1, .nhandles = 1, .handles = hv};
}
static long c_port_send(struct fx *f, uint32_t m)
{
	struct port_msg msg = msg_with(f);
	long r = sys_port_send(f->h[0], &msg, DEADLINE_POLL);
	if (r == 0)
		f->h[1] = 0;
	return r;
}
static long c_port_recv(struct fx *f, uint32_t m)
{
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	return sys_port_recv(f->h[0], &rx, DEADLINE_POLL);
}
static long c_port_call(struct fx *f, uint32_t m)
{
	struct port_msg msg = msg_with(f);
	struct port_rx rx = {.buf = buf, .cap = sizeof(buf)};
	long r = sys_port_call(f->h[0], &msg, &rx, DEADLINE_POLL);
	if (r != ERR_ACCESS_DENIED)
		f->h[1] = 0; /* may have moved */
	return r;
}
static long c_port_reply(struct fx *f, uint32_t m)
{
	struct port_msg msg = msg_with(f);
	long r = sys_port_reply(f->h[0], &msg);
	if (r == 0)
		f->h[0] = f->h[1] = 0;
	return r;
}
static long c_reply_recv(struct fx *f, uint32_t m)
{
	struct port_msg msg = msg_with(f);
	struct port_rx rx = {.buf = buf,
			     .cap = sizeof(buf),
			     .handles = rx_h,
			     .hcap = PORT_HANDLES_MAX};
	long r =
		sys_port_reply_recv(f->h[0], &msg, f->h[2], &rx, DEADLINE_POLL);
	if (r != ERR_ACCESS_DENIED && r != ERR_BAD_HANDLE)
		f->h[0] = f->h[1] = 0; /* the reply went */
	return r;
}
static long c_port_call_reg(struct fx *f, uint32_t m)
{
	struct port_reg io = {.w = {1}};
	return sys_port_call_reg(f->h[0], 1, &io, DEADLINE_POLL);
}
static long c_reply_recv_reg(struct fx *f, uint32_t m)
{
	struct port_reg io = {0};
	return sys_port_reply_recv_reg(0, 0, f->h[0], &io, DEADLINE_POLL);
}
static long c_port_mint(struct fx *f, uint32_t m)
{
	handle_t s;
	long r = sys_port_mint(f->h[0], 5, &s);
	f->x[3] = r < 0 ? 0 : s;
	return r;
}
static long c_port_mint_ex(struct fx *f, uint32_t m)
{
	handle_t s;
	long r = sys_port_mint_ex(f->h[0], 5, PORT_MINT_NOTIFY_CLOSED, &s);
	f->x[3] = r < 0 ? 0 : s;
	return r;
}
static long c_notif_signal(struct fx *f, uint32_t m)
{
	return sys_notif_signal(f->h[0], 1);
}
static long c_notif_wait(struct fx *f, uint32_t m)
{
	uint64_t bits;
	return sys_notif_wait(f->h[0], 1, DEADLINE_POLL, &bits);
}
static long c_bind_notif(struct fx *f, uint32_t m)
{
	return sys_port_bind_notif(f->h[0], f->h[1], 1);
}
static long c_irq_create(struct fx *f, uint32_t m)
{
	handle_t irq;
	long r = sys_irq_create(f->h[0], 2 /* PIT */, f->h[1], 1, &irq);
	f->x[3] = r < 0 ? 0 : irq;
	return r;
}
static long fx_irq_handle(struct fx *f)
{
	long r = fx_irq(f);
	if (r < 0)
		return r;
	r = sys_irq_create(f->h[0], 2, f->h[1], 1, &f->x[0]);
	f->x[1] = f->h[0];
	f->x[2] = f->h[1];
	f->h[1] = 0;
	f->h[0] = f->x[0];
	f->x[0] = 0;
	return r;
}
static long c_irq_ack(struct fx *f, uint32_t m)
{
	return sys_irq_ack(f->h[0]);
}
static long c_grant_create(struct fx *f, uint32_t m)
{
	handle_t g;
	long r = sys_grant_create(f->h[0], 0, PAGE, VM_PROT_READ, &g);
	f->x[3] = r < 0 ? 0 : g;
	return r;
}
static long c_grant_map(struct fx *f, uint32_t m)
{
	uint64_t a;
	long r = sys_grant_map(f->h[0], f->h[1], VM_PROT_READ | VM_PROT_WRITE,
			       0, &a);
	if (r == 0)
		f->map = (void *)a;
	return r;
}
static long c_grant_unmap(struct fx *f, uint32_t m)
{
	return sys_grant_unmap(f->h[0], (uint64_t)f->map);
}
static long fx_grant_mapped(struct fx *f)
{
	long r = fx_self_grant(f);
	uint64_t a = 0;
	if (r < 0 ||
	    (r = sys_grant_map(g_self(), f->h[1], VM_PROT_READ, 0, &a)) < 0)
		return r;
	f->map = (void *)a;
	return 0;
}
static long c_grant_revoke(struct fx *f, uint32_t m)
{
	return sys_grant_revoke(f->h[0]);
}
static long c_grant_notify(struct fx *f, uint32_t m)
{
	return sys_grant_notify(f->h[0], f->h[1]);
}
static long fx_grant_send(struct fx *f) /* a grant, a send endpoint */
{
	long r = fx_grant(f);
	return r < 0 ? r : sys_port_create(0, &f->x[0], &f->h[1]);
}
static long c_ioport(struct fx *f, uint32_t m)
{
	/* The CMOS index port: written with NMI disabled, as t_irq.c does. */
	return m == RIGHT_WRITE
		       ? sys_ioport_io(f->h[0], 0x70, 1 | IOPORT_OUT, 0x8a)
		       : sys_ioport_io(f->h[0], 0x71, 1, 0);
}
static long c_sched_get(struct fx *f, uint32_t m)
{
	struct sched_params p;
	return sys_sched_get(f->h[0], &p);
}
static long c_auth_derive(struct fx *f, uint32_t m)
{
	struct sched_auth_limits lim = {
		.classes = SCHED_CLASS_MASK(SCHED_CLASS_BE)};
	handle_t a;
	long r = sys_sched_auth_derive(f->h[0], &lim, &a);
	f->x[3] = r < 0 ? 0 : a;
	return r;
}
static long c_auth_info(struct fx *f, uint32_t m)
{
	struct sched_auth_info ai;
	return sys_sched_auth_info(f->h[0], &ai);
}
static long c_sched_config(struct fx *f, uint32_t m)
{
	struct sched_config cfg;
	long r = sys_sched_config(g_sched(), NULL, &cfg);
	if (r < 0)
		return r;
	/* READ: a plain get; WRITE: setting the values it has now. */
	return m == RIGHT_WRITE ? sys_sched_config(f->h[0], &cfg, NULL)
				: sys_sched_config(f->h[0], NULL, &cfg);
}
static long c_cpu_quota(struct fx *f, uint32_t m)
{
	return sys_task_set_cpu_quota(f->h[0], f->h[1], 0, 0);
}
static long c_trace_read(struct fx *f, uint32_t m)
{
	static struct sched_trace_rec rec[2];
	struct sched_trace_status st;
	return sys_sched_trace_read(f->h[0], 0, 0, rec, 2, &st);
}
static long c_sched_stats(struct fx *f, uint32_t m)
{
	static struct sched_thread_stats s[2];
	return sys_sched_stats(f->h[0], 0, s, 2);
}
static long c_cpu_info(struct fx *f, uint32_t m)
{
	struct sched_cpu_info ci;
	return sys_sched_cpu_info(f->h[0], 0, &ci);
}
static long c_res_derive(struct fx *f, uint32_t m)
{
	handle_t d;
	long r = sys_resource_derive(f->h[0], 0x70, 2, RIGHT_SAME, &d);
	f->x[3] = r < 0 ? 0 : d;
	return r;
}
static long fx_task_notif(struct fx *f) /* a child task, a notification */
{
	long r = fx_task(f);
	return r < 0 ? r : sys_notif_create(&f->h[1]);
}
static long c_object_notify(struct fx *f, uint32_t m)
{
	return sys_object_notify(f->h[0], f->h[1], 1);
}
static long fx_lend(struct fx *f) /* this task lends to a child */
{
	long r = fx_task(f);
	f->h[1] = f->h[0];
	return r < 0 ? r : fx_self(f);
}
static long c_task_quota_lend(struct fx *f, uint32_t m)
{
	return sys_task_quota_lend(f->h[0], f->h[1], PAGE);
}
static long c_task_stats(struct fx *f, uint32_t m)
{
	static struct task_stats ts[2];
	return sys_task_stats(f->h[0], 0, ts, 2);
}

static long fx_pager_vmo(struct fx *f) /* x[0], x[1]: its port */
{
	long r = sys_port_create(0, &f->x[0], &f->x[1]);
	return r < 0 ? r : sys_pager_vmo_create(f->x[1], 1, PAGE, &f->h[0]);
}
static long c_pager_vmo_create(struct fx *f, uint32_t m)
{
	handle_t v;
	long r = sys_pager_vmo_create(f->h[0], 1, PAGE, &v);
	f->x[3] = r < 0 ? 0 : v;
	return r;
}
static long c_pager_supply(struct fx *f, uint32_t m)
{
	return sys_pager_supply(f->h[0], 0, PAGE, NULL);
}
static long fx_dma_auth(struct fx *f)
{
	f->h[0] = auth(START_H_DMA);
	return f->h[0] ? 0 : ERR_BAD_HANDLE;
}
static long c_vmo_create_dma(struct fx *f, uint32_t m)
{
	handle_t v;
	long r = sys_vmo_create_dma(f->h[0], PAGE, &v);
	f->x[3] = r < 0 ? 0 : v;
	return r;
}
static long fx_dma_vmo(struct fx *f)
{
	handle_t a = auth(START_H_DMA);
	long r = sys_vmo_create_dma(a, PAGE, &f->h[0]);
	sys_handle_close(a);
	return r;
}
static long c_vmo_phys(struct fx *f, uint32_t m)
{
	uint64_t pa;
	return sys_vmo_phys(f->h[0], &pa);
}

/* devk-mem: the legacy VGA window, a hole in QEMU's memory map. */
static long fx_mmio_auth(struct fx *f)
{
	f->h[0] = auth(START_H_MMIO);
	return f->h[0] ? 0 : ERR_BAD_HANDLE;
}
static long c_vmo_create_phys(struct fx *f, uint32_t m)
{
	handle_t v;
	long r = sys_vmo_create_phys(f->h[0], 0xa0000, PAGE, VMO_CACHE_UC, &v);
	f->x[3] = r < 0 ? 0 : v;
	return r;
}

/* devk-pci: PCI configuration and MSI, on the host bridge 00:00.0
 * (no BARs: BAR0 reads 0 and a write of 0 changes nothing). */
static long fx_pci(struct fx *f)
{
	return fx_auth(f, START_H_PCI);
}
static long fx_pci_notif(struct fx *f) /* PCI authority, notification */
{
	long r = fx_auth(f, START_H_PCI);
	return r < 0 ? r : sys_notif_create(&f->h[1]);
}
static long c_pci_read(struct fx *f, uint32_t m)
{
	uint32_t v;
	return sys_pci_cfg_read(f->h[0], 0, 0, 4, &v);
}
static long c_pci_write(struct fx *f, uint32_t m)
{
	/* Without WRITE: the interrupt-line register (WRITE alone is
	 * enough for it); without MANAGE and the control: BAR0. */
	uint32_t off = m == RIGHT_WRITE ? 0x3c : 0x10, v = 0;
	long r = sys_pci_cfg_read(execrt_handle(START_H_PCI), 0, off,
				  m == RIGHT_WRITE ? 1 : 4, &v);
	return r < 0 ? r
		     : sys_pci_cfg_write(f->h[0], 0, off,
					 m == RIGHT_WRITE ? 1 : 4, v);
}
static long c_irq_create_msi(struct fx *f, uint32_t m)
{
	struct irq_msi msg;
	long r = sys_irq_create_msi(f->h[0], 0, f->h[1], 1, &msg);
	f->x[3] = r < 0 ? 0 : msg.irq;
	return r;
}

#define NO_HANDLE "takes no handle"
#define R(...)	  .need = {__VA_ARGS__}

static const struct row rows[SYS_COUNT] = {
	[SYS_DEBUG_WRITE] = {R(RIGHT_WRITE), fx_console, c_debug_write},
	[SYS_HANDLE_CLOSE] = {.none = "any holder may drop its own handle"},
	[SYS_HANDLE_DUP] = {R(RIGHT_DUPLICATE), fx_vmo, c_dup},
	[SYS_HANDLE_INFO] = {.none = "reading a handle's own type and rights"},
	[SYS_CLOCK_NOW] = {.none = NO_HANDLE},
	[SYS_YIELD] = {.none = NO_HANDLE},
	[SYS_SLEEP_UNTIL] = {.none = NO_HANDLE},
	[SYS_TASK_CREATE] = {R(RIGHT_MANAGE), fx_self, c_task_create},
	[SYS_TASK_KILL] = {R(RIGHT_MANAGE), fx_task, c_task_kill},
	[SYS_TASK_EXIT] = {.none = NO_HANDLE " (ends the caller)"},
	[SYS_THREAD_CREATE] = {R(RIGHT_MANAGE), fx_task, c_thread_create},
	[SYS_THREAD_START] = {R(RIGHT_MANAGE), fx_thread, c_thread_start},
	[SYS_THREAD_EXIT] = {.none = NO_HANDLE " (ends the caller)"},
	[SYS_THREAD_SET_TLS] = {.none = NO_HANDLE " (the caller's own TLS)"},
	[SYS_OBJECT_WAIT] = {R(RIGHT_WAIT), fx_task, c_object_wait},
	[SYS_VM_MAP] = {R(RIGHT_MANAGE,
			  RIGHT_MAP | RIGHT_READ | RIGHT_WRITE | RIGHT_EXECUTE),
			fx_vm_map, c_vm_map},
	[SYS_VM_UNMAP] = {R(RIGHT_MANAGE), fx_mapped_self, c_vm_unmap},
	[SYS_VM_PROTECT] = {R(RIGHT_MANAGE), fx_mapped_self, c_vm_protect},
	[SYS_VMO_CREATE] = {.none = NO_HANDLE " (charged to the caller)"},
	[SYS_VMO_READ] = {R(RIGHT_READ), fx_vmo, c_vmo_read},
	[SYS_VMO_WRITE] = {R(RIGHT_WRITE), fx_vmo, c_vmo_write},
	[SYS_VMO_GET_SIZE] = {.none = "the size is no secret (documented)"},
	[SYS_SCHED_SET] = {R(RIGHT_WRITE, RIGHT_MANAGE), fx_sched_thread,
			   c_sched_set},
	[SYS_TASK_GIVE_HANDLE] = {R(RIGHT_MANAGE, RIGHT_TRANSFER), fx_give,
				  c_give},
	[SYS_KERNEL_STATS] = {R(RIGHT_READ), fx_sysinfo, c_kernel_stats},
	[SYS_TASK_SET_FAULT_HANDLER] = {R(RIGHT_MANAGE), fx_task,
					c_fault_handler},
	[SYS_FAULT_WAIT] = {R(RIGHT_MANAGE), fx_task, c_fault_wait},
	[SYS_FAULT_RESUME] = {R(RIGHT_MANAGE), fx_task, c_fault_resume},
	[SYS_PORT_CREATE] = {.none = NO_HANDLE},
	[SYS_PORT_SEND] = {R(RIGHT_WRITE, RIGHT_TRANSFER), fx_port,
			   c_port_send},
	[SYS_PORT_RECV] = {R(RIGHT_READ), fx_recv, c_port_recv},
	[SYS_PORT_CALL] = {R(RIGHT_WRITE, RIGHT_TRANSFER), fx_port,
			   c_port_call},
	[SYS_PORT_REPLY] = {R(RIGHT_WRITE, RIGHT_TRANSFER), fx_reply,
			    c_port_reply},
	[SYS_PORT_REPLY_RECV] = {R(RIGHT_WRITE, RIGHT_TRANSFER, RIGHT_READ),
				 fx_reply, c_reply_recv},
	[SYS_PORT_MINT] = {R(RIGHT_MANAGE), fx_recv, c_port_mint},
	[SYS_NOTIF_CREATE] = {.none = NO_HANDLE},
	[SYS_NOTIF_SIGNAL] = {R(RIGHT_SIGNAL), fx_notif, c_notif_signal},
	[SYS_NOTIF_WAIT] = {R(RIGHT_WAIT), fx_notif, c_notif_wait},
	[SYS_PORT_BIND_NOTIF] = {R(RIGHT_MANAGE, RIGHT_SIGNAL), fx_recv_notif,
				 c_bind_notif},
	[SYS_IRQ_CREATE] = {R(RIGHT_MANAGE, RIGHT_SIGNAL), fx_irq,
			    c_irq_create},
	[SYS_IRQ_ACK] = {R(RIGHT_WRITE), fx_irq_handle, c_irq_ack},
	[SYS_GRANT_CREATE] = {R(RIGHT_MANAGE), fx_self, c_grant_create},
	[SYS_GRANT_MAP] = {R(RIGHT_MANAGE,
			     RIGHT_MAP | RIGHT_READ | RIGHT_WRITE),
			   fx_self_grant, c_grant_map},
	[SYS_GRANT_UNMAP] = {R(RIGHT_MANAGE), fx_grant_mapped, c_grant_unmap},
	[SYS_GRANT_REVOKE] = {R(RIGHT_MANAGE), fx_grant, c_grant_revoke},
	[SYS_IOPORT_IO] = {R(RIGHT_READ | RIGHT_WRITE), fx_ioport, c_ioport},
	[SYS_SCHED_GET] = {R(RIGHT_READ), fx_thread, c_sched_get},
	[SYS_SCHED_AUTH_DERIVE] = {R(RIGHT_MANAGE), fx_sched, c_auth_derive},
	[SYS_SCHED_AUTH_INFO] = {R(RIGHT_READ), fx_sched, c_auth_info},
	[SYS_SCHED_CONFIG] = {R(RIGHT_READ | RIGHT_WRITE), fx_sched,
			      c_sched_config},
	[SYS_TASK_SET_CPU_QUOTA] = {R(RIGHT_WRITE, RIGHT_MANAGE), fx_sched_task,
				    c_cpu_quota},
	[SYS_SCHED_TRACE_READ] = {R(RIGHT_READ), fx_telemetry, c_trace_read},
	[SYS_SCHED_STATS] = {R(RIGHT_READ), fx_telemetry, c_sched_stats},
	[SYS_SCHED_CPU_INFO] = {R(RIGHT_READ), fx_telemetry, c_cpu_info},
	[SYS_RESOURCE_DERIVE] = {R(RIGHT_DUPLICATE), fx_ioport, c_res_derive},
	[SYS_OBJECT_NOTIFY] = {R(RIGHT_WAIT, RIGHT_SIGNAL), fx_task_notif,
			       c_object_notify},
	[SYS_TASK_STATS] = {R(RIGHT_READ), fx_sysinfo, c_task_stats},
	[SYS_SCHED_AFFINITY] = {R(RIGHT_WRITE, RIGHT_MANAGE), fx_sched_thread,
				c_sched_affinity},
	[SYS_NULL] = {.none = NO_HANDLE},
	[SYS_PAGER_VMO_CREATE] = {R(RIGHT_WRITE), fx_port, c_pager_vmo_create},
	[SYS_PAGER_SUPPLY] = {R(RIGHT_MANAGE), fx_pager_vmo, c_pager_supply},
	[SYS_VMO_CREATE_DMA] = {R(RIGHT_WRITE), fx_dma_auth, c_vmo_create_dma},
	[SYS_VMO_PHYS] = {R(RIGHT_DMA), fx_dma_vmo, c_vmo_phys},
	[SYS_PORT_MINT_EX] = {R(RIGHT_MANAGE), fx_recv, c_port_mint_ex},
	[SYS_TASK_QUOTA_LEND] = {R(RIGHT_MANAGE, RIGHT_MANAGE), fx_lend,
				 c_task_quota_lend},
	[SYS_VMO_CREATE_PHYS] = {R(RIGHT_WRITE), fx_mmio_auth,
				 c_vmo_create_phys},
	[SYS_PCI_CFG_READ] = {R(RIGHT_READ), fx_pci, c_pci_read},
	[SYS_PCI_CFG_WRITE] = {R(RIGHT_WRITE | RIGHT_MANAGE), fx_pci,
			       c_pci_write},
	[SYS_IRQ_CREATE_MSI] = {R(RIGHT_WRITE, RIGHT_SIGNAL), fx_pci_notif,
				c_irq_create_msi},
	[SYS_GRANT_NOTIFY] = {R(RIGHT_MANAGE, RIGHT_TRANSFER), fx_grant_send,
			      c_grant_notify},
	[SYS_PORT_CALL_REG] = {R(RIGHT_WRITE), fx_port, c_port_call_reg},
	[SYS_PORT_REPLY_RECV_REG] = {R(RIGHT_READ), fx_recv, c_reply_recv_reg},
};

GTEST(rights_matrix)
{
	unsigned cells = 0, bad = 0, rows_with = 0, rows_none = 0;
	gtest_allow_growth(); /* maps into this task */
	for (unsigned nr = 0; nr < SYS_COUNT; nr++) {
		const struct row *w = &rows[nr];
		if (w->none) {
			rows_none++;
			continue;
		}
		if (!w->call) {
			printf("    call %u has no row in the rights matrix\n",
			       nr);
			bad++;
			continue;
		}
		rows_with++;
		struct kernel_stats st0;
		GCHECK_OK(g_stats(&st0));
		for (int s = 0; s < SLOTS; s++)
			for (uint32_t b = 1; b <= RIGHTS_ALL; b <<= 1) {
				if (!(w->need[s] & b))
					continue;
				struct fx f;
				memset(&f, 0, sizeof(f));
				long r = w->setup(&f);
				handle_t less = HANDLE_INVALID;
				if (r == 0) {
					less = without(&f.h[s], b);
					r = less ? 0 : ERR_BAD_STATE;
					if (!less)
						printf("    call %u: no handle "
						       "without right %#x\n",
						       nr, b);
				}
				if (r == 0) {
					sys_handle_close(f.h[s]);
					f.h[s] = less;
					r = w->call(&f, b);
				} else if (less) {
					printf("    call %u: set-up: %s\n", nr,
					       err_name(r));
				}
				cells++;
				if (r != ERR_ACCESS_DENIED) {
					printf("    call %u, handle %d without "
					       "right %#x: %s\n",
					       nr, s, b, err_name(r));
					bad++;
				}
				kill_tasks(&f);
				teardown(&f);
			}
		/* The control: all rights, not refused for rights. */
		struct fx f;
		memset(&f, 0, sizeof(f));
		long r = w->setup(&f);
		if (r == 0)
			r = w->call(&f, 0);
		if (r < 0 && r != ERR_TIMED_OUT && r != ERR_SHOULD_WAIT &&
		    r != ERR_NOT_FOUND) {
			printf("    call %u with every right: %s\n", nr,
			       err_name(r));
			bad++;
		}
		kill_tasks(&f);
		teardown(&f);
		long left = objects_left(st0.kobjects_live);
		if (left) {
			printf("    call %u: %ld kernel objects left\n", nr,
			       left);
			bad++;
		}
	}
	printf("    rights matrix: %u cells over %u calls (%u take no handle "
	       "or need no right), %u not ERR_ACCESS_DENIED\n",
	       cells, rows_with, rows_none, bad);
	GCHECK_EQ(bad, 0);
	GCHECK_EQ(rows_with + rows_none, SYS_COUNT);
}
