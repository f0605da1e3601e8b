/* What t_race2_*.c and guest-child-race2 agree on. The child is an
 * ordinary program (names handle, console; no scheduling authority) that
 * races two of its threads against a per-task limit:
 *   guest-child-race2 MODE BACK ROUNDS
 * BACK is a port send handle of the parent: the child first sends it the
 * two worker threads (a duplicate each, so the parent can pin them to CPU 0
 * and CPU 1), then, when done, one struct race2_report. Exit status 0, or
 * 1 when the report shows a limit exceeded, 100 + n on a set-up error. */
#pragma once
#include <stdint.h>

#define RACE2_PROG "guest-child-race2"

/* Modes. */
#define RACE2_FSD "fsd" /* fsd connections (4) and open files (128) */
/* netd: UDP sockets (32), TCP listeners (16), ping sockets (8) */
#define RACE2_UDP  "udp"
#define RACE2_KERN "kern" /* handle quota, memory quota, port queue */
#define RACE2_COMP "comp" /* compositord sessions (8) and layers (16) */
#define RACE2_VMGR "vmgr" /* vmgr shared buffers on the ledger */
/* Not a race: makes public compositord layers until BUSY, sends the
 * report (ok[0]: how many) and exits at once. */
#define RACE2_PUBL "publ"

#define RACE2_FSD_CONNS	    4
#define RACE2_FSD_BULK	    (4u << 20)
#define RACE2_FSD_FILES	    128
#define RACE2_UDP_SHARE	    32
#define RACE2_LISTEN_SHARE  16
#define RACE2_PING_SHARE    8
#define RACE2_QUEUE_MAX	    64
#define RACE2_COMP_SESSIONS 8
#define RACE2_COMP_LAYERS   16
#define RACE2_VMGR_BUF	    (512ull << 10)

struct race2_report {
	uint64_t magic;
	uint64_t rounds;  /* done, both workers */
	uint64_t ok[4];	  /* successes per kind (mode's own order) */
	uint64_t full[4]; /* refusals with the documented error */
	uint64_t other;	  /* other errors (a kind's detail in last_other) */
	int64_t last_other;
	uint64_t max[4]; /* most held at once (as counted by the child) */
	uint64_t cap[4]; /* the bound each max is checked against */
	uint64_t over;	 /* times a success came beyond the bound */
	uint64_t cpu_rounds[2];	    /* rounds seen on CPU 0 / CPU 1 */
	uint64_t setup_ns, race_ns; /* start to the race, the race */
};
#define RACE2_MAGIC 0x7261636532ull
