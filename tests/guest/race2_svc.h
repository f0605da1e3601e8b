/* t_race2_{comp,blit,copper}.c: a Copperline service run as a child of
 * the test under a name service of the test's own (as t_compositord.c
 * does), and the "request after the session's end" race they share. */
#pragma once
#include <stdint.h>

#include <execrt/types.h>

#include "cl_ports.h"
#include "gutil.h"
#include "names_env.h"

struct race2_svc {
	struct names_env env;
	struct child svc;
	handle_t client;    /* this task's name-service endpoint (badge 2) */
	struct cl_conn pub; /* the service's public endpoint */
	struct cl_resp resp;
};

/* Spawns prog (found as path) with quota; with_sysinfo hands it the
 * sysinfo grant as services.conf does (who has ended). Then connects
 * to its public endpoint. 0 or an error. */
long race2_svc_start(struct race2_svc *s, const char *prog, const char *path,
		     uint64_t quota, int with_sysinfo);
/* Disconnects and ends the service: 0 if it was still running. */
long race2_svc_stop(struct race2_svc *s);
/* The integer key of the service's status, -1 when absent. */
int64_t race2_svc_status(struct race2_svc *s, const char *key);

/* A session's no-senders notice goes ahead of the messages queued before
 * it (docs/ipc.md). race2_late makes the race certain: the service's
 * thread is held off its CPU by an RT thread while json goes on ses
 * (one-way, or as a call from a second thread that moves port along,
 * its answer in ans) and ses is closed behind it. */
struct race2_late {
	handle_t ses;
	handle_t port; /* moved with the call, or HANDLE_INVALID */
	const char *json;
	int call; /* a call (answer in ans/r) rather than a one-way send */
	char ans[256];
	long r;
};
long race2_late(handle_t svc_thread, struct race2_late *l);

/* race2_late of l->json as a call on a new session of s, moving the send
 * end of a new port along (a subscription's events port: its receive end
 * in *prx, the caller's to close). */
long race2_late_subscribe(struct race2_svc *s, struct race2_late *l,
			  handle_t *prx);
