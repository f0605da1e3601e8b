/* SYS_RESOURCE_DERIVE (issue 10): a narrower resource of the same kind,
 * a sub-range with a subset of the rights; what it does not cover is
 * refused where the authority is used (SYS_IOPORT_IO, SYS_IRQ_CREATE). */
#include "gtest.h"
#include "gutil.h"

#define PIT_GSI 2 /* ISA IRQ 0 on QEMU (MADT override), as in t_irq.c */

static struct kernel_stats stats(void)
{
	struct kernel_stats ks = {0};
	g_stats(&ks);
	return ks;
}

GTEST(kern10_resource_ioport_narrowed)
{
	handle_t io = execrt_handle(START_H_IOPORT), cmos, ro;
	uint64_t used0 = stats().mem_used;
	GCHECK_OK(sys_resource_derive(io, 0x70, 2, RIGHT_SAME, &cmos));
	/* Charged to the caller like any object it makes. */
	uint64_t used1 = stats().mem_used;
	struct handle_info hi;
	GCHECK_OK(sys_handle_info(cmos, &hi));
	GCHECK_EQ(hi.type, OBJ_RESOURCE);
	GCHECK_EQ(hi.rights, RIGHTS_DEVICE_AUTH);
	/* Inside: the CMOS index (NMI stays disabled) and data ports. */
	long w = sys_ioport_io(cmos, 0x70, 1 | IOPORT_OUT, 0x8a);
	long r = sys_ioport_io(cmos, 0x71, 1, 0);
	/* Outside, or straddling its end. */
	long o1 = sys_ioport_io(cmos, 0x72, 1, 0);
	long o2 = sys_ioport_io(cmos, 0x6f, 1, 0);
	long o3 = sys_ioport_io(cmos, 0x71, 2, 0);
	long o4 = sys_ioport_io(cmos, 0x80, 1 | IOPORT_OUT, 0);
	/* A read-only narrowing of the narrowing. */
	long d2 = sys_resource_derive(cmos, 0x71, 1, RIGHT_READ, &ro);
	long rr = sys_ioport_io(ro, 0x71, 1, 0);
	long rw = sys_ioport_io(ro, 0x71, 1 | IOPORT_OUT, 0);
	long rx = sys_ioport_io(ro, 0x70, 1, 0);
	if (d2 == 0)
		sys_handle_close(ro);
	sys_handle_close(cmos);
	uint64_t used2 = stats().mem_used;
	GCHECK_OK(w);
	GCHECK(r >= 0);
	GCHECK_ERR(o1, ERR_OUT_OF_RANGE);
	GCHECK_ERR(o2, ERR_OUT_OF_RANGE);
	GCHECK_ERR(o3, ERR_OUT_OF_RANGE);
	GCHECK_ERR(o4, ERR_OUT_OF_RANGE);
	GCHECK_OK(d2);
	GCHECK(rr >= 0);
	GCHECK_ERR(rw, ERR_ACCESS_DENIED);
	GCHECK_ERR(rx, ERR_OUT_OF_RANGE);
	GCHECK(used1 > used0);
	GCHECK_EQ(used2, used0);
}

GTEST(kern10_resource_irq_narrowed)
{
	handle_t irqa = execrt_handle(START_H_IRQ), one, n, irq;
	GCHECK_OK(sys_notif_create(&n));
	GCHECK_OK(sys_resource_derive(irqa, PIT_GSI, 1, RIGHT_SAME, &one));
	long other = sys_irq_create(one, PIT_GSI + 1, n, 1, &irq);
	long below = sys_irq_create(one, PIT_GSI - 1, n, 1, &irq);
	long ok = sys_irq_create(one, PIT_GSI, n, 1, &irq);
	if (ok == 0)
		sys_handle_close(irq);
	/* A narrowed IRQ authority is no I/O-port authority. */
	long kind = sys_ioport_io(one, 0x71, 1, 0);
	sys_handle_close(one);
	sys_handle_close(n);
	GCHECK_ERR(other, ERR_OUT_OF_RANGE);
	GCHECK_ERR(below, ERR_OUT_OF_RANGE);
	GCHECK_OK(ok);
	GCHECK_ERR(kind, ERR_WRONG_TYPE);
}

GTEST(kern10_resource_derive_refusals)
{
	handle_t io = execrt_handle(START_H_IOPORT), cmos, ro, x = 0;
	GCHECK_OK(sys_resource_derive(io, 0x70, 2, RIGHT_SAME, &cmos));
	GCHECK_OK(sys_resource_derive(cmos, 0x70, 2,
				      RIGHT_READ | RIGHT_DUPLICATE, &ro));
	handle_t nodup = g_dup(cmos, RIGHTS_DEVICE_AUTH & ~RIGHT_DUPLICATE);
	handle_t v;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	uint64_t objs = stats().kobjects_live;
	long e[16];
	/* Widening, at either end or both. */
	e[0] = sys_resource_derive(cmos, 0x70, 3, RIGHT_SAME, &x);
	e[1] = sys_resource_derive(cmos, 0x6f, 2, RIGHT_SAME, &x);
	e[2] = sys_resource_derive(cmos, 0, 0x10000, RIGHT_SAME, &x);
	e[3] = sys_resource_derive(cmos, 0x72, 1, RIGHT_SAME, &x);
	/* Empty and wrapping ranges. */
	e[4] = sys_resource_derive(cmos, 0x70, 0, RIGHT_SAME, &x);
	e[5] = sys_resource_derive(io, ~0ull - 1, 4, RIGHT_SAME, &x);
	e[6] = sys_resource_derive(io, 0x70, ~0ull, RIGHT_SAME, &x);
	/* Rights: more than held, unknown bits, no DUPLICATE to derive. */
	e[7] = sys_resource_derive(ro, 0x70, 1, RIGHT_READ | RIGHT_WRITE, &x);
	e[8] = sys_resource_derive(ro, 0x70, 1, 0x1000, &x);
	e[9] = sys_resource_derive(nodup, 0x70, 1, RIGHT_READ, &x);
	/* Handles: not a resource, none, bits above 32. */
	e[10] = sys_resource_derive(v, 0, 0, RIGHT_SAME, &x);
	e[11] = sys_resource_derive(HANDLE_INVALID, 0, 0, RIGHT_SAME, &x);
	e[12] = execrt_syscall6(SYS_RESOURCE_DERIVE, (long)cmos | (1l << 32),
				0x70, 1, RIGHT_SAME, (long)&x, 0);
	/* A bad out pointer leaves no object and no handle. */
	e[13] = sys_resource_derive(cmos, 0x70, 1, RIGHT_SAME, NULL);
	e[14] = sys_resource_derive(cmos, 0x70, 1, RIGHT_SAME,
				    (handle_t *)KERNEL_PTR);
	uint64_t objs_after = stats().kobjects_live;
	sys_handle_close(v);
	sys_handle_close(nodup);
	sys_handle_close(ro);
	sys_handle_close(cmos);
	GCHECK_ERR(e[0], ERR_OUT_OF_RANGE);
	GCHECK_ERR(e[1], ERR_OUT_OF_RANGE);
	GCHECK_ERR(e[2], ERR_OUT_OF_RANGE);
	GCHECK_ERR(e[3], ERR_OUT_OF_RANGE);
	GCHECK_ERR(e[4], ERR_INVALID_ARGS);
	GCHECK_ERR(e[5], ERR_INVALID_ARGS);
	GCHECK_ERR(e[6], ERR_INVALID_ARGS);
	GCHECK_ERR(e[7], ERR_ACCESS_DENIED);
	GCHECK_ERR(e[8], ERR_INVALID_ARGS);
	GCHECK_ERR(e[9], ERR_ACCESS_DENIED);
	GCHECK_ERR(e[10], ERR_WRONG_TYPE);
	GCHECK_ERR(e[11], ERR_BAD_HANDLE);
	GCHECK_ERR(e[12], ERR_BAD_HANDLE);
	GCHECK_ERR(e[13], ERR_FAULT);
	GCHECK_ERR(e[14], ERR_FAULT);
	GCHECK_EQ(objs_after, objs);
	GCHECK_EQ(x, 0);
}

GTEST(kern10_resource_unranged_kinds)
{
	handle_t con = g_console(), si = g_sysinfo(), c2, s2, s3;
	long bad = sys_resource_derive(con, 0, 1, RIGHT_SAME, &c2);
	long bad2 = sys_resource_derive(con, 1, 0, RIGHT_SAME, &c2);
	GCHECK_OK(sys_resource_derive(con, 0, 0, RIGHT_WRITE, &c2));
	long wr = sys_debug_write(c2, "", 0);
	GCHECK_OK(sys_resource_derive(si, 0, 0, RIGHT_SAME, &s2));
	GCHECK_OK(sys_resource_derive(si, 0, 0, RIGHT_DUPLICATE, &s3));
	struct kernel_stats ks;
	long st_ok = sys_kernel_stats(s2, &ks);
	long st_no = sys_kernel_stats(s3, &ks);
	/* A console is still no sysinfo. */
	long st_kind = sys_kernel_stats(c2, &ks);
	sys_handle_close(c2);
	sys_handle_close(s2);
	sys_handle_close(s3);
	GCHECK_ERR(bad, ERR_INVALID_ARGS);
	GCHECK_ERR(bad2, ERR_INVALID_ARGS);
	GCHECK_OK(wr);
	GCHECK_OK(st_ok);
	GCHECK_ERR(st_no, ERR_ACCESS_DENIED);
	GCHECK_ERR(st_kind, ERR_WRONG_TYPE);
}
