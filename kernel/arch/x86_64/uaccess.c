/* Copies between kernel and user memory. The checks here keep a copy inside
 * [USER_BASE, USER_TOP); the loops in uaccess.S turn a page fault on a user
 * address into ERR_FAULT. Under SMAP, user access is opened (stac) only
 * around the loop; the trap entry closes it (clac) for handlers, and iret
 * gives it back to the interrupted copy. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <execrt/errors.h>
#include <execrt/syscall.h>
#include <kern/pager.h>
#include <kern/uaccess.h>

long uaccess_copy(void *dst, const void *src, size_t len);
long uaccess_strcpy(char *dst, const char *src, size_t max);
extern const char uaccess_start[], uaccess_end[], uaccess_fault[];

static inline void user_open(void)
{
	if (cpu_features.smap)
		stac();
}

static inline void user_close(void)
{
	if (cpu_features.smap)
		clac();
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
	if (!user_range_ok((uintptr_t)usrc, len))
		return ERR_FAULT;
	if (!len)
		return 0;
	user_open();
	long r = uaccess_copy(dst, usrc, len);
	user_close();
	return (int)r;
}

int copy_to_user(void *udst, const void *src, size_t len)
{
	if (!user_range_ok((uintptr_t)udst, len))
		return ERR_FAULT;
	if (!len)
		return 0;
	user_open();
	long r = uaccess_copy(udst, src, len);
	user_close();
	return (int)r;
}

int copy_str_from_user(char *dst, const char *usrc, size_t max)
{
	uintptr_t a = (uintptr_t)usrc;
	if (!max)
		return ERR_INVALID_ARGS;
	if (a < USER_BASE || a >= USER_TOP)
		return ERR_FAULT;
	/* Never read past USER_TOP: a string running into it is a fault. */
	size_t n = MIN(max, (size_t)(USER_TOP - a));
	user_open();
	long r = uaccess_strcpy(dst, usrc, n);
	user_close();
	if (r > 0)
		return 0;
	dst[0] = '\0';
	if (r < 0 || n < max)
		return ERR_FAULT;
	return ERR_INVALID_ARGS;
}

/* Called by the trap handler for kernel-mode exceptions: a page fault on a
 * user address inside the copy loops resumes at uaccess_fault, unless it
 * is an absent page of pager memory that the pager supplies: then the
 * copy resumes where it stopped (rep movsb and the string loop keep their
 * state in registers). That wait blocks, so only a copy that ran with
 * interrupts on may take it: such code holds no spinlock. A copy with
 * interrupts off fails with ERR_FAULT instead (and so does one marked
 * uaccess_no_pager, on a page its pager would have to supply). */
bool uaccess_fixup(struct trap_frame *tf)
{
	uint64_t cr2 = read_cr2();
	if (tf->vector != 14 || (tf->cs & 3) ||
	    tf->rip < (uintptr_t)uaccess_start ||
	    tf->rip >= (uintptr_t)uaccess_end || cr2 >= VM_USER_TOP)
		return false;
	if (tf->rflags & RFLAGS_IF) {
		bool present;
		uint32_t access = arch_pf_access(tf->error, &present);
		irq_enable();
		int r = vm_user_fault(cr2, access, present);
		irq_disable();
		if (!r)
			return true; /* retry the copy */
	}
	tf->rip = (uintptr_t)uaccess_fault;
	return true;
}
