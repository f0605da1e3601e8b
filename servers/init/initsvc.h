/* /svc/init (docs/system.md "/svc/init"): ports/v0 JSON requests about
 * the supervised services, answered from the supervisor's state and the
 * log rings. Pure: the platform receives, calls initsvc_handle, replies
 * with the bytes it wrote, then does what `act` says. Host-tested in
 * tests/host/test_init_svc.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logring.h"
#include "supervise.h"

struct initsvc_env {
	struct sup *sp;
	struct log_ring *const *logs; /* per service; NULL: none */
	uint64_t now;
	/* Extra doctor lines (manifest errors, platform warnings). */
	const char *const *notes;
	int nnotes;
	/* The request came on init's control endpoint (INIT_CTL_BADGE,
	 * given by the manifest's `control`): start, stop, restart, kill,
	 * poweroff and reboot need it; ping, status, logs, doctor do not. */
	bool control;
};

enum initsvc_act {
	INITSVC_NONE,
	INITSVC_STEP,	  /* the supervisor has work: run sup_step */
	INITSVC_POWEROFF, /* try; if it returns, send the answer written */
	INITSVC_REBOOT,
};

#define INITSVC_LOG_DEFAULT 2048 /* logs: bytes when not asked */

/* Handles one request (len bytes, not NUL-terminated); writes the whole
 * answer ({"ok":...}) into out (cap bytes, at most PORT_MSG_MAX used) and
 * returns its length. */
size_t initsvc_handle(const struct initsvc_env *env, const char *req,
		      size_t len, char *out, size_t cap, enum initsvc_act *act);
