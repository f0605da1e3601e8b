/* sh, the exec-rt shell (docs/shell.md). Reads lines through
 * /svc/console's readline (the console edits them: backspace, Ctrl-U,
 * history, Ctrl-C), parses them (parse.c) and runs builtins or programs
 * from the initrd (builtins.c, run.c). Its output is stdout:
 * START_H_CONSOLE, a send handle of the console's port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "sh.h"

#define PROMPT		"exec-rt> "
#define CONSOLE_WAIT_NS 2000000000ull  /* at start: init starts it first */
#define RECONNECT_NS	10000000000ull /* after it went away */
#define BACKOFF_NS	100000000ull   /* after a failed readline */

static struct sh sh;
static struct cl_resp resp;
static char line[PORT_MSG_MAX + 1];
static struct sh_cmd cmd;

/* The initrd, mapped read-only (else read into the heap). */
static void map_initrd(struct sh *s)
{
	handle_t h = execrt_handle(START_H_INITRD);
	uint64_t size = 0, addr = 0;
	if (!h || sys_vmo_get_size(h, &size) < 0 || !size)
		return;
	struct vm_map_req req = {.len = (size + 4095) & ~4095ull,
				 .prot = VM_PROT_READ};
	if (sys_vm_map(execrt_handle(START_H_SELF_TASK), h, &req, &addr) == 0) {
		s->initrd = (const char *)addr;
		s->initrd_len = size;
		return;
	}
	char *buf = malloc(size);
	if (buf && sys_vmo_read(h, buf, 0, size) == 0) {
		s->initrd = buf;
		s->initrd_len = size;
	} else {
		free(buf);
	}
}

/* The boot figure: kernel entry (bootinfo's kernel_entry_ns) to now, just
 * before the first prompt. Without that line: the time since boot. */
static void ready_line(void)
{
	static char text[8192];
	uint64_t entry = 0, size = 0;
	bool have = false;
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	if (bi && sys_vmo_get_size(bi, &size) == 0) {
		if (size > sizeof(text))
			size = sizeof(text);
		if (sys_vmo_read(bi, text, 0, size) == 0)
			have = sh_bootinfo_u64(text, strnlen(text, size),
					       "kernel_entry_ns", &entry) == 0;
	}
	uint64_t now = (uint64_t)sys_clock_now();
	char ms[32];
	sh_fmt_ms(ms, sizeof(ms), now > entry ? now - entry : 0);
	printf("sh: ready in %s ms after %s\n", ms,
	       have ? "kernel entry" : "boot");
}

bool sh_take_control(struct sh *s)
{
	s->control = false;
	if (cl_request(&s->console, "{\"cmd\":\"control\"}", &resp) == CL_OK &&
	    resp.nhandles > 0) {
		handle_t h = cl_resp_take_handle(&resp, 0);
		if (h) {
			cl_close(&s->console);
			s->console.send = h;
			s->control = true;
		}
	}
	cl_resp_close(&resp);
	return s->control;
}

/* The console went away (init restarts it). If sh's stdout was a send
 * handle of that console's port, it is dead for good: sh exits, and the
 * sh init starts next gets the new console's. Else it looks again. */
static bool reconnect(struct sh *s)
{
	struct handle_info hi = {0};
	if (sys_handle_info(execrt_handle(START_H_CONSOLE), &hi) == 0 &&
	    hi.type == OBJ_PORT_SEND)
		return false;
	cl_close(&s->console);
	s->have_console = false;
	cl_err_t e = cl_connect("/svc/console",
				(uint64_t)sys_clock_now() + RECONNECT_NS,
				&s->console);
	if (e < 0) {
		printf("sh: /svc/console: %s; exiting\n", cl_strerror(e));
		return false;
	}
	s->have_console = true;
	sh_take_control(s);
	return true;
}

/* One line from the console into line[]: its length, or -1 (nothing to
 * run; a message is printed when there is something to say). */
static long read_line(struct sh *s)
{
	fflush(stdout);
	cl_err_t e = cl_request_ex(
		&s->console, "{\"cmd\":\"readline\",\"prompt\":\"" PROMPT "\"}",
		NULL, 0, DEADLINE_NONE, &resp);
	static unsigned refused; /* readlines refused in a row */
	long n = -1;
	if (e == CL_OK) {
		refused = 0;
		if (cl_resp_str(&resp, "line", line, sizeof(line)) == CL_OK)
			n = (long)strlen(line);
		else
			printf("sh: the console's answer has no line\n");
	} else if (e == CL_ERR_REMOTE && !strcmp(resp.code, "TOO_LONG")) {
		refused = 0;
		printf("sh: %s\n", sh_perr_str(SH_E_TOO_LONG));
	} else if (e == CL_ERR_REMOTE && !strcmp(resp.code, "AGAIN")) {
		/* Another task of our badge asked for a line: the console
		 * checks we are still here; asking again at once continues
		 * the line (REVIEW-18 R6, docs/console.md). */
	} else if (e == CL_ERR_REMOTE && strcmp(resp.code, "INTERRUPTED")) {
		/* BUSY: another reader (a second sh) has the console. Said
		 * once, then retried slowly, so it cannot flood the line. */
		if (!refused++)
			printf("sh: console: %s: %s (retrying)\n", resp.code,
			       resp.message);
		sys_sleep_until((uint64_t)sys_clock_now() +
				(refused > 10 ? 10 : refused) * BACKOFF_NS);
	} else if (e == CL_ERR_CONN || e == CL_ERR_TIMEOUT ||
		   e == CL_ERR_PROTO) {
		if (!reconnect(s))
			exit(1);
	} else if (e != CL_ERR_REMOTE) {
		printf("sh: console: %s\n", cl_strerror(e));
		sys_sleep_until((uint64_t)sys_clock_now() + BACKOFF_NS);
	}
	cl_resp_close(&resp);
	return n;
}

/* sh -c LINE: the rest of the command line after "-c" as it was written
 * (not the runtime's argv, which took "..." words apart), run as one line
 * without the console's line editing; the exit status is the command's. */
static int run_once(struct sh *s)
{
	const char *all = s->si->cmdline;
	const char *c = strstr(all, " -c");
	size_t n = 0;
	if (c) {
		size_t off = (size_t)(c + 3 - all);
		n = strnlen(all, sizeof(s->si->cmdline)) - off;
		memcpy(line, all + off, n);
	}
	line[n] = '\0';
	s->have_console =
		cl_connect("/svc/console", DEADLINE_POLL, &s->console) == CL_OK;
	int pe = sh_parse(line, n, &cmd);
	if (pe) {
		printf("sh: %s\n", sh_perr_str(pe));
		return SH_STATUS_USAGE;
	}
	if (cmd.argc > 0)
		sh_exec(s, &cmd);
	fflush(stdout);
	return s->status;
}

int main(int argc, char **argv)
{
	struct sh *s = &sh;
	s->si = execrt_start_info();
	if (!s->si) {
		printf("sh: no start info\n");
		return 1;
	}
	s->out_fd = -1;
	s->sysinfo = execrt_handle(START_H_SYSINFO);
	s->telemetry = execrt_handle(START_H_TELEMETRY);
	s->init_ctl = execrt_handle(START_H_SERVICE);
	map_initrd(s);
	if (sys_notif_create(&s->notif) < 0)
		s->notif = 0;
	if (argc >= 2 && !strcmp(argv[1], "-c"))
		return run_once(s);
	if (argc >= 2) {
		printf("sh: usage: sh [-c COMMAND [ARGS]]\n");
		return SH_STATUS_USAGE;
	}
	cl_err_t e = cl_connect("/svc/console",
				(uint64_t)sys_clock_now() + CONSOLE_WAIT_NS,
				&s->console);
	if (e < 0) {
		printf("sh: /svc/console: %s: no input; exiting\n",
		       cl_strerror(e));
		return 1;
	}
	s->have_console = true;
	sh_take_control(s);
	ready_line();
	for (;;) {
		sh_jobs_reap(s);
		long n = read_line(s);
		if (n < 0)
			continue;
		int pe = sh_parse(line, (size_t)n, &cmd);
		if (pe)
			printf("sh: %s\n", sh_perr_str(pe));
		else if (cmd.argc > 0)
			sh_exec(s, &cmd);
	}
}
