/* The file builtins (docs/shell.md "Files"): ls [-l], cat, echo, mkdir,
 * rm, rmdir, mv, cd, pwd, and the `> FILE` / `>> FILE` redirection.
 * Plain libc calls (opendir, stat, open, rename, chdir...): the runtime
 * turns them into fsd calls (docs/userland.md "Files"). Errors go to
 * stderr, so a redirected builtin's file holds its output only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsfmt.h"
#include "sh.h"

#define LS_MAX 4096 /* entries one ls sorts; more are listed unsorted */

static void err(struct sh *s, const char *cmd, const char *what)
{
	int e = errno;
	fflush(stdout);
	/* The runtime's ENOSYS for a file call: no fsd to reach. */
	fprintf(stderr, "sh: %s: %s: %s\n", cmd, what,
		e == ENOSYS ? "no file service (/svc/fsd is not there)"
			    : strerror(e));
	s->status = SH_STATUS_ERROR;
}

static void usage(struct sh *s, const char *text)
{
	fflush(stdout);
	fprintf(stderr, "sh: usage: %s\n", text);
	s->status = SH_STATUS_USAGE;
}

static void ls_one(const char *dir, const char *name, bool lng)
{
	if (!lng) {
		printf("%s\n", name);
		return;
	}
	char path[PATH_MAX], line[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0) {
		printf("?????????? %s (%s)\n", name, strerror(errno));
		return;
	}
	sh_fmt_ls_long(line, sizeof(line), st.st_mode, st.st_nlink,
		       (uint64_t)st.st_size, name);
	printf("%s\n", line);
}

static void ls_dir(struct sh *s, const char *path, bool lng)
{
	DIR *d = opendir(path);
	if (!d) {
		err(s, "ls", path);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap && cap < LS_MAX) {
			size_t nc = cap ? cap * 2 : 32;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (nn) {
				names = nn;
				cap = nc;
			}
		}
		char *copy = n < cap ? strdup(de->d_name) : NULL;
		if (copy)
			names[n++] = copy;
		else
			ls_one(path, de->d_name,
			       lng); /* no room: as it comes */
	}
	if (errno)
		err(s, "ls", path);
	closedir(d);
	sh_sort_names(names, n);
	for (size_t i = 0; i < n; i++) {
		ls_one(path, names[i], lng);
		free(names[i]);
	}
	free(names);
}

static void ls(struct sh *s, struct sh_cmd *c)
{
	int i = 1;
	bool lng = false;
	if (i < c->argc && !strcmp(c->argv[i], "-l")) {
		lng = true;
		i++;
	}
	if (i < c->argc && c->argv[i][0] == '-' && c->argv[i][1]) {
		usage(s, "ls [-l] [PATH...]");
		return;
	}
	int first = i, many = c->argc - i > 1;
	if (i == c->argc)
		ls_dir(s, ".", lng);
	for (; i < c->argc; i++) {
		const char *p = c->argv[i];
		struct stat st;
		if (stat(p, &st) < 0) {
			err(s, "ls", p);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			char line[PATH_MAX + 64];
			if (lng)
				sh_fmt_ls_long(line, sizeof(line), st.st_mode,
					       st.st_nlink,
					       (uint64_t)st.st_size, p);
			printf("%s\n", lng ? line : p);
			continue;
		}
		if (many)
			printf("%s%s:\n", i > first ? "\n" : "", p);
		ls_dir(s, p, lng);
	}
}

static void cat(struct sh *s, struct sh_cmd *c)
{
	static char buf[16384];
	if (c->argc < 2) {
		usage(s, "cat FILE...");
		return;
	}
	for (int i = 1; i < c->argc; i++) {
		int fd = open(c->argv[i], O_RDONLY);
		if (fd < 0) {
			err(s, "cat", c->argv[i]);
			continue;
		}
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		if (n < 0)
			err(s, "cat", c->argv[i]);
		close(fd);
	}
	fflush(stdout);
}

static void echo(struct sh_cmd *c)
{
	for (int i = 1; i < c->argc; i++)
		printf("%s%s", i > 1 ? " " : "", c->argv[i]);
	printf("\n");
}

/* mkdir, rm, rmdir: one call per argument. */
static void each(struct sh *s, struct sh_cmd *c, int (*fn)(const char *))
{
	if (c->argc < 2) {
		char u[32];
		snprintf(u, sizeof(u), "%s PATH...", c->argv[0]);
		usage(s, u);
		return;
	}
	for (int i = 1; i < c->argc; i++)
		if (fn(c->argv[i]) < 0)
			err(s, c->argv[0], c->argv[i]);
}

static int mkdir_fn(const char *p)
{
	return mkdir(p, 0777);
}

static void mv(struct sh *s, struct sh_cmd *c)
{
	char to[PATH_MAX];
	struct stat st;
	if (c->argc != 3) {
		usage(s, "mv FROM TO (TO may be a directory)");
		return;
	}
	const char *dst = c->argv[2];
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (sh_join_into(dst, c->argv[1], to, sizeof(to)) < 0) {
			errno = ENAMETOOLONG;
			err(s, "mv", c->argv[1]);
			return;
		}
		dst = to;
	}
	if (rename(c->argv[1], dst) < 0)
		err(s, "mv", c->argv[1]);
}

static void cd(struct sh *s, struct sh_cmd *c)
{
	if (c->argc > 2) {
		usage(s, "cd [DIR]");
		return;
	}
	const char *p = c->argc == 2 ? c->argv[1] : "/";
	if (chdir(p) < 0)
		err(s, "cd", p);
}

static void pwd(struct sh *s, struct sh_cmd *c)
{
	char b[PATH_MAX];
	if (c->argc > 1) {
		usage(s, "pwd");
		return;
	}
	if (!getcwd(b, sizeof(b)))
		err(s, "pwd", ".");
	else
		printf("%s\n", b);
}

static const char *const names[] = {"ls",    "cat", "echo", "mkdir", "rm",
				    "rmdir", "mv",  "cd",   "pwd"};

bool sh_is_file_builtin(const char *n)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n, names[i]))
			return true;
	return false;
}

void sh_file_builtin(struct sh *s, struct sh_cmd *c)
{
	const char *n = c->argv[0];
	if (!strcmp(n, "ls"))
		ls(s, c);
	else if (!strcmp(n, "cat"))
		cat(s, c);
	else if (!strcmp(n, "echo"))
		echo(c);
	else if (!strcmp(n, "mkdir"))
		each(s, c, mkdir_fn);
	else if (!strcmp(n, "rm"))
		each(s, c, unlink);
	else if (!strcmp(n, "rmdir"))
		each(s, c, rmdir);
	else if (!strcmp(n, "mv"))
		mv(s, c);
	else if (!strcmp(n, "cd"))
		cd(s, c);
	else if (!strcmp(n, "pwd"))
		pwd(s, c);
}

int sh_redirect_open(struct sh *s, struct sh_cmd *c)
{
	int fd = open(c->redir,
		      O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC) |
			      O_CLOEXEC,
		      0666);
	if (fd < 0)
		err(s, c->argv[0], c->redir);
	return fd;
}

bool sh_builtin_redirected(struct sh *s, struct sh_cmd *c,
			   void (*run)(struct sh *, struct sh_cmd *))
{
	int fd = sh_redirect_open(s, c);
	if (fd < 0)
		return false;
	fflush(stdout);
	int saved = dup(1);
	if (saved < 0 || dup2(fd, 1) < 0) {
		err(s, c->argv[0], c->redir);
		close(fd);
		if (saved >= 0)
			close(saved);
		return false;
	}
	close(fd);
	run(s, c);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return true;
}
