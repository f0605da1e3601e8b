/* Path joining for the file calls (libs/runtime/fs_path.c): no system
 * calls, host-tested (tests/host/test_fsclient_path.c). fsd takes absolute,
 * normalised paths only; the runtime makes them from the working directory
 * and what the program passed. */
#pragma once
#include <stddef.h>

#define EXECRT_PATH_MAX 1024 /* bytes with the NUL, as fsd accepts them */
#define EXECRT_NAME_MAX 255  /* one component */
/* A path longer than this (without NUL) is refused before it is read
 * further (Linux's PATH_MAX). */
#define EXECRT_PATH_IN_MAX 4095

/* execrt_path_join's *must_dir: the path named a directory ("a/", "a/.",
 * "a/..", "/"): ENOTDIR when it is a file. */

/* cwd (absolute and normalised; NULL, "" or anything not starting with
 * '/' is taken as "/") joined with path (relative) or path alone
 * (absolute), normalised: empty components and "." dropped, ".." takes
 * the last component away (at the root it stays the root: there are no
 * symbolic links, so this is what the lookup would do). The result in
 * out[cap]: "/" or "/a/b" without a trailing slash. Returns 0, or
 * -ENOENT (path empty), -ENAMETOOLONG (a component over EXECRT_NAME_MAX,
 * path over EXECRT_PATH_IN_MAX, the result over EXECRT_PATH_MAX - 1 or
 * cap - 1 bytes), -EFAULT (path NULL). */
int execrt_path_join(const char *cwd, const char *path, char *out, size_t cap,
		     int *must_dir);

/* The last component of a normalised path (after its last '/'; "" for
 * "/"). */
const char *execrt_path_base(const char *norm);
