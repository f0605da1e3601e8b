/* Child tasks from an ELF image in memory (execrt/spawn.h). */
#include <errno.h>
#include <string.h>

#include <execrt/elf_load.h>
#include <execrt/spawn.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "fs_int.h"
#include "sock_int.h"

handle_t execrt_give_dup(handle_t task, handle_t h)
{
	handle_t d = HANDLE_INVALID, out = HANDLE_INVALID;
	if (sys_handle_dup(h, RIGHT_SAME, &d) < 0)
		return HANDLE_INVALID;
	if (sys_task_give_handle(task, d, RIGHT_SAME, &out) < 0) {
		sys_handle_close(d);
		return HANDLE_INVALID;
	}
	return out;
}

long execrt_spawn_create(const char *name, uint64_t quota,
			 struct execrt_child *c)
{
	memset(c, 0, sizeof(*c));
	handle_t self = 0;
	const struct start_info *si = execrt_start_info();
	if (si)
		self = si->handles[START_H_SELF_TASK];
	long r = sys_task_create(self, name, strlen(name), quota, &c->task);
	if (r < 0)
		return r;
	r = sys_thread_create(c->task, "main", 4, &c->thread);
	if (r < 0)
		execrt_spawn_abort(c);
	return r;
}

static long start(struct execrt_child *c, const struct execrt_spawn_args *a,
		  int *elf_err)
{
	struct start_info si;
	memset(&si, 0, sizeof(si));
	si.magic = START_INFO_MAGIC;
	si.nhandles = START_H_COUNT;
	si.mem_quota = a->quota;
	for (unsigned i = 0; i < START_H_COUNT; i++)
		if (a->give[i] != HANDLE_INVALID && i != START_H_SELF_TASK &&
		    i != START_H_SELF_THREAD &&
		    !(si.handles[i] = execrt_give_dup(c->task, a->give[i])))
			return ERR_NO_RESOURCES;
	si.handles[START_H_SELF_TASK] = execrt_give_dup(c->task, c->task);
	si.handles[START_H_SELF_THREAD] = execrt_give_dup(c->task, c->thread);
	if (!si.handles[START_H_SELF_TASK] || !si.handles[START_H_SELF_THREAD])
		return ERR_NO_RESOURCES;
	for (int i = 0; i < 3; i++) {
		si.fd_kind[i] = a->fd_kind[i];
		si.fd_flags[i] = a->fd_flags[i];
	}
	if (a->cwd) {
		size_t cl = strlen(a->cwd);
		if (cl >= sizeof(si.cwd))
			return ERR_INVALID_ARGS;
		memcpy(si.cwd, a->cwd, cl + 1);
	}
	size_t n = strlen(a->cmdline);
	if (n >= sizeof(si.cmdline))
		return ERR_INVALID_ARGS;
	memcpy(si.cmdline, a->cmdline, n + 1);
	for (const char *p = si.cmdline; *p; p++)
		si.argc += *p != ' ' && (p == si.cmdline || p[-1] == ' ');

	struct elf_load_args la = {.task = c->task,
				   .image = a->image,
				   .image_len = a->image_len,
				   .start_info = &si};
	struct elf_loaded out;
	int perr = 0;
	long r = elf_load(&la, &out, &perr);
	if (elf_err)
		*elf_err = perr;
	if (r < 0)
		return r;
	if (a->fault_handler &&
	    (r = sys_task_set_fault_handler(c->task, 1)) < 0)
		return r;
	return sys_thread_start(c->thread, out.entry, out.stack_top,
				out.start_info);
}

long execrt_spawn_start(struct execrt_child *c, struct execrt_spawn_args *a,
			int *elf_err)
{
	long r = start(c, a, elf_err);
	execrt_spawn_args_release(a);
	return r;
}

void execrt_spawn_args_release(struct execrt_spawn_args *a)
{
	for (int i = 0; i < 3; i++) {
		if (!a->own[i])
			continue;
		if (a->give[START_H_STDIN + i] == a->own[i])
			a->give[START_H_STDIN + i] = HANDLE_INVALID;
		sys_handle_close(a->own[i]);
		a->own[i] = HANDLE_INVALID;
	}
}

void execrt_spawn_abort(struct execrt_child *c)
{
	int64_t st;
	if (c->task) {
		sys_task_kill(c->task, -1);
		sys_object_wait(c->task, DEADLINE_NONE, &st);
	}
	sys_handle_close(c->thread);
	sys_handle_close(c->task);
	memset(c, 0, sizeof(*c));
}

int execrt_spawn_set_fd(struct execrt_spawn_args *a, int child_fd, int fd)
{
	if (child_fd < 0 || child_fd > 2)
		return -EINVAL;
	handle_t *slot = &a->give[START_H_STDIN + child_fd];
	handle_t d = HANDLE_INVALID;
	int r = 0;
	/* The entry read and its handle held in one hold of the lock, as
	 * dup_entry (fd_glue.c) does. */
	rtsk_lock();
	struct execrt_fd *e = fsc_fd(fd);
	if (!e) {
		r = -EBADF;
	} else {
		if (e->h && sys_handle_dup(e->h, RIGHT_SAME, &d) < 0)
			r = -ENOMEM;
		a->fd_kind[child_fd] = execrt_fd_start_kind(e);
		a->fd_flags[child_fd] = e->flags;
		if (!e->h && a->fd_kind[child_fd] != START_FD_NONE)
			a->fd_kind[child_fd] = START_FD_CLOSED;
	}
	rtsk_unlock();
	if (r < 0)
		return r;
	if (a->own[child_fd])
		sys_handle_close(a->own[child_fd]);
	a->own[child_fd] = d;
	*slot = d;
	return 0;
}

void execrt_spawn_inherit(struct execrt_spawn_args *a)
{
	for (int i = 0; i < 3; i++) {
		struct execrt_fd *e = fsc_fd(i);
		if (!e || e->cloexec || execrt_spawn_set_fd(a, i, i) < 0) {
			a->give[START_H_STDIN + i] = HANDLE_INVALID;
			a->fd_kind[i] = START_FD_CLOSED;
			a->fd_flags[i] = 0;
		}
	}
	a->cwd = fsc_cwd();
	a->give[START_H_FS] = fsc_svc();
}
