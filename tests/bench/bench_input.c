/* Input figures (docs/input.md "Latency"): a key from the PS/2 controller
 * to a subscriber of the input hub. QMP cannot inject deterministically
 * under -icount, so the benchmark injects from inside the guest: the
 * 8042's command 0xD2 puts a byte in its output buffer as if the keyboard
 * had sent it, and the controller raises IRQ 1 for it. The whole path
 * runs for real: IRQ object -> the i8042 driver task (decode, stamp,
 * one-way send) -> inputd (stamp, keysym, queue) -> this task's INPUT_READ.
 * inputd and i8042 run as child tasks (`inputd --port`, `i8042 --hub`;
 * no name service needed). Printed: injection to subscriber in TSC cycles
 * (guest instructions under icount), and the driver's time stamp (taken
 * when the IRQ woke it) to the subscriber's receive, in ns. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <execrt/cpio.h>
#include <execrt/input_keys.h>
#include <execrt/input_proto.h>
#include <execrt/spawn.h>
#include <execrt/sys.h>

#include "../guest/gutil.h"
#include "bench.h"
#include "input_client.h"

#define KEYS	201
#define DEV_PUB 1ull /* inputd --port: the drivers' badge */

static struct execrt_child hub, drv;
static handle_t sub;

static long spawn(struct execrt_child *c, const char *prog, handle_t extra,
		  const char *fmt, const handle_t give[START_H_COUNT])
{
	struct cpio_file f;
	char path[64], cmd[128];
	snprintf(path, sizeof(path), "bin/%s", prog);
	if (cpio_find(g_initrd_buf, g_initrd_len, path, &f) != CPIO_OK)
		return ERR_NOT_FOUND;
	long r = execrt_spawn_create(prog, 4ull << 20, c);
	if (r < 0)
		return r;
	handle_t xv;
	if ((r = sys_task_give_handle(c->task, extra, RIGHT_SAME, &xv)) < 0)
		goto fail;
	snprintf(cmd, sizeof(cmd), fmt, prog, xv);
	struct execrt_spawn_args a = {.image = f.data,
				      .image_len = f.size,
				      .cmdline = cmd,
				      .quota = 4ull << 20};
	memcpy(a.give, give, sizeof(a.give));
	a.give[START_H_CONSOLE] = g_console();
	int perr = 0;
	if ((r = execrt_spawn_start(c, &a, &perr)) < 0)
		goto fail;
	return 0;
fail:
	execrt_spawn_abort(c);
	return r;
}

/* inputd and the PS/2 driver with exactly the authority they need. */
static long start(void)
{
	handle_t recv, pub, devpub, dup, io = 0, irq = 0;
	handle_t give[START_H_COUNT] = {0};
	long r;
	if ((r = sys_port_create(0, &recv, &pub)) < 0)
		return r;
	if ((r = sys_port_mint(recv, DEV_PUB, &devpub)) < 0 ||
	    (r = spawn(&hub, "inputd", recv, "%s --port %u", give)) < 0)
		return r;
	if ((r = input_subscribe(pub, &sub, NULL)) < 0)
		return r;
	sys_handle_close(pub);
	/* ISA IRQ 1 and 12 are GSIs 1 and 12 on QEMU's pc and q35. */
	if ((r = sys_resource_derive(execrt_handle(START_H_IOPORT), 0x60, 5,
				     RIGHT_SAME, &io)) < 0 ||
	    (r = sys_resource_derive(execrt_handle(START_H_IRQ), 1, 12,
				     RIGHT_SAME, &irq)) < 0)
		return r;
	give[START_H_IOPORT] = io;
	give[START_H_IRQ] = irq;
	give[START_H_BOOTINFO] = execrt_handle(START_H_BOOTINFO);
	if ((r = sys_handle_dup(devpub, RIGHT_SAME, &dup)) < 0)
		return r;
	r = spawn(&drv, "i8042", dup, "%s isa-i8042 --hub %u", give);
	sys_handle_close(io);
	sys_handle_close(irq);
	sys_handle_close(devpub);
	return r;
}

static bool put(handle_t io, unsigned port, uint8_t v)
{
	uint64_t end = g_now() + 50 * MS;
	while (sys_ioport_io(io, 0x64, 1, 0) & 0x02) /* input buffer full */
		if (g_now() > end)
			return false;
	return sys_ioport_io(io, port, 1 | IOPORT_OUT, v) == 0;
}

/* The next key event (others skipped) within 1 s: 0, or an error. */
static long next_key(struct input_event *k)
{
	static struct input_event ev[INPUT_BATCH_MAX];
	static long n, i;
	uint64_t end = g_now() + 1000 * MS;
	for (;;) {
		for (; i < n; i++)
			if (ev[i].type == INPUT_EV_KEY) {
				*k = ev[i++];
				return 0;
			}
		i = 0;
		n = input_read(sub, ev, INPUT_BATCH_MAX, 0, end);
		if (n < 0)
			return n;
	}
}

void input_benches(void)
{
	static uint64_t cyc[KEYS], ns[KEYS];
	handle_t io = execrt_handle(START_H_IOPORT);
	struct input_event k;
	uint32_t n = 0;
	long r;
	if (g_initrd_load() < 0 || (r = start()) < 0) {
		printf("bench: input: cannot start inputd + i8042\n");
		goto out;
	}
	/* The driver is ready once its keyboard is connected. */
	struct input_event ev[4];
	do
		r = input_read(sub, ev, 1, 0, g_now() + 2000 * MS);
	while (r == 1 && ev[0].code != INPUT_SYN_DEV_ADDED);
	if (r != 1) {
		printf("bench: input: i8042 did not connect (%ld)\n", r);
		goto out;
	}
	for (uint32_t i = 0; i < KEYS; i++) {
		uint8_t sc = (i & 1) ? 0x9e : 0x1e; /* 'a' down, up, ... */
		uint64_t t0 = bench_rdtsc();
		if (!put(io, 0x64, 0xd2) || !put(io, 0x60, sc)) {
			printf("bench: input: controller busy\n");
			goto out;
		}
		if ((r = next_key(&k)) < 0) {
			printf("bench: input: key %u lost (%ld)\n", i, r);
			goto out;
		}
		uint64_t t1 = bench_rdtsc(), now = g_now();
		if (k.code != INPUT_KEY_A || k.value != !(i & 1)) {
			printf("bench: input: wrong key %u/%d\n", k.code,
			       k.value);
			goto out;
		}
		if (i == 0)
			continue; /* warm-up */
		cyc[n] = t1 - t0;
		ns[n++] = now > k.time_ns ? now - k.time_ns : 0;
	}
	qsort(cyc, n, sizeof(cyc[0]), bench_cmp_u64);
	qsort(ns, n, sizeof(ns[0]), bench_cmp_u64);
	printf("bench: %-34s median %8llu  min %8llu  max %8llu cycles/op\n",
	       "input key 8042 -> subscriber", (unsigned long long)cyc[n / 2],
	       (unsigned long long)cyc[0], (unsigned long long)cyc[n - 1]);
	/* Goal: well inside a 1 kHz USB poll interval (1 ms), which is the
	 * input latency a user's hardware already adds. */
	printf("bench: %-34s median %8llu  min %8llu  max %8llu ns  goal <= "
	       "1000000 ns: %s\n",
	       "input driver stamp -> subscriber",
	       (unsigned long long)ns[n / 2], (unsigned long long)ns[0],
	       (unsigned long long)ns[n - 1],
	       ns[n / 2] <= 1000000 ? "met" : "over");
out:
	if (sub)
		sys_handle_close(sub);
	execrt_spawn_abort(&drv);
	execrt_spawn_abort(&hub);
}
