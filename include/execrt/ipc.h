/* Ports-RT IPC structures (system calls in syscall.h, rules in
 * docs/ipc.md). Messages keep the shape of Copperline's ports v0: one
 * message is one JSON object (or any bytes), with handles attached. */
#pragma once
#include <execrt/types.h>

#define PORT_MSG_MAX     4096 /* bytes inline per message */
#define PORT_HANDLES_MAX 8    /* handles per message (moved, TRANSFER needed) */
#define PORT_QUEUE_MAX   64   /* messages queued per port */

/* What a sender passes. */
struct port_msg {
	const void *data;
	uint32_t len;
	uint32_t nhandles;
	const handle_t *handles;
};

/* What a receiver gets (in) and learns (out). */
struct port_rx {
	void *buf;          /* in: where the bytes go */
	uint32_t cap;       /* in: its size */
	uint32_t len;       /* out: bytes received */
	handle_t *handles;  /* in: where handle values go */
	uint32_t hcap;      /* in: room for handles */
	uint32_t nhandles;  /* out */
	uint64_t badge;     /* out: the badge of the send handle used */
	handle_t reply;     /* out: one-shot reply handle (calls), else 0 */
	uint32_t flags;     /* in: PORT_RX_IMPLICIT_REPLY; out: PORT_RX_* */
	/* out: koid of the task whose thread sent the message (or made the
	 * call, or gave the answer); 0 for the kernel's no-senders notice.
	 * A server's per-client limits can count by it: unlike badges and
	 * connections, a client cannot multiply it. */
	uint64_t sender;
};

/* port_rx.flags: the message is the no-senders notice of an endpoint
 * minted with PORT_MINT_NOTIFY_CLOSED (len 0, its badge, no reply). */
#define PORT_RX_CLOSED 1u
/* In (and kept on output, so a reused port_rx stays opted in): a call
 * received gives rx.reply = REPLY_IMPLICIT instead of a new reply handle
 * (docs/ipc.md "Implicit reply"). The thread answers it with
 * port_reply/port_reply_recv(REPLY_IMPLICIT, ...); its next receive, its
 * exit or handle_close(REPLY_IMPLICIT) ends the call unanswered (the
 * caller gets ERR_PEER_CLOSED); handle_dup(REPLY_IMPLICIT, RIGHT_SAME,
 * &h) moves it into an ordinary reply handle h first, for a server that
 * answers later. For servers that answer before receiving again. */
#define PORT_RX_IMPLICIT_REPLY 0x100u
/* The reserved value naming the calling thread's implicit reply: never a
 * handle (generation 0 is never live, kern/handle.h). */
#define REPLY_IMPLICIT ((handle_t)0x7ffu)

/* Register messages (SYS_PORT_CALL_REG, SYS_PORT_REPLY_RECV_REG; docs/
 * ipc.md "Register messages"): up to PORT_REG_WORDS 64-bit words in the
 * argument registers, no handles, nothing copied through user memory. */
#define PORT_REG_WORDS 4
#define PORT_REG_MAX   (PORT_REG_WORDS * 8) /* bytes */
/* The first argument: a handle, the length, and for reply-receive
 * PORT_REG_ANSWER (answer REPLY_IMPLICIT from the words first). */
#define PORT_REG_CTL(h, len) ((uint64_t)(h) | (uint64_t)(len) << 32)
#define PORT_REG_ANSWER      (1ull << 48)

/* SYS_PORT_MINT_EX options. */
#define PORT_MINT_NOTIFY_CLOSED 1u /* queue a notice when the endpoint dies */
