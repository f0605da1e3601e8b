/* Interrupts in user space: the suite, as the root task, holds the IRQ and
 * I/O-port authorities; it programs QEMU's PIT (ISA IRQ 0, which QEMU's
 * MADT overrides to GSI 2) for one-shot interrupts and receives them as
 * notification bits. Also the argument, rights and range checks. */
#include "gtest.h"
#include "gutil.h"

#define PIT_GSI 2 /* ISA IRQ 0 on QEMU (MADT override) */
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define IRQ_BIT (1ull << 9)

static handle_t irq_auth(void)
{
	return execrt_handle(START_H_IRQ);
}

static handle_t io_auth(void)
{
	return execrt_handle(START_H_IOPORT);
}

static long outb_(uint16_t port, uint8_t v)
{
	return sys_ioport_io(io_auth(), port, 1 | IOPORT_OUT, v);
}

/* Channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count): one
 * rising edge on IRQ 0 after `count` ticks of 1.193182 MHz. */
static long pit_oneshot(uint16_t count)
{
	long r = outb_(PIT_CMD, 0x30);
	if (!r)
		r = outb_(PIT_CH0, count & 0xff);
	if (!r)
		r = outb_(PIT_CH0, count >> 8);
	return r;
}

GTEST(irq_pit_interrupt_reaches_user_thread)
{
	handle_t n, irq;
	uint64_t b1 = 0, b2 = 0, b3 = 0;
	struct handle_info info;
	GCHECK_OK(sys_notif_create(&n));
	long c = sys_irq_create(irq_auth(), PIT_GSI, n, IRQ_BIT, &irq);
	if (c) {
		sys_handle_close(n);
		GCHECK_OK(c);
	}
	GCHECK_OK(sys_handle_info(irq, &info));
	/* First interrupt: ~2 ms. */
	uint64_t t0 = g_now();
	long p1 = pit_oneshot(1193 * 2);
	long w1 = sys_notif_wait(n, IRQ_BIT, t0 + 1000 * MS, &b1);
	uint64_t lat = g_now() - t0;
	/* Not acknowledged: the line is masked, a new one-shot stays out. */
	long p2 = pit_oneshot(1193);
	long w2 = sys_notif_wait(n, IRQ_BIT, g_now() + 20 * MS, &b2);
	/* Acknowledged: the next one arrives. */
	long a1 = sys_irq_ack(irq);
	long p3 = pit_oneshot(1193 * 2);
	long w3 = sys_notif_wait(n, IRQ_BIT, g_now() + 1000 * MS, &b3);
	long a2 = sys_irq_ack(irq);
	long a3 = sys_irq_ack(irq); /* not masked: harmless */
	GCHECK_OK(sys_handle_close(irq));
	/* Closed: the line is masked again, nothing more arrives. */
	pit_oneshot(1193);
	long w4 = sys_notif_wait(n, IRQ_BIT, g_now() + 10 * MS, &b2);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_EQ(info.type, OBJ_IRQ);
	GCHECK_EQ(info.rights, RIGHT_WRITE | RIGHT_DUPLICATE | RIGHT_TRANSFER);
	GCHECK_OK(p1);
	GCHECK_OK(w1);
	GCHECK_EQ(b1, IRQ_BIT);
	GCHECK_OK(p2);
	GCHECK_ERR(w2, ERR_TIMED_OUT);
	GCHECK_OK(a1);
	GCHECK_OK(p3);
	GCHECK_OK(w3);
	GCHECK_EQ(b3, IRQ_BIT);
	GCHECK_OK(a2);
	GCHECK_OK(a3);
	GCHECK_ERR(w4, ERR_TIMED_OUT);
	printf("    PIT IRQ0 -> GSI %d -> notification after %llu us\n",
	       PIT_GSI, (unsigned long long)(lat / 1000));
}

GTEST(irq_create_checks)
{
	handle_t n, irq, irq2, no_manage, no_signal, ro;
	GCHECK_OK(sys_notif_create(&n));
	no_manage = g_dup(irq_auth(), RIGHTS_BASIC);
	no_signal = g_dup(n, RIGHT_WAIT | RIGHT_DUPLICATE);
	long e_bits = sys_irq_create(irq_auth(), PIT_GSI, n, 0, &irq);
	long e_fault = sys_irq_create(irq_auth(), PIT_GSI, n, 1,
				      (handle_t *)KERNEL_PTR);
	long e_kind = sys_irq_create(io_auth(), PIT_GSI, n, 1, &irq);
	long e_type = sys_irq_create(n, PIT_GSI, n, 1, &irq);
	long e_range = sys_irq_create(irq_auth(), 256, n, 1, &irq);
	long e_noline = sys_irq_create(irq_auth(), 200, n, 1, &irq);
	long e_manage = sys_irq_create(no_manage, PIT_GSI, n, 1, &irq);
	long e_signal = sys_irq_create(irq_auth(), PIT_GSI, no_signal, 1, &irq);
	long e_ntype = sys_irq_create(irq_auth(), PIT_GSI, g_self(), 1, &irq);
	long ok = sys_irq_create(irq_auth(), PIT_GSI, n, 1, &irq);
	long e_twice = sys_irq_create(irq_auth(), PIT_GSI, n, 2, &irq2);
	ro = ok ? HANDLE_INVALID : g_dup(irq, RIGHT_DUPLICATE);
	long e_ack_rights = sys_irq_ack(ro);
	long e_ack_type = sys_irq_ack(n);
	long c1 = ok ? ok : sys_handle_close(irq);
	/* A handle is left: the line stays taken. */
	long e_left = sys_irq_create(irq_auth(), PIT_GSI, n, 1, &irq2);
	if (ro)
		sys_handle_close(ro);
	/* The last one closed: the vector and the GSI are free again. */
	long again = sys_irq_create(irq_auth(), PIT_GSI, n, 1, &irq2);
	long c2 = again ? again : sys_handle_close(irq2);
	sys_handle_close(no_manage);
	sys_handle_close(no_signal);
	GCHECK_OK(sys_handle_close(n));
	GCHECK_ERR(e_bits, ERR_INVALID_ARGS);
	GCHECK_ERR(e_fault, ERR_FAULT);
	GCHECK_ERR(e_kind, ERR_WRONG_TYPE);
	GCHECK_ERR(e_type, ERR_WRONG_TYPE);
	GCHECK_ERR(e_range, ERR_OUT_OF_RANGE);
	GCHECK_ERR(e_noline, ERR_OUT_OF_RANGE);
	GCHECK_ERR(e_manage, ERR_ACCESS_DENIED);
	GCHECK_ERR(e_signal, ERR_ACCESS_DENIED);
	GCHECK_ERR(e_ntype, ERR_WRONG_TYPE);
	GCHECK_OK(ok);
	GCHECK_ERR(e_twice, ERR_ALREADY_EXISTS);
	GCHECK_ERR(e_ack_rights, ERR_ACCESS_DENIED);
	GCHECK_ERR(e_ack_type, ERR_WRONG_TYPE);
	GCHECK_OK(c1);
	GCHECK_ERR(e_left, ERR_ALREADY_EXISTS);
	GCHECK_OK(again);
	GCHECK_OK(c2);
}

GTEST(ioport_io_checks)
{
	handle_t ro = g_dup(io_auth(), RIGHT_READ);
	/* CMOS index/data: a harmless read of register 0x0a (status A). */
	long w = sys_ioport_io(io_auth(), 0x70, 1 | IOPORT_OUT, 0x8a);
	long r = sys_ioport_io(io_auth(), 0x71, 1, 0);
	long e_op = sys_ioport_io(io_auth(), 0x70, 3, 0);
	long e_flags = sys_ioport_io(io_auth(), 0x70, 1 | 0x200, 0);
	long e_port = sys_ioport_io(io_auth(), 0x10000, 1, 0);
	long e_end = sys_ioport_io(io_auth(), 0xfffe, 4, 0);
	long e_val = sys_ioport_io(io_auth(), 0x80, 1 | IOPORT_OUT, 0x100);
	long e_kind = sys_ioport_io(irq_auth(), 0x71, 1, 0);
	long e_type = sys_ioport_io(g_self(), 0x71, 1, 0);
	long e_write = sys_ioport_io(ro, 0x80, 1 | IOPORT_OUT, 0);
	long ok_read = sys_ioport_io(ro, 0x71, 1, 0);
	sys_handle_close(ro);
	GCHECK_OK(w);
	GCHECK(r >= 0 && r <= 0xff);
	GCHECK_ERR(e_op, ERR_INVALID_ARGS);
	GCHECK_ERR(e_flags, ERR_INVALID_ARGS);
	GCHECK_ERR(e_port, ERR_OUT_OF_RANGE);
	GCHECK_ERR(e_end, ERR_OUT_OF_RANGE);
	GCHECK_ERR(e_val, ERR_OUT_OF_RANGE);
	GCHECK_ERR(e_kind, ERR_WRONG_TYPE);
	GCHECK_ERR(e_type, ERR_WRONG_TYPE);
	GCHECK_ERR(e_write, ERR_ACCESS_DENIED);
	GCHECK(ok_read >= 0 && ok_read <= 0xff);
}
