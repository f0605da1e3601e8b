/* Renders struct status (status.h) as JSON (the sdk's bounded writer)
 * and as an HTML page with a meta refresh. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void st_permille(char *buf, size_t cap, uint32_t pm)
{
	snprintf(buf, cap, "%u.%u", pm / 10, pm % 10);
}

int st_json(const struct status *s, char *buf, size_t cap)
{
	struct json_w w;
	json_w_init(&w, buf, cap);
	json_w_obj(&w);
	json_w_key(&w, "system");
	json_w_str(&w, s->system);
	json_w_key(&w, "uptime_ms");
	json_w_uint(&w, s->uptime_ns / 1000000);
	json_w_key(&w, "sample_ms");
	json_w_uint(&w, s->sample_ns / 1000000);
	json_w_key(&w, "memory");
	json_w_obj(&w);
	json_w_key(&w, "total");
	json_w_uint(&w, s->mem_total);
	json_w_key(&w, "free");
	json_w_uint(&w, s->mem_free);
	json_w_key(&w, "kobjects");
	json_w_uint(&w, s->kobjects);
	json_w_end(&w);
	json_w_key(&w, "truncated");
	json_w_bool(&w, s->truncated);

	json_w_key(&w, "cpus");
	json_w_arr(&w);
	for (uint32_t i = 0; i < s->ncpu && i < ST_CPUS_MAX; i++) {
		const struct st_cpu *c = &s->cpu[i];
		json_w_obj(&w);
		json_w_key(&w, "id");
		json_w_uint(&w, c->id);
		json_w_key(&w, "busy_permille");
		json_w_uint(&w, c->busy_permille);
		json_w_key(&w, "idle_ns");
		json_w_uint(&w, c->idle_ns);
		json_w_key(&w, "switches");
		json_w_uint(&w, c->switches);
		json_w_end(&w);
	}
	json_w_end(&w);

	json_w_key(&w, "tasks");
	json_w_arr(&w);
	for (uint32_t i = 0; i < s->ntask && i < ST_TASKS_MAX; i++) {
		const struct st_task *t = &s->task[i];
		json_w_obj(&w);
		json_w_key(&w, "koid");
		json_w_uint(&w, t->koid);
		json_w_key(&w, "parent");
		json_w_uint(&w, t->parent);
		json_w_key(&w, "name");
		json_w_str(&w, t->name);
		json_w_key(&w, "state");
		json_w_str(&w, t->state);
		json_w_key(&w, "cpu_permille");
		json_w_uint(&w, t->cpu_permille);
		json_w_key(&w, "mem_used");
		json_w_uint(&w, t->mem_used);
		json_w_key(&w, "mem_quota");
		json_w_uint(&w, t->mem_quota);
		json_w_key(&w, "threads");
		json_w_uint(&w, t->threads);
		json_w_key(&w, "runtime_ns");
		json_w_uint(&w, t->runtime_ns);
		json_w_end(&w);
	}
	json_w_end(&w);

	json_w_key(&w, "threads");
	json_w_arr(&w);
	for (uint32_t i = 0; i < s->nthread && i < ST_THREADS_MAX; i++) {
		const struct st_thread *t = &s->thread[i];
		json_w_obj(&w);
		json_w_key(&w, "koid");
		json_w_uint(&w, t->koid);
		json_w_key(&w, "task");
		json_w_uint(&w, t->task);
		json_w_key(&w, "name");
		json_w_str(&w, t->name);
		json_w_key(&w, "sched");
		json_w_str(&w, t->sched);
		json_w_key(&w, "state");
		json_w_str(&w, t->state);
		json_w_key(&w, "cpu");
		json_w_uint(&w, t->cpu);
		json_w_key(&w, "cpu_permille");
		json_w_uint(&w, t->cpu_permille);
		json_w_key(&w, "runtime_ns");
		json_w_uint(&w, t->runtime_ns);
		json_w_key(&w, "dispatches");
		json_w_uint(&w, t->dispatches);
		json_w_key(&w, "wakeups");
		json_w_uint(&w, t->wakeups);
		json_w_key(&w, "preemptions");
		json_w_uint(&w, t->preemptions);
		json_w_key(&w, "lat_max_ns");
		json_w_uint(&w, t->lat_max_ns);
		json_w_end(&w);
	}
	json_w_end(&w);

	json_w_key(&w, "services");
	json_w_arr(&w);
	for (uint32_t i = 0; i < s->nservice && i < ST_SERVICES_MAX; i++) {
		const struct st_service *v = &s->service[i];
		json_w_obj(&w);
		json_w_key(&w, "name");
		json_w_str(&w, v->name);
		json_w_key(&w, "state");
		json_w_str(&w, v->state);
		json_w_key(&w, "task");
		json_w_uint(&w, v->task);
		json_w_key(&w, "generation");
		json_w_uint(&w, v->generation);
		json_w_key(&w, "restarts");
		json_w_uint(&w, v->restarts);
		json_w_key(&w, "last_exit");
		if (v->has_exit)
			json_w_int(&w, v->last_exit);
		else
			json_w_null(&w);
		json_w_key(&w, "since_usec");
		json_w_uint(&w, v->since_usec);
		json_w_end(&w);
	}
	json_w_end(&w);
	if (s->services_error[0]) {
		json_w_key(&w, "services_error");
		json_w_str(&w, s->services_error);
	}

	json_w_key(&w, "httpd");
	json_w_obj(&w);
	json_w_key(&w, "connections");
	json_w_uint(&w, s->server.connections);
	json_w_key(&w, "requests");
	json_w_uint(&w, s->server.requests);
	json_w_key(&w, "open");
	json_w_uint(&w, s->server.open);
	json_w_key(&w, "refused");
	json_w_uint(&w, s->server.refused);
	json_w_end(&w);
	json_w_end(&w);
	int n = json_w_finish(&w);
	return n < 0 ? -1 : n;
}

void sb_puts(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->over || n >= b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->buf + b->len, s, n + 1);
	b->len += n;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->over = true;
		b->buf[b->len] = 0;
		return;
	}
	b->len += (size_t)n;
}

void sb_html(struct sbuf *b, const char *s)
{
	char one[2] = {0, 0};
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		case '\'':
			sb_puts(b, "&#39;");
			break;
		default:
			one[0] = (unsigned char)*s < ' ' || *s == 0x7f ? '?'
								       : *s;
			sb_puts(b, one);
		}
	}
}

static void bytes(char *buf, size_t cap, uint64_t b)
{
	if (b >= (10ull << 30))
		snprintf(buf, cap, "%lluG", (unsigned long long)(b >> 30));
	else if (b >= (10ull << 20))
		snprintf(buf, cap, "%lluM", (unsigned long long)(b >> 20));
	else if (b >= (10ull << 10))
		snprintf(buf, cap, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(buf, cap, "%lluB", (unsigned long long)b);
}

static void html_tasks(struct sbuf *b, const struct status *s)
{
	char pm[16], used[16], quota[16];
	sb_puts(b, "<h2>Tasks</h2>\n<table>\n<tr><th>koid</th><th>parent"
		   "</th><th>name</th><th>state</th><th>CPU %</th>"
		   "<th>memory</th><th>threads</th></tr>\n");
	for (uint32_t i = 0; i < s->ntask && i < ST_TASKS_MAX; i++) {
		const struct st_task *t = &s->task[i];
		st_permille(pm, sizeof(pm), t->cpu_permille);
		bytes(used, sizeof(used), t->mem_used);
		bytes(quota, sizeof(quota), t->mem_quota);
		sb_printf(b, "<tr><td>%llu</td><td>%llu</td><td>",
			  (unsigned long long)t->koid,
			  (unsigned long long)t->parent);
		sb_html(b, t->name);
		sb_puts(b, "</td><td>");
		sb_html(b, t->state);
		sb_printf(b,
			  "</td><td>%s</td><td>%s/%s</td><td>%llu</td>"
			  "</tr>\n",
			  pm, used, t->mem_quota ? quota : "-",
			  (unsigned long long)t->threads);
	}
	sb_puts(b, "</table>\n");
}

static void html_threads(struct sbuf *b, const struct status *s)
{
	char pm[16];
	sb_puts(b, "<h2>Threads (scheduler)</h2>\n<table>\n<tr><th>koid"
		   "</th><th>task</th><th>name</th><th>class</th><th>state"
		   "</th><th>CPU</th><th>CPU %</th><th>run ms</th>"
		   "<th>dispatches</th><th>wake-ups</th><th>preemptions"
		   "</th><th>max latency us</th></tr>\n");
	for (uint32_t i = 0; i < s->nthread && i < ST_THREADS_MAX; i++) {
		const struct st_thread *t = &s->thread[i];
		st_permille(pm, sizeof(pm), t->cpu_permille);
		sb_printf(b, "<tr><td>%llu</td><td>%llu</td><td>",
			  (unsigned long long)t->koid,
			  (unsigned long long)t->task);
		sb_html(b, t->name);
		sb_puts(b, "</td><td>");
		sb_html(b, t->sched);
		sb_puts(b, "</td><td>");
		sb_html(b, t->state);
		sb_printf(b,
			  "</td><td>%u</td><td>%s</td><td>%llu</td><td>%llu"
			  "</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			  "</tr>\n",
			  t->cpu, pm,
			  (unsigned long long)(t->runtime_ns / 1000000),
			  (unsigned long long)t->dispatches,
			  (unsigned long long)t->wakeups,
			  (unsigned long long)t->preemptions,
			  (unsigned long long)(t->lat_max_ns / 1000));
	}
	sb_puts(b, "</table>\n");
}

static void html_services(struct sbuf *b, const struct status *s)
{
	sb_puts(b, "<h2>Services</h2>\n");
	if (s->services_error[0]) {
		sb_puts(b, "<p>");
		sb_html(b, s->services_error);
		sb_puts(b, "</p>\n");
	}
	sb_puts(b, "<table>\n<tr><th>name</th><th>state</th><th>task</th>"
		   "<th>generation</th><th>restarts</th><th>last exit</th>"
		   "</tr>\n");
	for (uint32_t i = 0; i < s->nservice && i < ST_SERVICES_MAX; i++) {
		const struct st_service *v = &s->service[i];
		sb_puts(b, "<tr><td>");
		sb_html(b, v->name);
		sb_puts(b, "</td><td>");
		sb_html(b, v->state);
		sb_printf(b, "</td><td>%llu</td><td>%llu</td><td>%llu</td>",
			  (unsigned long long)v->task,
			  (unsigned long long)v->generation,
			  (unsigned long long)v->restarts);
		if (v->has_exit)
			sb_printf(b, "<td>%lld</td></tr>\n",
				  (long long)v->last_exit);
		else
			sb_puts(b, "<td>-</td></tr>\n");
	}
	sb_puts(b, "</table>\n");
}

int st_html(const struct status *s, char *buf, size_t cap)
{
	struct sbuf b = {buf, cap, 0, cap == 0};
	if (cap)
		buf[0] = 0;
	char pm[16], total[16], freeb[16];
	uint64_t up = s->uptime_ns / 1000000;
	sb_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		    "<meta http-equiv=\"refresh\" content=\"2\">"
		    "<title>");
	sb_html(&b, s->system);
	sb_puts(&b, " status</title><style>body{font-family:monospace}"
		    "td,th{padding:0 8px;text-align:right}"
		    "th{background:#ddd}</style></head><body>\n<h1>");
	sb_html(&b, s->system);
	bytes(total, sizeof(total), s->mem_total);
	bytes(freeb, sizeof(freeb), s->mem_free);
	sb_printf(&b,
		  "</h1>\n<p>up %llu:%02llu:%02llu.%03llu, %u tasks, %u "
		  "threads, memory %s free of %s, %llu kernel objects</p>\n",
		  (unsigned long long)(up / 3600000),
		  (unsigned long long)(up / 60000 % 60),
		  (unsigned long long)(up / 1000 % 60),
		  (unsigned long long)(up % 1000), s->ntask, s->nthread, freeb,
		  total, (unsigned long long)s->kobjects);
	sb_puts(&b, "<p>CPUs:");
	for (uint32_t i = 0; i < s->ncpu && i < ST_CPUS_MAX; i++) {
		st_permille(pm, sizeof(pm), s->cpu[i].busy_permille);
		sb_printf(&b, " cpu%u %s%% busy (%llu switches)%s",
			  s->cpu[i].id, pm,
			  (unsigned long long)s->cpu[i].switches,
			  i + 1 < s->ncpu ? "," : "");
	}
	sb_printf(&b, "; CPU %% over the last %llu ms</p>\n",
		  (unsigned long long)(s->sample_ns / 1000000));
	html_services(&b, s);
	html_tasks(&b, s);
	html_threads(&b, s);
	if (s->truncated)
		sb_puts(&b, "<p>(more than fit: the list is cut)</p>\n");
	sb_printf(&b,
		  "<p>httpd: %llu connections, %llu requests, %llu open, %llu "
		  "refused. <a href=\"/status.json\">JSON</a></p>\n"
		  "</body></html>\n",
		  (unsigned long long)s->server.connections,
		  (unsigned long long)s->server.requests,
		  (unsigned long long)s->server.open,
		  (unsigned long long)s->server.refused);
	return b.over ? -1 : (int)b.len;
}
