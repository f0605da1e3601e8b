/* Deliberate kernel crashes, selected by "crashtest=<kind>" on the command
 * line, so `make check` can prove that an unhandled fault is reported
 * (vector, registers, CR2, symbolized backtrace) and fails the run, that
 * a kernel stack overflow hits its guard page and is reported as such, and
 * that a panic stops a CPU spinning with interrupts off (NMI). */
#include <kern/arch.h>
#include <kern/ktest.h>
#include <kern/lib.h>
#include <kern/log.h>
#include <kern/sched.h>
#include <kern/thread.h>
#include <kern/time.h>

/* An address in the (empty) user half: always unmapped in the kernel. */
#define CRASH_ADDR 0x00007f0000000ba0ul

__attribute__((noinline)) static int crashtest_pf(void)
{
	return *(volatile int *)CRASH_ADDR;
}

__attribute__((noinline)) static void crashtest_ud(void)
{
	__builtin_trap();
}

/* Recurses until the stack runs into its guard page; the volatile array
 * keeps each frame big and the call from becoming a loop. */
__attribute__((noinline)) static unsigned crashtest_recurse(unsigned depth)
{
	volatile char pad[512];
	pad[0] = (char)depth;
	if (depth > 1000000) /* never: 16 KiB stacks end far earlier */
		return pad[0];
	return crashtest_recurse(depth + 1) + pad[0];
}

static void stack_thread(void *arg)
{
	(void)arg;
	crashtest_recurse(0);
}

/* A kernel thread that overflows its stack: the report must name it. */
static void crashtest_stack(void)
{
	struct thread *t =
		thread_create_kernel(stack_thread, NULL, "stack-hog", NULL);
	if (!t)
		panic("crashtest: no thread");
	t->affinity = 1ull << arch_cpu_id(); /* this CPU, as check.sh says */
	thread_start_kernel(t);
	thread_wait(t, DEADLINE_NONE, NULL);
	panic("crashtest: the stack overflow was not caught");
}

static volatile bool spinning;
static volatile unsigned long spins;

/* Interrupts off, forever: only an NMI stops this CPU (no call in the
 * loop, so the stopped rip is in this function). */
__attribute__((noinline)) static void crashtest_spin(void *arg)
{
	(void)arg;
	arch_irq_save();
	spinning = true;
	for (;;)
		spins++;
}

/* CPU 1 spins with interrupts off, then this CPU panics: the report must
 * show CPU 1 stopped, with its registers and backtrace. */
static void crashtest_nmi(void)
{
	if (arch_cpus_online() < 2)
		panic("crashtest: nmi needs two CPUs");
	struct thread *t = thread_create_kernel(
		crashtest_spin, NULL, "irqoff-spin",
		&(struct sched_params){
			.cls = SCHED_CLASS_RT, .priority = 60, .cpu = 1});
	if (!t)
		panic("crashtest: no thread");
	thread_start_kernel(t);
	while (!spinning)
		sched_sleep_until(clock_ns() + 1000000);
	panic("crashtest: nmi (cpu 1 spins with interrupts off)");
}

void crashtest(const char *kind)
{
	pr_info("crashtest: %s", kind);
	if (!strcmp(kind, "pf"))
		crashtest_pf();
	else if (!strcmp(kind, "ud"))
		crashtest_ud();
	else if (!strcmp(kind, "panic"))
		panic("crashtest");
	else if (!strcmp(kind, "stack"))
		crashtest_stack();
	else if (!strcmp(kind, "nmi"))
		crashtest_nmi();
	panic("crashtest: unknown kind '%s'", kind);
}
