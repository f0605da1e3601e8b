/* The file builtins' pure half (no system calls; host-tested in
 * tests/host/test_fsclient_shfmt.c): `ls -l` lines, mode strings, names
 * sorted, the target of `mv` into a directory. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* "drwxr-xr-x" (10 characters and a NUL) for a Linux st_mode. */
void sh_fmt_mode(char out[11], uint32_t mode);

/* One `ls -l` line (no newline): mode, links, size, name (and a '/'
 * after a directory's name). Returns the length the whole line would
 * have had, like snprintf. */
int sh_fmt_ls_long(char *buf, size_t cap, uint32_t mode, uint64_t nlink,
		   uint64_t size, const char *name);

/* Sorts n names (strcmp order). */
void sh_sort_names(char **names, size_t n);

/* `mv SRC DIR`: DIR/<last component of SRC> into out. 0, or -1 when it
 * does not fit or SRC has no last component ("/", ""). */
int sh_join_into(const char *dir, const char *src, char *out, size_t cap);
