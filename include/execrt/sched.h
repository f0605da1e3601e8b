/* exec-rt scheduling ABI: the three classes and their parameters, the
 * scheduling authority, the global configuration and the telemetry records.
 * docs/scheduling.md has the rules; syscall.h the calls that use these. */
#pragma once
#include <stdint.h>

/* Classes, in strict order: any ready DL thread runs before any RT thread,
 * any RT thread before any BE thread. */
enum sched_class_id {
	SCHED_CLASS_BE = 0,   /* best effort: weighted fair sharing */
	SCHED_CLASS_RT = 1,   /* fixed priority, FIFO or round-robin */
	SCHED_CLASS_DL = 2,   /* earliest deadline first, budget per period */
	SCHED_CLASS_IDLE = 3, /* telemetry only: the CPU's idle thread */
};
#define SCHED_CLASS_MASK(c) (1u << (c))

#define SCHED_RT_PRIO_MIN	1
#define SCHED_RT_PRIO_MAX	99
#define SCHED_BE_WEIGHT_MIN	1
#define SCHED_BE_WEIGHT_DEFAULT 1024
#define SCHED_BE_WEIGHT_MAX	65536

/* DL parameters: runtime <= deadline <= period, within these bounds. */
#define SCHED_DL_RUNTIME_MIN_NS 10000ull       /* 10 us */
#define SCHED_DL_PERIOD_MAX_NS	10000000000ull /* 10 s */
/* RT round-robin quantum bounds (0 in sched_params: the default). */
#define SCHED_RR_QUANTUM_MIN_NS 100000ull     /* 100 us */
#define SCHED_RR_QUANTUM_MAX_NS 1000000000ull /* 1 s */

/* sched_params.flags */
#define SCHED_FLAG_RR (1u << 0) /* RT: round-robin among equals (else FIFO) */

#define SCHED_CPU_KEEP (-1) /* sched_params.cpu: leave the placement alone */

/* A thread's class and parameters (SYS_SCHED_SET / SYS_SCHED_GET). Fields
 * that do not belong to the class must be 0. */
struct sched_params {
	uint32_t cls;	      /* enum sched_class_id (not IDLE) */
	uint32_t flags;	      /* SCHED_FLAG_* */
	uint32_t priority;    /* RT: 1..99, higher runs first */
	uint32_t weight;      /* BE: 1..65536 share (0: the default, 1024) */
	uint64_t runtime_ns;  /* DL: budget per period */
	uint64_t deadline_ns; /* DL: relative deadline of each job */
	uint64_t period_ns;   /* DL: period (minimum inter-release time) */
	uint64_t quantum_ns; /* RT round-robin: slice (0: configured default) */
	int32_t cpu;	     /* pins the thread to this CPU (a new CPU only
			      * before it starts); SCHED_CPU_KEEP to leave
			      * it (get: the CPU it is on) */
	uint32_t reserved;   /* 0 */
};

/* The scheduling authority (OBJ_SCHED_AUTH). Its handle is needed to change
 * any thread's class or parameters [WRITE], to derive a weaker authority
 * [MANAGE] and to read what it holds [READ]. */
#define SCHED_AUTH_MAY_QUOTA  (1u << 0) /* may set tasks' CPU quotas */
#define SCHED_AUTH_MAY_CONFIG (1u << 1) /* may change struct sched_config */

struct sched_auth_limits {
	uint32_t classes;      /* SCHED_CLASS_MASK()s it may grant */
	uint32_t max_priority; /* highest RT priority it may grant */
	/* DL bandwidth it may hand out at once, summed over all CPUs, in
	 * millionths of a CPU (a DL thread's share is runtime/deadline).
	 * Deriving carves the child's pool out of this one; it comes back
	 * when the derived authority is gone. */
	uint64_t dl_bw_ppm;
	uint32_t flags;	   /* SCHED_AUTH_MAY_* */
	uint32_t reserved; /* 0 */
	/* CPUs it may place threads on (SYS_SCHED_AFFINITY); deriving
	 * narrows it (0: the parent's). */
	uint64_t cpu_mask;
};

struct sched_auth_info {
	struct sched_auth_limits limits;
	/* Held now: by DL threads admitted through this authority plus the
	 * pools of authorities derived from it. */
	uint64_t dl_bw_used_ppm;
};

/* Global configuration (SYS_SCHED_CONFIG). */
#define SCHED_CFG_TRACE (1u << 0) /* record dispatches in the trace rings */

struct sched_config {
	/* Admission: on each CPU the DL shares (runtime/deadline) must sum
	 * to at most this, in millionths of a CPU. Default 900000 (90%);
	 * never above the RT cap's share. */
	uint64_t dl_bound_ppm;
	/* RT cap: while best-effort threads are ready, DL+RT threads get at
	 * most rt_cap_runtime_ns of every rt_cap_period_ns window on a CPU
	 * (RT threads are held back; DL threads never are). Default 950 ms
	 * of 1 s; runtime == period turns the cap off. */
	uint64_t rt_cap_runtime_ns;
	uint64_t rt_cap_period_ns;
	uint64_t rr_quantum_ns; /* default RT round-robin quantum (10 ms) */
	uint64_t be_latency_ns; /* BE: every ready thread runs within it (6 ms)
				 */
	uint64_t be_min_slice_ns; /* BE: shortest slice (1 ms) */
	uint32_t flags;		  /* SCHED_CFG_* (default SCHED_CFG_TRACE) */
	uint32_t reserved;	  /* 0 */
};

/* Telemetry (the telemetry handle, START_H_TELEMETRY, [READ]). */

/* One dispatch: a thread ran on a CPU from start_ns for runtime_ns. */
#define SCHED_TREC_WOKEN                                                       \
	(1u << 0)		       /* began after a wake-up or release:    \
					* latency_ns is its wake-up latency */
#define SCHED_TREC_PREEMPTED (1u << 1) /* ended with the thread still ready */
#define SCHED_TREC_THROTTLED (1u << 2) /* ended by an empty budget or quota */
#define SCHED_TREC_BLOCKED   (1u << 3) /* ended by blocking, yield or exit */
#define SCHED_TREC_DL_MET    (1u << 4) /* DL: ended by its deadline */
#define SCHED_TREC_DL_MISS                                                     \
	(1u << 5)		     /* DL: the job was still unfinished       \
				      * at its deadline (counted once) */
#define SCHED_TREC_DONATED (1u << 6) /* ran on a caller's parameters */

struct sched_trace_rec {
	uint64_t seq; /* per-CPU sequence number, from 0 */
	uint64_t thread_koid;
	uint64_t start_ns; /* clock time the dispatch began */
	uint64_t runtime_ns;
	uint64_t deadline_ns; /* DL: absolute deadline in force; else 0 */
	uint32_t latency_ns;  /* ready -> running (saturates) */
	uint16_t flags;	      /* SCHED_TREC_* */
	uint8_t cls;	      /* class it ran in (donation may raise it) */
	uint8_t cpu;
};

/* What SYS_SCHED_TRACE_READ says besides the records. */
struct sched_trace_status {
	uint64_t next_seq;    /* pass this to continue where the read ended */
	uint64_t lost;	      /* records between from_seq and the oldest one
			       * still held: overwritten before this read */
	uint64_t head;	      /* seq the next dispatch will get */
	uint64_t overwritten; /* records ever overwritten on this CPU */
	uint32_t capacity;    /* records the ring holds */
	uint32_t reserved;
};

/* Per-thread totals since the thread was created (SYS_SCHED_STATS). */
#define SCHED_TS_THROTTLED (1u << 0) /* held back now (budget or quota) */
#define SCHED_TS_DONATED   (1u << 1) /* running on a caller's parameters */

enum sched_thread_state {
	SCHED_TS_NEW = 0,
	SCHED_TS_READY = 1,
	SCHED_TS_RUNNING = 2,
	SCHED_TS_BLOCKED = 3,
	SCHED_TS_DEAD = 4,
};

struct sched_thread_stats {
	uint64_t koid, task_koid; /* task_koid 0: a kernel thread */
	char name[32];
	struct sched_params params; /* its own class and parameters */
	uint32_t eff_cls;	    /* class it runs in now */
	uint32_t state;		    /* enum sched_thread_state */
	uint32_t cpu;
	uint32_t flags; /* SCHED_TS_* */
	uint64_t runtime_ns;
	uint64_t dispatches;
	uint64_t wakeups; /* dispatches after a wake-up or release */
	uint64_t lat_min_ns, lat_max_ns, lat_sum_ns; /* over wakeups */
	uint64_t preemptions;
	uint64_t throttles; /* budget, quota or donor-budget exhaustions */
	uint64_t dl_met, dl_missed; /* DL jobs (its own deadlines) */
	uint64_t donated_ns;	    /* time run on callers' parameters */
	uint64_t ipc_fast; /* calls made and answers given on the IPC
			    * fastpath (docs/ipc.md "Fastpath") */
};

/* Per-CPU figures (SYS_SCHED_CPU_INFO). */
struct sched_cpu_info {
	uint64_t now_ns;
	uint64_t idle_ns; /* time in the idle thread since boot */
	uint64_t switches;
	uint64_t dl_density_ppm; /* admitted DL share on this CPU */
	uint64_t rt_capped;	 /* windows in which the RT cap held RT back */
	uint64_t sched_calls;	 /* dispatch decisions taken */
	uint64_t sched_cycles;	 /* CPU cycles spent taking them */
	uint64_t trace_head;	 /* next trace seq */
	uint64_t trace_overwritten;
	/* TLB shootdown requests (IPIs) this CPU answered: for user address
	 * spaces (only CPUs running that space get them) and for the
	 * kernel's (all CPUs). */
	uint64_t tlb_ipis_user, tlb_ipis_kernel;
	uint32_t cpu;
	uint32_t nr_ready;
};
