/* fsd's path checks (docs/fsd.md, "Paths"): a path from the wire is
 * split into components after every rule is checked; `.` is dropped and
 * `..` removes the component before it (above the root: refused). Pure
 * code (host-tested in tests/host/test_fsd_path.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <execrt/fs_proto.h>

/* Most components a path can have: "/a/b/..." within FS_PATH_MAX. */
#define FSD_DEPTH_MAX (FS_PATH_MAX / 2)

struct fsd_path {
	uint32_t n; /* components; 0 is the root */
	const char *c[FSD_DEPTH_MAX];
	uint16_t len[FSD_DEPTH_MAX];
};

/* 0, or -FS_ENOENT (empty), -FS_ENAMETOOLONG (path over FS_PATH_MAX or a
 * component over FS_NAME_MAX), -FS_EINVAL (no leading '/', a NUL byte, an
 * empty component: "//" or a trailing '/', `..` above the root). The
 * components point into p. */
int fsd_path_parse(const char *p, size_t len, struct fsd_path *out);
