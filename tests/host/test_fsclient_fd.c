/* The runtime's fd table (libs/runtime/fd.c): defaults without fd slots,
 * inherited fds 0..2, lowest-free allocation, put/take, the kinds a child
 * gets. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "harness.h"
#include <execrt/fd.h>

static int port_if_odd(handle_t h)
{
	return h & 1;
}

TEST(fsclient_fd_defaults)
{
	struct start_info si;
	memset(&si, 0, sizeof(si));
	si.nhandles = START_H_COUNT;
	si.handles[START_H_CONSOLE] = 7; /* odd: a port */
	execrt_fd_init(&si, port_if_odd);
	struct execrt_fd *e = execrt_fd_get(0);
	CHECK(e && e->kind == FDK_EMPTY);
	CHECK_EQ(e->h, 0);
	e = execrt_fd_get(1);
	CHECK(e && e->kind == FDK_PORT && e->h == 7);
	CHECK_EQ(e->flags, O_WRONLY);
	CHECK(execrt_fd_get(2) && execrt_fd_get(2)->h == 7);
	CHECK(!execrt_fd_get(3));
	CHECK(!execrt_fd_get(-1));
	CHECK(!execrt_fd_get(EXECRT_FD_MAX));
	CHECK_EQ(execrt_fd_count(), 3);
	si.handles[START_H_CONSOLE] = 8; /* even: the kernel console */
	execrt_fd_init(&si, port_if_odd);
	CHECK_EQ(execrt_fd_get(1)->kind, FDK_KCONSOLE);
	/* No console: fds 1 and 2 are closed. */
	si.handles[START_H_CONSOLE] = 0;
	execrt_fd_init(&si, port_if_odd);
	CHECK(!execrt_fd_get(1) && !execrt_fd_get(2));
	execrt_fd_init(NULL, port_if_odd);
	CHECK_EQ(execrt_fd_count(), 1);
}

TEST(fsclient_fd_inherited)
{
	struct start_info si;
	memset(&si, 0, sizeof(si));
	si.nhandles = START_H_COUNT;
	si.handles[START_H_CONSOLE] = 9;
	si.handles[START_H_STDIN] = 20;
	si.handles[START_H_STDOUT] = 21;
	si.fd_kind[0] = START_FD_FILE;
	si.fd_flags[0] = O_RDONLY | O_CREAT; /* only status flags stay */
	si.fd_kind[1] = START_FD_FILE;
	si.fd_flags[1] = O_WRONLY | O_APPEND;
	si.fd_kind[2] = START_FD_CLOSED;
	execrt_fd_init(&si, port_if_odd);
	CHECK(execrt_fd_get(0)->kind == FDK_FILE && execrt_fd_get(0)->h == 20);
	CHECK_EQ(execrt_fd_get(0)->flags, O_RDONLY);
	CHECK(execrt_fd_get(1)->kind == FDK_FILE && execrt_fd_get(1)->h == 21);
	CHECK_EQ(execrt_fd_get(1)->flags, O_WRONLY | O_APPEND);
	CHECK(!execrt_fd_get(2));
	/* A kind without its handle, or an unknown kind: the default. */
	si.handles[START_H_STDOUT] = 0;
	si.fd_kind[2] = 200;
	execrt_fd_init(&si, port_if_odd);
	CHECK(execrt_fd_get(1)->kind == FDK_PORT && execrt_fd_get(1)->h == 9);
	CHECK(execrt_fd_get(2)->kind == FDK_PORT);
	/* An old block with fewer slots: the fd slots are not read. */
	si.nhandles = START_H_STDIN;
	si.handles[START_H_STDOUT] = 21;
	execrt_fd_init(&si, port_if_odd);
	CHECK_EQ(execrt_fd_get(0)->kind, FDK_EMPTY);
	CHECK_EQ(execrt_fd_get(1)->h, 9);
}

TEST(fsclient_fd_install_put_take)
{
	execrt_fd_init(NULL, NULL);
	struct execrt_fd f = {.kind = FDK_FILE, .h = 100, .flags = O_RDWR};
	CHECK_EQ(execrt_fd_install(0, &f), 1); /* 0 is stdin */
	CHECK_EQ(execrt_fd_install(0, &f), 2);
	CHECK_EQ(execrt_fd_install(10, &f), 10);
	CHECK_EQ(execrt_fd_install(0, &f), 3);
	struct execrt_fd got;
	CHECK_EQ(execrt_fd_take(2, &got), 0);
	CHECK_EQ(got.h, 100);
	CHECK_EQ(execrt_fd_take(2, &got), -EBADF);
	CHECK_EQ(execrt_fd_take(-5, &got), -EBADF);
	CHECK_EQ(execrt_fd_take(EXECRT_FD_MAX, NULL), -EBADF);
	CHECK_EQ(execrt_fd_install(0, &f), 2); /* lowest free again */
	CHECK_EQ(execrt_fd_put(2, &f), -EBUSY);
	CHECK_EQ(execrt_fd_put(5, &f), 5);
	CHECK_EQ(execrt_fd_put(EXECRT_FD_MAX, &f), -EBADF);
	CHECK_EQ(execrt_fd_put(-1, &f), -EBADF);
	struct execrt_fd freek = {.kind = FDK_FREE};
	CHECK_EQ(execrt_fd_put(6, &freek), -EBADF);
	CHECK_EQ(execrt_fd_install(0, &freek), -EINVAL);
	CHECK_EQ(execrt_fd_install(-1, &f), -EINVAL);
	CHECK_EQ(execrt_fd_install(EXECRT_FD_MAX, &f), -EINVAL);
	int n = execrt_fd_count();
	while (n < EXECRT_FD_MAX) {
		CHECK(execrt_fd_install(0, &f) >= 0);
		n++;
	}
	CHECK_EQ(execrt_fd_install(0, &f), -EMFILE);
	CHECK_EQ(execrt_fd_take(63, NULL), 0);
	CHECK_EQ(execrt_fd_install(0, &f), 63);
}

TEST(fsclient_fd_start_kinds)
{
	struct execrt_fd e = {.kind = FDK_FILE};
	CHECK_EQ(execrt_fd_start_kind(&e), START_FD_FILE);
	e.kind = FDK_DIR;
	CHECK_EQ(execrt_fd_start_kind(&e), START_FD_DIR);
	e.kind = FDK_PORT;
	CHECK_EQ(execrt_fd_start_kind(&e), START_FD_PORT);
	e.kind = FDK_KCONSOLE;
	CHECK_EQ(execrt_fd_start_kind(&e), START_FD_KCONSOLE);
	e.kind = FDK_EMPTY;
	CHECK_EQ(execrt_fd_start_kind(&e), START_FD_NONE);
	CHECK_EQ(execrt_fd_start_kind(NULL), START_FD_CLOSED);
}
