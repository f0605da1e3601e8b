/* The file-descriptor table of the runtime (libs/runtime/fd.c): what each
 * Linux fd of the program is. Pure bookkeeping, no system calls (the
 * glue closes and duplicates handles); host-tested in
 * tests/host/test_fsclient_fd.c. The glue changes it under rtsk_lock()
 * (libs/runtime/sock_int.h), an entry together with the holds it has on
 * its object (the rule at the top of fd_glue.c).
 * docs/userland.md "The fd table". */
#pragma once
#include <stdint.h>

#include <execrt/syscall.h>

/* fds 0..255: fsd allows 64 open files, the rest is for sockets (a
 * server with 200 connections) */
#define EXECRT_FD_MAX 256

enum execrt_fd_kind {
	FDK_FREE = 0,
	FDK_EMPTY,    /* stdin with nothing behind it: reads end of file */
	FDK_PORT,     /* a port send handle taking bytes (console, log port) */
	FDK_KCONSOLE, /* the kernel's debug console */
	FDK_FILE,     /* an fsd open file: ops are calls on its endpoint */
	FDK_DIR,      /* an fsd open directory */
	FDK_SOCKET,   /* a netd socket (libs/runtime/sock_*.c), no handle */
};

struct execrt_sock;

struct execrt_fd {
	uint8_t kind;	    /* enum execrt_fd_kind */
	uint8_t cloexec;    /* FD_CLOEXEC: not passed to children */
	uint8_t owned;	    /* h is this fd's own (closed with it) */
	uint8_t srv_append; /* fsd appends (opened with O_APPEND) */
	uint32_t flags;	    /* Linux flags: O_ACCMODE, O_APPEND, O_NONBLOCK */
	handle_t h;	    /* the endpoint (FILE, DIR, PORT, KCONSOLE) */
	/* FILE: a bulk window of fsd (FS_BULK_SETUP), set up on the first
	 * transfer over FS_INLINE_MAX; bulk_size 0: none yet, ~0u: refused
	 * (inline only). */
	uint32_t bulk_slot, bulk_size;
	handle_t bulk_grant;
	uint64_t bulk_addr;
	/* DIR: its normalised path (openat, fchdir): fsc_path_dup's. */
	char *path;
	/* SOCKET: the socket, shared by dup'd fds (reference-counted). */
	struct execrt_sock *sock;
};

/* Fills fds 0..2 from the start_info (NULL: no start_info): the slots
 * START_H_STDIN..STDERR as fd_kind says (the fd owns that handle), else
 * fd 0 FDK_EMPTY and fds 1 and 2 START_H_CONSOLE (not owned: the start
 * handle stays), whose kind is_port(h) tells (1: a port send handle, 0:
 * the kernel console). Everything else free. */
void execrt_fd_init(const struct start_info *si, int (*is_port)(handle_t h));

/* The entry of fd, or NULL (out of range or free). */
struct execrt_fd *execrt_fd_get(long fd);

/* The lowest free fd >= min, marked used with *e copied in; -EMFILE when
 * none, -EINVAL when min is out of range. */
int execrt_fd_install(long min, const struct execrt_fd *e);

/* Places *e at fd (which must be free: the caller closed it first). */
int execrt_fd_put(long fd, const struct execrt_fd *e);

/* Frees fd and gives back what it held (the caller closes the handle and
 * frees path); -EBADF if it was not open. */
int execrt_fd_take(long fd, struct execrt_fd *out);

/* How many fds are open (tests, inheritance). */
int execrt_fd_count(void);

/* The start_info kind for an fd of this kind (what a child gets). */
uint8_t execrt_fd_start_kind(const struct execrt_fd *e);
