/* Reading cpio "newc" archives (the initrd) held in memory. Untrusted input:
 * every header field and size is checked against the buffer. Pure code, no
 * system calls (host-tested in tests/host/test_cpio_user.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum cpio_error {
	CPIO_OK = 0,
	CPIO_END = 1,	       /* cpio_next: the trailer was reached */
	CPIO_E_TRUNCATED = -1, /* a header, name or data past the buffer */
	CPIO_E_MAGIC = -2,     /* not "070701" / "070702" */
	CPIO_E_HEX = -3,       /* a header field is not 8 hex digits */
	CPIO_E_NAME = -4,      /* empty name or name not NUL-terminated */
	CPIO_E_NOT_FOUND = -5, /* cpio_find: no such file */
};

struct cpio_file {
	const char *name; /* NUL-terminated, inside the buffer */
	size_t name_len;  /* without the NUL */
	const void *data;
	size_t size;
	uint32_t mode; /* st_mode bits (0100000 for a regular file) */
};

/* The entry at *pos (start with 0): CPIO_OK with *f filled and *pos moved
 * on, CPIO_END at the trailer, or a CPIO_E_* error. */
int cpio_next(const void *buf, size_t len, size_t *pos, struct cpio_file *f);

/* The file called name ("x" also matches a stored "./x"). CPIO_OK,
 * CPIO_E_NOT_FOUND, or the error that stopped the walk. */
int cpio_find(const void *buf, size_t len, const char *name,
	      struct cpio_file *f);

const char *cpio_strerror(int err);
