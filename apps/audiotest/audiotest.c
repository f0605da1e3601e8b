/* audiotest: plays a sine straight into /svc/audio (no mixer), keeping
 * the driver's ring filled from its period notices. The driver's end to
 * end test (docs/audio.md "Drivers"): the host records what QEMU played
 * (-audiodev wav) and looks for the tone.
 *
 *   audiotest [SECONDS [HZ [PERIOD_FRAMES [PERIODS]]]]   (2 440 256 4)
 *
 * Prints one line "audiotest: ok frames=F periods=P xruns=X notices=N
 * late=L" at the end (late: notices that found the device already past
 * what this client had written: it was too slow; the driver's xruns count
 * the periods that were played stale; busy=1: a second connection's OPEN
 * was refused with ERR_ALREADY_EXISTS while this stream was open). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/audio_proto.h>
#include <execrt/errors.h>
#include <execrt/rights.h>
#include <execrt/runtime.h>
#include <execrt/sys.h>

#include "cl_ports.h"

#define AMP 16384.0 /* -6.02 dBFS */

static handle_t conn;

/* One call on the connection: the answer's data into out (cap bytes),
 * handles into h (hcap). err or val. */
static long call(handle_t ep, const struct audio_req *q, const handle_t *hin,
		 uint32_t nin, void *out, uint32_t cap, handle_t *h,
		 uint32_t hcap, uint64_t *val)
{
	_Alignas(8) uint8_t ans[sizeof(struct audio_resp) + 256];
	handle_t hs[4];
	memcpy(hs, hin, nin * sizeof(*hin));
	struct port_msg m = {
		.data = q, .len = sizeof(*q), .nhandles = nin, .handles = hs};
	struct port_rx rx = {
		.buf = ans, .cap = sizeof(ans), .handles = h, .hcap = hcap};
	long r = sys_port_call(ep, &m, &rx,
			       (uint64_t)sys_clock_now() + 5000000000ull);
	if (r < 0)
		return r;
	struct audio_resp a;
	if (rx.len < sizeof(a))
		return ERR_NOT_SUPPORTED;
	memcpy(&a, ans, sizeof(a));
	if (a.err < 0)
		return a.err;
	if (out)
		memcpy(out, ans + sizeof(a), a.len < cap ? a.len : cap);
	if (val)
		*val = a.val;
	return (long)rx.nhandles;
}

static long op(uint32_t o, void *out, uint32_t cap)
{
	struct audio_req q = {.op = o};
	return call(conn, &q, NULL, 0, out, cap, NULL, 0, NULL);
}

/* sin and cos of a small angle (|x| < 1) by their series. */
static void sincos_small(double x, double *s, double *c)
{
	double x2 = x * x;
	*s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))));
	*c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56)));
}

/* The tone as a rotating phasor, renormalised now and then. */
static double ps, pc = 1, ws, wc;

static int16_t next_sample(void)
{
	double s = ps * wc + pc * ws, c = pc * wc - ps * ws;
	double n = s * s + c * c; /* ~1: one Newton step to 1 */
	n = (3 - n) / 2;
	ps = s * n;
	pc = c * n;
	return (int16_t)(ps * AMP);
}

int main(int argc, char **argv)
{
	uint32_t secs = argc > 1 ? (uint32_t)atoi(argv[1]) : 2;
	uint32_t hz = argc > 2 ? (uint32_t)atoi(argv[2]) : 440;
	uint32_t pf = argc > 3 ? (uint32_t)atoi(argv[3]) : 256;
	uint32_t np = argc > 4 ? (uint32_t)atoi(argv[4]) : 4;
	struct cl_conn svc;
	if (cl_connect(AUDIO_SVC_NAME,
		       (uint64_t)sys_clock_now() + 10000000000ull,
		       &svc) != CL_OK) {
		printf("audiotest: no %s\n", AUDIO_SVC_NAME);
		return 1;
	}
	struct audio_req q = {.op = AUDIO_CONNECT, .a = AUDIO_PROTO_VERSION};
	handle_t got[4];
	long r = call(svc.send, &q, NULL, 0, NULL, 0, got, 4, NULL);
	if (r != 1) {
		printf("audiotest: connect: %s\n", err_name(r < 0 ? r : -1));
		return 1;
	}
	conn = got[0];
	struct audio_info info;
	if ((r = op(AUDIO_INFO, &info, sizeof(info))) < 0) {
		printf("audiotest: info: %s\n", err_name(r));
		return 1;
	}
	printf("audiotest: device %s rates 0x%x period %u..%u\n", info.name,
	       info.rates, info.period_min, info.period_max);
	handle_t recv, send;
	if ((r = sys_port_create(0, &recv, &send)) < 0)
		return 1;
	q = (struct audio_req){.op = AUDIO_OPEN,
			       .fmt = {.rate = 48000,
				       .channels = 2,
				       .format = AUDIO_FMT_S16LE,
				       .period_frames = pf,
				       .periods = np}};
	struct audio_ring ring;
	r = call(conn, &q, &send, 1, &ring, sizeof(ring), got, 4, NULL);
	if (r != 1) {
		printf("audiotest: open: %s\n", err_name(r < 0 ? r : -1));
		return 1;
	}
	/* one stream per device: a second connection's OPEN is refused */
	int busy = 0;
	q.op = AUDIO_CONNECT;
	q.a = AUDIO_PROTO_VERSION;
	if (call(svc.send, &q, NULL, 0, NULL, 0, got + 1, 1, NULL) == 1) {
		struct audio_req q2 = {.op = AUDIO_OPEN, .fmt = ring.fmt};
		busy = call(got[1], &q2, NULL, 0, NULL, 0, NULL, 0, NULL) ==
		       ERR_ALREADY_EXISTS;
		sys_handle_close(got[1]);
	}
	uint64_t map;
	r = sys_grant_map(execrt_handle(START_H_SELF_TASK), got[0],
			  VM_PROT_READ | VM_PROT_WRITE, 0, &map);
	if (r < 0) {
		printf("audiotest: map: %s\n", err_name(r));
		return 1;
	}
	int16_t *buf = (int16_t *)map;
	pf = ring.fmt.period_frames;
	np = ring.fmt.periods;
	uint64_t ring_frames = (uint64_t)pf * np;
	sincos_small(6.283185307179586 * hz / ring.fmt.rate, &ws, &wc);
	/* fill the whole ring, then keep it full from each notice */
	uint64_t written = 0;
	for (; written < ring_frames; written++)
		buf[2 * written] = buf[2 * written + 1] = next_sample();
	if ((r = op(AUDIO_START, NULL, 0)) < 0) {
		printf("audiotest: start: %s\n", err_name(r));
		return 1;
	}
	uint64_t end = (uint64_t)secs * ring.fmt.rate, notices = 0, late = 0;
	uint64_t frames = 0;
	while (frames < end) {
		struct audio_period_msg m;
		struct port_rx rx = {.buf = &m, .cap = sizeof(m)};
		r = sys_port_recv(recv, &rx,
				  (uint64_t)sys_clock_now() + 1000000000ull);
		if (r < 0) {
			printf("audiotest: no period notice: %s\n",
			       err_name(r));
			return 1;
		}
		if (rx.len != sizeof(m) || m.magic != AUDIO_PERIOD_MAGIC)
			continue;
		notices++;
		frames = m.frames;
		/* the device plays period m.period now: fill up to it */
		uint64_t upto = m.period * pf + ring_frames;
		if (written < m.frames) /* it played what was not written */
			late++;
		for (; written < upto; written++) {
			uint64_t i = written % ring_frames;
			buf[2 * i] = buf[2 * i + 1] = next_sample();
		}
	}
	if ((r = op(AUDIO_STOP, NULL, 0)) < 0)
		printf("audiotest: stop: %s\n", err_name(r));
	struct audio_pos pos = {0};
	op(AUDIO_POSITION, &pos, sizeof(pos));
	op(AUDIO_CLOSE, NULL, 0);
	printf("audiotest: ok frames=%llu periods=%llu xruns=%llu notices=%llu "
	       "late=%llu busy=%d\n",
	       (unsigned long long)pos.frames, (unsigned long long)pos.periods,
	       (unsigned long long)pos.xruns, (unsigned long long)notices,
	       (unsigned long long)late, busy);
	return 0;
}
