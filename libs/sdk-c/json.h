/* JSON for the ports protocol (docs/sdk-c.md): a reader over jsmn (Debian's
 * header-only libjsmn-dev, strict mode) that validates what jsmn lets
 * through, finds values by path ("result.id", "events.0") and converts them
 * with range checks; and a small writer that escapes strings and never
 * writes past its buffer. Pure code: no system calls, host-tested
 * (tests/host/test_json.c). Every error is a negative JSON_ERR_*. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_TOKENS 256 /* per document: bounds nesting too */
#define JSON_W_DEPTH	16  /* writer nesting */

#define JSON_OK		  0
#define JSON_ERR_SYNTAX	  (-1) /* not valid JSON (or not one value) */
#define JSON_ERR_TOKENS	  (-2) /* more than JSON_MAX_TOKENS tokens */
#define JSON_ERR_TRUNC	  (-3) /* the text ends inside a value */
#define JSON_ERR_TYPE	  (-4) /* the value has another type */
#define JSON_ERR_RANGE	  (-5) /* a number does not fit */
#define JSON_ERR_NOTFOUND (-6) /* no such key or index */
#define JSON_ERR_SPACE	  (-7) /* the output buffer is too small */
#define JSON_ERR_ARG	  (-8) /* a bad argument (NULL, bad token index) */

enum json_type {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_BOOL,
	JSON_NULL,
};

struct json_tok {
	int type; /* enum json_type */
	int start, end;
	int size; /* members (object), elements (array) */
};

/* A parsed document. It points into the text, which must outlive it. */
struct json_doc {
	const char *js;
	size_t len;
	int ntok;
	struct json_tok tok[JSON_MAX_TOKENS];
};

/* Parses exactly one JSON value (surrounding white space allowed) of len
 * bytes; an embedded NUL is an error. 0 or JSON_ERR_*. Token 0 is the
 * top-level value. */
int json_parse(struct json_doc *d, const char *js, size_t len);

/* The token of the value at path (keys and array indexes separated by
 * '.'; "" is tok itself) below token tok; or JSON_ERR_NOTFOUND/_ARG.
 * Keys compare as json_str_eq() does; the first member of a name wins. */
int json_find(const struct json_doc *d, int tok, const char *path);
/* The index of the token after tok's value (its next sibling). */
int json_next(const struct json_doc *d, int tok);
/* Element i of array token tok, or JSON_ERR_NOTFOUND / _TYPE. */
int json_index(const struct json_doc *d, int tok, int i);
int json_type_of(const struct json_doc *d, int tok);

/* Conversions of token tok. Strings are unescaped to UTF-8 and
 * NUL-terminated; JSON_ERR_SPACE if out is too small; their length. */
int json_str(const struct json_doc *d, int tok, char *out, size_t cap);
/* Whether tok is a string equal (after unescaping) to s. Any length
 * without escapes; a string with escapes only up to 255 bytes. */
bool json_str_eq(const struct json_doc *d, int tok, const char *s);
/* Integers only (no fraction or exponent); JSON_ERR_RANGE if too big. */
int json_int(const struct json_doc *d, int tok, int64_t *out);
int json_uint(const struct json_doc *d, int tok, uint64_t *out);
int json_bool(const struct json_doc *d, int tok, bool *out);

/* The same, by path below token 0. */
int json_get_str(const struct json_doc *d, const char *path, char *out,
		 size_t cap);
int json_get_int(const struct json_doc *d, const char *path, int64_t *out);
int json_get_uint(const struct json_doc *d, const char *path, uint64_t *out);
int json_get_bool(const struct json_doc *d, const char *path, bool *out);

/* ---- writer ---- */

/* Commas and colons are placed by the writer; the first error sticks and
 * later calls do nothing. The buffer always stays NUL-terminated. */
struct json_w {
	char *buf;
	size_t cap, len;
	int err;
	int depth;
	bool first[JSON_W_DEPTH]; /* nothing written yet at this level */
	bool is_obj[JSON_W_DEPTH];
	bool after_key;
};

void json_w_init(struct json_w *w, char *buf, size_t cap);
void json_w_obj(struct json_w *w); /* { */
void json_w_arr(struct json_w *w); /* [ */
void json_w_end(struct json_w *w); /* } or ] (whichever is open) */
void json_w_key(struct json_w *w, const char *key);
void json_w_str(struct json_w *w, const char *s);
void json_w_strn(struct json_w *w, const char *s, size_t n);
void json_w_int(struct json_w *w, int64_t v);
void json_w_uint(struct json_w *w, uint64_t v);
void json_w_bool(struct json_w *w, bool v);
void json_w_null(struct json_w *w);
/* Length written (without the NUL) if complete and error-free, else a
 * JSON_ERR_* (SYNTAX when containers are still open). */
int json_w_finish(struct json_w *w);
/* A whole ports/v0 failure answer,
 * {"ok":false,"error":{"code":code,"message":message}} (NULLs: INTERNAL,
 * ""); its length, or -1 when it does not fit in cap. */
int json_w_error(char *buf, size_t cap, const char *code,
		 const char *message);

const char *json_strerror(int err);
