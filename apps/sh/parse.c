/* The shell's tokenizer and small parsers (parse.h). Nothing here makes a
 * system call: tests/host/test_sh_parse.c runs it under ASan+UBSan,
 * including on random bytes. */
#include <stdio.h>
#include <string.h>

#include <execrt/runtime.h>
#include <execrt/syscall.h>

#include "parse.h"

struct tok {
	struct sh_cmd *c;
	size_t o; /* next free byte of c->buf */
	bool inword;
	bool to_redir; /* the next word is the redirection's file */
};

static int start_word(struct tok *t)
{
	if (t->inword)
		return SH_OK;
	if (t->to_redir) {
		t->c->redir = t->c->buf + t->o;
		t->to_redir = false;
		t->inword = true;
		return SH_OK;
	}
	if (t->c->argc == SH_ARGS_MAX)
		return SH_E_WORDS;
	t->c->argv[t->c->argc++] = t->c->buf + t->o;
	t->inword = true;
	return SH_OK;
}

static void end_word(struct tok *t)
{
	if (!t->inword)
		return;
	t->c->buf[t->o++] = '\0';
	t->inword = false;
}

/* Bytes a line may not hold: NUL, C0 controls but tab, DEL. */
static bool bad_byte(unsigned char ch)
{
	return (ch < 0x20 && ch != '\t') || ch == 0x7f;
}

static int fail(struct sh_cmd *c, int e)
{
	c->argc = 0;
	c->argv[0] = NULL;
	c->background = false;
	c->redir = NULL;
	c->append = false;
	return e;
}

int sh_parse(const char *line, size_t len, struct sh_cmd *c)
{
	struct tok t = {.c = c};
	enum { NONE, SINGLE, DOUBLE } q = NONE;
	bool amp = false;
	int e;

	c->argc = 0;
	c->background = false;
	c->redir = NULL;
	c->append = false;
	if (len > SH_LINE_MAX)
		return fail(c, SH_E_TOO_LONG);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (bad_byte(ch))
			return fail(c, SH_E_CTRL);
		/* Only blanks may follow an unquoted '&'. */
		if (amp && ch != ' ' && ch != '\t')
			return fail(c, SH_E_AMP);
		if (q == SINGLE) {
			if (ch == '\'')
				q = NONE;
			else
				c->buf[t.o++] = (char)ch;
			continue;
		}
		if (q == DOUBLE) {
			if (ch == '"') {
				q = NONE;
			} else if (ch == '\\' && i + 1 < len &&
				   (line[i + 1] == '"' ||
				    line[i + 1] == '\\')) {
				c->buf[t.o++] = line[++i];
			} else {
				c->buf[t.o++] = (char)ch;
			}
			continue;
		}
		switch (ch) {
		case ' ':
		case '\t':
			end_word(&t);
			break;
		case '\'':
		case '"':
			if ((e = start_word(&t)))
				return fail(c, e);
			q = ch == '\'' ? SINGLE : DOUBLE;
			break;
		case '\\':
			if (i + 1 == len)
				return fail(c, SH_E_ESCAPE);
			if (bad_byte((unsigned char)line[i + 1]))
				return fail(c, SH_E_CTRL);
			if ((e = start_word(&t)))
				return fail(c, e);
			c->buf[t.o++] = line[++i];
			break;
		case '&':
			end_word(&t);
			if (t.to_redir)
				return fail(c, SH_E_REDIR);
			amp = true;
			break;
		case '>':
			end_word(&t);
			if (t.to_redir || c->redir)
				return fail(c, SH_E_REDIR);
			t.to_redir = true;
			if (i + 1 < len && line[i + 1] == '>') {
				c->append = true;
				i++;
			}
			break;
		case '|':
		case ';':
		case '<':
			return fail(c, SH_E_OP);
		default:
			if ((e = start_word(&t)))
				return fail(c, e);
			c->buf[t.o++] = (char)ch;
		}
	}
	if (q != NONE)
		return fail(c, SH_E_QUOTE);
	end_word(&t);
	if (amp && c->argc == 0)
		return fail(c, SH_E_AMP);
	if (t.to_redir || (c->redir && c->argc == 0))
		return fail(c, SH_E_REDIR);
	c->background = amp;
	c->argv[c->argc] = NULL;
	return SH_OK;
}

const char *sh_perr_str(int e)
{
	switch (e) {
	case SH_OK:
		return "ok";
	case SH_E_TOO_LONG:
		return "line too long (at most 1023 bytes)";
	case SH_E_QUOTE:
		return "unbalanced quotes";
	case SH_E_ESCAPE:
		return "backslash at the end of the line";
	case SH_E_AMP:
		return "'&' may only end a command";
	case SH_E_OP:
		return "pipes, ';' and '<' are not supported";
	case SH_E_REDIR:
		return "'>' needs a command and one file name";
	case SH_E_WORDS:
		return "too many words (at most 32)";
	case SH_E_CTRL:
		return "control character in the line";
	case SH_E_CMDLINE:
		return "command line too long for a program (at most 255 "
		       "bytes)";
	}
	return "bad input";
}

/* Whether the runtime's splitter would not give w back as it is. */
static bool needs_quotes(const char *w)
{
	return !*w || *w == EXECRT_ARG_QUOTE || strpbrk(w, " \t\n\r");
}

int sh_join_cmdline(char *const *argv, int argc, char *out, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return SH_E_CMDLINE;
	size_t max = cap - 1 < SH_CMDLINE_MAX ? cap - 1 : SH_CMDLINE_MAX;
	out[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		size_t l = strlen(w);
		bool q = needs_quotes(w);
		if (strchr(w, EXECRT_ARG_QUOTE)) {
			out[0] = '\0';
			return SH_E_CTRL;
		}
		if (n + (i > 0) + l + 2 * q > max) {
			out[0] = '\0';
			return SH_E_CMDLINE;
		}
		if (i > 0)
			out[n++] = ' ';
		if (q)
			out[n++] = EXECRT_ARG_QUOTE;
		memcpy(out + n, w, l);
		n += l;
		if (q)
			out[n++] = EXECRT_ARG_QUOTE;
		out[n] = '\0';
	}
	return SH_OK;
}

int sh_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A number running to the end of the line: decimal or 0x hex. */
static int line_u64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (p == end)
		return -1;
	for (; p < end; p++) {
		int d = hexval(*p);
		if (d < 0 || (unsigned)d >= base)
			return -1;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -1;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return 0;
}

int sh_bootinfo_u64(const char *text, size_t len, const char *key,
		    uint64_t *out)
{
	size_t kl = strlen(key);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if ((size_t)(le - p) > kl && !memcmp(p, key, kl) &&
		    p[kl] == ' ')
			return line_u64(p + kl + 1, le, out);
		p = le + 1;
	}
	return -1;
}

char *sh_fmt_ms(char *buf, size_t cap, uint64_t ns)
{
	snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ns / 1000000),
		 (unsigned long long)(ns / 1000 % 1000));
	return buf;
}

char *sh_fmt_status(char *buf, size_t cap, int64_t st)
{
	const long long v = (long long)st;
	if (st <= TASK_STATUS_FAULT(0) && st > TASK_STATUS_PARENT_DIED)
		snprintf(buf, cap, "%lld (fault, vector %lld)", v,
			 (long long)(TASK_STATUS_FAULT(0) - st));
	else if (st == TASK_STATUS_PARENT_DIED)
		snprintf(buf, cap, "%lld (parent died)", v);
	else if (st == TASK_STATUS_UNREACHABLE)
		snprintf(buf, cap, "%lld (never ran)", v);
	else if (st > 128 && st < 128 + 65)
		snprintf(buf, cap, "%lld (signal %lld)", v, v - 128);
	else
		snprintf(buf, cap, "%lld", v);
	return buf;
}
