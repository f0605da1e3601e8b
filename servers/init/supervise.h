/* Supervision state machine (docs/system.md "Supervision"): dependency
 * order, restart policy with capped exponential backoff, N failures in a
 * window -> failed, a generation per start, and the start / stop /
 * restart commands. Pure: it calls back into the platform (ops) to start
 * and kill tasks and learns of deaths through sup_exited(); time is
 * passed in. Host-tested in tests/host/test_init_supervise.c. */
#pragma once
#include <stdint.h>

#include "manifest.h"

enum sup_state {
	SUP_WAITING,  /* for its dependencies to be up */
	SUP_STARTING, /* started less than stable_ns ago */
	SUP_RUNNING,
	SUP_BACKOFF, /* died; restarts at due_ns */
	SUP_FAILED,  /* too many failures in the window: not restarted */
	SUP_STOPPED, /* stopped by a command, or exited and not restarted */
	SUP_BAD,     /* its manifest entry has an error: never started */
};

struct sup_svc {
	enum sup_state state;
	uint64_t generation; /* 1 for the first start, +1 per start */
	uint64_t restarts;   /* starts after the first */
	int64_t last_exit;   /* status of the last instance (or start error) */
	int exited;	     /* last_exit is meaningful */
	uint64_t since_ns;   /* when it entered its state */
	uint64_t started_ns; /* of the running instance */
	uint64_t due_ns;     /* BACKOFF: when it starts again */
	uint64_t backoff_ns; /* the next delay */
	uint64_t koid;	     /* task of the running instance */
	uint64_t fails[MAN_LIMIT_MAX]; /* times of the last failures (ring) */
	uint32_t nfails, fail_next;
	int stop_req, restart_req;
};

struct sup_ops {
	/* Start service i: 0 and its task's koid, or a negative error
	 * (counted as a failure of that service). */
	long (*start)(void *ctx, int i, uint64_t *koid);
	/* Kill service i's task (its death comes back via sup_exited). */
	void (*kill)(void *ctx, int i);
	/* Something to report about service i ("failed: ..."). */
	void (*note)(void *ctx, int i, const char *msg);
};

#define SUP_STABLE_NS (1000ull * 1000000) /* STARTING -> RUNNING */
#define SUP_NEVER     UINT64_MAX

struct sup {
	const struct manifest *m;
	struct sup_svc s[MAN_MAX_SVC];
	const struct sup_ops *ops;
	void *ctx;
	uint64_t stable_ns;
};

/* Good entries WAITING, bad ones BAD. Nothing is started yet. */
void sup_init(struct sup *sp, const struct manifest *m,
	      const struct sup_ops *ops, void *ctx, uint64_t now);
/* Starts what is due (dependencies up, backoff over), moves STARTING to
 * RUNNING after stable_ns; returns when it next has something to do
 * (SUP_NEVER: only an event can change anything). */
uint64_t sup_step(struct sup *sp, uint64_t now);
/* Service i's task ended with status. */
void sup_exited(struct sup *sp, int i, int64_t status, uint64_t now);

enum sup_cmd { SUP_CMD_START, SUP_CMD_STOP, SUP_CMD_RESTART };
#define SUP_E_BAD   (-1) /* a bad manifest entry */
#define SUP_E_STATE (-2) /* already running (start) */
/* 0 when done or under way (a stop or restart completes when the task's
 * death arrives); the caller then runs sup_step. */
int sup_cmd(struct sup *sp, int i, enum sup_cmd cmd, uint64_t now);

/* The service whose running task has koid, or -1. */
int sup_find_koid(const struct sup *sp, uint64_t koid);
const char *sup_state_name(enum sup_state st);
