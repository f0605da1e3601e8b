/* fsd's path resolver (servers/fsd/fsd_path.c): every rule of
 * docs/fsd.md "Paths", the limits exactly at and one past the bound, and
 * random byte strings that must either be refused or give components
 * that obey every rule. */
#include <stdlib.h>
#include <string.h>

#include "fsd_path.h"
#include "harness.h"

static struct fsd_path P;

static int parse(const char *s)
{
	return fsd_path_parse(s, strlen(s), &P);
}

/* The components joined with '/', "/" for the root. */
static const char *joined(void)
{
	static char b[FS_PATH_MAX + 2];
	size_t n = 0;
	for (uint32_t i = 0; i < P.n; i++) {
		b[n++] = '/';
		memcpy(b + n, P.c[i], P.len[i]);
		n += P.len[i];
	}
	if (!n)
		b[n++] = '/';
	b[n] = 0;
	return b;
}

TEST(fsd_path_good_paths)
{
	CHECK_EQ(parse("/"), 0);
	CHECK_EQ(P.n, 0);
	CHECK_EQ(parse("/tmp"), 0);
	CHECK_EQ(P.n, 1);
	STR_EQ(joined(), "/tmp");
	CHECK_EQ(parse("/boot/bin/sh"), 0);
	CHECK_EQ(P.n, 3);
	STR_EQ(joined(), "/boot/bin/sh");
	CHECK_EQ(parse("/tmp/./a/./b"), 0);
	STR_EQ(joined(), "/tmp/a/b");
	CHECK_EQ(parse("/tmp/a/../b"), 0);
	STR_EQ(joined(), "/tmp/b");
	CHECK_EQ(parse("/tmp/.."), 0);
	STR_EQ(joined(), "/");
	CHECK_EQ(parse("/."), 0);
	CHECK_EQ(P.n, 0);
	CHECK_EQ(parse("/tmp/...x"), 0); /* only "." and ".." are special */
	STR_EQ(joined(), "/tmp/...x");
	CHECK_EQ(parse("/tmp/.hidden"), 0);
	STR_EQ(joined(), "/tmp/.hidden");
	CHECK_EQ(parse("/a b/\x01\xff"), 0); /* any byte but '/' and NUL */
	CHECK_EQ(P.n, 2);
}

TEST(fsd_path_bad_paths)
{
	CHECK_EQ(fsd_path_parse("", 0, &P), -FS_ENOENT);
	CHECK_EQ(parse("tmp"), -FS_EINVAL);
	CHECK_EQ(parse("./tmp"), -FS_EINVAL);
	CHECK_EQ(parse("//"), -FS_EINVAL);
	CHECK_EQ(parse("/tmp//a"), -FS_EINVAL);
	CHECK_EQ(parse("/tmp/"), -FS_EINVAL);
	CHECK_EQ(parse("/.."), -FS_EINVAL);
	CHECK_EQ(parse("/tmp/../.."), -FS_EINVAL);
	CHECK_EQ(parse("/tmp/../../boot"), -FS_EINVAL);
	CHECK_EQ(parse("/../tmp"), -FS_EINVAL);
	CHECK_EQ(fsd_path_parse("/tmp/a\0b", 8, &P), -FS_EINVAL);
	CHECK_EQ(fsd_path_parse("/tmp\0", 5, &P), -FS_EINVAL);
	CHECK_EQ(fsd_path_parse("\0", 1, &P), -FS_EINVAL);
}

TEST(fsd_path_limits)
{
	static char b[FS_PATH_MAX + 16];
	/* A component of exactly FS_NAME_MAX bytes, and one more. */
	b[0] = '/';
	memset(b + 1, 'n', FS_NAME_MAX);
	CHECK_EQ(fsd_path_parse(b, 1 + FS_NAME_MAX, &P), 0);
	CHECK_EQ(P.len[0], FS_NAME_MAX);
	memset(b + 1, 'n', FS_NAME_MAX + 1);
	CHECK_EQ(fsd_path_parse(b, 2 + FS_NAME_MAX, &P), -FS_ENAMETOOLONG);
	/* A path of exactly FS_PATH_MAX bytes ("/a" repeated), and one more;
	 * the deepest path has FS_PATH_MAX / 2 components. */
	for (size_t i = 0; i < FS_PATH_MAX; i += 2) {
		b[i] = '/';
		b[i + 1] = 'a';
	}
	CHECK_EQ(fsd_path_parse(b, FS_PATH_MAX, &P), 0);
	CHECK_EQ(P.n, FS_PATH_MAX / 2);
	b[FS_PATH_MAX] = 'a';
	CHECK_EQ(fsd_path_parse(b, FS_PATH_MAX + 1, &P), -FS_ENAMETOOLONG);
	/* Long paths are refused before anything else is looked at. */
	b[5] = 0;
	CHECK_EQ(fsd_path_parse(b, FS_PATH_MAX + 1, &P), -FS_ENAMETOOLONG);
}

/* Random strings of '/', '.', 'a' and a few rare bytes: a parse that
 * succeeds gives components that are neither empty, nor ".", nor "..",
 * within the limits, without '/' or NUL; the result of a good path is
 * stable (parsing the joined form gives the same components). */
TEST(fsd_path_random)
{
	static char b[FS_PATH_MAX + 40];
	static struct fsd_path Q;
	unsigned seed = 7;
	int good = 0;
	for (int round = 0; round < 200000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 16) % 24;
		if (round % 1000 == 0)
			len = FS_PATH_MAX - 8 + (seed >> 8) % 16;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) % 16;
			b[i] = r < 5	? '/'
			       : r < 10 ? '.'
			       : r < 15 ? 'a'
					: "\0\xff b"[(seed >> 8) & 3];
		}
		if (len && round % 3)
			b[0] = '/';
		int err = fsd_path_parse(b, len, &P);
		if (err) {
			CHECK(err == -FS_EINVAL || err == -FS_ENOENT ||
			      err == -FS_ENAMETOOLONG);
			CHECK(len == 0 ? err == -FS_ENOENT : 1);
			continue;
		}
		good++;
		CHECK(len > 0 && b[0] == '/' && !memchr(b, 0, len));
		for (uint32_t i = 0; i < P.n; i++) {
			CHECK(P.len[i] > 0 && P.len[i] <= FS_NAME_MAX);
			CHECK(!memchr(P.c[i], '/', P.len[i]));
			CHECK(!(P.len[i] == 1 && P.c[i][0] == '.'));
			CHECK(!(P.len[i] == 2 && !memcmp(P.c[i], "..", 2)));
		}
		const char *j = joined();
		CHECK_EQ(fsd_path_parse(j, strlen(j), &Q), 0);
		CHECK_EQ(Q.n, P.n);
		for (uint32_t i = 0; i < P.n; i++)
			CHECK(Q.len[i] == P.len[i] &&
			      !memcmp(Q.c[i], P.c[i], P.len[i]));
	}
	CHECK(good > 1000);
}
