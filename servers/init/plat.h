/* init's platform half: the state shared by main.c (set-up, the event
 * loop, /svc/init), svc_start.c (a service's task and what it is given),
 * logd.c (log ports, console lines) and power.c. One thread: everything
 * happens in the loop of main.c, woken by one notification:
 *   bits 0-59  a service's task ended (slot i -> bit i % 60)
 *   bit 60     a request on the /svc/init port
 *   bit 61     output on some service's log port */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/runtime.h>

#include "bootcfg.h"
#include "logring.h"
#include "manifest.h"
#include "supervise.h"

#define BIT_SVC_SLOTS 60
#define BIT_INIT_PORT (1ull << 60)
#define BIT_LOGS      (1ull << 61)
#define BITS_SVC      ((1ull << BIT_SVC_SLOTS) - 1)

#define NAMES_CTL_BADGE 1		    /* init's own names endpoint */
#define NAMES_CALL_NS	(1000ull * 1000000) /* acl/forget/register */
#define VMGR_CALL_NS	(1000ull * 1000000) /* VMGR_GIVE_QUOTA */
/* A service's own quota when vmgr lends it the rest (docs/vmgr.md). */
#define SVC_BASE_QUOTA	(64ull << 10)
#define CONSOLE_NAME	"/svc/console"
#define INIT_NAME	"/svc/init"
/* init's control endpoint (start/stop/kill/poweroff...): its own badge on
 * init's port, given at START_H_SERVICE to entries with `control` and
 * registered as INIT_CTL_NAME, which no lookup of /svc/ names reaches. */
#define INIT_CTL_BADGE	1
#define INIT_CTL_NAME	"/drv/init-control" /* names: /svc/ or /drv/ */
#define MS		1000000ull
#define CONSOLE_WAIT_NS (2000 * MS) /* stdout console: lookup */

struct svc_plat {
	handle_t task, thread; /* the running instance */
	handle_t log;	       /* receive side of its log port */
	uint64_t badge;	       /* its names badge (0: none) */
	struct log_ring ring;  /* kept across restarts */
	uint64_t plan;	       /* quota to ask vmgr for (0: its memory) */
	bool nofit;	       /* "does not fit" said since its last start */
};

struct init {
	/* What init was given (HANDLE_INVALID where absent). */
	handle_t self, kconsole, initrd_vmo, bootinfo_vmo, sysinfo, ioport,
		mmio, irq, sched, telemetry, dma, acpi_vmo, pci;
	const char *initrd; /* the initrd, read into memory */
	size_t initrd_len;
	struct bootcfg boot;
	const char *manifest_path;
	struct manifest man;
	struct sup sup;
	struct svc_plat svc[MAN_MAX_SVC];
	handle_t notif;
	int names_svc; /* entry with names-port, or -1 */
	handle_t names_recv, names_ctl;
	uint64_t next_badge;
	bool names_ready; /* init's own acl and /svc/init are in */
	uint64_t names_retry_ns;
	handle_t init_recv;
	handle_t init_ctl;     /* INIT_CTL_BADGE on init_recv (never sent) */
	handle_t vmgr_ctl;     /* vmgr's control endpoint (vmgr-port), or 0 */
	handle_t console_send; /* /svc/console once found */
	uint64_t console_retry_ns;
	uint64_t console_drops; /* lines the console queue refused */
	bool log_pending;	/* a log port was left with messages */
};

extern struct init g;

/* svc_start.c */
long svc_start(void *ctx, int i, uint64_t *koid);
/* Service i's task with its memory quota (svc_quota.c): 0 and *quota,
 * or an error (ERR_NO_MEMORY: it does not fit, said once). */
struct execrt_child;
long svc_make_task(int i, struct execrt_child *c, uint64_t *quota);
void svc_kill(void *ctx, int i);
/* Reaps service tasks that ended (bits: their slots' bits); returns true
 * if one did. */
bool svc_reap(uint64_t bits);
/* The file of program prog in the initrd (bin/<prog>, else <prog>). */
bool initrd_find(const char *path, const void **data, size_t *len);
/* names: init's acl and /svc/init (again after names restarted), and
 * every running service's acl. */
void names_setup(void);
bool names_up(void); /* the names service is starting or running */

/* logd.c */
/* Drains log ports (a bounded number of messages each); sets
 * g.log_pending when some were left. */
void logd_drain(void);
/* Drains service i's log port completely and closes it (its death). */
void logd_close(int i);
/* /svc/console's send handle (looked up, waiting until deadline, if not
 * known yet), or HANDLE_INVALID. */
handle_t logd_console(uint64_t deadline);
/* Whether service i may register /svc/console. */
bool logd_is_console(int i);
/* The console's instance ended: its endpoint is dead (forget it before a
 * restarted shell is handed it). */
void logd_console_gone(void);
/* A line from init itself, formatted like the services' ("[init]"). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* power.c: do not return on success. */
void power_off(void);
void power_reboot(void);
/* Whether [base, base+size) holds a port init keeps for power control. */
bool power_port_overlap(uint64_t base, uint64_t size);
