/* The user-space cpio "newc" reader (libs/runtime/cpio.c): hand-made
 * archives, damaged ones, and one written by cpio(1) itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include <execrt/cpio.h>

static char ar[4096];
static size_t ar_len;

/* Append one entry; namesize and filesize may be forced (~0u: real). */
static void add(const char *name, const char *data, size_t len,
		unsigned nsize_over)
{
	unsigned nsize =
		nsize_over != ~0u ? nsize_over : (unsigned)strlen(name) + 1;
	ar_len += (size_t)sprintf(ar + ar_len,
				  "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X"
				  "%08X%08X%08X%08X",
				  1u, 0100644u, 0u, 0u, 1u, 0u, (unsigned)len,
				  0u, 0u, 0u, 0u, nsize, 0u);
	memcpy(ar + ar_len, name, strlen(name) + 1);
	ar_len += strlen(name) + 1;
	while (ar_len & 3)
		ar[ar_len++] = 0;
	memcpy(ar + ar_len, data, len);
	ar_len += len;
	while (ar_len & 3)
		ar[ar_len++] = 0;
}

static void make_archive(void)
{
	memset(ar, 0, sizeof(ar));
	ar_len = 0;
	add("hello", "ELFDATA", 7, ~0u);
	add("./sub/init", "x", 1, ~0u);
	add("empty", "", 0, ~0u);
	add("TRAILER!!!", "", 0, ~0u);
}

TEST(cpio_finds_files)
{
	struct cpio_file f;
	make_archive();
	CHECK_EQ(cpio_find(ar, ar_len, "hello", &f), CPIO_OK);
	CHECK_EQ(f.size, 7);
	CHECK(!memcmp(f.data, "ELFDATA", 7));
	CHECK_EQ(f.mode, 0100644);
	CHECK_EQ(f.name_len, 5);
	CHECK_EQ(cpio_find(ar, ar_len, "sub/init", &f), CPIO_OK);
	CHECK_EQ(f.size, 1);
	CHECK_EQ(*(const char *)f.data, 'x');
	CHECK_EQ(cpio_find(ar, ar_len, "empty", &f), CPIO_OK);
	CHECK_EQ(f.size, 0);
	CHECK_EQ(cpio_find(ar, ar_len, "nope", &f), CPIO_E_NOT_FOUND);
	CHECK_EQ(cpio_find(ar, ar_len, "TRAILER!!!", &f), CPIO_E_NOT_FOUND);
}

TEST(cpio_walks_entries_in_order)
{
	struct cpio_file f;
	size_t pos = 0;
	make_archive();
	CHECK_EQ(cpio_next(ar, ar_len, &pos, &f), CPIO_OK);
	CHECK(!strcmp(f.name, "hello"));
	CHECK_EQ(cpio_next(ar, ar_len, &pos, &f), CPIO_OK);
	CHECK(!strcmp(f.name, "./sub/init"));
	CHECK_EQ(cpio_next(ar, ar_len, &pos, &f), CPIO_OK);
	CHECK(!strcmp(f.name, "empty"));
	CHECK_EQ(cpio_next(ar, ar_len, &pos, &f), CPIO_END);
}

TEST(cpio_refuses_truncation_everywhere)
{
	struct cpio_file f;
	make_archive();
	/* Every cut before the trailer's end fails cleanly (ASan watches
	 * the reads: each cut is its own exact-size allocation). */
	for (size_t cut = 0; cut < ar_len - 4; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, ar, cut);
		int r = cpio_find(copy, cut, "no-such-file", &f);
		free(copy);
		CHECK(r == CPIO_E_TRUNCATED || r == CPIO_E_NAME);
	}
	CHECK_EQ(cpio_find(NULL, 0, "x", &f), CPIO_E_TRUNCATED);
}

TEST(cpio_refuses_bad_headers)
{
	struct cpio_file f;
	make_archive();
	ar[5] = '7'; /* 070707: old portable format */
	CHECK_EQ(cpio_find(ar, ar_len, "hello", &f), CPIO_E_MAGIC);
	make_archive();
	ar[6 + 8 * 6] = 'g'; /* filesize */
	CHECK_EQ(cpio_find(ar, ar_len, "hello", &f), CPIO_E_HEX);

	ar_len = 0; /* namesize 0 */
	add("a", "", 0, 0);
	CHECK_EQ(cpio_find(ar, ar_len, "a", &f), CPIO_E_NAME);
	ar_len = 0; /* namesize one short: no NUL inside */
	add("abc", "", 0, 3);
	CHECK_EQ(cpio_find(ar, ar_len, "abc", &f), CPIO_E_NAME);
	ar_len = 0; /* NUL in the middle of the name */
	add("ab", "", 0, 5);
	CHECK_EQ(cpio_find(ar, ar_len, "ab", &f), CPIO_E_NAME);
	ar_len = 0; /* namesize past the end */
	add("ab", "", 0, 0x7fffffff);
	CHECK_EQ(cpio_find(ar, ar_len, "ab", &f), CPIO_E_TRUNCATED);
	ar_len = 0; /* huge file size */
	add("big", "", 0, ~0u);
	memcpy(ar + 6 + 8 * 6, "FFFFFFFF", 8);
	add("TRAILER!!!", "", 0, ~0u);
	CHECK_EQ(cpio_find(ar, ar_len, "big", &f), CPIO_E_TRUNCATED);
	CHECK(strcmp(cpio_strerror(CPIO_E_HEX), "unknown cpio error") != 0);
}

/* An archive from cpio -o -H newc, as tools/mkinitrd.sh makes it. */
TEST(cpio_reads_what_cpio_writes)
{
	char dir[] = "/tmp/execrt-cpio-XXXXXX", cmd[512];
	if (!mkdtemp(dir))
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && printf 'first file\\n' > one && "
		 "printf 'x%%.0s' $(seq 1 1000) > two && "
		 "printf 'one\\ntwo\\n' | cpio -o -H newc --quiet > a.cpio",
		 dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "    (cpio(1) missing: skipped)\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s/a.cpio", dir);
	FILE *fp = fopen(cmd, "rb");
	CHECK(fp);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
	struct cpio_file f;
	CHECK_EQ(cpio_find(buf, n, "one", &f), CPIO_OK);
	CHECK_EQ(f.size, 11);
	CHECK(!memcmp(f.data, "first file\n", 11));
	CHECK_EQ(cpio_find(buf, n, "two", &f), CPIO_OK);
	CHECK_EQ(f.size, 1000);
	CHECK_EQ(((const char *)f.data)[999], 'x');
	CHECK_EQ(f.mode & 0170000, 0100000);
}
