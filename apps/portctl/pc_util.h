/* pc_util: portctl's parts without system calls (docs/names.md,
 * "portctl"): arguments, service names, JSON pretty and compact printing,
 * the port index a streamed request needs. Host-tested
 * (tests/host/test_names_portctl.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_JSON_MAX 4096

struct pc_args {
	char svc[64]; /* "/svc/x" */
	char json[PC_JSON_MAX];
	bool stream, compact, reconnect;
	bool until_ok; /* ask again (20 ms apart) until ok or the timeout */
	uint64_t timeout_ms;
};

/* portctl <svc> <json words...> [--stream] [--compact] [--reconnect]
 * [--until-ok] [--timeout MS]. The JSON may arrive split on blanks (the command
 * line is split on blanks): its words are joined with one space. 0, or -1 with
 * a message in err. */
int pc_parse_args(int argc, char **argv, struct pc_args *a, char *err,
		  size_t errcap);
/* "test" -> "/svc/test"; "/svc/test" stays. -1 if it cannot be a name. */
int pc_svc_name(const char *arg, char *out, size_t cap);
/* JSON text (valid; len bytes) laid out with 2-space indents, or on one
 * line without blanks outside strings. Length, or -1 if out is too small
 * (out is then truncated but terminated). */
int pc_pretty(const char *js, size_t len, char *out, size_t cap);
int pc_compact(const char *js, size_t len, char *out, size_t cap);
/* The request json (an object) with "port":0 added unless it has a
 * "port" already. Length, or -1 (not an object, too long). */
int pc_with_port(const char *json, char *out, size_t cap);
