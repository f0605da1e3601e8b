/* Debug console, kernel statistics, unknown call numbers, the register
 * contract of `syscall`. */
#include <string.h>

#include "gtest.h"
#include "gutil.h"

GTEST(debug_write_prints)
{
	static const char msg[] = "    (debug_write test line)\n";
	GCHECK_ERR(sys_debug_write(g_console(), msg, sizeof(msg) - 1),
		   (long)sizeof(msg) - 1);
	GCHECK_ERR(sys_debug_write(g_console(), msg, 0), 0);
}

GTEST(debug_write_bad_pointers)
{
	handle_t con = g_console();
	GCHECK_ERR(sys_debug_write(con, NULL, 5), ERR_FAULT);
	GCHECK_ERR(sys_debug_write(con, (const char *)KERNEL_PTR, 5),
		   ERR_FAULT);
	GCHECK_ERR(sys_debug_write(con, (const char *)NONCANON_PTR, 5),
		   ERR_FAULT);
	GCHECK_ERR(sys_debug_write(con, (const char *)g_unmapped_addr(), 5),
		   ERR_FAULT);
	/* Wrapping and crossing the top of user space. */
	GCHECK_ERR(sys_debug_write(con, (const char *)(UINT64_MAX - 10), 100),
		   ERR_FAULT);
	GCHECK_ERR(sys_debug_write(con, (const char *)(USER_TOP - 10), 100),
		   ERR_FAULT);
	/* Runs off the end of a mapping into a hole. */
	char *p = g_map(2 * PAGE);
	GCHECK(p);
	g_unmap(p + PAGE, PAGE);
	memset(p, 'x', PAGE);
	long r = sys_debug_write(con, p + PAGE - 10, 100);
	g_unmap(p, PAGE);
	GCHECK_ERR(r, ERR_FAULT);
}

GTEST(debug_write_huge_length)
{
	static const char buf[16] = "0123456789";
	/* Longer than the kernel writes at once (DEBUG_WRITE_MAX 4096). */
	GCHECK_ERR(sys_debug_write(g_console(), buf, 1ull << 40),
		   ERR_OUT_OF_RANGE);
	GCHECK_ERR(sys_debug_write(g_console(), buf, UINT64_MAX),
		   ERR_OUT_OF_RANGE);
}

GTEST(debug_write_bad_handles)
{
	static const char m[] = "x";
	GCHECK_ERR(sys_debug_write(HANDLE_INVALID, m, 1), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_debug_write(0x7fffffff, m, 1), ERR_BAD_HANDLE);
	/* A memory object is no console. */
	handle_t v;
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	long r = sys_debug_write(v, m, 1);
	sys_handle_close(v);
	GCHECK_ERR(r, ERR_WRONG_TYPE);
	/* The sysinfo resource is not the console either. */
	GCHECK_ERR(sys_debug_write(g_sysinfo(), m, 1), ERR_WRONG_TYPE);
	/* Without WRITE. */
	handle_t ro = g_dup(g_console(), RIGHT_DUPLICATE);
	GCHECK(ro);
	r = sys_debug_write(ro, m, 1);
	sys_handle_close(ro);
	GCHECK_ERR(r, ERR_ACCESS_DENIED);
}

GTEST(kernel_stats_sane)
{
	struct kernel_stats s;
	memset(&s, 0xff, sizeof(s));
	GCHECK_OK(sys_kernel_stats(g_sysinfo(), &s));
	GCHECK(s.frames_total > 0);
	GCHECK(s.frames_free <= s.frames_total);
	GCHECK(s.kobjects_live > 0);
	GCHECK(s.tasks >= 1);
	GCHECK(s.threads >= 1);
	GCHECK(s.cpus_online >= 1 && s.cpus_online < 4096);
}

GTEST(kernel_stats_counts_objects)
{
	struct kernel_stats a, b;
	handle_t v;
	GCHECK_OK(g_stats(&a));
	GCHECK_OK(sys_vmo_create(PAGE, &v));
	GCHECK_OK(g_stats(&b));
	sys_handle_close(v);
	GCHECK_EQ(b.kobjects_live, a.kobjects_live + 1);
}

GTEST(kernel_stats_bad_input)
{
	struct kernel_stats s;
	GCHECK_ERR(sys_kernel_stats(g_sysinfo(), NULL), ERR_FAULT);
	GCHECK_ERR(sys_kernel_stats(g_sysinfo(), (void *)KERNEL_PTR),
		   ERR_FAULT);
	GCHECK_ERR(sys_kernel_stats(g_sysinfo(), (void *)g_unmapped_addr()),
		   ERR_FAULT);
	/* Read-only memory: our own code. */
	GCHECK_ERR(sys_kernel_stats(g_sysinfo(), (void *)&g_stats), ERR_FAULT);
	GCHECK_ERR(sys_kernel_stats(HANDLE_INVALID, &s), ERR_BAD_HANDLE);
	GCHECK_ERR(sys_kernel_stats(g_console(), &s), ERR_WRONG_TYPE);
	handle_t no_read = g_dup(g_sysinfo(), RIGHT_DUPLICATE);
	GCHECK(no_read);
	long r = sys_kernel_stats(no_read, &s);
	sys_handle_close(no_read);
	GCHECK_ERR(r, ERR_ACCESS_DENIED);
}

GTEST(bad_syscall_numbers)
{
	GCHECK_ERR(execrt_syscall6(9999, 0, 0, 0, 0, 0, 0), ERR_BAD_SYSCALL);
	GCHECK_ERR(execrt_syscall6(SYS_COUNT, 0, 0, 0, 0, 0, 0),
		   ERR_BAD_SYSCALL);
	GCHECK_ERR(execrt_syscall6(-1, 0, 0, 0, 0, 0, 0), ERR_BAD_SYSCALL);
	/* All 64 bits of rax count, not only the low 32. */
	GCHECK_ERR(
		execrt_syscall6((1l << 32) | SYS_CLOCK_NOW, 0, 0, 0, 0, 0, 0),
		ERR_BAD_SYSCALL);
	GCHECK_ERR(execrt_syscall6(INT64_MIN, 0, 0, 0, 0, 0, 0),
		   ERR_BAD_SYSCALL);
}

/* Every register but rax, rcx and r11 survives a system call (one that
 * switches threads, and the null call's short way in and out). */
static void preserves_registers(long nr)
{
	register long r8 __asm__("r8") = 0x0808080808080808;
	register long r9 __asm__("r9") = 0x0909090909090909;
	register long r10 __asm__("r10") = 0x1010101010101010;
	register long r12 __asm__("r12") = 0x1212121212121212;
	register long r13 __asm__("r13") = 0x1313131313131313;
	register long r14 __asm__("r14") = 0x1414141414141414;
	register long r15 __asm__("r15") = 0x1515151515151515;
	long rax = nr, rbx = 0x0b0b0b0b0b0b0b0b;
	long rdi = 0x0d0d0d0d0d0d0d0d, rsi = 0x5151515151515151;
	long rdx = 0x0dd0dd0dd0dd0dd0;
	__asm__ __volatile__("syscall"
			     : "+a"(rax), "+b"(rbx), "+D"(rdi), "+S"(rsi),
			       "+d"(rdx), "+r"(r8), "+r"(r9), "+r"(r10),
			       "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
			     :
			     : "rcx", "r11", "memory");
	GCHECK_EQ(rax, 0);
	GCHECK_EQ(rbx, 0x0b0b0b0b0b0b0b0b);
	GCHECK_EQ(rdi, 0x0d0d0d0d0d0d0d0d);
	GCHECK_EQ(rsi, 0x5151515151515151);
	GCHECK_EQ(rdx, 0x0dd0dd0dd0dd0dd0);
	GCHECK_EQ(r8, 0x0808080808080808);
	GCHECK_EQ(r9, 0x0909090909090909);
	GCHECK_EQ(r10, 0x1010101010101010);
	GCHECK_EQ(r12, 0x1212121212121212);
	GCHECK_EQ(r13, 0x1313131313131313);
	GCHECK_EQ(r14, 0x1414141414141414);
	GCHECK_EQ(r15, 0x1515151515151515);
}

GTEST(syscall_preserves_registers)
{
	preserves_registers(SYS_YIELD);
	preserves_registers(SYS_NULL);
}

/* SYS_NULL ignores its arguments and does nothing. */
GTEST(null_call_returns_zero)
{
	GCHECK_EQ(sys_null(), 0);
	GCHECK_EQ(execrt_syscall6(SYS_NULL, ~0l, 1, 2, 3, 4, 5), 0);
	GCHECK_ERR(execrt_syscall6((1l << 32) | SYS_NULL, 0, 0, 0, 0, 0, 0),
		   ERR_BAD_SYSCALL);
}

/* The same with an error path (unknown number). */
GTEST(syscall_error_preserves_registers)
{
	long rax = 9999, rdi = 1, rsi = 2, rdx = 3;
	register long r10 __asm__("r10") = 4;
	register long r8 __asm__("r8") = 5;
	register long r9 __asm__("r9") = 6;
	__asm__ __volatile__("syscall"
			     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx),
			       "+r"(r10), "+r"(r8), "+r"(r9)
			     :
			     : "rcx", "r11", "memory");
	GCHECK_ERR(rax, ERR_BAD_SYSCALL);
	GCHECK(rdi == 1 && rsi == 2 && rdx == 3);
	GCHECK(r10 == 4 && r8 == 5 && r9 == 6);
}
