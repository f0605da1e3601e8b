/* init's manifest parser (servers/init/manifest.c). The input is the
 * manifest text. Besides memory safety: the entry count stays within the
 * table, every string is terminated within its field, an entry marked good
 * has a program and only good dependencies (no cycle can survive: following
 * dependencies from a good entry always ends), every report starts with
 * "FILE:LINE: " for a line of the input, and parsing is deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static struct manifest m, m2;

static void fail(const char *what)
{
	fprintf(stderr, "init_manifest fuzz: %s\n", what);
	abort();
}

static bool has_prog(void *ctx, const char *prog)
{
	(void)ctx;
	return prog[0] != 'x'; /* some programs are "missing" */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *t = (const char *)data;
	int e = man_parse(&m, t, size, "f", has_prog, NULL);
	if (e < 0 || m.n < 0 || m.n > MAN_MAX_SVC || m.nerr != e)
		fail("counts");
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += t[i] == '\n';
	for (int i = 0; i < e && i < MAN_ERR_MAX; i++) {
		char *end;
		if (strnlen(m.err[i], MAN_ERRLEN) == MAN_ERRLEN ||
		    strncmp(m.err[i], "f:", 2))
			fail("report format");
		unsigned long l = strtoul(m.err[i] + 2, &end, 10);
		if (l == 0 || l > lines || strncmp(end, ": ", 2))
			fail("report line");
	}
	for (int i = 0; i < m.n; i++) {
		const struct man_svc *s = &m.svc[i];
		if (strnlen(s->name, MAN_NAME_MAX) == MAN_NAME_MAX ||
		    strnlen(s->program, MAN_PROG_MAX) == MAN_PROG_MAX ||
		    strnlen(s->cmdline, MAN_CMD_MAX) == MAN_CMD_MAX)
			fail("unterminated field");
		if (!s->ok)
			continue;
		if (!s->program[0] ||
		    strncmp(s->cmdline, s->program, strlen(s->program)))
			fail("good entry without its program");
		/* Walk the dependencies: at most n steps deep. */
		int depth[MAN_MAX_SVC] = {0};
		for (int round = 0; round <= m.n; round++)
			for (int j = 0; j < m.n; j++)
				for (int d = 0;
				     m.svc[j].ok && d < m.svc[j].nafter; d++) {
					int k = m.svc[j].dep[d];
					if (k < 0 || k >= m.n || !m.svc[k].ok)
						fail("good entry, bad "
						     "dependency");
					if (depth[k] + 1 > depth[j])
						depth[j] = depth[k] + 1;
				}
		for (int j = 0; j < m.n; j++)
			if (depth[j] >= m.n)
				fail("dependency cycle kept");
	}
	man_parse(&m2, t, size, "f", has_prog, NULL);
	if (memcmp(&m, &m2, sizeof(m)))
		fail("not deterministic");
	return 0;
}
