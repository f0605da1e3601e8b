/* fstest: ordinary C on /tmp through fsd (docs/userland.md "Files").
 * stdio (fopen, fprintf, fgets, fseek, ftell, fread, fwrite, fscanf,
 * ungetc, setvbuf, remove, tmpfile), opendir/readdir, rename, unlink,
 * mkdir/rmdir, chdir/getcwd, dup/dup2, pread/pwrite, the errors libc must
 * report, and a child started with its stdout on a file and this task's
 * working directory. Every result is
 * checked; one line per check ("PASS what" / "FAIL what: why"), then
 * "fstest: N passed, M failed"; the exit status is 0 only if all passed.
 *
 *   fstest [DIR]      runs in DIR (default /tmp), in a fresh
 *                     subdirectory it removes at the end
 *   fstest child      (the child it starts itself)
 *   fstest say WORD   prints "fstest says WORD" (a child of the guest
 *                     tests, whose stdout is a file) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <execrt/elf_load.h>
#include <execrt/runtime.h>
#include <execrt/spawn.h>

#include "ptest.h"

#define BIG	   (200 * 1024) /* over the inline size: bulk windows */
#define CHILD_MEM  (3ull << 20)
#define CHILD_WAIT 20000000000ull

static char dir[512];

static const char *in(const char *name)
{
	static char p[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void stdio_text(void)
{
	FILE *f = fopen(in("a.txt"), "w");
	CHECK(f, "fopen w creates a.txt");
	if (!f)
		return;
	int ok = 1;
	for (int i = 0; i < 100; i++)
		ok &= fprintf(f, "line %d of a.txt\n", i) > 0;
	CHECK(ok, "fprintf 100 lines");
	CHECK(ftell(f) == 1690, "ftell after writing is the size");
	CHECK(fclose(f) == 0, "fclose after writing");

	struct stat st;
	CHECK(stat(in("a.txt"), &st) == 0 && st.st_size == 1690 &&
		      S_ISREG(st.st_mode),
	      "stat: a regular file of 1690 bytes");

	f = fopen(in("a.txt"), "r");
	CHECK(f, "fopen r");
	if (!f)
		return;
	char line[64], want[64];
	int n = 0;
	ok = 1;
	while (fgets(line, sizeof(line), f)) {
		snprintf(want, sizeof(want), "line %d of a.txt\n", n++);
		ok &= !strcmp(line, want);
	}
	CHECK(ok && n == 100 && feof(f) && !ferror(f),
	      "fgets reads the 100 lines back, then end of file");
	CHECK(fseek(f, 0, SEEK_END) == 0 && ftell(f) == 1690,
	      "fseek to the end, ftell");
	/* "line 10 of a.txt\n" starts after 10 lines of 16 bytes. */
	CHECK(fseek(f, 160, SEEK_SET) == 0 && fgets(line, sizeof(line), f) &&
		      !strcmp(line, "line 10 of a.txt\n"),
	      "fseek into the middle, fgets");
	CHECK(fseek(f, -17, SEEK_END) == 0 && fgets(line, sizeof(line), f) &&
		      !strcmp(line, "line 99 of a.txt\n"),
	      "fseek from the end");
	rewind(f);
	CHECK(fgetc(f) == 'l' && ftell(f) == 1, "rewind, fgetc, ftell");
	CHECK(fclose(f) == 0, "fclose after reading");

	f = fopen(in("a.txt"), "a");
	CHECK(f && fprintf(f, "appended\n") == 9 && fclose(f) == 0,
	      "fopen a appends");
	CHECK(stat(in("a.txt"), &st) == 0 && st.st_size == 1699,
	      "stat sees the appended line");
	f = fopen(in("a.txt"), "r+");
	CHECK(f && fseek(f, 0, SEEK_SET) == 0 && fputs("LINE", f) >= 0 &&
		      fseek(f, 0, SEEK_SET) == 0 &&
		      fgets(line, sizeof(line), f) &&
		      !strcmp(line, "LINE 0 of a.txt\n") && fclose(f) == 0,
	      "fopen r+ overwrites in place");
}

/* More of stdio: fscanf, ungetc, unbuffered writes, remove, tmpfile. */
static void stdio_more(void)
{
	FILE *f = fopen(in("n.txt"), "w+");
	CHECK(f && fprintf(f, "12 -7 3.5 word\n") == 15 && fflush(f) == 0,
	      "fprintf numbers");
	int a = 0, b = 0;
	double d = 0;
	char w[16] = "";
	CHECK(f && fseek(f, 0, SEEK_SET) == 0 &&
		      fscanf(f, "%d %d %lf %15s", &a, &b, &d, w) == 4 &&
		      a == 12 && b == -7 && d == 3.5 && !strcmp(w, "word"),
	      "fscanf them back");
	CHECK(f && fseek(f, 0, SEEK_SET) == 0 && fgetc(f) == '1' &&
		      ungetc('X', f) == 'X' && fgetc(f) == 'X' &&
		      fgetc(f) == '2',
	      "ungetc");
	if (f)
		fclose(f);
	f = fopen(in("n.txt"), "a");
	CHECK(f && setvbuf(f, NULL, _IONBF, 0) == 0 && fputs("x", f) >= 0,
	      "an unbuffered stream");
	struct stat st;
	CHECK(stat(in("n.txt"), &st) == 0 && st.st_size == 16,
	      "its byte is in the file before fclose");
	if (f)
		fclose(f);
	CHECK(remove(in("n.txt")) == 0 && stat(in("n.txt"), &st) < 0 &&
		      errno == ENOENT,
	      "remove a file");
	CHECK(mkdir(in("e"), 0700) == 0 && remove(in("e")) == 0,
	      "remove an empty directory");
	f = tmpfile(); /* /tmp/tmpfile_..., unlinked while open */
	char buf[8] = "";
	CHECK(f && fputs("temp", f) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
		      fgets(buf, sizeof(buf), f) && !strcmp(buf, "temp"),
	      "tmpfile: written and read back after its unlink");
	if (f)
		fclose(f);
}

static void big_and_positioned(void)
{
	char *buf = malloc(BIG), *back = malloc(BIG);
	if (!buf || !back) {
		result(0, "big buffers", "malloc");
		free(buf);
		free(back);
		return;
	}
	for (int i = 0; i < BIG; i++)
		buf[i] = (char)(i * 7 + i / 4096);
	FILE *f = fopen(in("big.bin"), "w+");
	CHECK(f && fwrite(buf, 1, BIG, f) == BIG && fflush(f) == 0,
	      "fwrite 200 KiB");
	CHECK(f && fseek(f, 0, SEEK_SET) == 0 &&
		      fread(back, 1, BIG, f) == BIG && !memcmp(buf, back, BIG),
	      "fread 200 KiB back, same bytes");
	if (f)
		fclose(f);
	int fd = open(in("big.bin"), O_RDWR);
	CHECK(fd >= 0, "open O_RDWR");
	CHECK(pwrite(fd, "XYZ", 3, 100000) == 3, "pwrite at 100000");
	char b3[4] = {0};
	CHECK(pread(fd, b3, 3, 100000) == 3 && !memcmp(b3, "XYZ", 3),
	      "pread at 100000");
	CHECK(lseek(fd, 0, SEEK_CUR) == 0, "pread/pwrite keep the offset");
	memset(back, 0, BIG);
	ssize_t got = 0, n;
	while (got < BIG && (n = read(fd, back + got, BIG - got)) > 0)
		got += n;
	memcpy(buf + 100000, "XYZ", 3);
	CHECK(got == BIG && !memcmp(buf, back, BIG) && read(fd, b3, 1) == 0,
	      "read loop: the whole file, then end of file");
	CHECK(ftruncate(fd, 5000) == 0 && lseek(fd, 0, SEEK_END) == 5000,
	      "ftruncate to 5000");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == 5000 && S_ISREG(st.st_mode),
	      "fstat after ftruncate");
	/* dup shares the offset, as POSIX says. */
	int fd2 = dup(fd);
	CHECK(fd2 >= 0 && lseek(fd, 10, SEEK_SET) == 10 &&
		      lseek(fd2, 0, SEEK_CUR) == 10,
	      "dup shares the file offset");
	CHECK(dup2(fd, 20) == 20 && lseek(20, 0, SEEK_END) == 5000 &&
		      lseek(fd, 0, SEEK_CUR) == 5000,
	      "dup2 to fd 20 shares it too");
	CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 &&
		      fcntl(fd, F_GETFD) == FD_CLOEXEC &&
		      (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR,
	      "fcntl F_SETFD/F_GETFD/F_GETFL");
	CHECK(close(20) == 0 && close(fd2) == 0 && close(fd) == 0,
	      "close the three fds");
	FAILS(close(fd), EBADF, "close twice: EBADF");
	free(buf);
	free(back);
}

static void directories(void)
{
	CHECK(mkdir(in("sub"), 0755) == 0, "mkdir sub");
	FAILS(mkdir(in("sub"), 0755), EEXIST, "mkdir again: EEXIST");
	FILE *f = fopen(in("sub/inner"), "w");
	CHECK(f && fclose(f) == 0, "a file in sub");
	CHECK(rename(in("a.txt"), in("b.txt")) == 0, "rename a.txt b.txt");
	struct stat st;
	FAILS(stat(in("a.txt"), &st), ENOENT, "the old name is gone");
	CHECK(stat(in("b.txt"), &st) == 0 && st.st_size == 1699,
	      "the new name has the data");
	DIR *d = opendir(dir);
	CHECK(d, "opendir");
	if (!d)
		return;
	int seen = 0, dots = 0, other = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			dots++;
		else if (!strcmp(de->d_name, "b.txt") && de->d_type == DT_REG)
			seen |= 1;
		else if (!strcmp(de->d_name, "big.bin"))
			seen |= 2;
		else if (!strcmp(de->d_name, "sub") && de->d_type == DT_DIR)
			seen |= 4;
		else
			other++;
	}
	CHECK(errno == 0 && seen == 7 && dots == 2 && !other,
	      "readdir: . .. b.txt big.bin sub/ and nothing else");
	rewinddir(d);
	de = readdir(d);
	CHECK(de && !strcmp(de->d_name, "."), "rewinddir starts over");
	CHECK(closedir(d) == 0, "closedir");
	FAILS(rmdir(in("sub")), ENOTEMPTY, "rmdir of a full directory");
	FAILS(unlink(in("sub")), EISDIR, "unlink of a directory: EISDIR");
	CHECK(unlink(in("sub/inner")) == 0 && rmdir(in("sub")) == 0,
	      "unlink, then rmdir");
	FAILS(opendir(in("b.txt")) ? 0 : -1, ENOTDIR, "opendir of a file");
}

static void bad_paths(void)
{
	char name[300];
	memset(name, 'n', 256);
	name[256] = 0;
	FAILS(open(in("nope/x"), O_RDONLY), ENOENT, "open in a missing dir");
	FAILS(open(in("nope"), O_RDONLY), ENOENT, "open a missing file");
	FAILS(open(dir, O_WRONLY), EISDIR, "open a directory for writing");
	FAILS(open(in("b.txt/x"), O_RDONLY), ENOTDIR, "a file as a directory");
	FAILS(open(in("b.txt/"), O_RDONLY), ENOTDIR, "a file with a slash");
	FAILS(open(in("b.txt"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST,
	      "O_CREAT|O_EXCL on an existing file");
	FAILS(open(in(name), O_RDONLY), ENAMETOOLONG, "a 256-byte name");
	FAILS(open("", O_RDONLY), ENOENT, "an empty path");
	FAILS(fopen("/boot/etc/services.conf", "w") ? 0 : -1, EROFS,
	      "writing under /boot: EROFS");
	FAILS(read(57, name, 1), EBADF, "read of a closed fd");
	FAILS(write(57, name, 1), EBADF, "write of a closed fd");
	FAILS(lseek(57, 0, SEEK_SET), EBADF, "lseek of a closed fd");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	FAILS(read(dfd, name, 1), EISDIR, "read of a directory");
	CHECK(close(dfd) == 0, "close of a directory fd");
	FAILS(rename(in("nope"), in("x")), ENOENT, "rename of a missing file");
	FAILS(chdir(in("b.txt")), ENOTDIR, "chdir to a file");
	FAILS(unlink(in("nope")), ENOENT, "unlink of a missing file");
}

/* The child: its stdout is a file, its cwd the parent's. */
static int child(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return 2;
	FILE *f = fopen("b.txt", "r"); /* relative: the inherited cwd */
	char line[64] = "";
	if (!f || !fgets(line, sizeof(line), f))
		return 3;
	fclose(f);
	printf("child cwd %s\n", cwd);
	printf("child read %s", line);
	return fflush(stdout) == 0 ? 0 : 4;
}

static int run_child(const char *out_path, int64_t *status)
{
	/* The program's own file, read through fsd. */
	FILE *f = fopen("/boot/bin/fstest", "r");
	if (!f)
		return -1;
	struct stat st;
	char *img = NULL;
	if (fstat(fileno(f), &st) < 0 || !(img = malloc((size_t)st.st_size)) ||
	    fread(img, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		free(img);
		return -2;
	}
	fclose(f);
	int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		free(img);
		return -3;
	}
	struct execrt_spawn_args a = {.image = img,
				      .image_len = (size_t)st.st_size,
				      .cmdline = "fstest child",
				      .quota = CHILD_MEM};
	a.give[START_H_NAMES] = execrt_handle(START_H_NAMES);
	a.give[START_H_CONSOLE] = execrt_handle(START_H_CONSOLE);
	execrt_spawn_inherit(&a);
	execrt_spawn_set_fd(&a, 1, out);
	struct execrt_child c;
	long r = execrt_spawn_create("fstest-child", CHILD_MEM, &c);
	if (r == 0 && (r = execrt_spawn_start(&c, &a, NULL)) < 0)
		execrt_spawn_abort(&c);
	execrt_spawn_args_release(&a); /* when it never started */
	close(out); /* the child holds its own duplicate */
	free(img);
	if (r < 0)
		return -4;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	r = sys_object_wait(c.task, now + CHILD_WAIT, status);
	if (r < 0)
		sys_task_kill(c.task, -1);
	sys_handle_close(c.thread);
	sys_handle_close(c.task);
	return r < 0 ? -5 : 0;
}

static void inheritance(void)
{
	char here[PATH_MAX];
	CHECK(chdir(dir) == 0 && getcwd(here, sizeof(here)) &&
		      !strcmp(here, dir),
	      "chdir, getcwd");
	FILE *f = fopen("rel.txt", "w");
	CHECK(f && fclose(f) == 0, "a relative fopen after chdir");
	struct stat st;
	CHECK(stat(in("rel.txt"), &st) == 0 && unlink("rel.txt") == 0,
	      "it is in the new working directory");
	CHECK(chdir("..") == 0 && getcwd(here, sizeof(here)) &&
		      strcmp(here, dir) && chdir(dir) == 0,
	      "chdir .. and back");
	int64_t status = -1;
	int r = run_child("child.out", &status);
	char why[64];
	snprintf(why, sizeof(why), "spawn step %d, status %lld", r,
		 (long long)status);
	result(r == 0 && status == 0, "a child with stdout on a file", why);
	f = fopen(in("child.out"), "r");
	char l1[PATH_MAX + 16] = "", l2[64] = "", want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "child cwd %s\n", dir);
	int ok = f && fgets(l1, sizeof(l1), f) && fgets(l2, sizeof(l2), f);
	if (f)
		fclose(f);
	result(ok && !strcmp(l1, want), "the child inherited the cwd", l1);
	result(ok && !strcmp(l2, "child read LINE 0 of a.txt\n"),
	       "the child's stdout went to the file", l2);
	unlink(in("child.out"));
	chdir("/");
}

static void cleanup(void)
{
	unlink(in("b.txt"));
	unlink(in("big.bin"));
	CHECK(rmdir(dir) == 0, "rmdir the test directory");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "child"))
		return child();
	if (argc == 3 && !strcmp(argv[1], "say"))
		return printf("fstest says %s\n", argv[2]) > 0 ? 0 : 1;
	const char *base = argc >= 2 ? argv[1] : "/tmp";
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(dir, sizeof(dir), "%s/fstest.%ld", base, (long)ts.tv_nsec);
	if (mkdir(dir, 0755) < 0) {
		printf("FAIL mkdir %s: %s\n", dir, strerror(errno));
		printf("fstest: 0 passed, 1 failed\n");
		return 1;
	}
	printf("fstest: in %s\n", dir);
	stdio_text();
	stdio_more();
	big_and_positioned();
	directories();
	bad_paths();
	inheritance();
	cleanup();
	printf("fstest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
