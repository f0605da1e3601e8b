/* TEMPORARY (room init): the issue-10 calls of the kernel room, until
 * their stubs reach main's <execrt/sys.h>; then this file goes and the
 * callers use sys_resource_derive / sys_object_notify / START_H_SERVICE. */
#pragma once
#include <execrt/sys.h>

#define INIT_SYS_RESOURCE_DERIVE 54
#define INIT_SYS_OBJECT_NOTIFY	 55
#define INIT_H_SERVICE		 12

static inline long init_resource_derive(handle_t res, uint64_t base,
					uint64_t size, uint32_t rights,
					handle_t *out)
{
	return EXECRT_SC(INIT_SYS_RESOURCE_DERIVE, res, base, size, rights, out,
			 0);
}

static inline long init_object_notify(handle_t h, handle_t notif, uint64_t bits)
{
	return EXECRT_SC(INIT_SYS_OBJECT_NOTIFY, h, notif, bits, 0, 0, 0);
}
