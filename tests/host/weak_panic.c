/* Weak host stand-ins for panic/klog/kprintf. The real ones in
 * kernel/lib/log.c are strong and win once they are linked in. Until then,
 * panic() longjmps to a test-installed jmp_buf so tests can assert that
 * misuse is caught; with none installed it aborts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <kern/log.h>

jmp_buf *host_panic_jmp;  /* set by a test expecting a panic */
char host_panic_msg[256]; /* message of the last caught panic */

__attribute__((weak)) void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host_panic_msg, sizeof(host_panic_msg), fmt, ap);
	va_end(ap);
	if (host_panic_jmp) {
		jmp_buf *j = host_panic_jmp;
		host_panic_jmp = NULL;
		longjmp(*j, 1);
	}
	fprintf(stderr, "PANIC: %s\n", host_panic_msg);
	abort();
}

/* Info and debug records would drown the test output. */
__attribute__((weak)) void klog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > LOG_WARN)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

__attribute__((weak)) void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
