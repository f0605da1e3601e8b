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
	handle_t devpub; /* /drv/fsd */
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

/* The t_fsd*.c tests' client: one fsd_env, its connection, the last
 * answer, short-hands that return fsd's errno (0 or -FS_E*) or KE(a
 * kernel error). */
#define KE(e) ((e)-1000) /* a kernel error, told apart from -errno */
extern struct fsd_env fe;
extern struct fans fa; /* the last answer */
extern handle_t fc;    /* the test's connection */
long fs_h(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
	  uint64_t c, const char *p1, const char *p2, const void *d,
	  uint32_t dl, const handle_t *hs, uint32_t nh);
long fs(handle_t ep, uint32_t op, uint32_t fl, uint64_t a, uint64_t b,
	uint64_t c, const char *p1, const char *p2);
long fs_write(handle_t f, const void *d, uint32_t n);
/* Opens path on fc: the file's endpoint, or 0 with *err. */
handle_t fs_open(const char *p, uint32_t fl, long *err);
/* A number from fsd's JSON status (-1 if it cannot be had). */
int64_t fs_status(const char *field);
/* fs_status(field) once it equals want (a dead task's handles may close a
 * moment after its end is seen), or its last value after 2 s. */
int64_t fs_status_wait(const char *field, int64_t want);
/* fe started with args, fc connected: 0, 1 (skipped) or an error. */
long fs_setup(const char *args);
void fs_teardown(void);

#define SETUP(args)                                                            \
	do {                                                                   \
		gtest_allow_growth();                                          \
		long _s = fs_setup(args);                                      \
		if (_s == 1)                                                   \
			return;                                                \
		if (_s < 0)                                                    \
			fs_teardown();                                         \
		GCHECK_OK(_s);                                                 \
	} while (0)

/* Checks that end the test close everything first. */
#define FCHECK(c)                                                              \
	do {                                                                   \
		if (!(c)) {                                                    \
			fs_teardown();                                         \
			GCHECK(c);                                             \
		}                                                              \
	} while (0)
#define FCHECK_EQ(a, b)                                                        \
	do {                                                                   \
		long long _x = (long long)(a), _y = (long long)(b);            \
		if (_x != _y) {                                                \
			fs_teardown();                                         \
			GCHECK_EQ(_x, _y);                                     \
		}                                                              \
	} while (0)
