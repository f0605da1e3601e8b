/* strlcpy apart from the other string functions: glibc has none, so host
 * tests link this one too (string.c would shadow the host libc). */
#include <kern/lib.h>

size_t strlcpy(char *d, const char *s, size_t n)
{
	size_t len = strlen(s);
	if (n) {
		size_t k = len < n - 1 ? len : n - 1;
		memcpy(d, s, k);
		d[k] = 0;
	}
	return len;
}
