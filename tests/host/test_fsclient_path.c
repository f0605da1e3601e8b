/* Path joining of the file calls (libs/runtime/fs_path.c): cwd + relative
 * paths, ".", "..", empty components, the length limits, and random
 * paths that must never overflow and always come out normalised. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/fs_path.h>

static char out[EXECRT_PATH_MAX];

static const char *J(const char *cwd, const char *p)
{
	int d;
	int r = execrt_path_join(cwd, p, out, sizeof(out), &d);
	return r ? "ERR" : out;
}

TEST(fsclient_path_joins_and_normalises)
{
	STR_EQ(J("/", "a"), "/a");
	STR_EQ(J("/tmp", "x"), "/tmp/x");
	STR_EQ(J("/tmp", "/boot/bin"), "/boot/bin");
	STR_EQ(J("/tmp", "./x/./y"), "/tmp/x/y");
	STR_EQ(J("/tmp/a/b", "../c"), "/tmp/a/c");
	STR_EQ(J("/tmp", "../../../.."), "/");
	STR_EQ(J("/", ".."), "/");
	STR_EQ(J("/", "/../boot"), "/boot");
	STR_EQ(J("/tmp", "a//b///c/"), "/tmp/a/b/c");
	STR_EQ(J("/tmp", "."), "/tmp");
	STR_EQ(J("/", "/"), "/");
	STR_EQ(J("/", "///"), "/");
	STR_EQ(J("/a", "..."), "/a/...");
	STR_EQ(J("/a", "..b"), "/a/..b");
	STR_EQ(J("/a", ".b/c."), "/a/.b/c.");
	/* A cwd that is not absolute counts as the root. */
	STR_EQ(J(NULL, "x"), "/x");
	STR_EQ(J("", "x"), "/x");
	STR_EQ(J("rel", "x"), "/x");
	/* A cwd that is not normalised comes out normalised too. */
	STR_EQ(J("/a/./b//", "c"), "/a/b/c");
}

TEST(fsclient_path_says_when_a_directory_is_meant)
{
	int d = -1;
	CHECK_EQ(execrt_path_join("/", "a", out, sizeof(out), &d), 0);
	CHECK_EQ(d, 0);
	const char *dirs[] = {"a/", "a/.", "a/..", "/", ".", "..", "a//"};
	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		d = -1;
		CHECK_EQ(execrt_path_join("/t", dirs[i], out, sizeof(out), &d),
			 0);
		CHECK_EQ(d, 1);
	}
	CHECK_EQ(execrt_path_join("/", "a/./b", out, sizeof(out), &d), 0);
	CHECK_EQ(d, 0);
	CHECK_EQ(execrt_path_join("/", "a", out, sizeof(out), NULL), 0);
}

TEST(fsclient_path_refuses_bad_input)
{
	int d;
	CHECK_EQ(execrt_path_join("/", "", out, sizeof(out), &d), -ENOENT);
	CHECK_EQ(execrt_path_join("/", NULL, out, sizeof(out), &d), -EFAULT);
	CHECK_EQ(execrt_path_join("/", "a", out, 0, &d), -ENAMETOOLONG);
	/* One component of 255 bytes is fine, 256 is too long. */
	char name[300];
	memset(name, 'n', 256);
	name[256] = 0;
	CHECK_EQ(execrt_path_join("/", name, out, sizeof(out), &d),
		 -ENAMETOOLONG);
	name[255] = 0;
	CHECK_EQ(execrt_path_join("/", name, out, sizeof(out), &d), 0);
	CHECK_EQ(strlen(out), 256);
	/* The result must fit in 1023 bytes (fsd's limit) and in cap. */
	static char p[EXECRT_PATH_MAX + 10];
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 1022; i += 2)
		memcpy(p + i, "/a", 2); /* 1022 bytes: "/a" * 511 */
	CHECK_EQ(execrt_path_join("/", p, out, sizeof(out), &d), 0);
	CHECK_EQ(strlen(out), 1022);
	memcpy(p + 1022, "b", 1); /* 1023 */
	CHECK_EQ(execrt_path_join("/", p, out, sizeof(out), &d), 0);
	memcpy(p + 1023, "/c", 2); /* 1025 */
	CHECK_EQ(execrt_path_join("/", p, out, sizeof(out), &d), -ENAMETOOLONG);
	CHECK_EQ(out[0], 0);
	/* ... but ".." may bring it back under the limit. */
	memcpy(p + 1025, "/..", 4);
	CHECK_EQ(execrt_path_join("/", p, out, sizeof(out), &d), -ENAMETOOLONG);
	char small[8];
	CHECK_EQ(execrt_path_join("/", "abcdefg", small, sizeof(small), &d),
		 -ENAMETOOLONG);
	CHECK_EQ(execrt_path_join("/", "abcdef", small, sizeof(small), &d), 0);
	STR_EQ(small, "/abcdef");
	/* A path over 4095 bytes is not read further. */
	static char big[5000];
	memset(big, '/', sizeof(big) - 1);
	CHECK_EQ(execrt_path_join("/", big, out, sizeof(out), &d),
		 -ENAMETOOLONG);
	big[4095] = 0;
	CHECK_EQ(execrt_path_join("/", big, out, sizeof(out), &d), 0);
	STR_EQ(out, "/");
}

TEST(fsclient_path_base)
{
	STR_EQ(execrt_path_base("/"), "");
	STR_EQ(execrt_path_base("/a"), "a");
	STR_EQ(execrt_path_base("/a/bc"), "bc");
}

/* Random paths over a small alphabet: the result is always absolute, has
 * no empty, "." or ".." component, no trailing slash, and fits. */
TEST(fsclient_path_random)
{
	static const char alpha[] = "/./..ab/";
	char in[64], cwd[64];
	srand(1234);
	for (int n = 0; n < 200000; n++) {
		size_t len = (size_t)(rand() % 40), cl = (size_t)(rand() % 20);
		for (size_t i = 0; i < len; i++)
			in[i] = alpha[rand() % (sizeof(alpha) - 1)];
		in[len] = 0;
		cwd[0] = '/';
		for (size_t i = 1; i < cl; i++)
			cwd[i] = alpha[rand() % (sizeof(alpha) - 1)];
		cwd[cl ? cl : 1] = 0;
		char o[24];
		int d;
		int r = execrt_path_join(cwd, in, o, sizeof(o), &d);
		if (!len) {
			CHECK_EQ(r, -ENOENT);
			continue;
		}
		if (r) {
			CHECK_EQ(r, -ENAMETOOLONG);
			continue;
		}
		CHECK(o[0] == '/');
		size_t ol = strlen(o);
		CHECK(ol < sizeof(o));
		CHECK(ol == 1 || o[ol - 1] != '/');
		CHECK(!strstr(o, "//"));
		CHECK(!strstr(o, "/./"));
		CHECK(!strstr(o, "/../"));
		CHECK(ol < 2 || strcmp(o + ol - 2, "/.") != 0);
		CHECK(ol < 3 || strcmp(o + ol - 3, "/..") != 0);
		/* Normalising again changes nothing. */
		char o2[24];
		CHECK_EQ(execrt_path_join("/", o, o2, sizeof(o2), &d), 0);
		STR_EQ(o2, o);
	}
}
