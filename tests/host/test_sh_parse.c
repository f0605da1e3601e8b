/* The shell's tokenizer and small parsers (apps/sh/parse.c): words,
 * quotes, escapes, '&', every error, and random input (never a crash,
 * always a consistent result). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "parse.h"

#include <execrt/runtime.h>

#include <execrt/syscall.h>

static struct sh_cmd cmd;

static int parse(const char *s)
{
	return sh_parse(s, strlen(s), &cmd);
}

#define ARG_EQ(i, want)                                                        \
	do {                                                                   \
		CHECK((i) < cmd.argc);                                         \
		if (strcmp(cmd.argv[i], want)) {                               \
			fprintf(stderr,                                        \
				"    argv[%d] = \"%s\", want \"%s\"\n",        \
				(int)(i), cmd.argv[i], want);                  \
			harness_fail(__FILE__, __LINE__, "argv");              \
			return;                                                \
		}                                                              \
	} while (0)

TEST(sh_parse_words)
{
	CHECK_EQ(parse(""), SH_OK);
	CHECK_EQ(cmd.argc, 0);
	CHECK_EQ(parse("   \t  "), SH_OK);
	CHECK_EQ(cmd.argc, 0);
	CHECK_EQ(parse("  ps  "), SH_OK);
	CHECK_EQ(cmd.argc, 1);
	ARG_EQ(0, "ps");
	CHECK(cmd.argv[1] == NULL);
	CHECK_EQ(parse("kill\t42 x"), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(0, "kill");
	ARG_EQ(1, "42");
	ARG_EQ(2, "x");
	CHECK(!cmd.background);
	/* UTF-8 passes through. */
	CHECK_EQ(parse("echo h\xc3\xa9"), SH_OK);
	ARG_EQ(1, "h\xc3\xa9");
}

TEST(sh_parse_quotes)
{
	CHECK_EQ(parse("portctl /svc/test '{\"cmd\": \"ping\"}'"), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(2, "{\"cmd\": \"ping\"}");
	CHECK_EQ(parse("a\"b c\"d"), SH_OK);
	CHECK_EQ(cmd.argc, 1);
	ARG_EQ(0, "ab cd");
	/* Empty quotes make an empty word. */
	CHECK_EQ(parse("x '' \"\""), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(1, "");
	ARG_EQ(2, "");
	/* Backslash escapes in double quotes: only \" and \\. */
	CHECK_EQ(parse("\"a\\\"b\\\\c\\n\""), SH_OK);
	ARG_EQ(0, "a\"b\\c\\n");
	/* Single quotes keep backslashes and double quotes. */
	CHECK_EQ(parse("'a\\\"b'"), SH_OK);
	ARG_EQ(0, "a\\\"b");
	/* Outside quotes a backslash takes the next byte. */
	CHECK_EQ(parse("a\\ b \\& \\'"), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(0, "a b");
	ARG_EQ(1, "&");
	ARG_EQ(2, "'");
	CHECK(!cmd.background);
	/* Operators inside quotes are plain bytes. */
	CHECK_EQ(parse("'a|b;c<d>e&'"), SH_OK);
	ARG_EQ(0, "a|b;c<d>e&");
}

TEST(sh_parse_background)
{
	CHECK_EQ(parse("testsvc --tick-ms 10 &"), SH_OK);
	CHECK(cmd.background);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(2, "10");
	CHECK_EQ(parse("sleeper&"), SH_OK);
	CHECK(cmd.background);
	ARG_EQ(0, "sleeper");
	CHECK_EQ(parse("x &  \t"), SH_OK);
	CHECK(cmd.background);
	CHECK_EQ(parse("&"), SH_E_AMP);
	CHECK_EQ(parse("  & "), SH_E_AMP);
	CHECK_EQ(parse("a & b"), SH_E_AMP);
	CHECK_EQ(parse("a && b"), SH_E_AMP);
	CHECK_EQ(parse("a &&"), SH_E_AMP);
	CHECK_EQ(cmd.argc, 0);
	CHECK(!cmd.background);
}

TEST(sh_parse_redirection)
{
	CHECK_EQ(parse("echo x > f"), SH_OK);
	CHECK_EQ(cmd.argc, 2);
	ARG_EQ(0, "echo");
	ARG_EQ(1, "x");
	CHECK(cmd.redir && !strcmp(cmd.redir, "f"));
	CHECK(!cmd.append);
	CHECK_EQ(parse("echo x>>f y"), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(2, "y");
	CHECK(!strcmp(cmd.redir, "f"));
	CHECK(cmd.append);
	CHECK_EQ(parse(">'a b' hello &"), SH_OK);
	CHECK_EQ(cmd.argc, 1);
	CHECK(!strcmp(cmd.redir, "a b"));
	CHECK(cmd.background);
	/* Quoted or escaped, '>' is a character. */
	CHECK_EQ(parse("echo '>' \\> \\>\\>"), SH_OK);
	CHECK_EQ(cmd.argc, 4);
	ARG_EQ(3, ">>");
	CHECK_EQ(cmd.redir, NULL);
	CHECK_EQ(parse("echo '>' \\>f"), SH_OK);
	ARG_EQ(2, ">f");
	CHECK_EQ(cmd.redir, NULL);
	CHECK_EQ(parse("echo \\> \">\""), SH_OK);
	CHECK_EQ(cmd.argc, 3);
	ARG_EQ(1, ">");
	ARG_EQ(2, ">");
	CHECK_EQ(cmd.redir, NULL);
	CHECK_EQ(parse("echo plain"), SH_OK);
	CHECK_EQ(cmd.redir, NULL);
}

TEST(sh_parse_errors)
{
	CHECK_EQ(parse("echo 'abc"), SH_E_QUOTE);
	CHECK_EQ(cmd.argc, 0);
	CHECK_EQ(parse("echo \"abc"), SH_E_QUOTE);
	CHECK_EQ(parse("echo \"ab\\\""), SH_E_QUOTE);
	CHECK_EQ(parse("'"), SH_E_QUOTE);
	CHECK_EQ(parse("abc\\"), SH_E_ESCAPE);
	CHECK_EQ(parse("a | b"), SH_E_OP);
	CHECK_EQ(parse("a;b"), SH_E_OP);
	CHECK_EQ(parse("cat < f"), SH_E_OP);
	CHECK_EQ(parse("> f"), SH_E_REDIR);
	CHECK_EQ(cmd.redir, NULL);
	CHECK_EQ(parse("echo >"), SH_E_REDIR);
	CHECK_EQ(parse("echo > a > b"), SH_E_REDIR);
	CHECK_EQ(parse("echo > > b"), SH_E_REDIR);
	CHECK_EQ(parse("echo >>> b"), SH_E_REDIR);
	CHECK_EQ(parse("echo > &"), SH_E_REDIR);
	CHECK_EQ(cmd.argc, 0);
	CHECK(!cmd.append);
	CHECK_EQ(parse("a\x01"), SH_E_CTRL);
	CHECK_EQ(parse("a\x7f"), SH_E_CTRL);
	CHECK_EQ(parse("'a\x1b[A'"), SH_E_CTRL);
	CHECK_EQ(parse("a\\\x1b"), SH_E_CTRL);
	CHECK_EQ(sh_parse("a\0b", 3, &cmd), SH_E_CTRL);
	/* 32 words fit, 33 do not. */
	char line[200] = "";
	for (int i = 0; i < 32; i++)
		strcat(line, "w ");
	CHECK_EQ(parse(line), SH_OK);
	CHECK_EQ(cmd.argc, 32);
	strcat(line, "w");
	CHECK_EQ(parse(line), SH_E_WORDS);
	CHECK_EQ(cmd.argc, 0);
	for (int e = SH_OK; e <= SH_E_CMDLINE; e++)
		CHECK(strlen(sh_perr_str(e)) > 0);
}

TEST(sh_parse_long_lines)
{
	static char big[10 * 1024 + 1];
	memset(big, 'x', sizeof(big) - 1);
	CHECK_EQ(sh_parse(big, sizeof(big) - 1, &cmd), SH_E_TOO_LONG);
	CHECK_EQ(cmd.argc, 0);
	/* Exactly the console's limit: one word of 1023 bytes. */
	CHECK_EQ(sh_parse(big, SH_LINE_MAX, &cmd), SH_OK);
	CHECK_EQ(cmd.argc, 1);
	CHECK_EQ(strlen(cmd.argv[0]), SH_LINE_MAX);
	CHECK_EQ(sh_parse(big, SH_LINE_MAX + 1, &cmd), SH_E_TOO_LONG);
	/* The densest line: 32 one-byte words and blanks. */
	char dense[64];
	for (int i = 0; i < 32; i++) {
		dense[2 * i] = 'a';
		dense[2 * i + 1] = ' ';
	}
	CHECK_EQ(sh_parse(dense, 63, &cmd), SH_OK);
	CHECK_EQ(cmd.argc, 32);
}

/* What sh writes as a child's command line, split again by the runtime
 * (libs/runtime/util.c, as the child's crt0 does), gives the same words. */
static int round_trip(char *const *argv, int argc)
{
	static char out[256];
	char *back[SH_ARGS_MAX + 2];
	if (sh_join_cmdline(argv, argc, out, sizeof(out)))
		return -1;
	int n = execrt_split_args(out, back, SH_ARGS_MAX + 1);
	if (n != argc)
		return -2;
	for (int i = 0; i < n; i++)
		if (strcmp(back[i], argv[i]))
			return -3 - i;
	return back[n] == NULL ? 0 : -100;
}

TEST(sh_join_cmdline_rules)
{
	char out[256];
	CHECK_EQ(parse("portctl /svc/test '{\"cmd\":\"ping\"}'"), SH_OK);
	CHECK_EQ(sh_join_cmdline(cmd.argv, cmd.argc, out, sizeof(out)), SH_OK);
	/* Plain words go as they are (quotes inside a word included). */
	CHECK(!strcmp(out, "portctl /svc/test {\"cmd\":\"ping\"}"));
	CHECK_EQ(round_trip(cmd.argv, cmd.argc), 0);
	CHECK_EQ(parse("hello 'it''s' \"a b\" '' '\"x' 'a\\\"b c\\\\'"), SH_OK);
	CHECK_EQ(sh_join_cmdline(cmd.argv, cmd.argc, out, sizeof(out)), SH_OK);
	CHECK(!strcmp(out, "hello its \x01"
			   "a b\x01 \x01\x01 \"x "
			   "\x01"
			   "a\\\"b c\\\\\x01"));
	CHECK_EQ(round_trip(cmd.argv, cmd.argc), 0);
	/* A control byte cannot be passed (the tokenizer never makes one). */
	char *ctl[2] = {"p", "a\x01"};
	CHECK_EQ(sh_join_cmdline(ctl, 2, out, sizeof(out)), SH_E_CTRL);
	CHECK_EQ(out[0], '\0');
	/* 255 bytes fit, 256 do not; quoting counts. */
	char w[300];
	memset(w, 'y', sizeof(w));
	w[253] = '\0';
	char *argv[2] = {"p", w};
	CHECK_EQ(sh_join_cmdline(argv, 2, out, sizeof(out)), SH_OK);
	CHECK_EQ(strlen(out), 255);
	CHECK_EQ(round_trip(argv, 2), 0);
	w[253] = 'y';
	w[254] = '\0';
	CHECK_EQ(sh_join_cmdline(argv, 2, out, sizeof(out)), SH_E_CMDLINE);
	CHECK_EQ(out[0], '\0');
	w[250] = '\0';
	w[10] = ' ';
	CHECK_EQ(sh_join_cmdline(argv, 2, out, sizeof(out)), SH_OK);
	w[250] = 'y';
	w[251] = '\0'; /* "p " + 251 + 2 quotes = 255 */
	CHECK_EQ(sh_join_cmdline(argv, 2, out, sizeof(out)), SH_OK);
	CHECK_EQ(round_trip(argv, 2), 0);
	w[251] = 'y';
	w[252] = '\0';
	CHECK_EQ(sh_join_cmdline(argv, 2, out, sizeof(out)), SH_E_CMDLINE);
	CHECK_EQ(sh_join_cmdline(argv, 2, out, 10), SH_E_CMDLINE);
	CHECK_EQ(sh_join_cmdline(argv, 2, out, 0), SH_E_CMDLINE);
	char *none[1] = {NULL};
	CHECK_EQ(sh_join_cmdline(none, 0, out, sizeof(out)), SH_OK);
	CHECK_EQ(out[0], '\0');
}

/* The runtime's splitter on its own: command lines without the quote
 * byte split exactly as before (quotes and backslashes are plain bytes,
 * as portctl's JSON spread over several words needs). */
TEST(sh_runtime_split_compat)
{
	char line[128] =
		"  init --manifest etc/x.conf\tgtest=!a,b { \"k\" : 1 } ";
	char *argv[12];
	CHECK_EQ(execrt_split_args(line, argv, 12), 9);
	CHECK(!strcmp(argv[0], "init"));
	CHECK(!strcmp(argv[2], "etc/x.conf"));
	CHECK(!strcmp(argv[5], "\"k\""));
	CHECK(argv[9] == NULL);
	strcpy(line, "a b c d");
	CHECK_EQ(execrt_split_args(line, argv, 3), 2); /* the rest dropped */
	CHECK(!strcmp(argv[1], "b"));
	CHECK(argv[2] == NULL);
	strcpy(line, "\x01unterminated quote");
	CHECK_EQ(execrt_split_args(line, argv, 8), 1);
	CHECK(!strcmp(argv[0], "unterminated quote"));
	strcpy(line, "\x01"
		     "a b\x01"
		     "c\\ \x01\x01 \"q\"");
	CHECK_EQ(execrt_split_args(line, argv, 8), 3);
	CHECK(!strcmp(argv[0], "a bc\\"));
	CHECK(!strcmp(argv[1], ""));
	CHECK(!strcmp(argv[2], "\"q\""));
	CHECK_EQ(execrt_split_args(line, argv, 0), 0);
}

/* Random words with blanks, quotes and backslashes survive the trip. */
TEST(sh_join_random_round_trip)
{
	static const char alpha[] = "a \"\\'\t&x";
	static char words[SH_ARGS_MAX][16];
	char *argv[SH_ARGS_MAX];
	uint64_t s = 12345;
	int fits = 0;
	for (int n = 0; n < 50000; n++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int argc = 1 + (int)(s >> 60) % 8;
		for (int i = 0; i < argc; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			int len = (int)((s >> 33) % 12);
			for (int k = 0; k < len; k++)
				words[i][k] = alpha[(s >> (k * 4)) % 8];
			words[i][len] = '\0';
			argv[i] = words[i];
		}
		int r = round_trip(argv, argc);
		if (r == -1)
			continue;
		CHECK_EQ(r, 0);
		fits++;
	}
	CHECK(fits > 40000);
}

TEST(sh_numbers_and_bootinfo)
{
	uint64_t v = 0;
	CHECK_EQ(sh_parse_u64("42", &v), 0);
	CHECK_EQ(v, 42);
	CHECK_EQ(sh_parse_u64("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(sh_parse_u64("18446744073709551616", &v), -1);
	CHECK_EQ(sh_parse_u64("", &v), -1);
	CHECK_EQ(sh_parse_u64("-1", &v), -1);
	CHECK_EQ(sh_parse_u64("12a", &v), -1);
	CHECK_EQ(sh_parse_u64(NULL, &v), -1);

	const char bi[] = "protocol pvh\ncmdline init=x kernel_entry_ns 5\n"
			  "kernel_entry_ns_x 7\nkernel_entry_ns 123456789\n"
			  "acpi_pm1a_cnt 0x604";
	CHECK_EQ(sh_bootinfo_u64(bi, sizeof(bi) - 1, "kernel_entry_ns", &v), 0);
	CHECK_EQ(v, 123456789);
	CHECK_EQ(sh_bootinfo_u64(bi, sizeof(bi) - 1, "acpi_pm1a_cnt", &v), 0);
	CHECK_EQ(v, 0x604);
	CHECK_EQ(sh_bootinfo_u64(bi, sizeof(bi) - 1, "rsdp", &v), -1);
	/* Cut short: the value is not read past len. */
	CHECK_EQ(sh_bootinfo_u64(bi, sizeof(bi) - 3, "acpi_pm1a_cnt", &v), 0);
	CHECK_EQ(v, 6);
	CHECK_EQ(sh_bootinfo_u64("k 12x\n", 6, "k", &v), -1);
	CHECK_EQ(sh_bootinfo_u64("k \n", 3, "k", &v), -1);
	CHECK_EQ(sh_bootinfo_u64("k 0x\n", 5, "k", &v), -1);

	char ms[32];
	CHECK(!strcmp(sh_fmt_ms(ms, sizeof(ms), 87654321), "87.654"));
	CHECK(!strcmp(sh_fmt_ms(ms, sizeof(ms), 999), "0.000"));
}

/* Random lines from an alphabet heavy in special bytes: sh_parse never
 * crashes (ASan/UBSan), its words lie inside the buffer, and an accepted
 * line's words re-quoted parse back to the same words. */
TEST(sh_parse_random)
{
	static const char alpha[] = "ab '\"\\&|;<> \t\x01\x7f\xc3x";
	static char line[1100];
	static struct sh_cmd again;
	static char requoted[4 * 1100];
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0;
	for (int n = 0; n < 200000; n++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		size_t len = (size_t)(s % (n % 100 == 0 ? 1100 : 40));
		for (size_t i = 0; i < len; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			line[i] = (s & 0xff) < 200
					  ? alpha[s % (sizeof(alpha) - 1)]
					  : (char)(s >> 8);
		}
		int e = sh_parse(line, len, &cmd);
		CHECK(e >= SH_OK && e <= SH_E_CTRL);
		if (e != SH_OK) {
			CHECK_EQ(cmd.argc, 0);
			continue;
		}
		ok++;
		CHECK(cmd.argc <= SH_ARGS_MAX);
		CHECK(cmd.argv[cmd.argc] == NULL);
		size_t r = 0;
		for (int i = 0; i < cmd.argc; i++) {
			CHECK(cmd.argv[i] >= cmd.buf &&
			      cmd.argv[i] < cmd.buf + sizeof(cmd.buf));
			/* Single-quote each word; a ' inside goes as \'. */
			requoted[r++] = '\'';
			for (const char *p = cmd.argv[i]; *p; p++) {
				if (*p == '\'') {
					memcpy(requoted + r, "'\\''", 4);
					r += 4;
				} else {
					requoted[r++] = *p;
				}
			}
			requoted[r++] = '\'';
			requoted[r++] = ' ';
		}
		if (r > SH_LINE_MAX)
			continue;
		CHECK_EQ(sh_parse(requoted, r, &again), SH_OK);
		CHECK_EQ(again.argc, cmd.argc);
		for (int i = 0; i < cmd.argc; i++)
			CHECK(!strcmp(again.argv[i], cmd.argv[i]));
	}
	CHECK(ok > 1000); /* the alphabet lets many lines through */
}

TEST(sh_status_strings)
{
	char b[64];
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), 0), "0"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), 3), "3"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), 130), "130 (signal 2)"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), -1), "-1"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), TASK_STATUS_FAULT(14)),
		      "-65550 (fault, vector 14)"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), TASK_STATUS_FAULT(0)),
		      "-65536 (fault, vector 0)"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), TASK_STATUS_PARENT_DIED),
		      "-131072 (parent died)"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), TASK_STATUS_UNREACHABLE),
		      "-196608 (never ran)"));
	CHECK(!strcmp(sh_fmt_status(b, sizeof(b), INT64_MIN),
		      "-9223372036854775808"));
}
