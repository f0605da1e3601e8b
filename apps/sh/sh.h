/* sh, the exec-rt shell (docs/shell.md): state shared by its files.
 * main.c reads lines from /svc/console, builtins.c runs the commands,
 * ps.c shows tasks and kernel figures, files.c the file commands, run.c
 * starts programs from /boot/bin and waits for them. parse.c, psfmt.c and
 * fsfmt.c are the pure halves. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <execrt/syscall.h>

#include "cl_ports.h"
#include "parse.h"

#define SH_JOBS_MAX 8

/* A background program. */
struct sh_job {
	handle_t task, thread; /* 0: slot free */
	uint64_t koid;
	int64_t session; /* its console session's id (0: none) */
	char name[32];
};

struct sh {
	const struct start_info *si;
	handle_t sysinfo, telemetry;
	/* init's control endpoint (manifest `control`, START_H_SERVICE): for
	 * kill, poweroff, reboot and the clctl program only (REVIEW-18 R2). */
	handle_t init_ctl;
	const char *initrd; /* mapped read-only */
	uint64_t initrd_len;
	struct cl_conn console;
	bool have_console;
	/* console is the controlling session's endpoint (docs/console.md
	 * "Sessions and the foreground"): each program gets a session of its
	 * own, the foreground one names it foreground. */
	bool control;
	handle_t notif; /* foreground waits: the child's end, console events */
	struct sh_job jobs[SH_JOBS_MAX];
	int status; /* of the last command: `sh -c` exits with it */
	int out_fd; /* -1, or the file a program's stdout goes to (`>`) */
};

/* sh.status of a command sh could not run. */
#define SH_STATUS_ERROR	  1
#define SH_STATUS_USAGE	  2
#define SH_STATUS_UNKNOWN 127

/* builtins.c: runs one parsed line (argc > 0). */
void sh_exec(struct sh *s, struct sh_cmd *c);

/* ps.c */
void sh_ps(struct sh *s);
void sh_mem(struct sh *s);
void sh_uptime(struct sh *s);
/* mem.c */
void sh_mem_all(struct sh *s);
void sh_lspci(struct sh *s); /* lspci.c */

/* main.c: asks the console for control (s->console is then the
 * controlling session's endpoint); false: another holds it, or a console
 * without sessions (programs then share sh's endpoint, as before). */
bool sh_take_control(struct sh *s);

/* run.c */
/* Runs argv[0] from the initrd's bin/ with the rest as its arguments:
 * in the foreground (waits; Ctrl-C kills it) or, with c->background, as a
 * job. stop_on_key: any key ends it too (top). False when there is no
 * such program (nothing printed then). */
bool sh_run(struct sh *s, struct sh_cmd *c, bool stop_on_key);
/* Prints "[koid] done, status N" for every job that ended; frees them. */
void sh_jobs_reap(struct sh *s);
void sh_jobs_list(struct sh *s);
/* Kills the job with this task koid: true if it is one of ours. */
bool sh_jobs_kill(struct sh *s, uint64_t koid);
/* Brings the job with this task koid to the foreground (its console
 * session becomes the console's foreground) and waits for it as for a
 * foreground program: true if it is one of ours. */
bool sh_jobs_fg(struct sh *s, uint64_t koid);

/* files.c: ls, cat, echo, mkdir, rm, rmdir, mv, cd, pwd and `>`. */
bool sh_is_file_builtin(const char *name);
void sh_file_builtin(struct sh *s, struct sh_cmd *c);
/* Opens c->redir for writing (truncated, or appended with `>>`): the fd,
 * or -1 (the error printed). */
int sh_redirect_open(struct sh *s, struct sh_cmd *c);
/* Runs a builtin with sh's stdout on c->redir: false when the file could
 * not be opened (the error printed, nothing run). */
bool sh_builtin_redirected(struct sh *s, struct sh_cmd *c,
			   void (*run)(struct sh *, struct sh_cmd *));
