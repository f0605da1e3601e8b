/* User x87/SSE state. The kernel never touches these registers
 * (-mgeneral-regs-only), so only user threads own state, and it is saved
 * and loaded eagerly on every switch between them (thread.c). With XSAVE
 * and XSAVEOPT (CPUID), the state is kept in the XSAVE format and saved
 * with XSAVEOPT, which skips components that are in their initial state
 * or unmodified since this thread's XRSTOR; without them (-cpu qemu64),
 * FXSAVE/FXRSTOR. Only x87 and SSE are enabled in XCR0, as with FXSAVE
 * (AVX stays off: user code gets #UD, as before). "fpu=fxsave" on the
 * command line forces the old way (for comparing, and to test it on a CPU
 * that has XSAVE).
 *
 * Why not lazy (CR0.TS, restore on the first #NM): under make bench's
 * -icount figures an eager save + load is 2 instructions per switch,
 * while setting TS costs 2-3 and every #NM a full trap (~150), and the
 * user threads here (musl, gcc's SSE moves) use SSE in nearly every time
 * slice; lazy state also needs an owner per CPU that a migrating thread
 * must give up first. docs/scheduling.md, "Switch cost". */
#include <arch/cpu.h>
#include <arch/fpu.h>
#include <arch/percpu.h>
#include <kern/bootinfo.h>
#include <kern/lib.h>
#include <kern/log.h>

#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_OSXSAVE    (1ul << 18)
#define XCR0_X87_SSE   3ull

bool fpu_xsaveopt;
static bool chosen;

static void choose(void)
{
	uint32_t a, b, c, d;
	char opt[16] = "";
	bootinfo_cmdline_get(&boot_info, "fpu", opt, sizeof(opt));
	cpuid(1, 0, &a, &b, &c, &d);
	bool xsave = c & (1u << 26), xopt = false;
	uint32_t max;
	cpuid(0, 0, &max, &b, &c, &d);
	if (xsave && max >= 0xd) {
		cpuid(0xd, 0, &a, &b, &c, &d);
		bool x87_sse = (a & XCR0_X87_SSE) == XCR0_X87_SSE;
		cpuid(0xd, 1, &a, &b, &c, &d);
		xopt = x87_sse && (a & 1);
	}
	fpu_xsaveopt = xopt && strcmp(opt, "fxsave") != 0;
	pr_info("fpu: %s, eager%s",
		fpu_xsaveopt ? "xsaveopt/xrstor" : "fxsave/fxrstor",
		xopt && !fpu_xsaveopt ? " (fpu=fxsave)" : "");
}

void fpu_init_cpu(void)
{
	if (!chosen) { /* the boot CPU, before any other starts */
		choose();
		chosen = true;
	}
	/* FXSAVE and SSE exceptions on, no emulation, WAIT/FWAIT honours
	 * TS (never set). */
	write_cr0((read_cr0() & ~(1ul << 2)) | (1ul << 1));
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (fpu_xsaveopt)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (fpu_xsaveopt)
		__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)XCR0_X87_SSE),
				 "d"(0u));
	__asm__ volatile("fninit");
}

void fpu_init_state(uint8_t *area)
{
	/* All exceptions masked, round to nearest; the XSAVE header says
	 * both components are in this image (XSTATE_BV), standard format. */
	memset(area, 0, FPU_AREA_SIZE);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(area, &fcw, sizeof(fcw));
	memcpy(area + 24, &mxcsr, sizeof(mxcsr));
	uint64_t bv = XCR0_X87_SSE;
	if (fpu_xsaveopt)
		memcpy(area + 512, &bv, sizeof(bv));
}
