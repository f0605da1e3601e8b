/* In-kernel tests of exception handling: deliberate faults inside
 * trap_catch() must be reported with the right vector, error code and
 * address, and the kernel must carry on afterwards. */
#include <arch/cpu.h>
#include <arch/trap.h>
#include <kern/ktest.h>

#define UNMAPPED_VA 0x00007f0000001000ul /* user half: nothing mapped */

static void do_read_unmapped(void *arg)
{
	(void)arg;
	(void)*(volatile uint64_t *)UNMAPPED_VA;
}

static void do_write_rodata(void *arg)
{
	*(volatile const char **)arg = "x"; /* arg points into .rodata */
}

static void do_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static void do_gp(void *arg)
{
	(void)arg;
	(void)*(volatile uint64_t *)0x8000000000000000ul; /* non-canonical */
}

static void do_de(void *arg)
{
	/* In asm: the compiler may turn a C division by a known zero into
	 * anything. */
	(void)arg;
	__asm__ volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx;"
			 "divl %%ecx" ::: "rax", "rcx", "rdx");
}

static void do_nothing(void *arg)
{
	*(int *)arg = 42;
}

KTEST(trap_page_fault_read_is_caught)
{
	struct caught_fault f;
	KT_CHECK(trap_catch(do_read_unmapped, NULL, &f));
	KT_CHECK_EQ(f.vector, 14);
	KT_CHECK_EQ(f.cr2, UNMAPPED_VA);
	KT_CHECK_EQ(f.error & 0x7, 0); /* not present, read, kernel */
}

static const char *const ro_slot = "ro";

KTEST(trap_page_fault_write_to_rodata_is_caught)
{
	struct caught_fault f;
	KT_CHECK(read_cr0() & CR0_WP);
	KT_CHECK(trap_catch(do_write_rodata, (void *)&ro_slot, &f));
	KT_CHECK_EQ(f.vector, 14);
	KT_CHECK_EQ(f.cr2, (uintptr_t)&ro_slot);
	KT_CHECK_EQ(f.error & 0x3, 0x3); /* present, write */
}

KTEST(trap_invalid_opcode_is_caught)
{
	struct caught_fault f;
	KT_CHECK(trap_catch(do_ud, NULL, &f));
	KT_CHECK_EQ(f.vector, 6);
}

KTEST(trap_general_protection_is_caught)
{
	struct caught_fault f;
	KT_CHECK(trap_catch(do_gp, NULL, &f));
	KT_CHECK_EQ(f.vector, 13);
}

KTEST(trap_divide_error_is_caught)
{
	struct caught_fault f;
	KT_CHECK(trap_catch(do_de, NULL, &f));
	KT_CHECK_EQ(f.vector, 0);
}

KTEST(trap_catch_without_fault_returns_normally)
{
	int v = 0;
	struct caught_fault f = {0};
	KT_CHECK(!trap_catch(do_nothing, &v, &f));
	KT_CHECK_EQ(v, 42);
	/* Recovery is disarmed afterwards. */
	KT_CHECK_EQ(this_cpu()->recover_rip, 0);
}
