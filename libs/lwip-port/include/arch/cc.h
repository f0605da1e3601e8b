/* lwIP's compiler/platform header for exec-rt (lwIP includes it as
 * "arch/cc.h"). Shared by netd (musl) and the host tests (glibc): both
 * are LP64 little-endian C17 with <stdint.h> and <inttypes.h>, so lwIP's
 * defaults for the types and the byte order hold. The platform hooks are
 * in libs/lwip-port/lwip_port.c. */
#pragma once
#include <stdint.h>

/* printf-style diagnostics (LWIP_DEBUGF, stats): x is "(fmt, args...)". */
void lwip_port_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* A broken lwIP invariant: netd cannot go on with a corrupt stack (init
 * restarts it; its clients see their connections end). */
_Noreturn void lwip_port_assert(const char *msg, const char *file, int line);
/* Random numbers for ports, DNS ids, ISNs (xorshift, seeded by netd). */
uint32_t lwip_port_rand(void);

#define LWIP_PLATFORM_DIAG(x)                                                \
	do {                                                                 \
		lwip_port_diag x;                                            \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND()		lwip_port_rand()
