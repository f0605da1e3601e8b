/* console: the serial console (docs/console.md). A 16550 driver for COM1
 * in user space: receive through an IRQ object (the FIFO drained on each
 * interrupt), transmit by polling LSR.THRE through the port-I/O authority.
 * Serves /svc/console: one-way messages are bytes to print, calls are
 * ports/v0 JSON (ping, status, readline, subscribe, unsubscribe, control,
 * session, foreground; console_calls.c). Sessions (sess.h) are endpoints
 * minted with a no-senders notice, so a closed one is found at once.
 *
 * Single-threaded: one notification carries the IRQ's bit and the port's
 * bit; the loop never blocks on a client (replies are one-shot, events go
 * out with DEADLINE_POLL) and only waits for the UART with a short
 * deadline. Start handles: START_H_IOPORT (0x3f8-0x3ff), START_H_IRQ
 * (covering COM1's GSI), START_H_BOOTINFO (isa_irq lines), and either
 * START_H_SERVICE (the receive handle of its port) or START_H_NAMES (it
 * then registers /svc/console). Its own output is the kernel's debug
 * console.
 *
 * Second terminal (servers/fbcon, docs/console.md "Screen terminal"): a
 * second endpoint, minted with CON_SCREEN_BADGE and registered as
 * /svc/console-screen, may set a mirror (a send handle that gets a copy
 * of every byte the UART gets, sent with DEADLINE_POLL from a bounded
 * buffer: the screen never slows the serial line) and type bytes into the
 * line discipline as if they came from the UART. */
#include <stdio.h>
#include <string.h>

#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "console_int.h"
#include "ldisc.h"
#include "mirror.h"
#include "proto.h"
#include "rlown.h"
#include "subs.h"
#include "txq.h"

#ifndef START_H_SERVICE
#define START_H_SERVICE 12 /* ISSUE10 contract; syscall.h gains it */
#endif

#define COM1	  0x3f8
#define UART_RBR  0 /* read: receive buffer; write: THR */
#define UART_IER  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_SCR  7
#define LSR_DR	  0x01
#define LSR_OE	  0x02
#define LSR_THRE  0x20
#define UART_FIFO 16

#define BIT_PORT (1ull << 0)
#define BIT_IRQ	 (1ull << 1)

/* UART busy: look again after 200 us; no byte out for 100 ms: the wire is
 * stuck; bytes per turn, so input is not starved. */
#define TX_RETRY_NS 200000ull
#define TX_STALL_NS 100000000ull
#define TX_BUDGET   2048
#define RX_BUDGET   4096
#define PORT_BUDGET 32 /* messages per turn */

static handle_t io, irq, notif;
handle_t port;
struct ldisc ld;
struct txq txq;
struct con_stats st;
handle_t rl_reply; /* the pending readline's reply, or 0 */
struct rl_own own; /* whose it is (rlown.h) */
/* The reserved line ended while its owner had no call pending: given to
 * it when it asks again. */
bool saved;
enum ld_event saved_ev;
struct con_subs subs; /* event subscribers (subs.h) */
struct con_sess sess; /* sessions and the foreground (sess.h) */
/* A Ctrl-C nobody took (no subscriber yet, or a stale one): the next
 * subscriber for interrupts gets it, unless a readline comes first. This
 * closes the race of a shell that starts its program before it
 * subscribes. */
bool pending_intr;
static bool rx_held; /* bytes left in the UART: nowhere to put them */
/* A one-way message that did not fit in the transmit queue: kept (and the
 * port left alone, so its writers wait) until it fits, unless the wire is
 * stuck; then it is dropped. */
static char held[PORT_MSG_MAX];
static uint32_t held_len;
static bool holding;
static uint64_t tx_progress; /* last time a byte went out (or none was due) */
char buf[PORT_MSG_MAX + 1];
char out[PORT_MSG_MAX];
/* The screen's mirror (0: none) and the bytes not yet sent to it. */
#define MIRROR_RETRY_NS 2000000ull
handle_t mirror;
struct con_mirror mbuf;

static long in8(unsigned reg)
{
	return sys_ioport_io(io, COM1 + reg, 1, 0);
}

static long out8(unsigned reg, uint8_t v)
{
	return sys_ioport_io(io, COM1 + reg, 1 | IOPORT_OUT, v);
}

uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

/* The line discipline's output (echo, prompt, client bytes). */
static void sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (txq_put(&txq, s, n, 0) && mirror)
		mirror_put(&mbuf, s, n);
}

static long mirror_send(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	struct port_msg m = {.data = p, .len = (uint32_t)n};
	long r = sys_port_send(mirror, &m, DEADLINE_POLL);
	return r == ERR_SHOULD_WAIT || r == ERR_TIMED_OUT ? MIRROR_WAIT : r;
}

/* Sends what the mirror buffer holds, never waiting; a mirror that is
 * gone is forgotten (fbcon sets a new one when it comes back). */
static void mirror_flush_now(void)
{
	if (mirror &&
	    mirror_flush(&mbuf, PORT_MSG_MAX, mirror_send, NULL) < 0) {
		sys_handle_close(mirror);
		mirror = 0;
	}
}

void reply_done(long r, handle_t reply)
{
	/* Consumed unless the reply itself was refused. */
	if (r < 0 && r != ERR_PEER_CLOSED)
		sys_handle_close(reply);
}

void readline_end(enum ld_event ev)
{
	handle_t r = rl_reply;
	rl_reply = 0;
	if (!r) {
		if (own.reserve_until) {
			saved = true;
			saved_ev = ev;
		}
		return;
	}
	rl_done(&own);
	if (ev == LD_LINE && con_line_json(ld_line(&ld), out, sizeof(out)) >= 0)
		reply_done(cl_reply_ok(r, out, NULL, 0), r);
	else if (ev == LD_LINE)
		reply_done(cl_reply_error(r, "INTERNAL", "line"), r);
	else if (ev == LD_TOO_LONG)
		reply_done(
			cl_reply_error(r, "TOO_LONG", "line over 1023 bytes"),
			r);
	else
		reply_done(cl_reply_error(r, "INTERRUPTED", "^C"), r);
}

/* An event to subscriber slot i, never blocking: true when it was
 * queued. A closed stream loses its slot. */
static bool send_to(int i, const char *json, int n)
{
	struct port_msg m = {.data = json, .len = (uint32_t)n};
	long r = sys_port_send(subs.s[i].h, &m, DEADLINE_POLL);
	if (r == 0) {
		st.events_sent++;
		return true;
	}
	st.events_dropped++;
	st.event_error = r;
	if (r != ERR_SHOULD_WAIT && r != ERR_TIMED_OUT) /* gone */
		sys_handle_close(subs_remove(&subs, subs.s[i].koid));
	return false;
}

/* Ctrl-C to every subscriber of the foreground and the controlling
 * session (one must not take it from another); a key to the newest of
 * them that takes it. True when someone got it. */
bool send_event(unsigned kind, const char *json, int n)
{
	int order[CON_SUBS_MAX];
	int k = subs_order(&subs, kind, &sess, order);
	bool sent = false;
	if (n < 0)
		return false;
	for (int i = 0; i < k && !(sent && kind == CON_EV_KEY); i++)
		sent |= send_to(order[i], json, n);
	return sent;
}

void on_byte(uint8_t c)
{
	uint8_t key = 0;
	bool reading = ld.active;
	enum ld_event ev = ld_input(&ld, c, &key);
	if (ev == LD_NONE)
		return;
	if (reading) {
		readline_end(ev);
		return;
	}
	if (ev == LD_INTERRUPT) {
		ld_drop_ahead(&ld);
		pending_intr =
			!send_event(CON_EV_INTERRUPT, out,
				    con_interrupt_event_json(out, sizeof(out)));
		return;
	}
	/* A key nobody took waits for the next readline. */
	if (!send_event(CON_EV_KEY, out,
			con_key_event_json(key, out, sizeof(out))) &&
	    !ld_keep(&ld, key))
		st.dropped_keys++;
}

/* With the type-ahead full and nobody to tell about Ctrl-C (a background
 * session's subscriber is nobody), bytes stay
 * in the UART: QEMU then holds the host's input back instead of it being
 * lost (a real UART would overrun, which status counts). The same while
 * the transmit queue has no room for one more echo: a paste of arrow keys
 * over a long history line asks for ~1 KiB of redraw per 3 bytes, and the
 * echo that did not fit was dropped (the screen then no longer showed the
 * line being edited). */
/* Two redraws: one byte may settle the line and then redraw it. */
#define ECHO_ROOM (2 * (LD_LINE_MAX + LD_PROMPT_MAX) + 256)
bool rx_hold(void)
{
	if (TXQ_SIZE - txq_used(&txq) < ECHO_ROOM)
		return true;
	int order[CON_SUBS_MAX];
	return !ld.active && ld.ahead_len == LD_AHEAD_MAX &&
	       !subs_order(&subs, CON_EV_INTERRUPT, &sess, order);
}

/* Everything the receive FIFO holds. */
static void rx_drain(void)
{
	for (int i = 0; i < RX_BUDGET; i++) {
		if (rx_hold()) {
			rx_held = true;
			return;
		}
		long lsr = in8(UART_LSR);
		if (lsr < 0)
			return;
		if (lsr & LSR_OE)
			st.overruns++;
		if (!(lsr & LSR_DR))
			return;
		long c = in8(UART_RBR);
		if (c < 0)
			return;
		st.rx_bytes++;
		on_byte((uint8_t)c);
	}
}

/* The line is edge-triggered and masked until the ack: bytes that came
 * in between left it high without a new edge, so drain once more after
 * unmasking. */
static void rx_interrupt(void)
{
	rx_held = false;
	rx_drain();
	if (rx_held)
		return; /* stays masked until there is room */
	sys_irq_ack(irq);
	rx_drain();
}

/* Writes queued bytes while the transmitter is empty, a FIFO's worth at a
 * time; false when the UART is busy (look again shortly). */
static bool tx_pump(void)
{
	size_t budget = TX_BUDGET;
	while (txq_used(&txq) && budget) {
		long lsr = in8(UART_LSR);
		if (lsr < 0)
			return true; /* cannot happen: the range was checked */
		if (!(lsr & LSR_THRE))
			return false;
		const char *p;
		size_t n = txq_peek(&txq, &p);
		if (n > UART_FIFO)
			n = UART_FIFO;
		if (n > budget)
			n = budget;
		for (size_t i = 0; i < n; i++)
			out8(UART_RBR, (uint8_t)p[i]);
		txq_consume(&txq, n);
		st.tx_bytes += n;
		budget -= n;
		tx_progress = now();
	}
	if (!txq_used(&txq))
		tx_progress = now();
	return true;
}

static bool fits(const char *s, size_t n)
{
	/* Whole, leaving room for the echo. */
	size_t need = n + 16;
	for (size_t i = 0; i < n; i++)
		need += s[i] == '\n';
	size_t room = TXQ_SIZE - txq_used(&txq);
	return room >= TXQ_RESERVE && need <= room - TXQ_RESERVE;
}

static bool stalled(void)
{
	return txq_used(&txq) && now() - tx_progress > TX_STALL_NS;
}

static void drop(size_t n)
{
	txq.dropped_msgs++;
	txq.dropped_bytes += n;
}

static void print_bytes(const char *s, size_t n)
{
	if (fits(s, n)) {
		ld_output(&ld, s, n);
	} else if (stalled()) {
		drop(n);
	} else {
		memcpy(held, s, n);
		held_len = (uint32_t)n;
		holding = true;
	}
}

/* The held message, once it fits (or the wire is stuck). */
static void unhold(void)
{
	if (holding && (fits(held, held_len) || stalled())) {
		holding = false;
		print_bytes(held, held_len);
	}
}

/* Up to PORT_BUDGET messages; true when the port may hold more. Nothing
 * while a message is held: its writers wait (back-pressure). */
static bool port_drain(void)
{
	for (int i = 0; i < PORT_BUDGET; i++) {
		if (holding)
			return true;
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(port, &rx, DEADLINE_POLL);
		if (r == ERR_SHOULD_WAIT)
			return false;
		if (r < 0) {
			printf("console: receive: %s\n", err_name(r));
			sys_task_exit(1);
		}
		if (rx.flags & PORT_RX_CLOSED)
			on_closed(rx.badge);
		else if (rx.reply)
			on_call(rx.reply, rx.badge, rx.sender, rx.len, h,
				rx.nhandles);
		else
			print_bytes(buf, rx.len);
		for (uint32_t k = 0; k < rx.nhandles; k++)
			if (h[k])
				sys_handle_close(h[k]);
	}
	return true;
}

/* COM1's GSI from the bootinfo text (else the ISA number). */
static uint32_t com1_gsi(void)
{
	static char text[16384];
	handle_t bi = execrt_handle(START_H_BOOTINFO);
	uint64_t size = 0;
	if (bi == HANDLE_INVALID || sys_vmo_get_size(bi, &size) < 0)
		return CON_ISA_IRQ;
	if (size > sizeof(text) - 1)
		size = sizeof(text) - 1;
	if (sys_vmo_read(bi, text, 0, size) < 0)
		return CON_ISA_IRQ;
	text[size] = 0;
	return con_isa_gsi(text, strlen(text), CON_ISA_IRQ, CON_ISA_IRQ);
}

static void uart_init(void)
{
	out8(UART_IER, 0x00);
	out8(UART_LCR, 0x03); /* 8N1, DLAB off; the kernel set 115200 */
	out8(UART_FCR, 0xc1); /* FIFO on, 14-byte trigger, nothing cleared */
	out8(UART_MCR, 0x0b); /* DTR, RTS, OUT2 (the interrupt line) */
	out8(UART_IER, 0x01); /* received data available */
}

/* The receive handle of our port: given, or made and registered. */
static long open_port(void)
{
	handle_t given = execrt_handle(START_H_SERVICE);
	struct handle_info info;
	if (given != HANDLE_INVALID && sys_handle_info(given, &info) == 0 &&
	    info.type == OBJ_PORT) {
		port = given;
		return 0;
	}
	if (execrt_handle(START_H_NAMES) == HANDLE_INVALID) {
		printf("console: no port (START_H_SERVICE) and no name "
		       "service (START_H_NAMES)\n");
		return ERR_BAD_HANDLE;
	}
	handle_t send;
	long r = sys_port_create(0, &port, &send);
	if (r < 0)
		return r;
	cl_err_t e = cl_register("/svc/console", send);
	if (e != CL_OK) {
		printf("console: cannot register /svc/console: %s\n",
		       cl_strerror(e));
		return ERR_NOT_FOUND;
	}
	return 0;
}

/* The screen endpoint, when there is a name service to register it with;
 * without it the console is serial only. */
static void open_screen(void)
{
	handle_t send;
	if (execrt_handle(START_H_NAMES) == HANDLE_INVALID ||
	    sys_port_mint(port, CON_SCREEN_BADGE, &send) < 0)
		return;
	cl_err_t e = cl_register("/svc/console-screen", send);
	if (e != CL_OK)
		printf("console: no /svc/console-screen: %s\n", cl_strerror(e));
}

int main(void)
{
	io = execrt_handle(START_H_IOPORT);
	/* The whole range, read and write: the scratch register. */
	long w = out8(UART_SCR, 0x5a);
	long lsr = in8(UART_LSR), scr = in8(UART_SCR);
	if (w < 0 || lsr < 0 || scr < 0) {
		printf("console: no I/O-port authority over 0x3f8-0x3ff "
		       "(START_H_IOPORT): %s\n",
		       err_name(w < 0	  ? w
				: lsr < 0 ? lsr
					  : scr));
		return 2;
	}
	if (lsr == 0xff || scr != 0x5a) {
		printf("console: no 16550 UART at 0x3f8\n");
		return 4;
	}
	st.gsi = com1_gsi();
	long r = sys_notif_create(&notif);
	if (r == 0)
		r = sys_irq_create(execrt_handle(START_H_IRQ), st.gsi, notif,
				   BIT_IRQ, &irq);
	if (r < 0) {
		printf("console: cannot route COM1's interrupt (GSI %u): %s\n",
		       st.gsi, err_name(r));
		return 3;
	}
	/* Least authority: the IRQ object is all we need of it. */
	sys_handle_close(execrt_handle(START_H_IRQ));
	if (open_port() < 0)
		return 5;
	open_screen();
	r = sys_port_bind_notif(port, notif, BIT_PORT);
	if (r < 0) {
		printf("console: bind: %s\n", err_name(r));
		return 1;
	}
	txq_init(&txq);
	ld_init(&ld, sink, NULL);
	uart_init();
	printf("console: COM1 at 0x%x, GSI %u\n", COM1, st.gsi);
	rx_interrupt(); /* whatever was typed before we started */

	bool more_port = false, tx_busy = false;
	tx_progress = now();
	for (;;) {
		uint64_t dl = DEADLINE_NONE, bits = 0;
		if ((more_port && !holding) || (txq_used(&txq) && !tx_busy))
			dl = DEADLINE_POLL;
		else if (txq_used(&txq))
			dl = now() + TX_RETRY_NS;
		else if (mbuf.len)
			dl = now() + MIRROR_RETRY_NS;
		r = sys_notif_wait(notif, BIT_PORT | BIT_IRQ, dl, &bits);
		if (r < 0 && r != ERR_SHOULD_WAIT && r != ERR_TIMED_OUT) {
			printf("console: wait: %s\n", err_name(r));
			return 1;
		}
		if (bits & BIT_IRQ) {
			st.interrupts++;
			rx_interrupt();
		}
		unhold();
		if ((bits & BIT_PORT) || more_port)
			more_port = port_drain();
		if (rx_held && !rx_hold())
			rx_interrupt();
		ld_settle(&ld);
		tx_busy = !tx_pump();
		mirror_flush_now();
	}
}
