/* A name service of the guest tests' own, with the tests acting as init
 * (docs/names.md): names is started as a child with the receive handle;
 * the test keeps a duplicate to mint client endpoints with any badge, and
 * a badge-1 endpoint for the control calls (acl, forget). */
#pragma once
#include <stdint.h>

#include <execrt/types.h>

#include "gutil.h"

struct names_env {
	handle_t recv; /* our duplicate of names' receive handle [MANAGE] */
	handle_t ctl;  /* badge 1 */
	struct child names;
};

/* 0 started, 1 skipped (no ports), < 0 failed (nothing left behind). */
long nenv_start(struct names_env *e);
void nenv_stop(struct names_env *e);
/* A send endpoint carrying badge (HANDLE_INVALID on failure). */
handle_t nenv_mint(struct names_env *e, uint64_t badge);
/* Control calls; reg/look are JSON arrays ("[\"*\"]"). 0 or a CL_ERR_*. */
long nenv_acl(struct names_env *e, uint64_t badge, const char *reg,
	      const char *look);
long nenv_forget(struct names_env *e, uint64_t badge);
/* A request on send, answered ok or with code ("" = ok). 0 if so. */
long nenv_expect(handle_t send, const char *json, const handle_t *h,
		 uint32_t nh, const char *code);
