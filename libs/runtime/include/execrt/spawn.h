/* Child tasks from an ELF image in memory (libs/runtime/spawn.c): a task
 * with a memory quota and its first thread, handles duplicated into the
 * child at start_info slots, the image loaded (elf_load) and the thread
 * started. Two steps, so a caller can move more handles into the child
 * (and name their values on its command line) before it starts. */
#pragma once
#include <stddef.h>

#include <execrt/syscall.h>

struct execrt_child {
	handle_t task, thread;
};

/* A task named `name` with `quota` bytes (from the caller's task) and its
 * thread "main", not started. */
long execrt_spawn_create(const char *name, uint64_t quota,
			 struct execrt_child *c);

struct execrt_spawn_args {
	const void *image; /* the ELF file */
	size_t image_len;
	const char *cmdline; /* argv[0] first, words split on blanks */
	uint64_t quota;	     /* start_info.mem_quota */
	/* Handles to duplicate into the child's start_info slots (0: none;
	 * SELF_TASK and SELF_THREAD are filled in). */
	handle_t give[START_H_COUNT];
	int fault_handler; /* SYS_TASK_SET_FAULT_HANDLER before the start */
	/* fds 0..2 (give[START_H_STDIN + i] is the handle): start_info's
	 * fd_kind/fd_flags; all 0: the child's defaults. */
	uint8_t fd_kind[3];
	uint32_t fd_flags[3];
	const char *cwd; /* the child's working directory (NULL: "/") */
	/* Duplicates taken by execrt_spawn_set_fd (0: none), owned by the
	 * args: closed by execrt_spawn_start or execrt_spawn_args_release. */
	handle_t own[3];
};

/* What a child inherits (docs/userland.md "The fd table"): duplicates of
 * this task's fds 0..2 (closed or FD_CLOEXEC ones: closed in the child),
 * its working directory and the fsd endpoint it connects through. */
void execrt_spawn_inherit(struct execrt_spawn_args *a);
/* The child's fd child_fd (0..2) is this task's fd (a duplicate of its
 * handle: a file shares its offset): 0, -EBADF, -EINVAL, -ENOMEM. The
 * duplicate is taken now, under the fd table's lock, and held by the args
 * (own[]): a close of fd, or an open that reuses its handle number, on
 * another thread before the start does not change what the child gets
 * (REVIEW-18 R7). */
int execrt_spawn_set_fd(struct execrt_spawn_args *a, int child_fd, int fd);
/* Closes what the args hold (own[]); again: nothing. For args that never
 * reach execrt_spawn_start (which releases them itself). */
void execrt_spawn_args_release(struct execrt_spawn_args *a);

/* Loads and starts c's thread. On an error the child is left as it is
 * (execrt_spawn_abort ends it); *elf_err gets the ELF_E_* code of an
 * image elf_load refused. Either way the args' own[] are released. */
long execrt_spawn_start(struct execrt_child *c, struct execrt_spawn_args *a,
			int *elf_err);

/* Kills the child (if alive), waits for its end and closes its handles. */
void execrt_spawn_abort(struct execrt_child *c);

/* A duplicate of h moved into task: its value there, or HANDLE_INVALID. */
handle_t execrt_give_dup(handle_t task, handle_t h);
