/* The service manifest (etc/services.conf, docs/system.md): a line-based
 * text parsed into fixed-size records. Pure code (no system calls), tested
 * on the host (tests/host/test_init_manifest.c). A bad line or entry is
 * reported as "FILE:LINE: message" and only that entry (and whatever
 * depends on it) is left out; the good entries still start. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <execrt/sched.h>

#define MAN_MAX_SVC   32
#define MAN_NAME_MAX  16  /* service name, NUL included */
#define MAN_PROG_MAX  32  /* program name, NUL included */
#define MAN_CMD_MAX   200 /* "program args...", NUL included */
#define MAN_PAT_MAX   8	  /* register / lookup patterns per entry */
#define MAN_PATLEN    64  /* a pattern, NUL included */
#define MAN_DEP_MAX   8	  /* after NAME... */
#define MAN_ERR_MAX   32  /* reports kept (all are counted) */
#define MAN_ERRLEN    120
#define MAN_LINE_MAX  512 /* longer lines are an error */
#define MAN_LIMIT_MAX 32  /* limit N/W: N at most this */

/* Grants without a value (man_svc.grants). */
#define MAN_G_TELEMETRY	 (1u << 0)
#define MAN_G_SYSINFO	 (1u << 1)
#define MAN_G_INITRD	 (1u << 2)
#define MAN_G_BOOTINFO	 (1u << 3)
#define MAN_G_SPAWN	 (1u << 4)
#define MAN_G_NAMES_PORT (1u << 5) /* the name service's receive handle */
#define MAN_G_KCONSOLE	 (1u << 6) /* stdout kernel: the debug console */
#define MAN_G_TOCONSOLE	 (1u << 7) /* stdout console: /svc/console itself */
#define MAN_G_VMGR_PORT	 (1u << 8) /* vmgr's port, made by init */
#define MAN_G_ACPI	 (1u << 9)  /* the ACPI tables (START_H_ACPI) */
#define MAN_G_MMIO_ALL	 (1u << 10) /* "mmio all": init's whole MMIO authority */
#define MAN_G_IOPORT_ALL (1u << 11) /* "ioport all": its whole I/O authority */
#define MAN_G_CONTROL	 (1u << 12) /* init's control endpoint */

enum man_restart {
	MAN_RESTART_ON_FAILURE,
	MAN_RESTART_ALWAYS,
	MAN_RESTART_NEVER
};

struct man_range {
	uint64_t base, size; /* size 0: not given */
};

struct man_svc {
	char name[MAN_NAME_MAX];
	char program[MAN_PROG_MAX];
	char cmdline[MAN_CMD_MAX];
	int line;		 /* of its "service" line */
	bool ok;		 /* no error: it may start */
	struct sched_params cls; /* its thread's class (cpu = KEEP) */
	uint64_t memory;	 /* quota, bytes */
	uint64_t memory_min;	 /* may start with less, down to this */
	uint64_t cpu_runtime_ns, cpu_period_ns; /* 0: no CPU quota */
	struct man_range ioport, mmio, irq;	/* irq: GSI range */
	int irq_isa;	 /* >= 0: irq given as isa:N (GSI from bootinfo) */
	struct man_range pci; /* PCI functions (bdf range; size 0: none) */
	uint64_t dma;	 /* bytes of DMA memory it may hold (0: none) */
	uint64_t shared; /* its vmgr ledger limit (0: vmgr's default) */
	bool sched_set;
	struct sched_auth_limits sched; /* derived authority */
	uint32_t grants;		/* MAN_G_* */
	char reg[MAN_PAT_MAX][MAN_PATLEN];
	char look[MAN_PAT_MAX][MAN_PATLEN];
	int nreg, nlook;
	char after[MAN_DEP_MAX][MAN_NAME_MAX];
	int dep[MAN_DEP_MAX]; /* indexes of after[] in manifest.svc */
	int nafter;
	enum man_restart restart;
	uint64_t backoff_min_ns, backoff_max_ns;
	uint32_t limit_n;	  /* limit_n failures within limit_window_ns */
	uint64_t limit_window_ns; /* -> failed */
	uint32_t log_size;	  /* bytes of its log ring */
};

struct manifest {
	struct man_svc svc[MAN_MAX_SVC];
	int n;
	int nerr; /* every error counted */
	char err[MAN_ERR_MAX][MAN_ERRLEN];
};

/* Defaults of an entry that does not say. */
#define MAN_DEF_MEMORY	     (8ull << 20)
#define MAN_DEF_BACKOFF_MIN  (50ull * 1000000)
#define MAN_DEF_BACKOFF_MAX  (5000ull * 1000000)
#define MAN_DEF_LIMIT_N	     5
#define MAN_DEF_LIMIT_WINDOW (30000ull * 1000000)
#define MAN_DEF_LOG_SIZE     (16u << 10)

/* Whether the initrd has program `prog` (bin/<prog>). */
typedef bool (*man_prog_fn)(void *ctx, const char *prog);

/* Parses len bytes of text (NULs are errors). fname is used in reports
 * ("services.conf:12: unknown key 'foo'"). prog_exists may be NULL (no
 * check). Returns the number of errors (0: all fine). */
int man_parse(struct manifest *m, const char *text, size_t len,
	      const char *fname, man_prog_fn prog_exists, void *ctx);

/* Index of the entry named `name`, or -1. */
int man_find(const struct manifest *m, const char *name);

/* Whether name matches pattern: exact, "prefix*", or "*". */
bool man_pattern_match(const char *pattern, const char *name);

/* Parsers of single values (also used by the supervisor's tests):
 * 0 on success, -1 on a bad or out-of-range value. */
int man_parse_u64(const char *s, uint64_t *out);  /* 123, 0x7b */
int man_parse_size(const char *s, uint64_t *out); /* 64K, 8M, 1G, 4096 */
int man_parse_time(const char *s, uint64_t *ns);  /* 5ms, 10us, 2s, 100ns */
