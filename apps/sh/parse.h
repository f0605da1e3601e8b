/* The shell's pure half (no system calls; host-tested under ASan+UBSan in
 * tests/host/test_sh_parse.c): the command-line tokenizer, the command line
 * handed to a child, numbers, and the bootinfo text lookup. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SH_LINE_MAX    1023 /* the console's readline limit */
#define SH_ARGS_MAX    32   /* words per line (the runtime's argv bound) */
#define SH_CMDLINE_MAX 255  /* start_info.cmdline without its NUL */

enum sh_perr {
	SH_OK = 0,
	SH_E_TOO_LONG, /* over SH_LINE_MAX bytes */
	SH_E_QUOTE,    /* a quote without its closing twin */
	SH_E_ESCAPE,   /* a backslash ending the line */
	SH_E_AMP,      /* '&' not at the end, or alone */
	SH_E_OP,       /* | ; < (no pipes, no input redirection) */
	SH_E_REDIR,    /* '>' without a command or a file, or twice */
	SH_E_WORDS,    /* more than SH_ARGS_MAX words */
	SH_E_CTRL,     /* a control character or NUL */
	SH_E_CMDLINE,  /* the child's command line over SH_CMDLINE_MAX */
};

/* A parsed line: argv points into buf. */
struct sh_cmd {
	int argc;
	char *argv[SH_ARGS_MAX + 1]; /* NULL-terminated */
	bool background;	     /* ended with '&' */
	char *redir;		     /* "> FILE" / ">> FILE": FILE, else NULL */
	bool append;		     /* ">>" */
	char buf[SH_LINE_MAX + SH_ARGS_MAX + 1];
};

/* Splits len bytes of line into words: blanks (space, tab) separate them;
 * '...' keeps everything literally; "..." too, except that \" and \\ give
 * " and \ (a backslash before anything else stays); outside quotes a
 * backslash takes the next byte literally. An unquoted '&' may only end
 * the line (background). An unquoted '>' (or '>>': append) takes the next
 * word as the file stdout goes to (anywhere in the line, once). An empty
 * line gives argc 0. SH_OK or an SH_E_* code; c is always left
 * consistent. */
int sh_parse(const char *line, size_t len, struct sh_cmd *c);

/* A short English description of an SH_E_* code. */
const char *sh_perr_str(int e);

/* argv[0..argc) as a child's start_info.cmdline, in the form the
 * runtime's execrt_split_args() splits back into the same words: joined
 * with single blanks; a word that is empty or holds a blank is put between
 * two EXECRT_ARG_QUOTE bytes (\x01; the tokenizer never lets a control
 * character into a word: one there is SH_E_CTRL). SH_E_CMDLINE when the
 * result would be longer than SH_CMDLINE_MAX or cap - 1 bytes. */
int sh_join_cmdline(char *const *argv, int argc, char *out, size_t cap);

/* A decimal number (digits only, no sign, fits 64 bits): 0, else -1. */
int sh_parse_u64(const char *s, uint64_t *out);

/* The value of the line "key N" (decimal or 0x hex) of the bootinfo text
 * (len bytes, not necessarily NUL-terminated): 0, else -1. */
int sh_bootinfo_u64(const char *text, size_t len, const char *key,
		    uint64_t *out);

/* "N.NNN" milliseconds of ns into buf; returns buf. */
char *sh_fmt_ms(char *buf, size_t cap, uint64_t ns);

/* A task's exit status as sh reports it: "0", "130", or the number with
 * what it means ("-65550 (fault, vector 14)"). Returns buf. */
char *sh_fmt_status(char *buf, size_t cap, int64_t st);
