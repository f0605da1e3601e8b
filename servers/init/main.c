/* init: the supervisor (docs/system.md). The root task of a normal boot,
 * or a child started with `init --manifest etc/test-x.conf` (the guest
 * tests), then using only the start handles it was given; a names port
 * receive handle at START_H_SERVICE is used as the names port instead of
 * a new one. Reads the manifest from the initrd, starts the services in
 * dependency order and supervises them; serves /svc/init. One thread, one
 * notification (plat.h has the bits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"
#include "initsvc.h"
#include "plat.h"

#define DEFAULT_MANIFEST "etc/services.conf"
#define NAMES_RETRY_NS	 (200 * MS)
#define SERVE_BATCH	 16
#define CHECK_NS	 (15000 * MS) /* --boot-check gives up after it */

struct init g;

static char rxbuf[PORT_MSG_MAX], txbuf[PORT_MSG_MAX];
static const char *notes[MAN_ERR_MAX + 2];
static int nnotes;
static char notes_more[64];

static void note(void *ctx, int i, const char *msg)
{
	(void)ctx;
	say("%s %s", g.man.svc[i].name, msg);
}

static const struct sup_ops ops_noted = {svc_start, svc_kill, note};

static handle_t slot(const struct start_info *si, int i)
{
	return si ? si->handles[i] : HANDLE_INVALID;
}

/* The initrd: mapped read-only, or read into memory. */
static void load_initrd(void)
{
	uint64_t size = 0;
	if (!g.initrd_vmo || sys_vmo_get_size(g.initrd_vmo, &size) < 0 || !size)
		return;
	uint64_t len = (size + 4095) & ~4095ull;
	struct vm_map_req req = {.len = len, .prot = VM_PROT_READ};
	uint64_t addr = 0;
	if (sys_vm_map(g.self, g.initrd_vmo, &req, &addr) == 0) {
		g.initrd = (const char *)addr;
	} else {
		char *buf = malloc(size);
		if (!buf || sys_vmo_read(g.initrd_vmo, buf, 0, size) < 0) {
			free(buf);
			return;
		}
		g.initrd = buf;
	}
	g.initrd_len = size;
}

static void load_bootinfo(void)
{
	static char text[8192];
	uint64_t size = 0;
	if (g.bootinfo_vmo && sys_vmo_get_size(g.bootinfo_vmo, &size) == 0) {
		if (size > sizeof(text))
			size = sizeof(text);
		if (sys_vmo_read(g.bootinfo_vmo, text, 0, size) < 0)
			size = 0;
	}
	bootcfg_parse(&g.boot, text, size);
}

static bool prog_exists(void *ctx, const char *prog)
{
	(void)ctx;
	char path[MAN_PROG_MAX + 8];
	const void *d;
	size_t n;
	snprintf(path, sizeof(path), "bin/%s", prog);
	return initrd_find(path, &d, &n);
}

static bool load_manifest(void)
{
	const void *text;
	size_t len;
	if (!initrd_find(g.manifest_path, &text, &len)) {
		say("%s not in the initrd: nothing to start", g.manifest_path);
		return false;
	}
	const char *base = strrchr(g.manifest_path, '/');
	int e = man_parse(&g.man, text, len, base ? base + 1 : g.manifest_path,
			  prog_exists, NULL);
	for (int i = 0; i < e && i < MAN_ERR_MAX; i++) {
		say("%s", g.man.err[i]);
		notes[nnotes++] = g.man.err[i];
	}
	if (e > MAN_ERR_MAX) {
		snprintf(notes_more, sizeof(notes_more),
			 "%d more manifest errors", e - MAN_ERR_MAX);
		say("%s", notes_more);
		notes[nnotes++] = notes_more;
	}
	return true;
}

static bool setup_ports(void)
{
	if (sys_notif_create(&g.notif) < 0)
		return false;
	g.names_svc = -1;
	for (int i = 0; i < g.man.n; i++)
		if (g.man.svc[i].ok && (g.man.svc[i].grants & MAN_G_NAMES_PORT))
			g.names_svc = i;
	handle_t given = slot(execrt_start_info(), START_H_SERVICE);
	handle_t send;
	if (given) {
		g.names_recv = given;
	} else if (g.names_svc >= 0) {
		if (sys_port_create(0, &g.names_recv, &send) < 0)
			return false;
		sys_handle_close(send);
	}
	g.next_badge = NAMES_CTL_BADGE + 1;
	if (g.names_recv &&
	    sys_port_mint(g.names_recv, NAMES_CTL_BADGE, &g.names_ctl) < 0)
		return false;
	cl_set_names(g.names_ctl);
	if (sys_port_create(0, &g.init_recv, &send) < 0)
		return false;
	sys_handle_close(send); /* minted for names when registering */
	if (sys_port_mint(g.init_recv, INIT_CTL_BADGE, &g.init_ctl) < 0)
		return false;
	if (sys_port_bind_notif(g.init_recv, g.notif, BIT_INIT_PORT) < 0)
		return false;
	for (int i = 0; i < g.man.n; i++) {
		uint32_t n = g.man.svc[i].log_size;
		char *buf = malloc(n);
		log_init(&g.svc[i].ring, buf, buf ? n : 0);
	}
	return true;
}

/* Requests on /svc/init, a batch at a time (the rest signals again). */
static void serve(void)
{
	static struct log_ring *logs[MAN_MAX_SVC];
	for (int i = 0; i < g.man.n; i++)
		logs[i] = &g.svc[i].ring;
	for (int k = 0; k < SERVE_BATCH; k++) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = rxbuf,
				     .cap = sizeof(rxbuf),
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(g.init_recv, &rx, DEADLINE_POLL) < 0)
			return;
		for (uint32_t j = 0; j < rx.nhandles; j++)
			sys_handle_close(h[j]);
		if (!rx.reply)
			continue;
		struct initsvc_env env = {.sp = &g.sup,
					  .logs = logs,
					  .now = (uint64_t)sys_clock_now(),
					  .notes = notes,
					  .nnotes = nnotes,
					  .control =
						  rx.badge == INIT_CTL_BADGE};
		enum initsvc_act act;
		size_t n = initsvc_handle(&env, rxbuf, rx.len, txbuf,
					  sizeof(txbuf), &act);
		if (act == INITSVC_POWEROFF)
			power_off();
		else if (act == INITSVC_REBOOT)
			power_reboot();
		struct port_msg m = {.data = txbuf, .len = (uint32_t)n};
		if (sys_port_reply(rx.reply, &m) < 0)
			sys_handle_close(rx.reply);
	}
	sys_notif_signal(g.notif, BIT_INIT_PORT);
}

/* Once every entry that can start has started: the boot figure. With
 * --boot-check (make check boots the real manifest this way) init exits
 * once all are running: 0 if the manifest had no error and nothing
 * failed, else 1 (its services die with it). Returns a deadline. */
/* The console service prints asynchronously, maybe on another CPU: before
 * init (and with it the machine) ends, wait until it has shown init's last
 * lines. Its answer to `status` comes after every line sent before it;
 * `queued` is what it has not written to the UART yet. A fixed 100 ms
 * lost the boot check's line on a loaded host. At most 5 s. */
static void console_settle(void)
{
	static struct cl_resp r;
	uint64_t end = (uint64_t)sys_clock_now() + 5000 * MS;
	struct cl_conn c = {.send = g.console_send};
	while (c.send && (uint64_t)sys_clock_now() < end) {
		int64_t queued = -1;
		cl_err_t e = cl_request_ex(&c, "{\"cmd\":\"status\"}", NULL, 0,
					   end, &r);
		if (e == CL_OK)
			cl_resp_int(&r, "queued", &queued);
		cl_resp_close(&r);
		if (e != CL_OK || queued == 0)
			break;
		sys_sleep_until((uint64_t)sys_clock_now() + 5 * MS);
	}
	/* The UART's own FIFO. */
	sys_sleep_until((uint64_t)sys_clock_now() + 10 * MS);
}

static uint64_t boot_progress(uint64_t now, bool check, uint64_t t0)
{
	static bool said;
	int good = 0, started = 0, running = 0, failed = 0;
	for (int i = 0; i < g.man.n; i++) {
		enum sup_state st = g.sup.s[i].state;
		good += st != SUP_BAD;
		started += st == SUP_STARTING || st == SUP_RUNNING;
		running += st == SUP_RUNNING;
		failed += st == SUP_FAILED || st == SUP_STOPPED;
	}
	if (!said && started == good) {
		said = true;
		uint64_t since = now - g.boot.kernel_entry_ns;
		say("%d services started, %llu.%03llu ms after kernel entry",
		    good, (unsigned long long)(since / MS),
		    (unsigned long long)(since / 1000 % 1000));
	}
	if (!check)
		return SUP_NEVER;
	if (running == good && !failed && !g.man.nerr) {
		say("boot check: all %d services up", good);
		console_settle();
		exit(0);
	}
	if (failed || now - t0 > CHECK_NS ||
	    (g.man.nerr && running + failed == good)) {
		say("boot check failed: %d manifest errors, %d of %d services "
		    "up, %d failed",
		    g.man.nerr, running, good, failed);
		for (int i = 0; i < g.man.n; i++)
			say("  %s: %s (generation %llu)", g.man.svc[i].name,
			    sup_state_name(g.sup.s[i].state),
			    (unsigned long long)g.sup.s[i].generation);
		console_settle();
		exit(1);
	}
	return t0 + CHECK_NS;
}

static void banner(int argc)
{
	struct kernel_stats ks;
	if (!g.sysinfo || sys_kernel_stats(g.sysinfo, &ks) < 0)
		return;
	say("exec-rt user space is up: %llu CPUs, %llu of %llu MiB free, "
	    "%d argument%s",
	    (unsigned long long)ks.cpus_online,
	    (unsigned long long)(ks.frames_free >> 8),
	    (unsigned long long)(ks.frames_total >> 8), argc - 1,
	    argc == 2 ? "" : "s");
}

int main(int argc, char **argv)
{
	const struct start_info *si = execrt_start_info();
	bool check = false;
	g.manifest_path = DEFAULT_MANIFEST;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--manifest") && i + 1 < argc)
			g.manifest_path = argv[++i];
		else if (!strcmp(argv[i], "--boot-check"))
			check = true;
	}
	g.self = slot(si, START_H_SELF_TASK);
	g.kconsole = slot(si, START_H_CONSOLE);
	g.initrd_vmo = slot(si, START_H_INITRD);
	g.bootinfo_vmo = slot(si, START_H_BOOTINFO);
	g.acpi_vmo = slot(si, START_H_ACPI);
	g.sysinfo = slot(si, START_H_SYSINFO);
	g.ioport = slot(si, START_H_IOPORT);
	g.mmio = slot(si, START_H_MMIO);
	g.irq = slot(si, START_H_IRQ);
	g.dma = slot(si, START_H_DMA);
	g.pci = slot(si, START_H_PCI);
	g.sched = slot(si, START_H_SCHED);
	g.telemetry = slot(si, START_H_TELEMETRY);
	banner(argc);
	load_initrd();
	load_bootinfo();
	if (!load_manifest())
		return 1;
	if (!setup_ports()) {
		say("cannot create its ports");
		return 1;
	}
	uint64_t t0 = (uint64_t)sys_clock_now();
	sup_init(&g.sup, &g.man, &ops_noted, NULL, t0);
	for (;;) {
		uint64_t now = (uint64_t)sys_clock_now();
		uint64_t next = sup_step(&g.sup, now);
		uint64_t t = boot_progress(now, check, t0);
		if (t < next)
			next = t;
		if (!g.names_ready && names_up() && now >= g.names_retry_ns) {
			names_setup();
			g.names_retry_ns = now + NAMES_RETRY_NS;
		}
		if (g.log_pending)
			next = DEADLINE_POLL;
		uint64_t bits = 0;
		long r = sys_notif_wait(g.notif, ~0ull, next, &bits);
		if (r < 0 && r != ERR_TIMED_OUT && r != ERR_SHOULD_WAIT) {
			say("notification wait: %s", err_name(r));
			return 1;
		}
		if (bits & BITS_SVC)
			svc_reap(bits);
		if ((bits & BIT_LOGS) || g.log_pending)
			logd_drain();
		if (bits & BIT_INIT_PORT)
			serve();
	}
}
