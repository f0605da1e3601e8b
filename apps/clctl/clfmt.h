/* clctl's pure half (no system calls; host-tested in
 * tests/host/test_sh_clctl.c): /svc/init's answers (ISSUE10.md, init
 * room) turned into readable text, and the request for a command line. */
#pragma once
#include <stddef.h>

#include "json.h"

/* Output into a fixed buffer: always NUL-terminated; what does not fit
 * is dropped and counted. */
struct clout {
	char *buf;
	size_t cap, len;
	size_t lost;
};

void clo_init(struct clout *o, char *buf, size_t cap);

/* The request for argv (argv[0] is "clctl"): its length, or -1 with a
 * usage message in err. */
int clctl_request(int argc, char **argv, char *req, size_t cap, char *err,
		  size_t errcap);

/* `status`: one row per service (result is the array, or has it as
 * "services"); anything else is printed as `generic` does. */
void clctl_fmt_status(struct clout *o, const struct json_doc *d, int result);
/* One page of init's status (it answers at most 12 services a time, with
 * "more"/"next"): the rows (and the header when asked); the number of
 * rows, or -1 when the answer was not a status (printed as it is). */
int clctl_fmt_status_page(struct clout *o, const struct json_doc *d, int result,
			  bool header);
/* `logs`: the text as it is (a final newline added) and the drop count. */
void clctl_fmt_logs(struct clout *o, const struct json_doc *d, int result);
/* Any other answer: "key: value" lines, nested values indented, arrays
 * as "- item" lines. */
void clctl_fmt_generic(struct clout *o, const struct json_doc *d, int tok);
