/* The sdk-c JSON reader and writer (libs/sdk-c/json.c, json_write.c):
 * valid documents, paths, escapes, and every kind of bad input — which
 * must give an error, never a crash (the harness runs under ASan/UBSan). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"

static struct json_doc doc;

static int parse(const char *s)
{
	return json_parse(&doc, s, strlen(s));
}

TEST(json_parse_response)
{
	CHECK_EQ(parse(" {\"ok\":true,\"result\":{\"id\":7,\"name\":\"x\"},"
		       "\"list\":[1,[2,3],{\"a\":null}]} "),
		 0);
	bool ok = false;
	int64_t id = 0;
	char s[8];
	CHECK_EQ(json_get_bool(&doc, "ok", &ok), 0);
	CHECK(ok);
	CHECK_EQ(json_get_int(&doc, "result.id", &id), 0);
	CHECK_EQ(id, 7);
	CHECK_EQ(json_get_str(&doc, "result.name", s, sizeof(s)), 1);
	CHECK(!strcmp(s, "x"));
	int t = json_find(&doc, 0, "list.1.1");
	CHECK(t > 0);
	CHECK_EQ(json_int(&doc, t, &id), 0);
	CHECK_EQ(id, 3);
	CHECK_EQ(json_type_of(&doc, json_find(&doc, 0, "list.2.a")), JSON_NULL);
	CHECK_EQ(json_find(&doc, 0, "list.3"), JSON_ERR_NOTFOUND);
	CHECK_EQ(json_find(&doc, 0, "result.nope"), JSON_ERR_NOTFOUND);
	CHECK_EQ(json_find(&doc, 0, "ok.x"), JSON_ERR_NOTFOUND);
	CHECK_EQ(json_find(&doc, 0, "list.x"), JSON_ERR_NOTFOUND);
	CHECK_EQ(json_get_int(&doc, "result.name", &id), JSON_ERR_TYPE);
	CHECK_EQ(json_get_str(&doc, "result.id", s, sizeof(s)), JSON_ERR_TYPE);
	CHECK_EQ(json_find(&doc, 99, ""), JSON_ERR_ARG);
	CHECK_EQ(json_find(&doc, 0, ""), 0);
}

TEST(json_malformed)
{
	static const char *const bad[] = {"",
					  "   ",
					  "{",
					  "}",
					  "[",
					  "{\"a\":}",
					  "{\"a\" 1}",
					  "{\"a\":1,}",
					  "[1,]",
					  "[1 2]",
					  "{\"a\":1 \"b\":2}",
					  "{a:1}",
					  "{\"a\":tru}",
					  "{\"a\":nul}",
					  "{\"a\":01}",
					  "{\"a\":1.}",
					  "{\"a\":-}",
					  "{\"a\":1e}",
					  "{\"a\":.5}",
					  "{\"a\":+1}",
					  "{} {}",
					  "{}x",
					  "{\"a\":\"x}",
					  "\"abc",
					  "{\"a\":\"\\x\"}",
					  "{\"a\":\"\\u12\"}",
					  "{\"a\":\"tab\there\"}",
					  "[\"a\":1]",
					  "{1:2}",
					  "{\"a\"}",
					  "{\"a\":[}",
					  "nonsense",
					  "{\"a\":1}}",
					  "[[[]]",
					  "\xff\xfe"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i]);
		if (r >= 0)
			fprintf(stderr, "    accepted: %s\n", bad[i]);
		CHECK(r < 0);
		CHECK_EQ(doc.ntok, 0);
		CHECK_EQ(json_find(&doc, 0, "a"), JSON_ERR_ARG);
	}
	/* An embedded NUL. */
	CHECK_EQ(json_parse(&doc, "{}\0{}", 5), JSON_ERR_SYNTAX);
	CHECK_EQ(json_parse(&doc, NULL, 3), JSON_ERR_ARG);
}

TEST(json_truncation)
{
	const char *full = "{\"cmd\":\"subscribe\",\"events\":[\"vsync\","
			   "\"hotplug\"],\"n\":-12.5e3,\"t\":true}";
	CHECK_EQ(parse(full), 0);
	size_t n = strlen(full);
	/* Every strict prefix is an error, and reading it stays in bounds:
	 * a heap copy without a terminator lets ASan see any overread. */
	for (size_t k = 0; k < n; k++) {
		char *p = malloc(k ? k : 1);
		memcpy(p, full, k);
		CHECK(json_parse(&doc, p, k) < 0);
		free(p);
	}
}

/* A document may be one bare value (RFC 8259), as the writer makes it. */
TEST(json_top_level_primitive)
{
	int64_t v = 0;
	bool b = false;
	CHECK_EQ(parse("true"), 0);
	CHECK_EQ(json_bool(&doc, 0, &b), 0);
	CHECK(b);
	CHECK_EQ(parse(" -12 "), 0);
	CHECK_EQ(json_int(&doc, 0, &v), 0);
	CHECK_EQ(v, -12);
	CHECK_EQ(parse("null"), 0);
	CHECK_EQ(json_type_of(&doc, 0), JSON_NULL);
	CHECK_EQ(parse("1.5e3"), 0);
	CHECK_EQ(parse("tru"), JSON_ERR_TRUNC);
	CHECK_EQ(parse("1 2"), JSON_ERR_TRUNC);
	CHECK(parse("1,") < 0);
	CHECK(parse("nul1") < 0);
	CHECK(parse("-") < 0);
}

/* Keys of any length are found (a 127-byte limit hid longer ones). */
TEST(json_find_long_key)
{
	static char text[1200], key[1001];
	memset(key, 'k', 1000);
	snprintf(text, sizeof(text), "{\"a\":1,\"%s\":2}", key);
	CHECK_EQ(parse(text), 0);
	int64_t v = 0;
	CHECK_EQ(json_get_int(&doc, key, &v), 0);
	CHECK_EQ(v, 2);
	key[999] = 'x';
	CHECK_EQ(json_get_int(&doc, key, &v), JSON_ERR_NOTFOUND);
}

TEST(json_deep_nesting_and_tokens)
{
	char *s = malloc(20001);
	for (int i = 0; i < 10000; i++) {
		s[i] = '[';
		s[19999 - i] = ']';
	}
	s[20000] = 0;
	CHECK_EQ(parse(s), JSON_ERR_TOKENS);
	/* Exactly at the limit nests fine. */
	int d = JSON_MAX_TOKENS;
	memset(s, 0, 20001);
	for (int i = 0; i < d; i++) {
		s[i] = '[';
		s[2 * d - 1 - i] = ']';
	}
	CHECK_EQ(parse(s), 0);
	char path[2 * JSON_MAX_TOKENS] = "";
	for (int i = 0; i < d - 1; i++)
		strcat(path, i ? ".0" : "0");
	CHECK_EQ(json_find(&doc, 0, path), d - 1);
	/* Many flat tokens. */
	size_t k = 0;
	s[k++] = '[';
	for (int i = 0; i < 2000; i++)
		k += (size_t)sprintf(s + k, "%s1", i ? "," : "");
	s[k++] = ']';
	s[k] = 0;
	CHECK_EQ(parse(s), JSON_ERR_TOKENS);
	free(s);
}

TEST(json_numbers)
{
	int64_t v;
	uint64_t u;
	CHECK_EQ(parse("{\"a\":9223372036854775807,\"b\":-9223372036854775808,"
		       "\"c\":9223372036854775808,\"d\":-9223372036854775809,"
		       "\"e\":18446744073709551615,\"f\":18446744073709551616,"
		       "\"g\":1e400,\"h\":99999999999999999999999999999999999,"
		       "\"i\":1.5,\"j\":-0,\"k\":-1}"),
		 0);
	CHECK_EQ(json_get_int(&doc, "a", &v), 0);
	CHECK(v == INT64_MAX);
	CHECK_EQ(json_get_int(&doc, "b", &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_EQ(json_get_int(&doc, "c", &v), JSON_ERR_RANGE);
	CHECK_EQ(json_get_int(&doc, "d", &v), JSON_ERR_RANGE);
	CHECK_EQ(json_get_uint(&doc, "e", &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_EQ(json_get_uint(&doc, "f", &u), JSON_ERR_RANGE);
	CHECK_EQ(json_get_int(&doc, "g", &v), JSON_ERR_TYPE);
	CHECK_EQ(json_get_int(&doc, "h", &v), JSON_ERR_RANGE);
	CHECK_EQ(json_get_int(&doc, "i", &v), JSON_ERR_TYPE);
	CHECK_EQ(json_get_uint(&doc, "j", &u), 0);
	CHECK(u == 0);
	CHECK_EQ(json_get_uint(&doc, "k", &u), JSON_ERR_RANGE);
}

TEST(json_escapes)
{
	char s[64];
	CHECK_EQ(parse("{\"k\\\"ey\":\"a\\\"b\\\\c\\/d\\n\\t\\u0041\\u00e9"
		       "\\u20ac\\ud83d\\ude00\"}"),
		 0);
	int t = json_find(&doc, 0, "k\"ey");
	CHECK(t > 0);
	CHECK_EQ(json_str(&doc, t, s, sizeof(s)), 19);
	CHECK(!strcmp(s, "a\"b\\c/d\n\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	CHECK(json_str_eq(&doc, t,
			  "a\"b\\c/d\n\tA\xc3\xa9\xe2\x82\xac"
			  "\xf0\x9f\x98\x80"));
	/* Too small a buffer: an error, still terminated. */
	CHECK_EQ(json_str(&doc, t, s, 5), JSON_ERR_SPACE);
	CHECK(strlen(s) < 5);
	static const char *const bad[] = {"\"\\ud83d\"", "\"\\ude00\"",
					  "\"\\ud83d\\u0041\"", "\"\\u0000\""};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(parse(bad[i]), 0); /* jsmn accepts, reading fails */
		CHECK_EQ(json_str(&doc, 0, s, sizeof(s)), JSON_ERR_SYNTAX);
		CHECK(!json_str_eq(&doc, 0, "x"));
	}
}

TEST(json_writer)
{
	char buf[256];
	struct json_w w;
	json_w_init(&w, buf, sizeof(buf));
	json_w_obj(&w);
	json_w_key(&w, "cmd");
	json_w_str(&w, "q\"\\\n\x01");
	json_w_key(&w, "n");
	json_w_int(&w, INT64_MIN);
	json_w_key(&w, "u");
	json_w_uint(&w, UINT64_MAX);
	json_w_key(&w, "a");
	json_w_arr(&w);
	json_w_bool(&w, true);
	json_w_null(&w);
	json_w_int(&w, -1);
	json_w_obj(&w);
	json_w_end(&w);
	json_w_end(&w);
	json_w_end(&w);
	const char *want = "{\"cmd\":\"q\\\"\\\\\\n\\u0001\",\"n\":"
			   "-9223372036854775808,\"u\":18446744073709551615,"
			   "\"a\":[true,null,-1,{}]}";
	CHECK_EQ(json_w_finish(&w), (long long)strlen(want));
	CHECK(!strcmp(buf, want));
	/* Round trip. */
	CHECK_EQ(parse(buf), 0);
	char s[16];
	CHECK_EQ(json_get_str(&doc, "cmd", s, sizeof(s)), 5);
	CHECK(!strcmp(s, "q\"\\\n\x01"));
}

TEST(json_writer_errors)
{
	char buf[16];
	struct json_w w;
	/* Too small: an error, never an overflow, always terminated. */
	for (size_t cap = 1; cap < sizeof(buf); cap++) {
		json_w_init(&w, buf, cap);
		json_w_obj(&w);
		json_w_key(&w, "cmd");
		json_w_str(&w, "create_layer");
		json_w_end(&w);
		CHECK_EQ(json_w_finish(&w), JSON_ERR_SPACE);
		CHECK(strlen(buf) < cap);
	}
	json_w_init(&w, buf, sizeof(buf));
	json_w_obj(&w);
	json_w_str(&w, "x"); /* a value without a key */
	CHECK_EQ(json_w_finish(&w), JSON_ERR_SYNTAX);
	json_w_init(&w, buf, sizeof(buf));
	json_w_arr(&w);
	CHECK_EQ(json_w_finish(&w), JSON_ERR_SYNTAX); /* unclosed */
	json_w_init(&w, buf, sizeof(buf));
	json_w_end(&w);
	CHECK_EQ(json_w_finish(&w), JSON_ERR_SYNTAX);
	json_w_init(&w, buf, sizeof(buf));
	json_w_arr(&w);
	json_w_key(&w, "k"); /* a key in an array */
	CHECK_EQ(json_w_finish(&w), JSON_ERR_SYNTAX);
	json_w_init(&w, buf, sizeof(buf));
	json_w_int(&w, 1);
	json_w_int(&w, 2); /* two top-level values */
	CHECK_EQ(json_w_finish(&w), JSON_ERR_SYNTAX);
	json_w_init(&w, buf, sizeof(buf));
	for (int i = 0; i < JSON_W_DEPTH + 2; i++)
		json_w_arr(&w);
	CHECK_EQ(json_w_finish(&w), JSON_ERR_RANGE);
	json_w_init(&w, NULL, 0);
	CHECK_EQ(json_w_finish(&w), JSON_ERR_ARG);
}

/* Random damage to valid documents: any result, never a crash (ASan), and
 * whatever parses can be read by path without going out of bounds. */
TEST(json_mutations)
{
	static const char *const seeds[] = {
		"{\"ok\":true,\"result\":{\"id\":1,\"s\":\"a\\u00e9\\n\"}}",
		"{\"cmd\":\"subscribe\",\"events\":[\"vsync\",\"x\"],\"port\":"
		"0}",
		"[[1,2,{\"a\":[null,true,false,-1.5e3]}],\"\\ud83d\\ude00\"]"};
	uint32_t rnd = 12345;
	char buf[128], s[64];
	for (int n = 0; n < 30000; n++) {
		const char *seed = seeds[n % 3];
		size_t len = strlen(seed);
		memcpy(buf, seed, len);
		int edits = 1 + n % 4;
		for (int k = 0; k < edits; k++) {
			rnd = rnd * 1103515245u + 12345u;
			size_t at = (rnd >> 8) % len;
			rnd = rnd * 1103515245u + 12345u;
			static const char pick[] =
				"{}[]\":,\\u0e-.tfn \x01\x80";
			buf[at] = (rnd >> 16) & 1 ? pick[(rnd >> 8) % 20]
						  : (char)(rnd >> 8);
		}
		char *p = malloc(len);
		memcpy(p, buf, len);
		if (json_parse(&doc, p, len) == 0) {
			int64_t v;
			json_get_int(&doc, "result.id", &v);
			json_get_str(&doc, "result.s", s, sizeof(s));
			json_get_str(&doc, "1", s, sizeof(s));
			json_find(&doc, 0, "0.2.a.3");
			for (int t = 0; t < doc.ntok; t++) {
				json_str(&doc, t, s, sizeof(s));
				json_int(&doc, t, &v);
				CHECK(json_next(&doc, t) <= doc.ntok);
			}
		}
		free(p);
	}
}

TEST(json_w_error_answer)
{
	char buf[128];
	int n = json_w_error(buf, sizeof(buf), "BAD_ARG", "a \"quoted\" word");
	CHECK(n > 0);
	CHECK(!strcmp(buf, "{\"ok\":false,\"error\":{\"code\":\"BAD_ARG\","
			   "\"message\":\"a \\\"quoted\\\" word\"}}"));
	CHECK_EQ(json_w_error(buf, sizeof(buf), NULL, NULL),
		 (int)strlen("{\"ok\":false,\"error\":{\"code\":\"INTERNAL\","
			     "\"message\":\"\"}}"));
	CHECK(json_w_error(buf, 20, "BAD_ARG", "too long for the buffer") < 0);
}
