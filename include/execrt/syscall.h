/* exec-rt system-call ABI: numbers and argument conventions.
 *
 * Calling convention (x86_64): `syscall` with the number in rax and up to
 * six arguments in rdi, rsi, rdx, r10, r8, r9. The result comes back in
 * rax: >= 0 on success, a negative ERR_* (errors.h) on failure. rcx and r11
 * are clobbered; every other register is preserved. Pointers are user
 * addresses; the kernel checks and copies them (a bad one is ERR_FAULT).
 * Handles are 32-bit values (types.h); rights are in rights.h. The text
 * after each number is: arguments -> result [rights needed].
 */
#pragma once
#include <execrt/sched.h>
#include <execrt/types.h>

enum syscall_nr {
	/* console_h, const char *buf, size_t len -> bytes [WRITE on the console] */
	SYS_DEBUG_WRITE = 0,
	/* h -> 0 */
	SYS_HANDLE_CLOSE = 1,
	/* h, rights (or RIGHT_SAME), handle_t *out -> 0 [DUPLICATE] */
	SYS_HANDLE_DUP = 2,
	/* h, struct handle_info *out -> 0 */
	SYS_HANDLE_INFO = 3,
	/* -> monotonic ns since boot */
	SYS_CLOCK_NOW = 4,
	/* -> 0: give up the CPU (RT: to threads of equal priority; BE: to
	 * the next fair turn; DL: ends the job, the thread sleeps until its
	 * next period with a full budget) */
	SYS_YIELD = 5,
	/* deadline_ns -> 0 (sleeps until clock_now() >= deadline) */
	SYS_SLEEP_UNTIL = 6,
	/* parent_task_h, const char *name, size_t name_len, uint64_t mem_quota,
	 * handle_t *out -> 0 [MANAGE on parent]; the quota moves from the
	 * parent to the child and returns when the child dies */
	SYS_TASK_CREATE = 7,
	/* task_h, int64_t status -> 0 [MANAGE] */
	SYS_TASK_KILL = 8,
	/* int64_t status -> does not return: ends the calling task */
	SYS_TASK_EXIT = 9,
	/* task_h, const char *name, size_t name_len, handle_t *out -> 0
	 * [MANAGE on task] */
	SYS_THREAD_CREATE = 10,
	/* thread_h, entry, stack_top, arg -> 0 [MANAGE]; arg arrives in rdi */
	SYS_THREAD_START = 11,
	/* int64_t status -> does not return: ends the calling thread */
	SYS_THREAD_EXIT = 12,
	/* fs_base -> 0: the calling thread's TLS base */
	SYS_THREAD_SET_TLS = 13,
	/* h, deadline_ns, int64_t *status -> 0 when the thread or task has
	 * ended (its status stored), ERR_TIMED_OUT [WAIT] */
	SYS_OBJECT_WAIT = 14,
	/* task_h, vmo_h (HANDLE_INVALID: fresh zeroed memory),
	 * const struct vm_map_req *req, uint64_t *out_addr -> 0
	 * [MANAGE on task; MAP (+READ/WRITE/EXECUTE as prot asks) on vmo] */
	SYS_VM_MAP = 15,
	/* task_h, addr, len -> 0 [MANAGE] */
	SYS_VM_UNMAP = 16,
	/* task_h, addr, len, prot -> 0 [MANAGE] */
	SYS_VM_PROTECT = 17,
	/* size, handle_t *out -> 0: a memory object, charged to the caller */
	SYS_VMO_CREATE = 18,
	/* vmo_h, void *buf, offset, len -> 0 [READ] */
	SYS_VMO_READ = 19,
	/* vmo_h, const void *buf, offset, len -> 0 [WRITE] */
	SYS_VMO_WRITE = 20,
	/* vmo_h, uint64_t *size -> 0 */
	SYS_VMO_GET_SIZE = 21,
	/* sched_auth_h, thread_h, const struct sched_params *p -> 0 [WRITE on
	 * the authority, within its limits; MANAGE on the thread]: the
	 * thread's class and parameters (sched.h, docs/scheduling.md). A DL
	 * request that does not fit the CPU's admission bound or the
	 * authority's bandwidth is refused with ERR_NO_RESOURCES and changes
	 * nothing */
	SYS_SCHED_SET = 22,
	/* task_h, h, rights (or RIGHT_SAME), handle_t *out -> 0: moves h
	 * into the task's table (out is its value there) [MANAGE on task,
	 * TRANSFER on h] */
	SYS_TASK_GIVE_HANDLE = 23,
	/* sysinfo_h, struct kernel_stats *out -> 0 [READ] */
	SYS_KERNEL_STATS = 24,
	/* task_h, enable -> 0 [MANAGE]: while enabled, a fault (page fault,
	 * #GP, #UD, divide error...) of one of the task's threads suspends
	 * that thread and queues a fault report for SYS_FAULT_WAIT instead
	 * of terminating the task */
	SYS_TASK_SET_FAULT_HANDLER = 25,
	/* task_h, deadline_ns, struct fault_report *out -> 0 [MANAGE] */
	SYS_FAULT_WAIT = 26,
	/* task_h, uint64_t thread_koid -> 0 [MANAGE]: the reported thread
	 * retries the faulting instruction (after the handler fixed things) */
	SYS_FAULT_RESUME = 27,

	/* Ports-RT IPC (ipc.h has the structures and docs/ipc.md the rules).
	 * options, handle_t *recv_out, handle_t *send_out -> 0 */
	SYS_PORT_CREATE = 28,
	/* send_h, const struct port_msg *msg, deadline_ns -> 0 [WRITE];
	 * a full queue blocks until the deadline (DEADLINE_POLL: ERR_SHOULD_WAIT) */
	SYS_PORT_SEND = 29,
	/* recv_h, struct port_rx *rx, deadline_ns -> 0 [READ] */
	SYS_PORT_RECV = 30,
	/* send_h, const struct port_msg *req, struct port_rx *reply,
	 * deadline_ns -> 0 [WRITE]: send and wait for the reply */
	SYS_PORT_CALL = 31,
	/* reply_h, const struct port_msg *msg -> 0: answers a call (the
	 * one-shot reply handle is consumed) */
	SYS_PORT_REPLY = 32,
	/* reply_h, const struct port_msg *msg, recv_h, struct port_rx *rx,
	 * deadline_ns -> 0: reply, then receive the next message */
	SYS_PORT_REPLY_RECV = 33,
	/* recv_h, uint64_t badge, handle_t *send_out -> 0 [MANAGE]: a send
	 * handle whose messages carry `badge` */
	SYS_PORT_MINT = 34,
	/* handle_t *out -> 0: a notification (64 pending bits) */
	SYS_NOTIF_CREATE = 35,
	/* notif_h, bits -> 0 [SIGNAL] */
	SYS_NOTIF_SIGNAL = 36,
	/* notif_h, mask, deadline_ns, uint64_t *bits_out -> 0 [WAIT]: waits
	 * until a bit of mask is pending, returns and clears them */
	SYS_NOTIF_WAIT = 37,
	/* recv_h, notif_h, bits -> 0 [MANAGE on the port, SIGNAL on the
	 * notification]: a message arriving signals `bits` */
	SYS_PORT_BIND_NOTIF = 38,
	/* irq_authority_h, gsi, notif_h, bits, handle_t *out -> 0: routes the
	 * interrupt line (a GSI, not an ISA IRQ number) to notification bits
	 * (masked on delivery) [MANAGE on an IRQ resource whose range holds
	 * gsi, SIGNAL on the notification]; the handle gets WRITE (ack),
	 * DUPLICATE, TRANSFER */
	SYS_IRQ_CREATE = 39,
	/* irq_h -> 0: acknowledges and unmasks the line [WRITE] */
	SYS_IRQ_ACK = 40,
	/* task_h, addr, len, perms (VM_PROT_READ|WRITE), handle_t *out -> 0
	 * [MANAGE]: a grant over the task's pages (addr 0: fresh memory) */
	SYS_GRANT_CREATE = 41,
	/* task_h, grant_h, perms, addr hint, uint64_t *out_addr -> 0 */
	SYS_GRANT_MAP = 42,
	/* task_h, addr -> 0: unmaps a grant mapping */
	SYS_GRANT_UNMAP = 43,
	/* grant_h -> 0 [MANAGE]: removes every mapping of the grant */
	SYS_GRANT_REVOKE = 44,
	/* ioport_authority_h, port, op (width 1/2/4 | IOPORT_OUT), value ->
	 * the value read (in) or 0 (out): one port access inside the I/O-port
	 * resource's range [READ for in, WRITE for out] */
	SYS_IOPORT_IO = 45,

	/* Scheduling (sched.h, docs/scheduling.md).
	 * thread_h, struct sched_params *out -> 0 [READ] */
	SYS_SCHED_GET = 46,
	/* sched_auth_h, const struct sched_auth_limits *lim, handle_t *out ->
	 * 0 [MANAGE]: a weaker authority; its DL pool is carved out of this
	 * one's and returns when it is gone */
	SYS_SCHED_AUTH_DERIVE = 47,
	/* sched_auth_h, struct sched_auth_info *out -> 0 [READ] */
	SYS_SCHED_AUTH_INFO = 48,
	/* sched_auth_h, const struct sched_config *set (NULL: keep),
	 * struct sched_config *out (NULL: none) -> 0 [READ; to set also
	 * WRITE and SCHED_AUTH_MAY_CONFIG] */
	SYS_SCHED_CONFIG = 49,
	/* sched_auth_h, task_h, runtime_ns, period_ns -> 0 [WRITE and
	 * SCHED_AUTH_MAY_QUOTA on the authority, MANAGE on the task]: the
	 * task's threads together get at most runtime_ns of CPU time in
	 * every period_ns window, whatever their class (runtime 0: no quota) */
	SYS_TASK_SET_CPU_QUOTA = 50,
	/* telemetry_h, cpu, from_seq, struct sched_trace_rec *buf, max,
	 * struct sched_trace_status *st -> records copied [READ] */
	SYS_SCHED_TRACE_READ = 51,
	/* telemetry_h, after_koid, struct sched_thread_stats *buf, max ->
	 * count: live threads with koid > after_koid, ascending [READ] */
	SYS_SCHED_STATS = 52,
	/* telemetry_h, cpu, struct sched_cpu_info *out -> 0 [READ] */
	SYS_SCHED_CPU_INFO = 53,
	/* res_h, base, size, rights (or RIGHT_SAME), handle_t *out -> 0
	 * [DUPLICATE]: a resource of the same kind covering [base,
	 * base+size), inside res_h's range (size > 0, no wrap), with a
	 * subset of res_h's rights. Kinds without a range (console, sysinfo,
	 * telemetry) take base = size = 0 only: a copy with fewer rights */
	SYS_RESOURCE_DERIVE = 54,
	/* h, notif_h, bits -> 0 [WAIT on h (a task or thread), SIGNAL on
	 * notif_h]: when h ends, `bits` are signalled on the notification (at
	 * once if it has ended already). At most 4 registrations per object
	 * (one per notification; registering again replaces the bits; a 5th
	 * is ERR_NO_RESOURCES); bits 0 removes the notification's. Each holds
	 * a reference to the notification until the object ends */
	SYS_OBJECT_NOTIFY = 55,
	/* sysinfo_h, after_koid, struct task_stats *buf, max -> count: live
	 * tasks with koid > after_koid, ascending [READ] */
	SYS_TASK_STATS = 56,
	/* sched_auth_h [WRITE], thread_h [MANAGE], uint64_t cpu_mask -> 0:
	 * the CPUs the thread may run on, narrowed by the authority's
	 * cpu_mask; a DL thread is re-admitted on one of them */
	SYS_SCHED_AFFINITY = 57,
	/* -> 0: no arguments, no effect; the cost of entering and leaving
	 * the kernel (the benchmarks' null call) */
	SYS_NULL = 58,

	/* Demand paging and DMA memory (docs/vmgr.md, docs/memory.md).
	 * pager_send_h, uint64_t key, size, handle_t *out -> 0 [WRITE on the
	 * send endpoint]: a memory object whose pages come from a pager: the
	 * first touch of an absent page sends a call (struct pager_fault,
	 * badge of the endpoint) and blocks until the pager answers. Charged
	 * to the caller (header and pages array now, each page when it is
	 * supplied); the handle has RIGHTS_PAGER_VMO (MANAGE = supply) */
	SYS_PAGER_VMO_CREATE = 59,
	/* vmo_h, offset, len, const void *src (0: zeros) -> pages supplied
	 * [MANAGE]: supplies the absent pages of [offset, offset+len)
	 * (page-aligned) from src in order, each charged to the object's
	 * owner; present pages are skipped. It stops at the first page over
	 * the owner's quota (ERR_NO_MEMORY) or with a bad src (ERR_FAULT),
	 * errors returned only when no page was supplied before */
	SYS_PAGER_SUPPLY = 60,
	/* dma_authority_h, size, handle_t *out -> 0 [WRITE on a RES_DMA
	 * resource]: physically contiguous, zeroed, pinned memory charged to
	 * the caller and to the authority's byte budget; the handle has
	 * RIGHTS_VMO | RIGHT_DMA */
	SYS_VMO_CREATE_DMA = 61,
	/* vmo_h, uint64_t *phys_out -> 0 [DMA]: the physical base of a DMA
	 * memory object (ERR_NOT_SUPPORTED for any other memory object) */
	SYS_VMO_PHYS = 62,
	/* recv_h, uint64_t badge, options, handle_t *send_out -> 0 [MANAGE]:
	 * SYS_PORT_MINT with options (ipc.h): PORT_MINT_NOTIFY_CLOSED queues
	 * a no-senders notice on the port when the endpoint dies */
	SYS_PORT_MINT_EX = 63,
	/* lender_task_h [MANAGE], task_h [MANAGE], bytes -> 0: a quota loan
	 * (docs/tasks.md, "Quota loans"): bytes of the lender's unused quota
	 * are charged to the lender and added to the task's quota until the
	 * task's account is freed. One lender per task (another:
	 * ERR_NO_RESOURCES); ERR_NO_MEMORY over the lender's quota;
	 * ERR_BAD_STATE a dying task; ERR_INVALID_ARGS bytes 0, itself, or a
	 * lender that holds the task's account (its descendant) */
	SYS_TASK_QUOTA_LEND = 64,
	/* mmio_h, base, size, cache, handle_t *out -> 0 [WRITE on a RES_MMIO
	 * resource holding [base, base+size)]: a memory object over that
	 * physical range (device registers, a framebuffer, a PCI BAR), no
	 * frames of its own; every mapping of it uses `cache` (VMO_CACHE_*).
	 * base/size page-aligned, size > 0 (ERR_INVALID_ARGS); outside the
	 * authority: ERR_OUT_OF_RANGE; RAM, the kernel image, LAPIC, IOAPICs,
	 * HPET and the PCI ECAM window: ERR_ACCESS_DENIED (docs/devices.md
	 * "Kernel: MMIO and DMA"). SYS_VMO_READ/WRITE on it:
	 * ERR_NOT_SUPPORTED (map it). The handle has RIGHTS_MMIO_VMO */
	SYS_VMO_CREATE_PHYS = 65,

	/* PCI configuration space and MSI (docs/devices.md "Kernel: PCI and
	 * MSI"). bdf = bus << 8 | dev << 3 | fn (PCI_BDF()), segment 0.
	 * pci_h, bdf, offset, width, uint32_t *out -> 0 [READ on a RES_PCI
	 * resource whose range holds bdf; outside it: ERR_ACCESS_DENIED]:
	 * width 1, 2 or 4 (else ERR_INVALID_ARGS), offset aligned to width
	 * (else ERR_INVALID_ARGS) and below 4096 with ECAM, 256 with ports
	 * (else ERR_OUT_OF_RANGE). An absent function reads all ones */
	SYS_PCI_CFG_READ = 66,
	/* pci_h, bdf, offset, width, value -> 0 [WRITE; also MANAGE for a
	 * write touching a type-0 header's BARs (0x10-0x27) or expansion ROM
	 * (0x30-0x33), or a type-1 header's BARs, bus numbers, windows, ROM
	 * or bridge control (0x10-0x1a, 0x1c-0x1d, 0x20-0x33, 0x38-0x3b,
	 * 0x3e-0x3f), or (ECAM) an SR-IOV / Resizable BAR / VF Resizable
	 * BAR extended capability];
	 * a value wider than width: ERR_OUT_OF_RANGE */
	SYS_PCI_CFG_WRITE = 67,
	/* pci_h, bdf, notif_h, bits, struct irq_msi *out -> 0 [WRITE on a
	 * RES_PCI resource whose range holds bdf, SIGNAL on the
	 * notification]: an MSI IRQ object on a free vector and the message
	 * the function must send for it (program it into its MSI-X table
	 * entry or MSI capability). Masked on delivery like an IOAPIC line
	 * (in the kernel: a message while masked is remembered and signalled
	 * again by SYS_IRQ_ACK). At most PCI_MSI_PER_FUNCTION live objects
	 * per function, and no free vector: ERR_NO_RESOURCES. Closing the
	 * last handle frees the vector (later messages on it are counted in
	 * kernel_stats.irq_stray and dropped). out->irq has RIGHTS_IRQ */
	SYS_IRQ_CREATE_MSI = 68,
	/* grant_h [MANAGE], send_h [TRANSFER] -> 0: the grant's memory
	 * object keeps the port endpoint send_h (moved out of the caller's
	 * table) until the memory is freed (every grant over it, mapping
	 * and handle gone); then the endpoint's handle goes, so one minted
	 * with PORT_MINT_NOTIFY_CLOSED queues its no-senders notice (docs/
	 * ipc.md "Grants"). One per object: ERR_ALREADY_EXISTS;
	 * ERR_WRONG_TYPE send_h not a send endpoint */
	SYS_GRANT_NOTIFY = 69,
	/* Register messages (docs/ipc.md "Register messages"; execrt/ipc.h
	 * PORT_REG_*): rdi = send_h | len << 32 (len <= PORT_REG_MAX),
	 * rsi = deadline_ns, rdx/r10/r8/r9 = the message words -> 0 [WRITE]
	 * with the answer in registers: rdi = len | flags << 32, rsi =
	 * badge, rbx = sender, rdx/r10/r8/r9 = words (zero past len);
	 * ERR_BUFFER_TOO_SMALL: an answer over PORT_REG_MAX bytes or with
	 * handles (rdi = its len, rdx = its handle count; dropped). Otherwise
	 * as SYS_PORT_CALL */
	SYS_PORT_CALL_REG = 70,
	/* rdi = recv_h | len << 32 | PORT_REG_ANSWER, rsi = deadline_ns,
	 * rdx/r10/r8/r9 = the answer's words -> 0 [READ]: with
	 * PORT_REG_ANSWER first answers REPLY_IMPLICIT from the words (as
	 * SYS_PORT_REPLY_RECV), then receives opted in to implicit replies,
	 * the message in registers as SYS_PORT_CALL_REG's answer (flags
	 * PORT_RX_IMPLICIT_REPLY: a call to answer with REPLY_IMPLICIT);
	 * ERR_BUFFER_TOO_SMALL: the next message is over PORT_REG_MAX bytes
	 * or has handles (sizes as above; it stays queued) */
	SYS_PORT_REPLY_RECV_REG = 71,
	SYS_COUNT
};

/* PCI function addresses (segment 0) and the MSI message. */
#define PCI_BDF(bus, dev, fn)                                                  \
	((uint32_t)(bus) << 8 | (uint32_t)(dev) << 3 | (uint32_t)(fn))
#define PCI_BDF_BUS(bdf) (((bdf) >> 8) & 0xffu)
#define PCI_BDF_DEV(bdf) (((bdf) >> 3) & 0x1fu)
#define PCI_BDF_FN(bdf)  ((bdf) & 0x7u)
#define PCI_BDF_COUNT    65536u
#define PCI_MSI_PER_FUNCTION 32
struct irq_msi {
	uint64_t addr; /* message address (x86: 0xfee00000 | apic id << 12) */
	uint32_t data; /* message data (x86: the vector, edge, fixed) */
	handle_t irq;  /* the IRQ object: SYS_IRQ_ACK, close frees it */
};

/* SYS_PAGER_VMO_CREATE: what a pager receives (as a call) for a fault. */
#define PAGER_FAULT_MAGIC 0x746c756166726770ull /* "pgrfault" */
struct pager_fault {
	uint64_t magic;  /* PAGER_FAULT_MAGIC */
	uint64_t key;    /* given at creation */
	uint64_t offset; /* page-aligned, into the object */
	uint64_t len;    /* bytes wanted (one page today) */
	uint32_t flags;  /* PAGER_FAULT_WRITE when the access was a write */
	uint32_t reserved;
};
#define PAGER_FAULT_WRITE 1u
/* The largest pager-backed object (as VMO_MAX_SIZE). */
#define PAGER_VMO_MAX (1ull << 36)

/* SYS_VM_MAP */
#define VM_PROT_READ  1u
#define VM_PROT_WRITE 2u
#define VM_PROT_EXEC  4u /* never together with WRITE (W^X) */
#define VM_MAP_FIXED  1u /* map exactly at addr (must be free) */

struct vm_map_req {
	uint64_t addr;   /* hint, or exact with VM_MAP_FIXED; page-aligned */
	uint64_t len;    /* bytes, page-aligned, > 0 */
	uint64_t offset; /* into the vmo, page-aligned */
	uint32_t prot;   /* VM_PROT_* */
	uint32_t flags;  /* VM_MAP_* */
};

/* SYS_VMO_CREATE_PHYS cache types. */
#define VMO_CACHE_UC 0u /* uncached: device registers */
#define VMO_CACHE_WC 1u /* write-combining: framebuffers */

/* SYS_IOPORT_IO op: the access width in bytes, | IOPORT_OUT to write. */
#define IOPORT_OUT 0x100u

/* Exit status of a task terminated by a fault nobody handled. */
#define TASK_STATUS_FAULT(vector) (-0x10000 - (int64_t)(vector))
/* Exit status of a task that was still running when its parent died. */
#define TASK_STATUS_PARENT_DIED (-0x20000)
/* A task that never ran whose last handle outside its own table was
 * closed: nothing could ever start it (docs/tasks.md). */
#define TASK_STATUS_UNREACHABLE (-0x30000)

/* What SYS_FAULT_WAIT returns. */
struct fault_report {
	uint64_t thread_koid; /* the suspended thread (handle_info koid) */
	uint32_t vector;      /* x86 exception vector: 14 #PF, 13 #GP, 6 #UD, 0 #DE */
	uint32_t error;       /* the CPU's error code (0 when none) */
	uint64_t addr;        /* faulting address (CR2) for page faults */
	uint64_t rip, rsp;    /* user registers at the fault */
};

/* User space is [USER_BASE, USER_TOP). */
#define USER_BASE 0x0000000000010000ull
#define USER_TOP  0x0000800000000000ull
#define PAGE_SIZE_USER 4096ull

struct kernel_stats {
	uint64_t frames_total, frames_free;
	uint64_t frames_cached;   /* in the kernel's spare slabs: reclaimable */
	uint64_t kobjects_live;   /* kernel objects (tasks, threads, vmos...) */
	uint64_t slab_objects;    /* live slab allocations */
	uint64_t tasks, threads;
	uint64_t cpus_online;
	uint64_t accounts;        /* memory accounts (tasks' and orphans') */
	/* The calling task's memory account: its quota and what is charged
	 * to it (including its children's quotas). */
	uint64_t mem_quota, mem_used;
	/* Every frame the slab caches hold (full, partly used and spare
	 * slabs): frames_free + frames_slab changes only when memory outside
	 * the slabs is taken or given back, whatever the slabs' layout. */
	uint64_t frames_slab;
	/* Interrupts on a user vector no IRQ object holds (an MSI sent after
	 * its object was closed): counted and dropped. */
	uint64_t irq_stray;
};

/* SYS_TASK_STATS: one live task (not yet freed). */
struct task_stats {
	uint64_t koid, parent_koid; /* parent 0: the root task */
	char name[32];              /* NUL-terminated */
	uint64_t mem_quota, mem_used; /* its memory account */
	uint64_t threads;           /* running (started, not ended) */
	uint64_t runtime_ns;        /* sum over its threads, live + ended */
	uint64_t cpu_quota_runtime_ns, cpu_quota_period_ns; /* 0: none */
	uint32_t state;             /* 0 running, 1 dying (or dead) */
	uint32_t reserved;
};

/* What the kernel hands the root task (pointer in rdi at entry); user-space
 * loaders build the same block for the tasks they start. */
#define START_INFO_MAGIC 0x7472747865636572ull /* "rectexrt" */

enum start_handle {
	START_H_SELF_TASK = 0,  /* this task [MANAGE|WAIT|DUPLICATE|TRANSFER] */
	START_H_SELF_THREAD,    /* the initial thread */
	START_H_CONSOLE,        /* debug console [WRITE] */
	START_H_INITRD,         /* the initrd as a read-only memory object */
	START_H_BOOTINFO,       /* boot information (memory object, read-only) */
	START_H_SYSINFO,        /* kernel statistics [READ] */
	START_H_IOPORT,         /* I/O-port authority */
	START_H_MMIO,           /* physical-memory (MMIO) authority */
	START_H_IRQ,            /* interrupt authority */
	START_H_NAMES,          /* send handle of the name service (docs/sdk-c.md) */
	START_H_SCHED,          /* scheduling authority (sched.h) */
	START_H_TELEMETRY,      /* scheduler telemetry [READ] */
	START_H_SERVICE,        /* one service-specific handle (docs/system.md) */
	START_H_FS = 13,        /* fsd: a send handle to FS_CONNECT on (else
				 * the runtime looks /svc/fsd up; docs/userland.md) */
	START_H_PCI = 14,       /* PCI configuration authority (RES_PCI, the
				 * bdf range [0, 65536)) */
	START_H_DMA = 15,       /* DMA-memory authority (RES_DMA budget) */
	START_H_STDIN = 16,     /* fds 0, 1, 2: start_info.fd_kind says what */
	START_H_STDOUT = 17,    /* each is; absent (START_FD_NONE): fd 0 reads */
	START_H_STDERR = 18,    /* end of file, fds 1 and 2 are START_H_CONSOLE */
	START_H_ACPI = 19,      /* root task: a read-only memory object holding
				 * a copy of every ACPI table, each whole, DSDT
				 * first (walk by header length; docs/acpi.md) */
	START_H_COUNT = 20
};

/* What handles[START_H_STDIN + i] is (start_info.fd_kind[i]). */
enum start_fd_kind {
	START_FD_NONE = 0,  /* not given: the default above */
	START_FD_CLOSED,    /* the fd is closed (EBADF) */
	START_FD_PORT,      /* a port send handle taking bytes as one-way
			     * messages (the console server, init's log port) */
	START_FD_KCONSOLE,  /* the kernel's debug console */
	START_FD_FILE,      /* an fsd open-file endpoint (docs/fsd.md) */
	START_FD_DIR,       /* an fsd open directory */
	START_FD_KIND_COUNT
};

/* The working directory's size in start_info (NUL included). */
#define START_CWD_MAX 1024

struct start_info {
	uint64_t magic;
	uint32_t nhandles;
	uint32_t argc;
	handle_t handles[START_H_COUNT]; /* HANDLE_INVALID where absent */
	uint64_t mem_quota;              /* bytes this task may use */
	char cmdline[256];               /* NUL-terminated */
	/* Inherited fds 0..2 (docs/userland.md "The fd table"): the kind of
	 * handles[START_H_STDIN + i] and its open flags (Linux O_ values:
	 * the access mode, O_APPEND). All zero: the defaults. */
	uint8_t fd_kind[3];
	uint8_t reserved0;
	uint32_t fd_flags[3];
	char cwd[START_CWD_MAX]; /* absolute, normalised; "" means "/" */
};
/* The runtime splits start_info.cmdline into at most this many words
 * (argv[0], the program name, included); the rest is dropped. */
#define START_ARGV_MAX 32
