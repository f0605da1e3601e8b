/* The shell's file builtins, pure half (apps/sh/fsfmt.c): `ls -l`
 * lines, mode strings, sorting, `mv` into a directory. */
#include <string.h>

#include "fsfmt.h"
#include "harness.h"

TEST(fsclient_sh_mode_strings)
{
	char m[11];
	sh_fmt_mode(m, 0100644);
	STR_EQ(m, "-rw-r--r--");
	sh_fmt_mode(m, 0040755);
	STR_EQ(m, "drwxr-xr-x");
	sh_fmt_mode(m, 0020620);
	STR_EQ(m, "crw--w----");
	sh_fmt_mode(m, 0060000);
	STR_EQ(m, "b---------");
	sh_fmt_mode(m, 0100777);
	STR_EQ(m, "-rwxrwxrwx");
	sh_fmt_mode(m, 0777);
	STR_EQ(m, "?rwxrwxrwx");
}

TEST(fsclient_sh_ls_long_lines)
{
	char b[128];
	CHECK_EQ(sh_fmt_ls_long(b, sizeof(b), 0100644, 1, 12, "x"), 26);
	STR_EQ(b, "-rw-r--r--   1        12 x");
	sh_fmt_ls_long(b, sizeof(b), 0040755, 2, 3, "dir");
	STR_EQ(b, "drwxr-xr-x   2         3 dir/");
	/* Cut like snprintf, the whole length returned. */
	char s[8];
	CHECK_EQ(sh_fmt_ls_long(s, sizeof(s), 0100644, 1, 1, "name"), 29);
	STR_EQ(s, "-rw-r--");
	sh_fmt_ls_long(b, sizeof(b), 0100644, 1, 123456789012ull, "big");
	STR_EQ(b, "-rw-r--r--   1 123456789012 big");
}

TEST(fsclient_sh_sort)
{
	char a[] = "b", b[] = "a", c[] = "c", d[] = "B";
	char *v[] = {a, b, c, d};
	sh_sort_names(v, 4);
	STR_EQ(v[0], "B");
	STR_EQ(v[1], "a");
	STR_EQ(v[2], "b");
	STR_EQ(v[3], "c");
	sh_sort_names(v, 0);
	sh_sort_names(NULL, 0);
}

TEST(fsclient_sh_mv_into)
{
	char o[16];
	CHECK_EQ(sh_join_into("/tmp", "x", o, sizeof(o)), 0);
	STR_EQ(o, "/tmp/x");
	CHECK_EQ(sh_join_into("/tmp/", "/a/b/", o, sizeof(o)), 0);
	STR_EQ(o, "/tmp/b");
	CHECK_EQ(sh_join_into("/", "a", o, sizeof(o)), 0);
	STR_EQ(o, "/a");
	CHECK_EQ(sh_join_into("d", "../f", o, sizeof(o)), 0);
	STR_EQ(o, "d/f");
	CHECK_EQ(sh_join_into("/tmp", "/", o, sizeof(o)), -1);
	CHECK_EQ(sh_join_into("/tmp", "", o, sizeof(o)), -1);
	CHECK_EQ(sh_join_into("/tmp", "12345678901", o, sizeof(o)), -1);
	CHECK_EQ(sh_join_into("/tmp", "1234567890", o, sizeof(o)), 0);
	STR_EQ(o, "/tmp/1234567890");
}
