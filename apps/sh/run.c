/* Programs from /boot/bin (through fsd; from the initrd when there is no
 * fsd): started as children of sh with exactly the handles docs/shell.md
 * lists (console, names, initrd, sysinfo, telemetry, fds 0..2 and fsd),
 * waited for in the foreground (one notification: the child's
 * end and console events), or kept as background jobs reported at the
 * next prompt. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <execrt/cpio.h>
#include <execrt/elf_load.h>
#include <execrt/errors.h>
#include <execrt/runtime.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#include "sh.h"

#define MIB (1ull << 20)
/* What a child gets when sh can spare it: 8 jobs and a foreground program
 * fit in sh's 64 MiB (16 MiB each let only 3 run at once). */
#define CHILD_QUOTA   (6 * MIB)
#define SH_RESERVE    (2 * MIB) /* what sh keeps for itself */
#define BIT_CHILD     1ull
#define BIT_EVENT     2ull
#define POLL_NS	      20000000ull /* without SYS_OBJECT_NOTIFY */
#define STATUS_CTRL_C 130	  /* 128 + SIGINT, as the glue's kill() */
#define STATUS_KILL   137	  /* 128 + SIGKILL */
#define KILL_WAIT_NS  1000000000ull

static struct cl_event ev;

static bool good_name(const char *n)
{
	if (!*n || strlen(n) > 32)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '-' || *n == '_' ||
		      *n == '.'))
			return false;
	return true;
}

#define IMAGE_MAX (32 * MIB) /* a program file bigger than this is refused */

/* A program's ELF file: in the initrd (mapped) or read from fsd (heap). */
struct image {
	const void *data;
	size_t size;
	void *heap;
};

/* The whole file at path through fsd: 0 or -errno. */
static int read_file(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EACCES;
	else if ((uint64_t)st.st_size > IMAGE_MAX)
		r = -EFBIG;
	else if (!(im->heap = malloc(st.st_size ? (size_t)st.st_size : 1)))
		r = -ENOMEM;
	size_t got = 0;
	while (!r && got < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)im->heap + got,
				 (size_t)st.st_size - got);
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break; /* it shrank meanwhile */
		else
			got += (size_t)n;
	}
	close(fd);
	if (r) {
		free(im->heap);
		im->heap = NULL;
		return r;
	}
	im->data = im->heap;
	im->size = got;
	return 0;
}

/* name: a path (holds '/': read through fsd) or a bare name: /boot/bin/
 * <name> through fsd; only when there is no fsd (ENOSYS) bin/<name> of
 * the initrd, else <name> at its top (the layout before bin/). 0, or
 * -ENOENT (no such program), or another -errno. */
static int find(struct sh *s, const char *name, struct image *im)
{
	char path[PATH_MAX];
	bool is_path = strchr(name, '/') != NULL;
	memset(im, 0, sizeof(*im));
	if (!is_path && !good_name(name))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s%s", is_path ? "" : "/boot/bin/", name);
	int r = read_file(path, im);
	if (r != -ENOSYS || is_path)
		return r;
	struct cpio_file f;
	snprintf(path, sizeof(path), "bin/%s", name);
	if (!s->initrd ||
	    (cpio_find(s->initrd, s->initrd_len, path, &f) != CPIO_OK &&
	     cpio_find(s->initrd, s->initrd_len, name, &f) != CPIO_OK))
		return -ENOENT;
	im->data = f.data;
	im->size = f.size;
	return 0;
}

static void image_free(struct image *im)
{
	free(im->heap);
	memset(im, 0, sizeof(*im));
}

/* Out of sh's own quota: CHILD_QUOTA, or what is left above SH_RESERVE. */
static uint64_t child_quota(struct sh *s)
{
	struct kernel_stats k;
	if (sys_kernel_stats(s->sysinfo, &k) < 0 || !k.mem_quota)
		return CHILD_QUOTA;
	uint64_t free = k.mem_quota > k.mem_used ? k.mem_quota - k.mem_used : 0;
	if (free >= CHILD_QUOTA + SH_RESERVE)
		return CHILD_QUOTA;
	free = free > SH_RESERVE ? (free - SH_RESERVE) & ~(MIB / 16 - 1) : 0;
	return free >= MIB ? free : 0;
}

/* Console session `id` becomes the console's foreground. */
static bool foreground(struct sh *s, int64_t id)
{
	static struct cl_resp r;
	char req[96];
	snprintf(req, sizeof(req), "{\"cmd\":\"foreground\",\"session\":%lld}",
		 (long long)id);
	bool ok = cl_request(&s->console, req, &r) == CL_OK;
	cl_resp_close(&r);
	return ok;
}

/* A console session for the child (docs/console.md "Sessions and the
 * foreground"), naming its task, so a program that looks /svc/console up
 * by name reads in it too; the foreground program's is made foreground.
 * Its endpoint, or 0 (sh does not control the console: the child shares
 * sh's endpoint and, when sh is in a session, is adopted into it). */
static handle_t job_session(struct sh *s, handle_t task, bool fg, int64_t *id)
{
	static struct cl_resp r;
	struct handle_info hi = {0};
	char req[96];
	handle_t h = 0;
	*id = 0;
	if (!s->have_console || sys_handle_info(task, &hi) < 0)
		return 0;
	if (!s->control) {
		/* sh run as a program, in a session of its own: its programs
		 * read in that session too (refused by a console without
		 * sessions, or outside one: as before). */
		snprintf(req, sizeof(req), "{\"cmd\":\"adopt\",\"task\":%llu}",
			 (unsigned long long)hi.koid);
		cl_request(&s->console, req, &r);
		cl_resp_close(&r);
		return 0;
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"session\",\"task\":%llu}",
		 (unsigned long long)hi.koid);
	if (cl_request(&s->console, req, &r) == CL_OK &&
	    cl_resp_int(&r, "session", id) == CL_OK && r.nhandles > 0)
		h = cl_resp_take_handle(&r, 0);
	cl_resp_close(&r);
	if (h && fg)
		foreground(s, *id);
	return h;
}

static bool spawn(struct sh *s, const struct image *f, struct sh_cmd *c,
		  struct sh_job *j)
{
	const char *prog = c->argv[0];
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	char cmdline[SH_CMDLINE_MAX + 1];
	if (sh_join_cmdline(c->argv, c->argc, cmdline, sizeof(cmdline))) {
		printf("sh: %s: %s\n", prog, sh_perr_str(SH_E_CMDLINE));
		return false;
	}
	uint64_t quota = child_quota(s);
	if (!quota) {
		printf("sh: %s: not enough memory left in sh's quota\n", prog);
		return false;
	}
	struct execrt_spawn_args a = {.image = f->data,
				      .image_len = f->size,
				      .cmdline = cmdline,
				      .quota = quota};
	static const enum start_handle given[] = {
		START_H_CONSOLE, START_H_NAMES, START_H_INITRD, START_H_SYSINFO,
		START_H_TELEMETRY};
	for (unsigned i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		a.give[given[i]] = s->si->handles[given[i]];
	/* Control of init: only clctl of /boot/bin (what the user typed),
	 * never another program (REVIEW-18 R2). */
	if (!strcmp(prog, "clctl"))
		a.give[START_H_SERVICE] = s->init_ctl;
	/* fds 0..2, the working directory and fsd; `> FILE`: fd 1. */
	execrt_spawn_inherit(&a);
	if (s->out_fd >= 0)
		execrt_spawn_set_fd(&a, 1, s->out_fd);
	struct execrt_child ch;
	int elf_err = 0;
	long r = execrt_spawn_create(base[0] ? base : prog, quota, &ch);
	/* Its own console endpoint instead of sh's: the child holds the
	 * only handle, so its end (and its children's) closes the session. */
	int64_t sess = 0;
	handle_t con =
		r == 0 ? job_session(s, ch.task, !c->background, &sess) : 0;
	if (con)
		a.give[START_H_CONSOLE] = con;
	if (r == 0 && (r = execrt_spawn_start(&ch, &a, &elf_err)) < 0)
		execrt_spawn_abort(&ch);
	execrt_spawn_args_release(&a); /* when it never started */
	if (con)
		sys_handle_close(con);
	if (r < 0) {
		if (elf_err)
			printf("sh: %s: not a program: %s\n", prog,
			       elf_strerror(elf_err));
		else
			printf("sh: %s: cannot start: %s\n", prog, err_name(r));
		return false;
	}
	struct handle_info hi = {0};
	sys_handle_info(ch.task, &hi);
	*j = (struct sh_job){.task = ch.task,
			     .thread = ch.thread,
			     .koid = hi.koid,
			     .session = sess};
	snprintf(j->name, sizeof(j->name), "%s", base[0] ? base : prog);
	return true;
}

static void job_free(struct sh_job *j)
{
	sys_handle_close(j->thread);
	sys_handle_close(j->task);
	memset(j, 0, sizeof(*j));
}

/* Console events of the foreground wait: true when the child must end. */
static bool drain_events(struct cl_stream *st, bool stop_on_key, bool *ctrl_c)
{
	bool stop = false;
	cl_err_t e;
	while ((e = cl_next_event(st, DEADLINE_POLL, &ev)) != CL_ERR_TIMEOUT) {
		if (e == CL_OK && !strcmp(ev.name, "interrupt")) {
			*ctrl_c = true;
			stop = true;
		} else if (e == CL_OK && !strcmp(ev.name, "key")) {
			stop |= stop_on_key;
		} else if (e != CL_OK && e != CL_ERR_PROTO) {
			break; /* the console went away */
		}
		if (e == CL_OK)
			cl_event_close(&ev);
	}
	return stop;
}

/* The console's interrupt events (and key events when a key ends the
 * program, as for top), subscribed to before the child starts (a Ctrl-C
 * typed as soon as it runs must find sh listening; the latest subscriber
 * gets them). Without key events, what the user types meanwhile stays
 * in the console's type-ahead for the next prompt, as on a tty. */
static bool subscribe(struct sh *s, struct cl_stream *st, bool keys)
{
	static const char *const events[] = {"interrupt", "key"};
	memset(st, 0, sizeof(*st));
	return s->have_console &&
	       cl_subscribe(&s->console, events, keys ? 2 : 1, st) == CL_OK;
}

/* Waits for the foreground child: its end or, through the console's
 * events (sub: st is subscribed), Ctrl-C (and any key with stop_on_key),
 * which kill it. */
static void wait_fg(struct sh *s, struct sh_job *j, struct cl_stream *st,
		    bool sub, bool stop_on_key)
{
	bool bound = sub && s->notif &&
		     sys_port_bind_notif(st->recv, s->notif, BIT_EVENT) == 0;
	/* One notification for both; only if something failed (no
	 * notification object, events not bound) does sh poll instead. */
	bool notify = s->notif && (bound || !sub) &&
		      sys_object_notify(j->task, s->notif, BIT_CHILD) == 0;
	bool ctrl_c = false, stopped = false;
	int64_t status = 0;
	/* Events first: one may have come before the port was bound. */
	while (sys_object_wait(j->task, DEADLINE_POLL, &status) != 0) {
		if (sub && drain_events(st, stop_on_key, &ctrl_c)) {
			stopped = true;
			/* What is typed from now on is the next prompt's: to a
			 * closed stream the console cannot deliver it and keeps
			 * it as type-ahead (open until the child's end, keys
			 * became events nobody read). Keys already sent with
			 * the stopping one are lost (docs/console.md). */
			cl_stream_close(st);
			sys_task_kill(j->task, STATUS_CTRL_C);
			sys_object_wait(j->task, DEADLINE_NONE, &status);
			break;
		}
		uint64_t bits = 0;
		if (notify && sys_notif_wait(s->notif, BIT_CHILD | BIT_EVENT,
					     DEADLINE_NONE, &bits) < 0)
			notify = false;
		if (!notify &&
		    sys_object_wait(j->task,
				    (uint64_t)sys_clock_now() + POLL_NS,
				    &status) == 0)
			break;
	}
	if (sub)
		cl_stream_close(st);
	if (s->notif) {
		uint64_t bits;
		sys_notif_wait(s->notif, ~0ull, DEADLINE_POLL, &bits);
	}
	char b[64];
	fflush(stdout);
	if (ctrl_c)
		printf("^C\nsh: task killed (%llu %s)\n",
		       (unsigned long long)j->koid, j->name);
	else if (stopped)
		printf("%s stopped by a key\n", j->name);
	else if (status != 0)
		printf("sh: %s exited with status %s\n", j->name,
		       sh_fmt_status(b, sizeof(b), status));
	s->status = (int)status;
	job_free(j);
}

bool sh_run(struct sh *s, struct sh_cmd *c, bool stop_on_key)
{
	struct image f;
	int fr = find(s, c->argv[0], &f);
	if (fr == -ENOENT)
		return false;
	if (fr < 0) {
		printf("sh: %s: %s\n", c->argv[0],
		       fr == -ENOSYS ? "no file service (/svc/fsd is not there)"
				     : strerror(-fr));
		s->status = SH_STATUS_ERROR;
		return true;
	}
	if (!c->background) {
		struct sh_job j;
		struct cl_stream st;
		fflush(stdout);
		bool sub = subscribe(s, &st, stop_on_key);
		bool ok = spawn(s, &f, c, &j);
		image_free(&f);
		if (ok) {
			wait_fg(s, &j, &st, sub, stop_on_key);
		} else {
			if (sub)
				cl_stream_close(&st);
			s->status = SH_STATUS_ERROR;
		}
		return true;
	}
	struct sh_job *j = NULL;
	for (unsigned i = 0; i < SH_JOBS_MAX && !j; i++)
		if (!s->jobs[i].task)
			j = &s->jobs[i];
	if (!j) {
		printf("sh: %s: too many background jobs (at most %d)\n",
		       c->argv[0], SH_JOBS_MAX);
		s->status = SH_STATUS_ERROR;
	} else if (spawn(s, &f, c, j)) {
		printf("[%llu] started\n", (unsigned long long)j->koid);
	} else {
		s->status = SH_STATUS_ERROR;
	}
	image_free(&f);
	return true;
}

void sh_jobs_reap(struct sh *s)
{
	for (unsigned i = 0; i < SH_JOBS_MAX; i++) {
		struct sh_job *j = &s->jobs[i];
		int64_t st = 0;
		char b[64];
		if (!j->task || sys_object_wait(j->task, DEADLINE_POLL, &st))
			continue;
		printf("[%llu] done, status %s\n", (unsigned long long)j->koid,
		       sh_fmt_status(b, sizeof(b), st));
		job_free(j);
	}
}

void sh_jobs_list(struct sh *s)
{
	int n = 0;
	for (unsigned i = 0; i < SH_JOBS_MAX; i++) {
		if (!s->jobs[i].task)
			continue;
		printf("[%llu] running  %s\n",
		       (unsigned long long)s->jobs[i].koid, s->jobs[i].name);
		n++;
	}
	if (!n)
		printf("no background jobs\n");
}

bool sh_jobs_kill(struct sh *s, uint64_t koid)
{
	for (unsigned i = 0; i < SH_JOBS_MAX; i++) {
		if (!s->jobs[i].task || s->jobs[i].koid != koid)
			continue;
		long r = sys_task_kill(s->jobs[i].task, STATUS_KILL);
		int64_t st;
		/* Ended before the next prompt reports it (and ps lists it
		 * no more once the handles are closed there). */
		if (r == 0)
			sys_object_wait(
				s->jobs[i].task,
				(uint64_t)sys_clock_now() + KILL_WAIT_NS, &st);
		if (r < 0)
			printf("sh: kill %llu: %s\n", (unsigned long long)koid,
			       err_name(r));
		else
			printf("[%llu] killed\n", (unsigned long long)koid);
		return true;
	}
	return false;
}

bool sh_jobs_fg(struct sh *s, uint64_t koid)
{
	for (unsigned i = 0; i < SH_JOBS_MAX; i++) {
		struct sh_job *j = &s->jobs[i];
		if (!j->task || j->koid != koid)
			continue;
		struct cl_stream st;
		fflush(stdout);
		if (!j->session) {
			printf("sh: fg %llu: it has no console session\n",
			       (unsigned long long)koid);
			s->status = SH_STATUS_ERROR;
			return true;
		}
		/* Refused when it ended meanwhile: waited for all the same. */
		foreground(s, j->session);
		bool sub = subscribe(s, &st, false);
		wait_fg(s, j, &st, sub, false); /* frees the job */
		return true;
	}
	return false;
}
