/* Wire paths to components (fsd_path.h). Every check runs before any
 * component is looked at, so a bad path is refused the same way wherever
 * it would lead. */
#include <string.h>

#include "fsd_path.h"

int fsd_path_parse(const char *p, size_t len, struct fsd_path *out)
{
	out->n = 0;
	if (len == 0)
		return -FS_ENOENT;
	if (len > FS_PATH_MAX)
		return -FS_ENAMETOOLONG;
	if (memchr(p, 0, len) || p[0] != '/')
		return -FS_EINVAL;
	if (len == 1)
		return 0; /* the root */
	size_t i = 1;
	int err = 0;
	while (i <= len) {
		size_t j = i;
		while (j < len && p[j] != '/')
			j++;
		size_t n = j - i;
		if (n == 0) /* "//", or a trailing '/' */
			return -FS_EINVAL;
		if (n > FS_NAME_MAX)
			return -FS_ENAMETOOLONG;
		if (n == 1 && p[i] == '.') {
			/* nothing */
		} else if (n == 2 && p[i] == '.' && p[i + 1] == '.') {
			if (out->n == 0)
				err = -FS_EINVAL; /* above the root */
			else
				out->n--;
		} else {
			out->c[out->n] = p + i;
			out->len[out->n] = (uint16_t)n;
			out->n++;
		}
		if (err)
			return err;
		i = j + 1;
	}
	return 0;
}
