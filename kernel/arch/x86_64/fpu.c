/* User x87/SSE/AVX state. The kernel never touches these registers
 * (-mgeneral-regs-only), so only user threads own state, and it is saved
 * and loaded eagerly on every switch between them (thread.c). With XSAVE
 * and XSAVEOPT (CPUID), the state is kept in the XSAVE standard format
 * and saved with XSAVEOPT, which skips components that are in their
 * initial state or unmodified since this thread's XRSTOR; without them
 * (-cpu qemu64), FXSAVE/FXRSTOR of x87 and SSE only. XCR0 holds x87 and
 * SSE, plus AVX (the YMM upper halves) when CPUID has AVX and leaf 0xD
 * puts that component at the standard offset 576 with 256 bytes, the
 * layout FPU_AREA_SIZE is sized for; user code checks CPUID.1:ECX.OSXSAVE
 * and XGETBV before using AVX, so leaving it off is safe. "fpu=noavx"
 * keeps AVX off, "fpu=fxsave" forces the old way (for comparing, and to
 * test them on a CPU that has AVX).
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
#define XCR0_X87_SSE   3u
#define XCR0_AVX       4u
#define CPUID1_XSAVE   (1u << 26)
#define CPUID1_AVX     (1u << 28)

bool fpu_xsaveopt;
uint32_t fpu_xcr0;
static bool chosen;

/* AVX in the layout of arch/fpu.h: right after the XSAVE header. */
static bool avx_fits(uint32_t supported)
{
	uint32_t size, offset, c, d;
	if (!(supported & XCR0_AVX))
		return false;
	cpuid(0xd, 2, &size, &offset, &c, &d);
	return size == 256 && offset == 576 && offset + size <= FPU_AREA_SIZE;
}

__cold static void choose(void)
{
	uint32_t a, b, c, d, max;
	char opt[16] = "";
	bootinfo_cmdline_get(&boot_info, "fpu", opt, sizeof(opt));
	cpuid(1, 0, &a, &b, &c, &d);
	bool xsave = c & CPUID1_XSAVE, avx = c & CPUID1_AVX, xopt = false;
	cpuid(0, 0, &max, &b, &c, &d);
	if (xsave && max >= 0xd) {
		cpuid(0xd, 0, &a, &b, &c, &d);
		bool x87_sse = (a & XCR0_X87_SSE) == XCR0_X87_SSE;
		avx = avx && avx_fits(a);
		cpuid(0xd, 1, &a, &b, &c, &d);
		xopt = x87_sse && (a & 1);
	}
	fpu_xsaveopt = xopt && strcmp(opt, "fxsave") != 0;
	fpu_xcr0 = XCR0_X87_SSE;
	if (fpu_xsaveopt && avx && strcmp(opt, "noavx") != 0)
		fpu_xcr0 |= XCR0_AVX;
	const char *why = "";
	if (xopt && !fpu_xsaveopt)
		why = " (fpu=fxsave)";
	else if (fpu_xsaveopt && avx && !(fpu_xcr0 & XCR0_AVX))
		why = " (fpu=noavx)";
	pr_info("fpu: %s (x87 sse%s), eager%s",
		fpu_xsaveopt ? "xsaveopt/xrstor" : "fxsave/fxrstor",
		fpu_xcr0 & XCR0_AVX ? " avx" : "", why);
}

__cold void fpu_init_cpu(void)
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
		cr4 |= CR4_OSXSAVE; /* also what user CPUID shows as OSXSAVE */
	write_cr4(cr4);
	if (fpu_xsaveopt)
		__asm__ volatile("xsetbv" ::"c"(0), "a"(fpu_xcr0), "d"(0u));
	__asm__ volatile("fninit");
}

void fpu_init_state(uint8_t *area)
{
	/* All exceptions masked, round to nearest. XSTATE_BV says x87 and
	 * SSE are in this image; AVX's bit stays clear (a subset of XCR0
	 * either way), so XRSTOR puts the YMM upper halves in their initial
	 * state, zero. Standard format (XCOMP_BV 0). */
	memset(area, 0, FPU_AREA_SIZE);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(area, &fcw, sizeof(fcw));
	memcpy(area + 24, &mxcsr, sizeof(mxcsr));
	uint64_t bv = XCR0_X87_SSE;
	if (fpu_xsaveopt)
		memcpy(area + 512, &bv, sizeof(bv));
}
