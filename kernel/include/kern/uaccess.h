/* Copies between kernel and user memory. Every user pointer is range-checked
 * (entirely inside [USER_BASE, USER_TOP), no wrap-around) and the copy runs
 * with fault recovery, so a bad pointer yields ERR_FAULT, never a kernel
 * fault. Under SMAP, user memory is touched only inside these routines. */
#pragma once
#include <execrt/syscall.h> /* USER_BASE, USER_TOP */
#include <kern/types.h>

/* Inline: every system call with a user pointer asks, several times per
 * IPC round trip. */
static inline bool user_range_ok(uintptr_t addr, size_t len)
{
	return addr >= USER_BASE && addr < USER_TOP && len <= USER_TOP - addr;
}
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
/* Copies a string of at most max-1 bytes plus NUL; ERR_INVALID_ARGS when
 * it does not fit. */
int copy_str_from_user(char *dst, const char *usrc, size_t max);
