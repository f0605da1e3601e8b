/* The fake kernel and client of the fsd protocol-handler tests
 * (fsd_fake.c). */
#pragma once
#include <stdint.h>

#include "fsd_srv.h"

#define HMAX  (1 << 20)
#define SEND0 900000 /* handles SEND0.. are send endpoints */

struct fk_kernel {
	uint8_t live[HMAX];   /* 1 while the value is open */
	uint64_t badge[HMAX]; /* minted endpoints */
	uint32_t next;
	int windows; /* bulk windows mapped */
	int fail_mint;
};
extern struct fk_kernel fk;
/* Tasks with koids in [fk_dead_lo, fk_dead_hi) have ended (task_gone). */
extern uint64_t fk_dead_lo, fk_dead_hi;
extern struct fsd_srv fk_srv;
extern struct fsd_out fk_out;
extern struct fs_resp fk_resp; /* the last answer's header */
extern const uint8_t *fk_data; /* and its bytes */
extern uint8_t fk_msg[4200];
extern uint32_t fk_last_handle; /* fk_open's endpoint */

uint32_t fk_new_handle(void);
void fk_close(void *c, uint32_t h);
/* A fresh server with /tmp of tmp bytes. */
int fk_setup(uint64_t tmp);
/* Handles still open (after fsd_srv_fini: must be none). */
int fk_open_handles(void);
/* One request; returns the answer's err. */
int fk_req_h(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a,
	     uint64_t b, uint64_t c, const char *p1, const char *p2,
	     const void *data, uint32_t dlen, uint32_t *hs, uint32_t nh);
int fk_req(uint64_t badge, uint32_t op, uint32_t flags, uint64_t a, uint64_t b,
	   uint64_t c, const char *p1, const char *p2);
/* A connection through pub: its badge (aborts on failure). */
uint64_t fk_connect(uint64_t pub);
/* Opens: the file's badge (0 on error, *err set). */
uint64_t fk_open(uint64_t conn, const char *p, uint32_t fl, int *err);
int fk_write(uint64_t f, const char *s);
/* The client closes handle h: the kernel's notice. */
void fk_gone(uint32_t h);
void fk_teardown(void);
