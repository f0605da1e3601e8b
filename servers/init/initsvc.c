/* /svc/init requests (initsvc.h). Answers are capped at one message
 * (4096 bytes): lists that do not fit end early with "more":true, and a
 * log tail shrinks until it fits. */
#include <stdio.h>
#include <string.h>

#include "initsvc.h"
#include "json.h"

#define MSG_MAX 4096

static struct json_doc doc;

static size_t error(char *out, size_t cap, const char *code, const char *msg)
{
	int n = json_w_error(out, cap, code, msg);
	return n < 0 ? 0 : (size_t)n;
}

static void ok_begin(struct json_w *w, char *out, size_t cap)
{
	json_w_init(w, out, cap);
	json_w_obj(w);
	json_w_key(w, "ok");
	json_w_bool(w, true);
	json_w_key(w, "result");
	json_w_obj(w);
}

static size_t ok_end(struct json_w *w, char *out, size_t cap)
{
	json_w_end(w);
	json_w_end(w);
	int n = json_w_finish(w);
	return n < 0 ? error(out, cap, "NO_MEMORY", "answer too big")
		     : (size_t)n;
}

static size_t ok_empty(char *out, size_t cap)
{
	struct json_w w;
	ok_begin(&w, out, cap);
	return ok_end(&w, out, cap);
}

static void status_entry(struct json_w *w, const struct initsvc_env *env, int i)
{
	const struct sup_svc *s = &env->sp->s[i];
	json_w_obj(w);
	json_w_key(w, "name");
	json_w_str(w, env->sp->m->svc[i].name);
	json_w_key(w, "state");
	json_w_str(w, sup_state_name(s->state));
	json_w_key(w, "task");
	json_w_uint(w, s->koid);
	json_w_key(w, "generation");
	json_w_uint(w, s->generation);
	json_w_key(w, "restarts");
	json_w_uint(w, s->restarts);
	json_w_key(w, "last_exit");
	if (s->exited)
		json_w_int(w, s->last_exit);
	else
		json_w_null(w);
	json_w_key(w, "since_usec");
	json_w_uint(w, s->since_ns / 1000);
	json_w_end(w);
}

/* At most STATUS_PAGE entries (15 JSON tokens each): a client's parser
 * takes 256 tokens. "from" pages on; "next" says where. */
#define STATUS_PAGE 12

static size_t do_status(const struct initsvc_env *env, char *out, size_t cap)
{
	int n = env->sp->m->n;
	uint64_t from = 0;
	int t = json_find(&doc, 0, "from");
	if (t >= 0 && json_uint(&doc, t, &from) < 0)
		return error(out, cap, "BAD_ARG", "from: an index");
	if (from > (uint64_t)n)
		from = (uint64_t)n;
	int end = (int)from + STATUS_PAGE < n ? (int)from + STATUS_PAGE : n;
	for (int k = end; k >= (int)from; k--) { /* fewer until it fits */
		struct json_w w;
		ok_begin(&w, out, cap);
		json_w_key(&w, "services");
		json_w_arr(&w);
		for (int i = (int)from; i < k; i++)
			status_entry(&w, env, i);
		json_w_end(&w);
		if (k < n) {
			json_w_key(&w, "more");
			json_w_bool(&w, true);
			json_w_key(&w, "next");
			json_w_int(&w, k);
		}
		json_w_end(&w);
		json_w_end(&w);
		int len = json_w_finish(&w);
		if (len >= 0)
			return (size_t)len;
	}
	return error(out, cap, "NO_MEMORY", "answer too big");
}

static size_t do_logs(const struct initsvc_env *env, int i, char *out,
		      size_t cap)
{
	static char text[MSG_MAX];
	uint64_t want = INITSVC_LOG_DEFAULT;
	int t = json_find(&doc, 0, "bytes");
	if (t >= 0 && (json_uint(&doc, t, &want) < 0 || want == 0))
		return error(out, cap, "BAD_ARG", "bytes: a positive number");
	const struct log_ring *r = env->logs ? env->logs[i] : NULL;
	size_t n = 0;
	if (want > sizeof(text))
		want = sizeof(text);
	if (r)
		n = log_tail(r, text, (size_t)want);
	for (size_t k = 0; k < n; k++) /* JSON text must be UTF-8 */
		if ((unsigned char)text[k] >= 0x80)
			text[k] = '?';
	/* Keep less of the oldest part until the escaped text fits. */
	for (size_t keep = n;; keep /= 2) {
		struct json_w w;
		ok_begin(&w, out, cap);
		json_w_key(&w, "text");
		json_w_strn(&w, text + (n - keep), keep);
		json_w_key(&w, "dropped");
		json_w_uint(&w, r ? r->dropped : 0);
		json_w_key(&w, "suppressed");
		json_w_uint(&w, r ? r->suppressed : 0);
		json_w_end(&w);
		json_w_end(&w);
		int len = json_w_finish(&w);
		if (len >= 0)
			return (size_t)len;
		if (keep == 0)
			return error(out, cap, "NO_MEMORY", "answer too big");
	}
}

/* Warnings: manifest errors, services not up, lost log lines. */
static size_t do_doctor(const struct initsvc_env *env, char *out, size_t cap)
{
	static char lines[MAN_MAX_SVC * 2][96];
	int nl = 0, checks = 0;
	const struct sup *sp = env->sp;
	for (int i = 0; i < sp->m->n; i++) {
		const struct sup_svc *s = &sp->s[i];
		const char *name = sp->m->svc[i].name;
		checks++;
		if (s->state == SUP_FAILED || s->state == SUP_BAD ||
		    s->state == SUP_BACKOFF ||
		    (s->state == SUP_WAITING && s->generation == 0 &&
		     env->now - s->since_ns > 5000000000ull))
			snprintf(lines[nl++], sizeof(lines[0]),
				 "%s: %s (generation %llu, %llu restarts)",
				 name, sup_state_name(s->state),
				 (unsigned long long)s->generation,
				 (unsigned long long)s->restarts);
		const struct log_ring *r = env->logs ? env->logs[i] : NULL;
		checks++;
		if (r && (r->dropped || r->suppressed))
			snprintf(lines[nl++], sizeof(lines[0]),
				 "%s: log dropped %llu bytes, %llu lines not "
				 "shown on the console",
				 name, (unsigned long long)r->dropped,
				 (unsigned long long)r->suppressed);
	}
	int total = nl + env->nnotes;
	for (int k = total; k >= 0; k--) {
		struct json_w w;
		ok_begin(&w, out, cap);
		json_w_key(&w, "checks");
		json_w_int(&w, checks + env->nnotes);
		json_w_key(&w, "warnings");
		json_w_arr(&w);
		for (int j = 0; j < k; j++)
			json_w_str(&w, j < env->nnotes
					       ? env->notes[j]
					       : lines[j - env->nnotes]);
		json_w_end(&w);
		if (k < total) {
			json_w_key(&w, "more");
			json_w_bool(&w, true);
		}
		json_w_end(&w);
		json_w_end(&w);
		int len = json_w_finish(&w);
		if (len >= 0)
			return (size_t)len;
	}
	return error(out, cap, "NO_MEMORY", "answer too big");
}

/* The entry named by "name", or -1 with the error written. */
static int named(const struct initsvc_env *env, char *out, size_t cap,
		 size_t *len)
{
	char name[MAN_NAME_MAX];
	if (json_get_str(&doc, "name", name, sizeof(name)) < 0) {
		*len = error(out, cap, "BAD_ARG", "name: a service name");
		return -1;
	}
	int i = man_find(env->sp->m, name);
	if (i < 0)
		*len = error(out, cap, "NOT_FOUND", "no such service");
	return i;
}

size_t initsvc_handle(const struct initsvc_env *env, const char *req,
		      size_t len, char *out, size_t cap, enum initsvc_act *act)
{
	*act = INITSVC_NONE;
	if (cap > MSG_MAX)
		cap = MSG_MAX;
	if (json_parse(&doc, req, len) < 0 ||
	    json_type_of(&doc, 0) != JSON_OBJECT)
		return error(out, cap, "BAD_JSON", "not a JSON object");
	char cmd[16];
	if (json_get_str(&doc, "cmd", cmd, sizeof(cmd)) < 0)
		return error(out, cap, "BAD_CMD", "cmd: a string");
	if (!strcmp(cmd, "ping")) {
		struct json_w w;
		ok_begin(&w, out, cap);
		json_w_key(&w, "name");
		json_w_str(&w, "init");
		json_w_key(&w, "version");
		json_w_str(&w, "0.1.0");
		json_w_key(&w, "protocol");
		json_w_str(&w, "ports/v0");
		return ok_end(&w, out, cap);
	}
	if (!strcmp(cmd, "status"))
		return do_status(env, out, cap);
	if (!strcmp(cmd, "doctor"))
		return do_doctor(env, out, cap);
	size_t n = 0;
	if (!strcmp(cmd, "logs")) {
		int i = named(env, out, cap, &n);
		return i < 0 ? n : do_logs(env, i, out, cap);
	}
	/* The rest change the system: only on the control endpoint (REVIEW-18
	 * R2; /svc/init itself reaches every program sh runs). */
	static const char *const control[] = {"poweroff", "reboot", "kill",
					      "start",	  "stop",   "restart"};
	bool known = false;
	for (unsigned k = 0; k < sizeof(control) / sizeof(control[0]); k++)
		known |= !strcmp(cmd, control[k]);
	if (!known)
		return error(out, cap, "BAD_CMD", "unknown cmd");
	if (!env->control)
		return error(out, cap, "DENIED",
			     "not on init's control endpoint (manifest "
			     "`control`)");
	if (!strcmp(cmd, "poweroff") || !strcmp(cmd, "reboot")) {
		*act = cmd[0] == 'p' ? INITSVC_POWEROFF : INITSVC_REBOOT;
		return error(out, cap, "NOT_SUPPORTED",
			     cmd[0] == 'p' ? "poweroff failed (no ACPI S5, no "
					     "isa-debug-exit)"
					   : "reboot failed");
	}
	if (!strcmp(cmd, "kill")) {
		uint64_t koid;
		if (json_get_uint(&doc, "task", &koid) < 0)
			return error(out, cap, "BAD_ARG", "task: a koid");
		int i = sup_find_koid(env->sp, koid);
		if (i < 0)
			return error(out, cap, "NOT_FOUND",
				     "not a task init started");
		env->sp->ops->kill(env->sp->ctx, i);
		return ok_empty(out, cap);
	}
	enum sup_cmd c;
	if (!strcmp(cmd, "start")) {
		c = SUP_CMD_START;
	} else if (!strcmp(cmd, "stop")) {
		c = SUP_CMD_STOP;
	} else if (!strcmp(cmd, "restart")) {
		c = SUP_CMD_RESTART;
	} else {
		return error(out, cap, "BAD_CMD", "unknown cmd");
	}
	int i = named(env, out, cap, &n);
	if (i < 0)
		return n;
	/* /svc/init is reached through names: stopped, nobody could ask
	 * for it to start again. */
	if (c == SUP_CMD_STOP && (env->sp->m->svc[i].grants & MAN_G_NAMES_PORT))
		return error(out, cap, "BAD_STATE",
			     "the name service cannot be stopped (/svc/init "
			     "is reached through it); restart it");
	int r = sup_cmd(env->sp, i, c, env->now);
	if (r == SUP_E_BAD)
		return error(out, cap, "BAD_STATE",
			     "its manifest entry has errors");
	if (r == SUP_E_STATE)
		return error(out, cap, "BAD_STATE", "already running");
	*act = INITSVC_STEP;
	return ok_empty(out, cap);
}
