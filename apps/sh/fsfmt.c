/* The file builtins' pure half (fsfmt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsfmt.h"

#define S_TYPE 0170000u

static char type_char(uint32_t mode)
{
	switch (mode & S_TYPE) {
	case 0040000u:
		return 'd';
	case 0020000u:
		return 'c';
	case 0060000u:
		return 'b';
	case 0010000u:
		return 'p';
	case 0120000u:
		return 'l';
	case 0140000u:
		return 's';
	case 0100000u:
		return '-';
	default:
		return '?';
	}
}

void sh_fmt_mode(char out[11], uint32_t mode)
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = type_char(mode);
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

int sh_fmt_ls_long(char *buf, size_t cap, uint32_t mode, uint64_t nlink,
		   uint64_t size, const char *name)
{
	char m[11];
	sh_fmt_mode(m, mode);
	return snprintf(buf, cap, "%s %3llu %9llu %s%s", m,
			(unsigned long long)nlink, (unsigned long long)size,
			name, m[0] == 'd' ? "/" : "");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sh_sort_names(char **names, size_t n)
{
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp);
}

int sh_join_into(const char *dir, const char *src, char *out, size_t cap)
{
	size_t e = strlen(src);
	while (e > 0 && src[e - 1] == '/')
		e--;
	size_t b = e;
	while (b > 0 && src[b - 1] != '/')
		b--;
	if (e == b)
		return -1;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	int slash = !(dl > 0 && dir[dl - 1] == '/');
	if (dl + (size_t)slash + (e - b) + 1 > cap)
		return -1;
	memcpy(out, dir, dl);
	if (slash)
		out[dl] = '/';
	memcpy(out + dl + slash, src + b, e - b);
	out[dl + slash + (e - b)] = '\0';
	return 0;
}
