/* fbcon: the screen console (docs/console.md "Screen terminal"). A second
 * terminal of the serial console: what the console prints is drawn on
 * the display (/svc/display) by the terminal core (term.c) with a PSF
 * font from the initrd, and keys from the input hub (/svc/input) are
 * typed into the console's line discipline, so `sh` is usable from the
 * keyboard on screen.
 *
 * Peers, all through /svc/console-screen's, /svc/display's and
 * /svc/input's endpoints (etc/services.conf): the console copies its
 * output to our mirror port (one-way messages; the endpoint we hand it is
 * minted with a no-senders notice, so a console that dies is noticed and
 * the mirror set again on the new one); input goes back as
 * {"cmd":"input","hex":...} calls. Every peer may be absent or restart:
 * we reconnect with backoff and the serial console never depends on us.
 *
 * Two threads. The main thread owns every piece of state: the terminal,
 * the display connection, the console connection. The input thread only
 * blocks in INPUT_READ on the subscription the main thread gives it,
 * turns key events into bytes (keys.c) and hands them over through a
 * single-producer ring, waking the main thread. Presents use
 * DISP_PRESENT_VSYNC: the call returns at the frame tick that shows it,
 * so output that arrives meanwhile is drawn by the next present: at most
 * one present per frame.
 *
 * Another client may take the screen (DISP_BUF_TAKE: drawtest does), and
 * the driver then revokes our buffer's grants: a plain store into it
 * would fault and end us. So we draw into a shadow of our own and move
 * the damage into the scanout buffer with SYS_VMO_READ from the shadow's
 * memory object: the kernel's copy into a revoked mapping fails with an
 * error instead. We then ask for the screen again every BUSY_RETRY (plain
 * DISP_BUFFERS: it is ours again once the taker's connection ends). */
#include <stdio.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/errors.h>
#include <execrt/ipc.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "disp_client.h"
#include "input_client.h"
#include "keys.h"
#include "proto.h" /* the console's CON_INPUT_MAX */
#include "psf.h"
#include "render.h"
#include "term.h"

#define BIT_MIRROR (1ull << 0) /* a message on the mirror port */
#define BIT_KEYS   (1ull << 1) /* the input thread queued bytes */
#define BIT_INDOWN (1ull << 2) /* the input thread lost its subscription */
#define BIT_INGO   (1ull << 0) /* (input thread's notification) a new one */

#define MS	    1000000ull
#define BACKOFF_MIN (50 * MS)
#define BACKOFF_MAX (2000 * MS)
#define BUSY_RETRY  (500 * MS) /* another client owns the display */
#define LOOKUP_WAIT (5 * MS)
#define KEY_RETRY   (10 * MS) /* the console had no room for typed bytes */
#define KRING	    4096
#define PENDING_MAX 4096

static handle_t notif, in_notif, mport;
static struct term term;
static struct psf_font font;
static struct cl_conn con;
static struct cl_resp resp;
static bool con_ok;
static uint64_t mirror_badge; /* badge of the endpoint the console holds */
static struct disp_client dc;
static bool disp_ok;
static struct render_fb fb; /* the shadow */
static handle_t shadow;	    /* its memory object */
static uint64_t shadow_len;
static struct render_rect rects[DISP_RECTS_MAX];
static handle_t sub; /* the subscription the input thread reads (main's copy) */

/* Shared with the input thread. */
static handle_t in_sub; /* 0: none; the thread clears it on an error */
static long in_err;
static bool screen_live; /* keys are typed only while we show the screen */
static uint8_t kring[KRING];
static uint32_t khead, ktail; /* producer: thread (head); consumer: main */
static uint64_t keys_dropped;

/* Bytes typed that the console has not taken yet. */
static uint8_t pending[PENDING_MAX];
static size_t npending;

struct retry {
	uint64_t at, wait;
};
static struct retry r_con, r_disp, r_in;

static uint64_t now(void)
{
	long t = sys_clock_now();
	return t < 0 ? 0 : (uint64_t)t;
}

static void backoff(struct retry *r, uint64_t min)
{
	r->wait = r->wait < min ? min : r->wait * 2;
	if (r->wait > BACKOFF_MAX)
		r->wait = BACKOFF_MAX;
	r->at = now() + r->wait;
}

/* ---- the input thread: only system calls, the ring and atomics ---- */

#define IN_STACK (32 * 1024)
#define IN_TCB	 512 /* musl's thread descriptor is read at %fs */

static void ring_put(const char *s, size_t n)
{
	uint32_t h = __atomic_load_n(&khead, __ATOMIC_RELAXED);
	uint32_t t = __atomic_load_n(&ktail, __ATOMIC_ACQUIRE);
	if (KRING - (h - t) < n) {
		keys_dropped++;
		return;
	}
	for (size_t i = 0; i < n; i++)
		kring[(h + i) % KRING] = (uint8_t)s[i];
	__atomic_store_n(&khead, h + (uint32_t)n, __ATOMIC_RELEASE);
}

/* No stack protector here: %fs is set by the first call below. */
__attribute__((no_stack_protector, noreturn)) static void
input_main(uint64_t tp)
{
	static struct input_event ev[INPUT_BATCH_MAX];
	sys_thread_set_tls(tp);
	for (;;) {
		handle_t s = __atomic_load_n(&in_sub, __ATOMIC_ACQUIRE);
		uint64_t bits;
		if (!s) {
			sys_notif_wait(in_notif, BIT_INGO, DEADLINE_NONE,
				       &bits);
			continue;
		}
		long n = input_read(s, ev, INPUT_BATCH_MAX, 0, DEADLINE_NONE);
		if (n < 0) {
			__atomic_store_n(&in_err, n, __ATOMIC_RELAXED);
			__atomic_store_n(&in_sub, 0, __ATOMIC_RELEASE);
			sys_notif_signal(notif, BIT_INDOWN);
			continue;
		}
		bool live = __atomic_load_n(&screen_live, __ATOMIC_ACQUIRE);
		for (long i = 0; i < n && live; i++) {
			char b[KEYS_OUT_MAX];
			size_t k = keys_bytes(ev[i].type, ev[i].code,
					      ev[i].value, ev[i].ch, b);
			if (k)
				ring_put(b, k);
		}
		if (n > 0 && live)
			sys_notif_signal(notif, BIT_KEYS);
	}
}

static long input_thread_start(void)
{
	static _Alignas(64) uint8_t stack[IN_STACK];
	static _Alignas(64) uint8_t tcb[IN_TCB];
	uint64_t tp = (uint64_t)tcb, canary;
	__asm__ __volatile__("mov %%fs:0x28, %0" : "=r"(canary));
	memcpy(tcb, &tp, 8);
	memcpy(tcb + 0x28, &canary, 8); /* the stack protector's canary */
	handle_t t;
	long r = sys_thread_create(execrt_handle(START_H_SELF_TASK), "input", 5,
				   &t);
	if (r < 0)
		return r;
	/* As after a call: rsp + 8 is 16-byte aligned at entry. */
	uint64_t rsp = ((uint64_t)stack + sizeof(stack)) - 8;
	r = sys_thread_start(t, (uint64_t)input_main, rsp, tp);
	sys_handle_close(t);
	return r;
}

/* ---- the console ---- */

static void console_down(void)
{
	cl_close(&con);
	con_ok = false;
	npending = 0;
	backoff(&r_con, BACKOFF_MIN);
}

/* Looks /svc/console-screen up and hands it a fresh mirror endpoint. */
static void console_up(void)
{
	if (cl_connect("/svc/console-screen", now() + LOOKUP_WAIT, &con) !=
	    CL_OK) {
		backoff(&r_con, BACKOFF_MIN);
		return;
	}
	handle_t send;
	uint64_t badge = mirror_badge + 1;
	if (sys_port_mint_ex(mport, badge, PORT_MINT_NOTIFY_CLOSED, &send) <
	    0) {
		console_down();
		return;
	}
	cl_err_t e = cl_request_ex(&con, "{\"cmd\":\"mirror\",\"port\":0}",
				   &send, 1, now() + 1000 * MS, &resp);
	cl_resp_close(&resp);
	if (e != CL_OK) {
		printf("fbcon: mirror: %s\n", cl_strerror(e));
		sys_handle_close(send); /* stays ours on an early error */
		console_down();
		return;
	}
	mirror_badge = badge;
	con_ok = true;
	r_con.wait = 0;
}

/* Types the pending bytes into the console, as much as it takes. */
static void console_type(void)
{
	static char json[64 + 2 * CON_INPUT_MAX];
	static const char hex[] = "0123456789abcdef";
	while (con_ok && npending) {
		size_t n = npending < CON_INPUT_MAX ? npending : CON_INPUT_MAX;
		int k = snprintf(json, sizeof(json),
				 "{\"cmd\":\"input\",\"hex\":\"");
		for (size_t i = 0; i < n; i++) {
			json[k++] = hex[pending[i] >> 4];
			json[k++] = hex[pending[i] & 15];
		}
		memcpy(json + k, "\"}", 3);
		cl_err_t e = cl_request(&con, json, &resp);
		int64_t taken = 0;
		if (e == CL_OK)
			cl_resp_int(&resp, "taken", &taken);
		cl_resp_close(&resp);
		if (e != CL_OK) {
			console_down();
			return;
		}
		if (taken < 0 || (size_t)taken > n)
			taken = (int64_t)n;
		memmove(pending, pending + taken, npending - (size_t)taken);
		npending -= (size_t)taken;
		if ((size_t)taken < n)
			return; /* no room now: again after KEY_RETRY */
	}
}

/* Bytes the input thread queued. */
static void take_keys(void)
{
	uint32_t t = ktail, h = __atomic_load_n(&khead, __ATOMIC_ACQUIRE);
	while (t != h && npending < PENDING_MAX)
		pending[npending++] = kring[t++ % KRING];
	__atomic_store_n(&ktail, t, __ATOMIC_RELEASE);
}

/* Everything the console mirrored to us, into the terminal. */
static void drain_mirror(void)
{
	static char buf[PORT_MSG_MAX];
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = sizeof(buf),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		long r = sys_port_recv(mport, &rx, DEADLINE_POLL);
		if (r < 0)
			return;
		for (uint32_t k = 0; k < rx.nhandles; k++)
			sys_handle_close(h[k]);
		if (rx.reply)
			sys_handle_close(rx.reply);
		if (rx.flags & PORT_RX_CLOSED) {
			/* The console let go of the current endpoint: it
			 * died (or replaced it); an older one: ignore. */
			if (rx.badge == mirror_badge && con_ok)
				console_down();
			continue;
		}
		if (rx.badge == mirror_badge)
			term_write(&term, buf, rx.len);
	}
}

/* ---- the display ---- */

static void display_down(uint64_t retry)
{
	__atomic_store_n(&screen_live, false, __ATOMIC_RELEASE);
	disp_close(&dc);
	disp_ok = false;
	if (retry == BUSY_RETRY)
		r_disp.wait = 0; /* a steady poll, not a growing backoff */
	backoff(&r_disp, retry);
}

/* A shadow of len bytes (kept while the size stays), mapped at fb.base. */
static long shadow_up(uint64_t len)
{
	if (shadow && shadow_len == len)
		return 0;
	handle_t self = execrt_handle(START_H_SELF_TASK);
	if (shadow) {
		sys_vm_unmap(self, (uint64_t)fb.base, shadow_len);
		sys_handle_close(shadow);
		shadow = 0;
	}
	uint64_t addr = 0;
	struct vm_map_req req = {.len = len,
				 .prot = VM_PROT_READ | VM_PROT_WRITE};
	long r = sys_vmo_create(len, &shadow);
	if (r == 0)
		r = sys_vm_map(self, shadow, &req, &addr);
	if (r < 0) {
		printf("fbcon: no memory for a %llu-byte shadow: %s\n",
		       (unsigned long long)len, err_name(r));
		if (shadow)
			sys_handle_close(shadow);
		shadow = 0;
		return r;
	}
	shadow_len = len;
	fb.base = (uint8_t *)addr;
	return 0;
}

/* The rectangles from the shadow into the scanout buffer, without ever
 * touching the scanout mapping ourselves (see the top of the file). */
static long copy_out(const struct render_rect *rc, int n)
{
	uint8_t *dst = dc.buf[0];
	for (int i = 0; i < n; i++) {
		uint64_t off =
			(uint64_t)rc[i].y * fb.stride + (uint64_t)rc[i].x * 4;
		uint64_t w = (uint64_t)rc[i].w * 4;
		uint32_t rows = rc[i].h;
		if (rc[i].x == 0 && rc[i].w == fb.width) { /* contiguous */
			w = (uint64_t)fb.stride * rows;
			rows = 1;
		}
		for (uint32_t y = 0; y < rows; y++, off += fb.stride) {
			long r = sys_vmo_read(shadow, dst + off, off, w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void display_up(void)
{
	int r = disp_open(&dc, now() + LOOKUP_WAIT);
	if (r < 0) {
		backoff(&r_disp, BACKOFF_MIN);
		return;
	}
	r = disp_buffers(&dc, 1);
	if (r < 0 || dc.geom.format != DISP_FMT_XRGB8888) {
		/* ERR_ACCESS_DENIED: another client shows something; we
		 * take the screen back once it lets go. */
		display_down(r == ERR_ACCESS_DENIED ? BUSY_RETRY : BACKOFF_MIN);
		return;
	}
	if (shadow_up(dc.geom.size) < 0) {
		display_down(BACKOFF_MAX);
		return;
	}
	fb.width = dc.geom.width;
	fb.height = dc.geom.height;
	fb.stride = dc.geom.stride;
	int cols, rows;
	render_grid(&fb, &font, &cols, &rows);
	if (cols < 1 || rows < 1) {
		display_down(BACKOFF_MAX);
		return;
	}
	term_resize(&term, cols, rows);
	disp_ok = true;
	r_disp.wait = 0;
	__atomic_store_n(&screen_live, true, __ATOMIC_RELEASE);
	printf("fbcon: %ux%u, %dx%d cells\n", fb.width, fb.height, cols, rows);
}

/* The damage since the last present, drawn and presented; returns at
 * the frame tick that shows it. */
static void present(void)
{
	int n = render_damage(&term, &font, &fb, rects, DISP_RECTS_MAX);
	if (n == 0)
		return;
	struct disp_frame f;
	long r = copy_out(rects, n);
	if (r == 0)
		r = disp_present(&dc, 0, (const struct disp_rect *)rects,
				 (uint32_t)n, DISP_PRESENT_VSYNC, &f);
	if (r < 0) {
		/* Gone (ERR_PEER_CLOSED), or our buffers were dropped or
		 * taken (ERR_BAD_STATE, ERR_ACCESS_DENIED, or the copy's
		 * ERR_FAULT on a revoked mapping): start over; everything
		 * is drawn again on the new buffer. */
		display_down(r == ERR_PEER_CLOSED ? BACKOFF_MIN : BUSY_RETRY);
		term_damage_all(&term);
	}
}

_Static_assert(sizeof(struct render_rect) == sizeof(struct disp_rect),
	       "render_rect is a disp_rect");

/* ---- the input hub ---- */

static void input_up(void)
{
	handle_t pub = input_lookup(INPUT_SVC_NAME, now() + LOOKUP_WAIT);
	uint32_t id;
	long r = pub ? input_subscribe(pub, &sub, &id) : ERR_NOT_FOUND;
	if (pub)
		sys_handle_close(pub);
	if (r < 0) {
		sub = 0;
		backoff(&r_in, BACKOFF_MIN);
		return;
	}
	r_in.wait = 0;
	__atomic_store_n(&in_sub, sub, __ATOMIC_RELEASE);
	sys_notif_signal(in_notif, BIT_INGO);
}

static void input_down(void)
{
	if (__atomic_load_n(&in_sub, __ATOMIC_ACQUIRE) || !sub)
		return; /* a stale notice */
	sys_handle_close(sub);
	sub = 0;
	backoff(&r_in, BACKOFF_MIN);
}

/* ---- start ---- */

static int load_font(void)
{
	handle_t h = execrt_handle(START_H_INITRD);
	uint64_t size = 0, addr = 0;
	if (!h || sys_vmo_get_size(h, &size) < 0 || !size)
		return ERR_NOT_FOUND;
	struct vm_map_req req = {.len = (size + 4095) & ~4095ull,
				 .prot = VM_PROT_READ};
	long r = sys_vm_map(execrt_handle(START_H_SELF_TASK), h, &req, &addr);
	if (r < 0)
		return (int)r;
	struct cpio_file f;
	int e = cpio_find((const void *)addr, size, "share/font.psf", &f);
	if (e != CPIO_OK) {
		printf("fbcon: /boot/share/font.psf: %s\n", cpio_strerror(e));
		return ERR_NOT_FOUND;
	}
	e = psf_parse(&font, f.data, f.size);
	if (e != PSF_OK) {
		printf("fbcon: /boot/share/font.psf: not a PSF font (%d)\n", e);
		return ERR_INVALID_ARGS;
	}
	return 0;
}

static uint64_t earliest(void)
{
	uint64_t dl = DEADLINE_NONE;
	if (!con_ok && r_con.at < dl)
		dl = r_con.at;
	if (!disp_ok && r_disp.at < dl)
		dl = r_disp.at;
	if (!sub && r_in.at < dl)
		dl = r_in.at;
	if (npending && con_ok) {
		uint64_t k = now() + KEY_RETRY;
		dl = k < dl ? k : dl;
	}
	return dl;
}

int main(void)
{
	if (load_font() < 0)
		return 2;
	handle_t unused;
	long r = sys_notif_create(&notif);
	if (r == 0)
		r = sys_notif_create(&in_notif);
	if (r == 0)
		r = sys_port_create(0, &mport, &unused);
	if (r == 0)
		r = sys_port_bind_notif(mport, notif, BIT_MIRROR);
	if (r == 0)
		r = input_thread_start();
	if (r < 0) {
		printf("fbcon: start: %s\n", err_name(r));
		return 1;
	}
	sys_handle_close(unused); /* the console gets minted endpoints */
	term_init(&term, 80, 25);
	for (;;) {
		uint64_t t = now();
		if (!con_ok && t >= r_con.at)
			console_up();
		if (!disp_ok && t >= r_disp.at)
			display_up();
		if (!sub && t >= r_in.at)
			input_up();
		uint64_t bits = 0, dl = earliest();
		if (disp_ok && term_dirty(&term))
			dl = DEADLINE_POLL;
		r = sys_notif_wait(notif, BIT_MIRROR | BIT_KEYS | BIT_INDOWN,
				   dl, &bits);
		if (r < 0 && r != ERR_TIMED_OUT && r != ERR_SHOULD_WAIT) {
			printf("fbcon: wait: %s\n", err_name(r));
			return 1;
		}
		if (bits & BIT_INDOWN)
			input_down();
		take_keys();
		console_type();
		drain_mirror();
		if (disp_ok)
			present();
	}
}
