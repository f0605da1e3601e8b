/* audiomixerd's protocol (services/audiomixerd/amx_proto.c) over fake
 * platform ops: ping, device_open checks, every node type and its bad
 * arguments (unknown type, bad rate, connect to a missing node, a cycle,
 * an app ring grant too small), start before device_open, start refused
 * by admission (the message passes through), subscribe, destroy unmaps,
 * garbage in gives an error, never a crash. */
#include <stdlib.h>
#include <string.h>

#include "amx_proto.h"
#include "harness.h"

static struct amx_state st;
static struct amx_reply rep;
static int maps, unmaps, locks, starts;
static bool refuse_start;
static uint8_t grant[AMX_APP_HDR + 1024 * 8] __attribute__((aligned(16)));
static size_t grant_len;

static void *f_read(void *ctx, const char *path, size_t *len, char *err,
		    size_t cap)
{
	(void)ctx;
	if (strcmp(path, "/boot/share/t.wav")) {
		snprintf(err, cap, "no such file");
		return NULL;
	}
	/* 64 frames of 16-bit stereo at 48 kHz */
	uint8_t *p = calloc(1, 44 + 256);
	memcpy(p, "RIFF", 4);
	memcpy(p + 8, "WAVEfmt ", 8);
	p[16] = 16, p[20] = 1, p[22] = 2;
	p[24] = 0x80, p[25] = 0xbb; /* 48000 */
	p[32] = 4, p[34] = 16;
	memcpy(p + 36, "data", 4);
	p[40] = 0, p[41] = 1; /* 256 bytes */
	*len = 44 + 256;
	return p;
}

static void *f_map(void *ctx, uint32_t idx, uint64_t *len)
{
	(void)ctx;
	if (idx != 0)
		return NULL;
	maps++;
	*len = grant_len;
	return grant;
}

static void f_unmap(void *ctx, void *a, uint64_t len)
{
	(void)ctx, (void)a, (void)len;
	unmaps++;
}

static int f_open(void *ctx, const struct amx_dev_cfg *c, char *res,
		  size_t rcap, char *err, size_t ecap)
{
	(void)ctx, (void)err, (void)ecap;
	snprintf(res, rcap, "\"device\":\"fake\",\"periods\":%u",
		 c->period == 64 ? 6u : 4u);
	return 0;
}

static int f_start(void *ctx, char *err, size_t cap)
{
	(void)ctx;
	if (refuse_start) {
		snprintf(err, cap, "DL admission refused: 900 us per 2666 us");
		return AMX_E_BUSY;
	}
	starts++;
	return 0;
}

static int f_stop(void *ctx)
{
	(void)ctx;
	return 0;
}

static int f_position(void *ctx, char *res, size_t rcap, char *err, size_t ecap)
{
	(void)ctx, (void)err, (void)ecap;
	snprintf(res, rcap, "\"frames\":4096,\"time_ns\":7");
	return 0;
}

static int f_sub(void *ctx, uint32_t idx, uint32_t mask)
{
	(void)ctx, (void)idx;
	return mask == (AMX_EV_XRUN | AMX_EV_STATS | AMX_EV_STATE) ? 0 : -1;
}

static void f_lock(void *ctx)
{
	(void)ctx;
	locks++;
}

static void f_unlock(void *ctx)
{
	(void)ctx;
	locks--;
}

static const struct amx_ops ops = {
	.read_file = f_read,
	.map_grant = f_map,
	.unmap = f_unmap,
	.device_open = f_open,
	.start = f_start,
	.stop = f_stop,
	.position = f_position,
	.subscribe = f_sub,
	.lock = f_lock,
	.unlock = f_unlock,
};

static void req(const char *j, uint32_t nh)
{
	amx_handle(&st, j, strlen(j), nh, &rep);
}

#define OK(j)                                                                  \
	do {                                                                   \
		req(j, 0);                                                     \
		if (!rep.ok)                                                   \
			fprintf(stderr, "    %s: %s %s\n", j, rep.code,        \
				rep.message);                                  \
		CHECK(rep.ok);                                                 \
	} while (0)
#define ERR(j, nh, c)                                                          \
	do {                                                                   \
		req(j, nh);                                                    \
		CHECK(!rep.ok);                                                \
		STR_EQ(rep.code, c);                                           \
	} while (0)

TEST(amx_proto_commands)
{
	maps = unmaps = locks = starts = 0;
	refuse_start = false;
	CHECK_EQ(amx_init(&st, &ops), 0);
	OK("{\"cmd\":\"ping\"}");
	CHECK(strstr(rep.result, "\"protocol\":\"ports/v0\"") &&
	      strstr(rep.result, "\"name\":\"audiomixerd\""));
	ERR("{\"cmd\":\"start\"}", 0, "BAD_ARG"); /* no device yet */
	ERR("{\"cmd\":\"device_open\",\"rate\":44100}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"device_open\",\"period\":100}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"device_open\",\"channels\":3}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"device_open\",\"name\":\"hdmi\"}", 0, "NOT_FOUND");
	OK("{\"cmd\":\"device_open\",\"name\":\"default\",\"rate\":48000,"
	   "\"channels\":2,\"period\":128}");
	CHECK(strstr(rep.result, "\"period\":128,\"device\":\"fake\""));
	OK("{\"cmd\":\"create_node\",\"type\":\"tone\",\"args\":{\"freq\":"
	   "440.5,\"db\":-6}}");
	STR_EQ(rep.result, "{\"id\":1}");
	OK("{\"cmd\":\"create_node\",\"type\":\"gain\",\"db\":-3}"); /* flat */
	OK("{\"cmd\":\"create_node\",\"type\":\"mixer\"}");
	OK("{\"cmd\":\"create_node\",\"type\":\"device_sink\"}");
	OK("{\"cmd\":\"create_node\",\"type\":\"resample\",\"args\":{"
	   "\"rate\":44100}}");
	OK("{\"cmd\":\"create_node\",\"type\":\"file_source\",\"args\":{"
	   "\"path\":\"/boot/share/t.wav\"}}");
	STR_EQ(rep.result, "{\"id\":6,\"frames\":64}");
	OK("{\"cmd\":\"connect\",\"from\":1,\"to\":2}");
	OK("{\"cmd\":\"connect\",\"from\":2,\"to\":3}");
	OK("{\"cmd\":\"connect\",\"from\":3,\"to\":4}");
	OK("{\"cmd\":\"connect\",\"from\":6,\"to\":3}");
	CHECK_EQ(locks, 0); /* every lock was released */
	/* malformed */
	ERR("{\"cmd\":\"create_node\",\"type\":\"reverb\"}", 0, "BAD_ARG");
	CHECK(strstr(rep.message, "unknown node type"));
	ERR("{\"cmd\":\"create_node\",\"type\":\"resample\",\"rate\":5}", 0,
	    "BAD_ARG");
	CHECK(strstr(rep.message, "bad rate"));
	ERR("{\"cmd\":\"create_node\",\"type\":\"tone\",\"freq\":\"x\"}", 0,
	    "BAD_ARG");
	ERR("{\"cmd\":\"create_node\",\"type\":\"tone\",\"freq\":440,\"db\":"
	    "3}",
	    0, "BAD_ARG");
	ERR("{\"cmd\":\"create_node\",\"type\":\"gain\"}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"create_node\",\"type\":\"file_source\",\"path\":"
	    "\"/nope.wav\"}",
	    0, "NOT_FOUND");
	ERR("{\"cmd\":\"create_node\"}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"connect\",\"from\":1,\"to\":99}", 0, "NOT_FOUND");
	ERR("{\"cmd\":\"connect\",\"from\":3,\"to\":2}", 0,
	    "BAD_ARG"); /* cycle */
	ERR("{\"cmd\":\"connect\",\"from\":-1,\"to\":2}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"connect\",\"from\":1}", 0, "BAD_ARG");
	ERR("{\"cmd\":\"disconnect\",\"from\":1,\"to\":4}", 0, "NOT_FOUND");
	ERR("{\"cmd\":\"destroy_node\",\"id\":42}", 0, "NOT_FOUND");
	ERR("{\"cmd\":\"reboot\"}", 0, "BAD_CMD");
	ERR("{\"cmd\":7}", 0, "BAD_CMD");
	ERR("{\"cmd\":\"ping\"", 0, "BAD_JSON");
	ERR("[1,2]", 0, "BAD_JSON");
	ERR("", 0, "BAD_JSON");
	/* start, refused by admission: the reason reaches the client */
	ERR("{\"cmd\":\"position\"}", 0, "BAD_ARG"); /* not running */
	refuse_start = true;
	ERR("{\"cmd\":\"start\"}", 0, "BUSY");
	CHECK(strstr(rep.message, "admission"));
	refuse_start = false;
	OK("{\"cmd\":\"start\"}");
	CHECK_EQ(starts, 1);
	OK("{\"cmd\":\"position\"}");
	STR_EQ(rep.result, "{\"frames\":4096,\"time_ns\":7}");
	ERR("{\"cmd\":\"device_open\"}", 0, "BUSY");
	OK("{\"cmd\":\"status\"}");
	CHECK(strstr(rep.result, "\"state\":\"running\"") &&
	      strstr(rep.result, "\"nodes\":6"));
	OK("{\"cmd\":\"stop\"}");
	OK("{\"cmd\":\"disconnect\",\"from\":1,\"to\":2}");
	OK("{\"cmd\":\"destroy_node\",\"id\":1}");
	amx_fini(&st);
}

TEST(amx_proto_app_and_subscribe)
{
	maps = unmaps = 0;
	CHECK_EQ(amx_init(&st, &ops), 0);
	memset(grant, 0, sizeof(grant));
	((struct amx_app_ring *)grant)->magic = AMX_APP_MAGIC;
	grant_len = sizeof(grant);
	const char *app = "{\"cmd\":\"create_node\",\"type\":\"app_source\","
			  "\"args\":{\"fd\":0,\"frames\":1024,\"channels\":2,"
			  "\"rate\":48000}}";
	ERR(app, 0, "BAD_ARG"); /* no handle attached */
	grant_len = sizeof(grant) - 4;
	ERR(app, 1, "BAD_ARG"); /* the ring does not fit */
	CHECK(strstr(rep.message, "too small"));
	CHECK(maps == 1 && unmaps == 1);
	grant_len = sizeof(grant);
	ERR("{\"cmd\":\"create_node\",\"type\":\"app_source\",\"fd\":0,"
	    "\"frames\":1024,\"channels\":2,\"rate\":1}",
	    1, "BAD_ARG");
	req(app, 1);
	CHECK(rep.ok);
	CHECK_EQ(((struct amx_app_ring *)grant)->frames, 1024);
	OK("{\"cmd\":\"destroy_node\",\"id\":1}");
	CHECK(maps == 2 && unmaps == 2);
	/* subscribe: a port handle attached, known events only */
	const char *sub = "{\"cmd\":\"subscribe\",\"events\":[\"xrun\","
			  "\"stats\",\"state\"],\"port\":0}";
	ERR(sub, 0, "BAD_ARG");
	req(sub, 1);
	CHECK(rep.ok);
	ERR("{\"cmd\":\"subscribe\",\"events\":[\"vsync\"],\"port\":0}", 1,
	    "BAD_ARG");
	ERR("{\"cmd\":\"subscribe\",\"events\":[],\"port\":0}", 1, "BAD_ARG");
	amx_fini(&st);
}

TEST(amx_proto_events)
{
	char b[160];
	CHECK(amx_ev_xrun(b, sizeof(b), 2666, 4) > 0);
	STR_EQ(b, "{\"event\":\"xrun\",\"type\":\"underrun\",\"usec\":2666,"
		  "\"node\":4}");
	CHECK(amx_ev_stats(b, sizeof(b), 3, 128, 12) > 0);
	STR_EQ(b, "{\"event\":\"stats\",\"cpu_pct\":3,\"period\":128,"
		  "\"late_us\":12}");
	CHECK(amx_ev_state(b, sizeof(b), true) > 0);
	STR_EQ(b, "{\"event\":\"state\",\"value\":\"running\"}");
	CHECK_EQ(amx_ev_state(b, 10, false), -1);
}

TEST(amx_proto_garbage)
{
	CHECK_EQ(amx_init(&st, &ops), 0);
	char buf[256];
	unsigned seed = 7;
	const char *frag[] = {"{",
			      "}",
			      "\"cmd\"",
			      ":",
			      "\"create_node\"",
			      ",",
			      "\"type\"",
			      "\"tone\"",
			      "\"freq\"",
			      "1e999",
			      "[",
			      "]",
			      "-0",
			      "\"args\"",
			      "null",
			      "\"connect\"",
			      "\"from\"",
			      "\"to\"",
			      "2",
			      "\"\\u0000\""};
	for (int i = 0; i < 3000; i++) {
		size_t n = 0;
		int k = (int)(rand_r(&seed) % 12);
		buf[0] = 0;
		for (int j = 0; j < k; j++) {
			const char *f = frag[rand_r(&seed) % 20];
			if (n + strlen(f) + 1 >= sizeof(buf))
				break;
			strcpy(buf + n, f);
			n += strlen(f);
		}
		amx_handle(&st, buf, n, 0, &rep);
	}
	CHECK(st.requests == 3000);
	amx_fini(&st);
}
