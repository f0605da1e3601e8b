/* The console's port protocol, pure half (docs/console.md): requests
 * parsed into struct con_req, answers and events written as JSON, and the
 * COM1 interrupt's GSI found in the bootinfo text. No system calls;
 * host-tested (tests/host/test_console_proto.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ldisc.h"

#define CON_ISA_IRQ 4 /* COM1 */

enum con_cmd {
	CON_BAD_JSON = 0,
	CON_BAD_CMD,
	CON_BAD_ARG,
	CON_PING,
	CON_STATUS,
	CON_READLINE,
	CON_SUBSCRIBE,
	CON_UNSUBSCRIBE,
	CON_MIRROR,	/* screen endpoint only (docs/console.md) */
	CON_INPUT,	/* screen endpoint only */
	CON_CONTROL,	/* the controlling session (sess.h) */
	CON_SESSION,	/* a job session: the controlling session only */
	CON_FOREGROUND, /* names the foreground: the controlling session */
	CON_ADOPT,	/* a job session names one more task of its own */
};

/* The screen console's endpoint (/svc/console-screen) is minted with this
 * badge; only calls through it may mirror the output or type input. */
#define CON_SCREEN_BADGE 0x5c4ee7ull
#define CON_INPUT_MAX	 512 /* bytes per input call */

#define CON_EV_INTERRUPT 1u
#define CON_EV_KEY	 2u

struct con_req {
	enum con_cmd cmd;
	const char *err;		/* for CON_BAD_*: what was wrong */
	char prompt[LD_PROMPT_MAX + 1]; /* readline (longer ones cut) */
	unsigned events;		/* subscribe: CON_EV_* */
	uint32_t port;	  /* (un)subscribe, mirror: index of the handle */
	uint32_t ninput;  /* input: bytes in input[] */
	uint64_t session; /* foreground: the session (0: the caller's) */
	uint64_t task;	  /* session, adopt: the task (0: none) */
	uint8_t input[CON_INPUT_MAX];
};

/* A call's bytes (len <= 4096) with nhandles handles attached. */
void con_parse(const char *buf, size_t len, uint32_t nhandles,
	       struct con_req *r);

struct con_stats {
	uint64_t rx_bytes, tx_bytes, overruns, interrupts;
	uint64_t dropped_msgs, dropped_bytes, dropped_keys;
	uint64_t events_sent, events_dropped;
	int64_t event_error; /* the last failed event send's error, or 0 */
	uint64_t lines, queued;
	uint32_t gsi;
	int readline, subscriber, subscribers;
	int screen;	       /* a mirror is set */
	int sessions, control; /* live sessions; a controlling one lives */
	uint64_t foreground;   /* the foreground session's badge, or 0 */
	uint64_t screen_in, mirror_bytes, mirror_dropped;
};

/* JSON texts; each gives its length or a negative JSON_ERR_*. */
int con_ping_json(char *buf, size_t cap);
int con_status_json(const struct con_stats *s, char *buf, size_t cap);
int con_line_json(const char *line, char *buf, size_t cap);
int con_key_event_json(uint8_t code, char *buf, size_t cap);
int con_interrupt_event_json(char *buf, size_t cap);
int con_taken_json(uint32_t taken, char *buf, size_t cap);

/* The GSI of ISA IRQ `irq` from bootinfo lines "isa_irq IRQ GSI" (the
 * first such line wins; bad lines are skipped); `dflt` when none. */
uint32_t con_isa_gsi(const char *text, size_t len, unsigned irq, uint32_t dflt);
