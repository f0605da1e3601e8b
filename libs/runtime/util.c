/* Small pure helpers of the runtime (no system calls). */
#include <errno.h>

#include <execrt/runtime.h>

int execrt_errno(long err)
{
	switch (err) {
	case ERR_INVALID_ARGS:
	case ERR_WRONG_TYPE:
		return EINVAL;
	case ERR_BAD_HANDLE:
		return EBADF;
	case ERR_ACCESS_DENIED:
		return EACCES;
	case ERR_NO_MEMORY:
		return ENOMEM;
	case ERR_NO_RESOURCES:
	case ERR_SHOULD_WAIT:
		return EAGAIN;
	case ERR_FAULT:
		return EFAULT;
	case ERR_TIMED_OUT:
		return ETIMEDOUT;
	case ERR_BAD_STATE:
		return EBUSY;
	case ERR_NOT_FOUND:
		return ENOENT;
	case ERR_OUT_OF_RANGE:
		return ERANGE;
	case ERR_NOT_SUPPORTED:
		return EOPNOTSUPP;
	case ERR_PEER_CLOSED:
		return EPIPE;
	case ERR_ALREADY_EXISTS:
		return EEXIST;
	case ERR_BUFFER_TOO_SMALL:
		return EOVERFLOW;
	case ERR_BAD_SYSCALL:
		return ENOSYS;
	default:
		return EIO;
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int execrt_split_args(char *line, char **argv, int max)
{
	int n = 0;
	char *r = line;
	if (max <= 0)
		return 0;
	while (n < max - 1) {
		while (is_blank(*r))
			r++;
		if (!*r)
			break;
		/* Decoded in place: w never passes r. */
		char *w = r;
		argv[n++] = w;
		if (*r == EXECRT_ARG_QUOTE) {
			for (r++; *r && *r != EXECRT_ARG_QUOTE;)
				*w++ = *r++;
			if (*r)
				r++;
		}
		while (*r && !is_blank(*r))
			*w++ = *r++;
		int more = *r != 0;
		*w = 0;
		r += more;
	}
	argv[n] = 0;
	return n;
}
