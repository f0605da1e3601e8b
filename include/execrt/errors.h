/* exec-rt error codes. System calls return a value >= 0 on success and one
 * of these (negative) on failure. Shared by the kernel and user space. */
#pragma once

#define ERR_OK              0
#define ERR_INVALID_ARGS    (-1)  /* a malformed argument (flags, sizes, alignment) */
#define ERR_BAD_HANDLE      (-2)  /* not a live handle of this task (closed or stale) */
#define ERR_WRONG_TYPE      (-3)  /* the handle names the wrong kind of object */
#define ERR_ACCESS_DENIED   (-4)  /* the handle lacks a required right */
#define ERR_NO_MEMORY       (-5)  /* memory quota or kernel memory exhausted */
#define ERR_NO_RESOURCES    (-6)  /* a non-memory quota (handles, threads) exhausted */
#define ERR_FAULT           (-7)  /* a user pointer is unmapped, kernel-space or wraps */
#define ERR_TIMED_OUT       (-8)  /* the deadline passed */
#define ERR_BAD_STATE       (-9)  /* valid request, wrong moment (e.g. thread already started) */
#define ERR_NOT_FOUND       (-10)
#define ERR_OUT_OF_RANGE    (-11)
#define ERR_NOT_SUPPORTED   (-12)
#define ERR_PEER_CLOSED     (-13) /* the other end is gone */
#define ERR_SHOULD_WAIT     (-14) /* poll deadline: nothing ready */
#define ERR_ALREADY_EXISTS  (-15)
#define ERR_BUFFER_TOO_SMALL (-16)
#define ERR_BAD_SYSCALL     (-17) /* unknown system-call number */

#ifndef __ASSEMBLER__
static inline const char *err_name(long e)
{
	static const char *const names[] = {
		"ERR_OK", "ERR_INVALID_ARGS", "ERR_BAD_HANDLE", "ERR_WRONG_TYPE",
		"ERR_ACCESS_DENIED", "ERR_NO_MEMORY", "ERR_NO_RESOURCES",
		"ERR_FAULT", "ERR_TIMED_OUT", "ERR_BAD_STATE", "ERR_NOT_FOUND",
		"ERR_OUT_OF_RANGE", "ERR_NOT_SUPPORTED", "ERR_PEER_CLOSED",
		"ERR_SHOULD_WAIT", "ERR_ALREADY_EXISTS", "ERR_BUFFER_TOO_SMALL",
		"ERR_BAD_SYSCALL"};
	if (e > 0 || -e >= (long)(sizeof(names) / sizeof(names[0])))
		return e > 0 ? "(positive)" : "ERR_?";
	return names[-e];
}
#endif
