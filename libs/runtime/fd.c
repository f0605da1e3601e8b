/* The runtime's fd table (execrt/fd.h). Pure: no system calls. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <execrt/fd.h>

static struct execrt_fd fds[EXECRT_FD_MAX];

static int kind_from_start(uint8_t k)
{
	switch (k) {
	case START_FD_PORT:
		return FDK_PORT;
	case START_FD_KCONSOLE:
		return FDK_KCONSOLE;
	case START_FD_FILE:
		return FDK_FILE;
	case START_FD_DIR:
		return FDK_DIR;
	default:
		return FDK_FREE;
	}
}

void execrt_fd_init(const struct start_info *si, int (*is_port)(handle_t h))
{
	memset(fds, 0, sizeof(fds));
	for (int i = 0; i < 3; i++) {
		struct execrt_fd *e = &fds[i];
		uint8_t k = si ? si->fd_kind[i] : START_FD_NONE;
		handle_t h = HANDLE_INVALID;
		if (si && si->nhandles > (uint32_t)(START_H_STDIN + i))
			h = si->handles[START_H_STDIN + i];
		if (k == START_FD_CLOSED)
			continue;
		if (k != START_FD_NONE && k < START_FD_KIND_COUNT && h) {
			e->kind = (uint8_t)kind_from_start(k);
			e->h = h;
			e->owned = 1;
			e->srv_append = (si->fd_flags[i] & O_APPEND) != 0;
			e->flags = si->fd_flags[i] &
				   (O_ACCMODE | O_APPEND | O_NONBLOCK);
			continue;
		}
		/* The defaults of a task started without fd slots. */
		if (i == 0) {
			e->kind = FDK_EMPTY;
			e->flags = O_RDONLY;
			continue;
		}
		h = si && si->nhandles > START_H_CONSOLE
			    ? si->handles[START_H_CONSOLE]
			    : HANDLE_INVALID;
		if (!h)
			continue; /* no console: writes get EBADF */
		e->kind = is_port && is_port(h) ? FDK_PORT : FDK_KCONSOLE;
		e->h = h;
		e->flags = O_WRONLY;
	}
}

struct execrt_fd *execrt_fd_get(long fd)
{
	if (fd < 0 || fd >= EXECRT_FD_MAX || fds[fd].kind == FDK_FREE)
		return NULL;
	return &fds[fd];
}

int execrt_fd_install(long min, const struct execrt_fd *e)
{
	if (min < 0 || min >= EXECRT_FD_MAX || !e || e->kind == FDK_FREE)
		return -EINVAL;
	for (long i = min; i < EXECRT_FD_MAX; i++) {
		if (fds[i].kind == FDK_FREE) {
			fds[i] = *e;
			return (int)i;
		}
	}
	return -EMFILE;
}

int execrt_fd_put(long fd, const struct execrt_fd *e)
{
	if (fd < 0 || fd >= EXECRT_FD_MAX || !e || e->kind == FDK_FREE)
		return -EBADF;
	if (fds[fd].kind != FDK_FREE)
		return -EBUSY;
	fds[fd] = *e;
	return (int)fd;
}

int execrt_fd_take(long fd, struct execrt_fd *out)
{
	struct execrt_fd *e = execrt_fd_get(fd);
	if (!e)
		return -EBADF;
	if (out)
		*out = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

int execrt_fd_count(void)
{
	int n = 0;
	for (int i = 0; i < EXECRT_FD_MAX; i++)
		n += fds[i].kind != FDK_FREE;
	return n;
}

uint8_t execrt_fd_start_kind(const struct execrt_fd *e)
{
	if (!e)
		return START_FD_CLOSED;
	switch (e->kind) {
	case FDK_PORT:
		return START_FD_PORT;
	case FDK_KCONSOLE:
		return START_FD_KCONSOLE;
	case FDK_FILE:
		return START_FD_FILE;
	case FDK_DIR:
		return START_FD_DIR;
	case FDK_EMPTY:
		return START_FD_NONE;
	default:
		return START_FD_CLOSED;
	}
}
