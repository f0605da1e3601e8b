/* httpd's platform part: where the status page's figures come from
 * (stat_execrt.c on exec-rt, stat_linux.c on a Linux host). */
#pragma once
#include "status.h"

/* Once at start; 0, or -1 after printing why (httpd still serves, with
 * what it could get). */
int stat_init(void);
/* Fills s (all but s->server) with a fresh sample; CPU figures cover the
 * time since the previous call. */
void stat_sample(struct status *s);
