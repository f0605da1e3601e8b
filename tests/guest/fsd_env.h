/* A file server of the guest tests' own (docs/fsd.md): names (names_env.h)
 * and an fsd child with the initrd, as init would start them, and a raw
 * fs_proto.h client: one call, the answer's fields and bytes. */
#pragma once
#include <stdint.h>

#include <execrt/fs_proto.h>
#include <execrt/types.h>

#include "names_env.h"

struct fsd_env {
	struct names_env ns;
	struct child fsd;
	handle_t lookup; /* a names endpoint that may look up anything */
	handle_t pub;	 /* /svc/fsd */
	handle_t devpub; /* /svc/fsd-dev */
	uint64_t badge;	 /* fsd's names badge */
};

/* names, then fsd with `args` (the initrd handle is added); waits until
 * both names are registered. 0, 1 (skipped), or an error. */
long fenv_start(struct fsd_env *e, const char *args);
void fenv_stop(struct fsd_env *e);
/* fsd killed and started again as init does (forget, new badge), the
 * endpoints looked up anew. */
long fenv_restart(struct fsd_env *e, const char *args);

struct fans {
	int32_t err;
	uint32_t flags;
	uint64_t val;
	uint32_t len; /* bytes after the fs_resp */
	uint32_t nh;
	handle_t h[PORT_HANDLES_MAX];
	uint8_t data[PORT_MSG_MAX];
};

/* One call on ep: the kernel's error (< 0: the call failed), or 0 with
 * the answer in *a (a->err is fsd's). Usable from raw threads. */
long fcall(handle_t ep, uint32_t op, uint32_t flags, uint64_t x, uint64_t y,
	   uint64_t z, const char *p1, const char *p2, const void *data,
	   uint32_t dlen, const handle_t *hs, uint32_t nh, struct fans *a);
/* FS_CONNECT on pub: the connection endpoint, or 0. */
handle_t fconnect(handle_t pub);
