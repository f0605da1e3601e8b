/* The shell's own commands and the dispatch: a builtin (the file
 * commands are in files.c), else a program from /boot/bin, else an
 * error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <execrt/sys.h>

#include "sh.h"

static struct cl_resp resp;

static void help(void)
{
	fputs("builtins:\n"
	      "  help                 this text\n"
	      "  ps                   tasks and threads: class, CPU %, memory, "
	      "state\n"
	      "  top                  timeline-inspect, refreshing until a "
	      "key\n"
	      "  kill KOID            end a task (own jobs directly, others "
	      "via init)\n"
	      "  jobs                 background programs\n"
	      "  fg KOID              a background program to the foreground\n"
	      "  mem                  kernel memory and object counts\n"
	      "  uptime               time since boot\n"
	      "  lspci                devices and their drivers (/svc/iod)\n"
	      "  poweroff, reboot     through /svc/init\n"
	      "  exit [STATUS]        leave this shell (init starts a new "
	      "one)\n"
	      "files (through fsd):\n"
	      "  ls [-l] [PATH...]    list directories\n"
	      "  cat FILE...          print files\n"
	      "  echo [WORD...]       print the words\n"
	      "  mkdir DIR..., rmdir DIR..., rm FILE...\n"
	      "  mv FROM TO           rename (TO may be a directory)\n"
	      "  cd [DIR], pwd        working directory (/ by default)\n"
	      "  COMMAND > FILE, COMMAND >> FILE   stdout to a file "
	      "(truncated / appended)\n"
	      "programs (/boot/bin, or a path): PROGRAM [ARGS] [&]\n"
	      "  clctl status | start SVC | stop SVC | restart SVC | logs SVC "
	      "| doctor\n"
	      "  portctl SVC 'JSON' [--stream]\n"
	      "  timeline-inspect [--dump]\n"
	      "Ctrl-C kills the foreground program; '...' and \"...\" quote; "
	      "a final & runs in the background.\n",
	      stdout);
}

/* One control request to init (on sh's control endpoint, a duplicate:
 * cl_close closes it): true when it answered ok. */
static bool init_call(struct sh *s, const char *what, const char *json)
{
	struct cl_conn c = {0};
	cl_err_t e = CL_OK;
	if (!s->init_ctl) {
		printf("sh: %s: this shell may not control init (no `control` "
		       "in its manifest entry)\n",
		       what);
		return false;
	}
	if (sys_handle_dup(s->init_ctl, RIGHT_SAME, &c.send) < 0)
		e = CL_ERR_NOMEM;
	if (e == CL_OK) {
		e = cl_request(&c, json, &resp);
		cl_close(&c);
	}
	if (e == CL_ERR_REMOTE)
		printf("sh: %s: %s: %s\n", what, resp.code, resp.message);
	else if (e < 0)
		printf("sh: %s: /svc/init: %s\n", what, cl_strerror(e));
	cl_resp_close(&resp);
	return e == CL_OK;
}

/* fg KOID: one of sh's jobs to the foreground (docs/console.md
 * "Sessions and the foreground"). */
static void fg_cmd(struct sh *s, struct sh_cmd *c)
{
	uint64_t koid;
	if (c->argc != 2 || sh_parse_u64(c->argv[1], &koid) < 0) {
		printf("sh: usage: fg KOID (a job's koid, see jobs)\n");
		s->status = SH_STATUS_USAGE;
		return;
	}
	if (!sh_jobs_fg(s, koid)) {
		printf("sh: fg %llu: not a job of this shell\n",
		       (unsigned long long)koid);
		s->status = SH_STATUS_ERROR;
	}
}

static void kill_cmd(struct sh *s, struct sh_cmd *c)
{
	uint64_t koid;
	if (c->argc != 2 || sh_parse_u64(c->argv[1], &koid) < 0 || !koid) {
		printf("sh: usage: kill KOID (a task's koid, see ps)\n");
		s->status = SH_STATUS_USAGE;
		return;
	}
	if (sh_jobs_kill(s, koid))
		return;
	char req[80];
	snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"task\":%llu}",
		 (unsigned long long)koid);
	if (init_call(s, "kill", req))
		printf("task %llu killed\n", (unsigned long long)koid);
	else
		s->status = SH_STATUS_ERROR;
}

static void power(struct sh *s, const char *what)
{
	char req[40];
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", what);
	fflush(stdout);
	if (init_call(s, what, req))
		printf("sh: %s: init answered, but the machine is still "
		       "running\n",
		       what);
	s->status = SH_STATUS_ERROR;
}

static void top(struct sh *s)
{
	static char *argv[] = {
		"timeline-inspect", "--interval", "1000", "--count",
		"1000000",	    "--timeline", "12"};
	static struct sh_cmd c;
	c.argc = sizeof(argv) / sizeof(argv[0]);
	memcpy(c.argv, argv, sizeof(argv));
	c.argv[c.argc] = NULL;
	c.background = false;
	printf("top: refreshing every second; any key stops\n");
	if (!sh_run(s, &c, true))
		printf("sh: top: timeline-inspect is not in the initrd\n");
}

static void exit_cmd(struct sh *s, struct sh_cmd *c)
{
	uint64_t st = 0;
	if (c->argc > 2 ||
	    (c->argc == 2 && (sh_parse_u64(c->argv[1], &st) || st > 255))) {
		printf("sh: usage: exit [STATUS 0..255]\n");
		s->status = SH_STATUS_USAGE;
		return;
	}
	fflush(stdout);
	exit((int)st); /* background jobs die with sh */
}

/* A builtin that takes no arguments got some. */
static bool extra_args(struct sh_cmd *c)
{
	if (c->argc == 1)
		return false;
	printf("sh: %s: takes no arguments\n", c->argv[0]);
	return true;
}

/* The builtins but kill and exit (they take arguments). */
static void builtin(struct sh *s, struct sh_cmd *c)
{
	const char *n = c->argv[0];
	if (sh_is_file_builtin(n))
		sh_file_builtin(s, c);
	else if (!strcmp(n, "kill"))
		kill_cmd(s, c);
	else if (!strcmp(n, "fg"))
		fg_cmd(s, c);
	else if (!strcmp(n, "exit"))
		exit_cmd(s, c);
	else if (extra_args(c))
		s->status = SH_STATUS_USAGE;
	else if (!strcmp(n, "help"))
		help();
	else if (!strcmp(n, "ps"))
		sh_ps(s);
	else if (!strcmp(n, "top"))
		top(s);
	else if (!strcmp(n, "jobs"))
		sh_jobs_list(s);
	else if (!strcmp(n, "mem"))
		sh_mem_all(s); /* mem.c: the kernel's figures, then vmgr's */
	else if (!strcmp(n, "uptime"))
		sh_uptime(s);
	else if (!strcmp(n, "lspci"))
		sh_lspci(s);
	else if (!strcmp(n, "poweroff") || !strcmp(n, "reboot"))
		power(s, n);
}

void sh_exec(struct sh *s, struct sh_cmd *c)
{
	const char *n = c->argv[0];
	s->status = 0;
	bool is_builtin = !strcmp(n, "help") || !strcmp(n, "ps") ||
			  !strcmp(n, "top") || !strcmp(n, "kill") ||
			  !strcmp(n, "jobs") || !strcmp(n, "mem") ||
			  !strcmp(n, "uptime") || !strcmp(n, "poweroff") ||
			  !strcmp(n, "reboot") || !strcmp(n, "exit") ||
			  !strcmp(n, "lspci") || !strcmp(n, "fg") ||
			  sh_is_file_builtin(n);
	if (is_builtin && c->background) {
		printf("sh: %s: a builtin cannot run in the background\n", n);
		s->status = SH_STATUS_USAGE;
		return;
	}
	if (is_builtin) {
		/* `builtin > FILE`: sh's own stdout is the file meanwhile. */
		if (!c->redir)
			builtin(s, c);
		else if (!sh_builtin_redirected(s, c, builtin))
			s->status = SH_STATUS_ERROR;
		return;
	}
	/* A program gets the file as its fd 1; sh's stdout stays. */
	if (c->redir && (s->out_fd = sh_redirect_open(s, c)) < 0)
		return;
	bool found = sh_run(s, c, false);
	if (s->out_fd >= 0) {
		close(s->out_fd);
		s->out_fd = -1;
	}
	if (!found) {
		printf("sh: %.64s: command not found (try help)\n", n);
		s->status = SH_STATUS_UNKNOWN;
	}
}
