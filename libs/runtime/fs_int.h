/* Internals of the runtime's file calls (not installed: libs/runtime
 * only). fs_conn.c talks to fsd, fd_glue.c runs the fd calls, fs_glue.c
 * the path calls, fs_conv.c converts between Linux and fs_proto.h (pure,
 * host-tested). docs/userland.md "Files". */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <execrt/fd.h>
#include <execrt/fs_proto.h>

/* ---- fs_conv.c (pure) ---- */

/* Linux open flags -> FS_O_*: 0, or -EINVAL (access mode 3). */
int fsc_open_flags(long oflags, uint32_t *fs_flags);
/* fsd's answer -> struct stat (the kernel layout musl's fstatat reads). */
void fsc_to_stat(const struct fs_stat *fs, struct stat *st);
/* An fs_resp.err that is not a sane -errno becomes -EIO. */
long fsc_err(int32_t err);

/* ---- fs_conn.c ---- */

/* One request: the header (op, flags, a, b, c), path, path2, inline
 * data; the answer's header, up to outcap bytes of data into out and
 * its first handle (the rest are closed). */
struct fs_call {
	struct fs_req req;
	const char *path, *path2;
	const void *data;
	void *out;
	uint32_t outcap, outlen;
	handle_t hout; /* the answer's handle (0: none); the caller's */
	struct fs_resp resp;
};

/* A port_call on endpoint ep. 0 when fsd answered (c->resp.err says
 * how), FSC_GONE when ep's port is gone (fsd died), or another -errno. */
#define FSC_GONE (-0x10000L)
long fsc_call(handle_t ep, struct fs_call *c);
/* The lock every call holds (fs_conn.c): fsc_call_locked is fsc_call for
 * a caller that holds it already (a bulk window's use, fd_glue.c). Not
 * recursive: a holder calls only the _locked functions. */
void fsc_lock(void);
void fsc_unlock(void);
long fsc_call_locked(handle_t ep, struct fs_call *c);

/* A path call on this task's connection: connects on first use (through
 * START_H_FS, else /svc/fsd looked up through names), and when fsd has
 * gone connects to the new one and sends once more. Returns fsd's answer
 * (0 or -errno), -ENOSYS when there is no fsd to reach. */
long fsc_path_call(struct fs_call *c);

/* The endpoint children may FS_CONNECT on (0: none known). */
handle_t fsc_svc(void);

/* ---- fs_glue.c ---- */

/* The working directory (normalised, at least "/"). */
const char *fsc_cwd(void);
/* A copy of a directory fd's path (NULL: no memory) and its release. */
char *fsc_path_dup(const char *p);
void fsc_path_free(char *p);

/* ---- fd_glue.c ---- */

/* The fd table, set up on first use. */
struct execrt_fd *fsc_fd(long fd);
/* Gives back what an fd held: its handle closed (if this fd owns it),
 * its bulk window unmapped, its path freed. */
void fsc_fd_release(struct execrt_fd *e);
