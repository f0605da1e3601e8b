/* guest-init-svc: a service for the supervisor's guest tests (t_init.c),
 * started by a child init from a test manifest.
 *   crash             faults at once (a null write)
 *   serve NAME        registers NAME with names and answers calls:
 *                     {"cmd":"ping"}; {"cmd":"crash_in","usec":N} keeps
 *                     the call open, sleeps N us, then faults
 *   flood N           prints N lines "flood line %04d" then sleeps
 *                     (N = 0: prints for ever)
 *   probe NAME        like serve, and {"cmd":"probe"} answers what this
 *                     task holds and what its authorities let it do:
 *                     {"slots":[[type,rights],...16],"io_in":R,
 *                     "io_out_of_range":R,"io_power":R,"irq_other":R,
 *                     "irq_own":R,"rt_over":R,"rt_within":R,
 *                     "self_koid":K,"mmio_koid":K} (R: 0 or the
 *                     kernel's error)
 * Every serving mode also answers {"cmd":"vmgr"} with vmgr's endpoint
 * attached: it connects (as itself) and answers {"limit":L,"over":R,
 * "within":R,"after":A}: its ledger limit, a buffer of L + 4K and one of
 * L (R: 0 or the error), and the limit after it tried to raise its own
 * (VMGR_SET_LIMIT sent on its connection and on /svc/vmgr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/runtime.h>
#include <execrt/sys.h>

#include <execrt/vmgr_proto.h>

#include "cl_ports.h"
#include "vmgr_client.h"

static void crash(void)
{
	*(volatile int *)0 = 1;
}

static bool probing;

/* What the start handles are and what they allow (t_init.c
 * init_service_gets_only_its_grants). */
static void probe(handle_t reply)
{
	static char out[1400];
	size_t n = (size_t)snprintf(out, sizeof(out), "{\"slots\":[");
	for (int i = 0; i < START_H_COUNT; i++) {
		struct handle_info hi = {0};
		handle_t h = execrt_handle(i);
		if (h != HANDLE_INVALID && sys_handle_info(h, &hi) < 0)
			hi.type = 0xff;
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s[%u,%u]",
				      i ? "," : "", hi.type, hi.rights);
	}
	handle_t io = execrt_handle(START_H_IOPORT);
	handle_t irq = execrt_handle(START_H_IRQ);
	handle_t sched = execrt_handle(START_H_SCHED);
	handle_t nt = HANDLE_INVALID, ih = HANDLE_INVALID;
	long io_in = sys_ioport_io(io, 0x2ff, 1, 0); /* COM2 scratch */
	long io_oor = sys_ioport_io(io, 0x60, 1, 0);
	long io_pw = sys_ioport_io(io, 0x604, 2, 0);
	long irq_other = ERR_BAD_HANDLE, irq_own = ERR_BAD_HANDLE;
	if (sys_notif_create(&nt) == 0) {
		irq_other = sys_irq_create(irq, 1, nt, 1, &ih);
		if (irq_other == 0)
			sys_handle_close(ih);
		irq_own = sys_irq_create(irq, 3, nt, 1, &ih);
		if (irq_own == 0)
			sys_handle_close(ih);
		sys_handle_close(nt);
	}
	struct sched_params over = {
		.cls = SCHED_CLASS_RT, .priority = 90, .cpu = SCHED_CPU_KEEP};
	struct sched_params within = {
		.cls = SCHED_CLASS_RT, .priority = 3, .cpu = SCHED_CPU_KEEP};
	handle_t self = execrt_handle(START_H_SELF_THREAD);
	long rt_over = sys_sched_set(sched, self, &over);
	long rt_within = sys_sched_set(sched, self, &within);
	struct sched_params be = {.cls = SCHED_CLASS_BE,
				  .weight = SCHED_BE_WEIGHT_DEFAULT,
				  .cpu = SCHED_CPU_KEEP};
	sys_sched_set(sched, self, &be);
	/* "pci 00:01.0": that function, no other. */
	uint32_t id = 0;
	long pci_own =
		sys_pci_cfg_read(execrt_handle(START_H_PCI), 0x08, 0, 4, &id);
	long pci_other =
		sys_pci_cfg_read(execrt_handle(START_H_PCI), 0, 0, 4, &id);
	struct handle_info me = {0}, mm = {0};
	sys_handle_info(execrt_handle(START_H_SELF_TASK), &me);
	sys_handle_info(execrt_handle(START_H_MMIO), &mm);
	snprintf(out + n, sizeof(out) - n,
		 "],\"io_in\":%ld,\"io_out_of_range\":%ld,\"io_power\":%ld,"
		 "\"irq_other\":%ld,\"irq_own\":%ld,\"rt_over\":%ld,"
		 "\"rt_within\":%ld,\"self_koid\":%llu,\"mmio_koid\":%llu,"
		 "\"pci_own\":%ld,\"pci_other\":%ld}",
		 io_in < 0 ? io_in : 0, io_oor, io_pw, irq_other, irq_own,
		 rt_over, rt_within, (unsigned long long)me.koid,
		 (unsigned long long)mm.koid, pci_own, pci_other);
	cl_reply_ok(reply, out, NULL, 0);
}

static long vmgr_limit(struct vmgr_client *c, uint64_t *limit)
{
	struct vmgr_req rq = {.op = VMGR_INFO};
	struct vmgr_resp rs = {0};
	struct port_msg m = {.data = &rq, .len = sizeof(rq)};
	struct port_rx rx = {.buf = &rs, .cap = sizeof(rs)};
	long r = sys_port_call(c->conn, &m, &rx,
			       (uint64_t)sys_clock_now() + 5000000000ull);
	*limit = rs.val;
	return r ? r : rs.err;
}

/* Sends VMGR_SET_LIMIT(own koid, 1 GiB) on ep: vmgr must ignore it. */
static void try_raise(handle_t ep)
{
	struct handle_info hi = {0};
	sys_handle_info(execrt_handle(START_H_SELF_TASK), &hi);
	struct vmgr_req rq = {
		.op = VMGR_SET_LIMIT, .a = hi.koid, .b = 1ull << 30};
	struct port_msg m = {.data = &rq, .len = sizeof(rq)};
	sys_port_send(ep, &m, DEADLINE_POLL);
}

static void vmgr_check(handle_t svc, handle_t reply)
{
	static char out[256];
	struct vmgr_client c;
	uint64_t limit = 0, after = 0, id;
	long r = vmgr_client_attach(&c, svc);
	if (r) {
		sys_handle_close(svc);
		cl_reply_error(reply, "VMGR", err_name(r));
		return;
	}
	long lr = vmgr_limit(&c, &limit);
	handle_t g = 0;
	long over = vmgr_buffer(&c, limit + 4096, &g, &id);
	if (!over) {
		sys_handle_close(g);
		vmgr_release(&c, id);
	}
	long within = vmgr_buffer(&c, limit, &g, &id);
	if (!within) {
		sys_handle_close(g);
		vmgr_release(&c, id);
	}
	try_raise(c.conn);
	try_raise(c.svc);
	if (!lr)
		lr = vmgr_limit(&c, &after); /* after both sends: in order */
	vmgr_client_close(&c);
	snprintf(out, sizeof(out),
		 "{\"limit\":%llu,\"over\":%ld,\"within\":%ld,\"after\":%llu,"
		 "\"err\":%ld}",
		 (unsigned long long)limit, over, within,
		 (unsigned long long)after, lr);
	cl_reply_ok(reply, out, NULL, 0);
}

static int serve(const char *name)
{
	handle_t recv, send;
	if (sys_port_create(0, &recv, &send) < 0)
		return 2;
	if (cl_register(name, send) != CL_OK)
		return 3;
	static char buf[PORT_MSG_MAX + 1];
	static struct json_doc d;
	for (;;) {
		handle_t h[PORT_HANDLES_MAX];
		struct port_rx rx = {.buf = buf,
				     .cap = PORT_MSG_MAX,
				     .handles = h,
				     .hcap = PORT_HANDLES_MAX};
		if (sys_port_recv(recv, &rx, DEADLINE_NONE) < 0)
			return 4;
		for (uint32_t i = 1; i < rx.nhandles; i++)
			sys_handle_close(h[i]);
		handle_t h0 = rx.nhandles ? h[0] : HANDLE_INVALID;
		if (!rx.reply) {
			sys_handle_close(h0);
			continue;
		}
		buf[rx.len] = 0;
		uint64_t usec = 0;
		if (json_parse(&d, buf, rx.len) < 0) {
			cl_reply_error(rx.reply, "BAD_JSON", "not JSON");
		} else if (h0 &&
			   json_str_eq(&d, json_find(&d, 0, "cmd"), "vmgr")) {
			vmgr_check(h0, rx.reply);
			h0 = HANDLE_INVALID; /* vmgr_check's */
		} else if (probing &&
			   json_str_eq(&d, json_find(&d, 0, "cmd"), "probe")) {
			probe(rx.reply);
		} else if (json_str_eq(&d, json_find(&d, 0, "cmd"), "ping")) {
			cl_reply_ok(rx.reply, "{\"name\":\"guest-init-svc\"}",
				    NULL, 0);
		} else if (json_str_eq(&d, json_find(&d, 0, "cmd"),
				       "crash_in") &&
			   json_get_uint(&d, "usec", &usec) == 0) {
			sys_sleep_until((uint64_t)sys_clock_now() +
					usec * 1000);
			crash(); /* with the call still open */
		} else {
			cl_reply_error(rx.reply, "BAD_CMD", "unknown cmd");
		}
		if (h0)
			sys_handle_close(h0);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "crash")) {
		crash();
	} else if (argc >= 3 && !strcmp(argv[1], "serve")) {
		return serve(argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "probe")) {
		probing = true;
		return serve(argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "flood")) {
		int n = atoi(argv[2]); /* 0: for ever */
		for (int i = 0; i < n || n == 0; i++)
			printf("flood line %04d\n", i);
		fflush(stdout);
		sys_sleep_until(DEADLINE_NONE);
	}
	printf("usage: guest-init-svc crash | serve NAME | probe NAME | "
	       "flood N\n");
	return 2;
}
