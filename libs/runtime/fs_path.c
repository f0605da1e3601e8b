/* Path joining and normalisation (execrt/fs_path.h). Pure: no system
 * calls; tests/host/test_fsclient_path.c runs it under ASan+UBSan. */
#include <errno.h>
#include <string.h>

#include <execrt/fs_path.h>

/* Appends one component (len bytes at c) to out (o bytes used). */
static int push(char *out, size_t lim, size_t *o, const char *c, size_t len)
{
	if (len > EXECRT_NAME_MAX)
		return -ENAMETOOLONG;
	if (*o + 1 + len > lim)
		return -ENAMETOOLONG;
	out[(*o)++] = '/';
	memcpy(out + *o, c, len);
	*o += len;
	return 0;
}

/* Takes the last component off ("/a/b" -> "/a", "/a" -> ""). */
static void pop(char *out, size_t *o)
{
	while (*o > 0 && out[*o - 1] != '/')
		(*o)--;
	if (*o > 0)
		(*o)--;
}

/* Walks the components of s into out; *last_dir says whether the last
 * one was "", "." or ".." (or s ended with '/'). */
static int walk(const char *s, char *out, size_t lim, size_t *o, int *last_dir)
{
	while (*s) {
		while (*s == '/')
			s++;
		const char *c = s;
		while (*s && *s != '/')
			s++;
		size_t len = (size_t)(s - c);
		*last_dir = 1;
		if (len == 0 || (len == 1 && c[0] == '.'))
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			pop(out, o);
			continue;
		}
		int r = push(out, lim, o, c, len);
		if (r)
			return r;
		*last_dir = *s == '/';
	}
	return 0;
}

int execrt_path_join(const char *cwd, const char *path, char *out, size_t cap,
		     int *must_dir)
{
	int dir = 0;
	if (must_dir)
		*must_dir = 0;
	if (!out || cap == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	if (strnlen(path, EXECRT_PATH_IN_MAX + 1) > EXECRT_PATH_IN_MAX)
		return -ENAMETOOLONG;
	/* Room for the result without its NUL. */
	size_t lim =
		cap - 1 < EXECRT_PATH_MAX - 1 ? cap - 1 : EXECRT_PATH_MAX - 1;
	size_t o = 0;
	int r = 0;
	if (path[0] != '/' && cwd && cwd[0] == '/' &&
	    strnlen(cwd, EXECRT_PATH_IN_MAX + 1) <= EXECRT_PATH_IN_MAX)
		r = walk(cwd, out, lim, &o, &dir);
	dir = 0;
	if (!r)
		r = walk(path, out, lim, &o, &dir);
	if (r) {
		out[0] = '\0';
		return r;
	}
	if (o == 0) {
		out[o++] = '/';
		dir = 1;
	}
	out[o] = '\0';
	if (must_dir)
		*must_dir = dir;
	return 0;
}

const char *execrt_path_base(const char *norm)
{
	const char *s = strrchr(norm, '/');
	return s ? s + 1 : norm;
}
