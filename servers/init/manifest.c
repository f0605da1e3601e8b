/* Manifest parser (manifest.h, docs/system.md "Manifest"). One pass over
 * the lines fills the entries; a second resolves dependencies, finds
 * cycles and leaves out whatever depends on a bad entry. No recursion and
 * no allocation: any input is bounded by the fixed tables. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "manifest_value.h"

#define MAX_WORDS 24

struct parser {
	struct manifest *m;
	const char *fname;
	int line;
	struct man_svc *cur; /* entry being filled, NULL before the first */
	man_prog_fn prog_exists;
	void *ctx;
	uint32_t seen; /* keys given once per entry (bit per key) */
	bool skip;     /* the lines of a refused "service" line */
};

__attribute__((format(printf, 3, 4))) static void
report(struct manifest *m, const char *prefix, const char *fmt, ...)
{
	if (m->nerr < MAN_ERR_MAX) {
		char *e = m->err[m->nerr];
		int n = snprintf(e, MAN_ERRLEN, "%s", prefix);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && n < MAN_ERRLEN)
			vsnprintf(e + n, MAN_ERRLEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	m->nerr++;
}

/* "FILE:LINE: " */
static void where(char *buf, size_t len, const char *fname, int line)
{
	snprintf(buf, len, "%s:%d: ", fname, line);
}

#define ERR(p, ...)                                                            \
	do {                                                                   \
		char _w[64];                                                   \
		where(_w, sizeof(_w), (p)->fname, (p)->line);                  \
		report((p)->m, _w, __VA_ARGS__);                               \
		if ((p)->cur)                                                  \
			(p)->cur->ok = false;                                  \
	} while (0)

static void entry_defaults(struct man_svc *s, const char *name, int line)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->name, name);
	s->line = line;
	s->ok = true;
	s->cls.cls = SCHED_CLASS_BE;
	s->cls.weight = SCHED_BE_WEIGHT_DEFAULT;
	s->cls.cpu = SCHED_CPU_KEEP;
	s->memory = MAN_DEF_MEMORY;
	s->memory_min = MAN_DEF_MEMORY;
	s->irq_isa = -1;
	s->restart = MAN_RESTART_ON_FAILURE;
	s->backoff_min_ns = MAN_DEF_BACKOFF_MIN;
	s->backoff_max_ns = MAN_DEF_BACKOFF_MAX;
	s->limit_n = MAN_DEF_LIMIT_N;
	s->limit_window_ns = MAN_DEF_LIMIT_WINDOW;
	s->log_size = MAN_DEF_LOG_SIZE;
}

static void new_entry(struct parser *p, int nw, char **w)
{
	p->cur = NULL;
	p->seen = 0;
	p->skip = true;
	if (nw != 2 || !man_valid_name(w[1])) {
		ERR(p, "service: one name of 1-15 of [a-z0-9_-]");
		return;
	}
	int dup = man_find(p->m, w[1]);
	if (p->m->n >= MAN_MAX_SVC) {
		ERR(p, "too many services (at most %d)", MAN_MAX_SVC);
		return;
	}
	p->cur = &p->m->svc[p->m->n++];
	entry_defaults(p->cur, w[1], p->line);
	if (dup >= 0)
		ERR(p, "duplicate name '%s' (first at line %d)", w[1],
		    p->m->svc[dup].line);
}

static void key_class(struct parser *p, int nw, char **w)
{
	struct sched_params *c = &p->cur->cls;
	uint64_t v, t[3];
	memset(c, 0, sizeof(*c));
	c->cpu = SCHED_CPU_KEEP;
	if (nw >= 2 && !strcmp(w[1], "be") && nw <= 3) {
		c->cls = SCHED_CLASS_BE;
		c->weight = SCHED_BE_WEIGHT_DEFAULT;
		if (nw == 3 &&
		    (man_parse_u64(w[2], &v) < 0 || v < SCHED_BE_WEIGHT_MIN ||
		     v > SCHED_BE_WEIGHT_MAX)) {
			ERR(p, "class be: weight 1-65536");
			return;
		}
		if (nw == 3)
			c->weight = (uint32_t)v;
		return;
	}
	if (nw >= 3 && nw <= 4 && !strcmp(w[1], "rt")) {
		c->cls = SCHED_CLASS_RT;
		if (man_parse_u64(w[2], &v) < 0 || v < SCHED_RT_PRIO_MIN ||
		    v > SCHED_RT_PRIO_MAX || (nw == 4 && strcmp(w[3], "rr"))) {
			ERR(p, "class rt: priority 1-99 [rr]");
			return;
		}
		c->priority = (uint32_t)v;
		c->flags = nw == 4 ? SCHED_FLAG_RR : 0;
		return;
	}
	if (nw == 3 && !strcmp(w[1], "dl")) {
		int n = man_parse_times(w[2], t, 3);
		c->cls = SCHED_CLASS_DL;
		if (n < 2 || t[0] < SCHED_DL_RUNTIME_MIN_NS ||
		    t[1] > SCHED_DL_PERIOD_MAX_NS ||
		    (n == 3 && (t[2] < t[0] || t[2] > t[1])) || t[0] > t[1]) {
			ERR(p, "class dl: RUNTIME/PERIOD[/DEADLINE], "
			       "runtime <= deadline <= period");
			return;
		}
		c->runtime_ns = t[0];
		c->period_ns = t[1];
		c->deadline_ns = n == 3 ? t[2] : t[1];
		return;
	}
	ERR(p, "class: be [WEIGHT] | rt PRIO [rr] | dl RUNTIME/PERIOD"
	       "[/DEADLINE]");
}

/* sched CLASSES [prio N] [bw BW] [quota] */
static void key_sched(struct parser *p, int nw, char **w)
{
	struct sched_auth_limits *l = &p->cur->sched;
	memset(l, 0, sizeof(*l));
	p->cur->sched_set = true;
	char cl[32];
	if (nw < 2 || strlen(w[1]) >= sizeof(cl))
		goto bad;
	strcpy(cl, w[1]);
	for (char *c = strtok(cl, ","); c; c = strtok(NULL, ",")) {
		if (!strcmp(c, "be"))
			l->classes |= SCHED_CLASS_MASK(SCHED_CLASS_BE);
		else if (!strcmp(c, "rt"))
			l->classes |= SCHED_CLASS_MASK(SCHED_CLASS_RT);
		else if (!strcmp(c, "dl"))
			l->classes |= SCHED_CLASS_MASK(SCHED_CLASS_DL);
		else
			goto bad;
	}
	for (int i = 2; i < nw; i++) {
		uint64_t v;
		if (!strcmp(w[i], "prio") && i + 1 < nw) {
			if (man_parse_u64(w[++i], &v) < 0 ||
			    v > SCHED_RT_PRIO_MAX)
				goto bad;
			l->max_priority = (uint32_t)v;
		} else if (!strcmp(w[i], "bw") && i + 1 < nw) {
			const char *u;
			if (man_split_unit(w[++i], &v, &u) < 0)
				goto bad;
			if (!strcmp(u, "%") && v <= 100)
				v *= 10000;
			else if (strcmp(u, "ppm") || v > 1000000)
				goto bad;
			l->dl_bw_ppm = v;
		} else if (!strcmp(w[i], "quota")) {
			l->flags |= SCHED_AUTH_MAY_QUOTA;
		} else {
			goto bad;
		}
	}
	return;
bad:
	ERR(p, "sched: CLASSES (be,rt,dl) [prio N] [bw N%%|Nppm] [quota]");
}

static void add_patterns(struct parser *p, int nw, char **w,
			 char (*pats)[MAN_PATLEN], int *n)
{
	if (nw < 2)
		ERR(p, "%s: one or more name patterns", w[0]);
	for (int i = 1; i < nw; i++) {
		if (!man_valid_pattern(w[i])) {
			ERR(p, "%s: bad pattern '%s' (/svc/x, /svc/x*, *)",
			    w[0], w[i]);
		} else if (*n >= MAN_PAT_MAX) {
			ERR(p, "%s: at most %d patterns", w[0], MAN_PAT_MAX);
			return;
		} else {
			strcpy(pats[(*n)++], w[i]);
		}
	}
}

static void key_program(struct parser *p, int nw, char **w)
{
	struct man_svc *s = p->cur;
	if (nw < 2 || strlen(w[1]) >= MAN_PROG_MAX || strchr(w[1], '/')) {
		ERR(p, "program: NAME [ARGS...]");
		return;
	}
	strcpy(s->program, w[1]);
	size_t len = 0;
	for (int i = 1; i < nw; i++) {
		size_t l = strlen(w[i]);
		if (len + l + 2 > MAN_CMD_MAX) {
			ERR(p, "program: command line over %d bytes",
			    MAN_CMD_MAX - 1);
			return;
		}
		if (i > 1)
			s->cmdline[len++] = ' ';
		memcpy(s->cmdline + len, w[i], l + 1);
		len += l;
	}
	if (p->prog_exists && !p->prog_exists(p->ctx, w[1]))
		ERR(p, "program '%s' not in the initrd", w[1]);
}

static const struct {
	const char *key;
	uint32_t grant;
} flags[] = {
	{"telemetry", MAN_G_TELEMETRY}, {"sysinfo", MAN_G_SYSINFO},
	{"initrd", MAN_G_INITRD},	{"bootinfo", MAN_G_BOOTINFO},
	{"spawn", MAN_G_SPAWN},		{"names-port", MAN_G_NAMES_PORT},
	{"vmgr-port", MAN_G_VMGR_PORT}, {"acpi", MAN_G_ACPI},
	{"control", MAN_G_CONTROL},
};

/* Grants that each take START_H_SERVICE: one per entry. */
#define SERVICE_SLOT (MAN_G_NAMES_PORT | MAN_G_VMGR_PORT | MAN_G_CONTROL)

/* Only one entry may hold names' receive handle (two would both serve
 * the port, and init supervises only one as the name service); likewise
 * vmgr's (init keeps one control endpoint). */
static void one_port(struct parser *p, uint32_t grant, const char *key)
{
	for (struct man_svc *o = p->m->svc; o < p->cur; o++) {
		if (o->grants & grant) {
			ERR(p, "%s: already given to '%s'", key, o->name);
			p->cur->grants &= ~grant;
			return;
		}
	}
}

/* Keys that may appear once per entry, by bit. */
static const char *const once[] = {"program", "class",	 "memory", "cpu",
				   "ioport",  "irq",	 "mmio",   "sched",
				   "restart", "backoff", "limit",  "stdout",
				   "log",     "dma",	 "shared", "pci"};

static void entry_line(struct parser *p, int nw, char **w)
{
	struct man_svc *s = p->cur;
	const char *k = w[0];
	for (unsigned i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (strcmp(k, once[i]))
			continue;
		if (p->seen & (1u << i)) {
			ERR(p, "%s given twice", k);
			return;
		}
		p->seen |= 1u << i;
	}
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!strcmp(k, flags[i].key)) {
			if (nw != 1)
				ERR(p, "%s takes no value", k);
			if ((flags[i].grant & SERVICE_SLOT) &&
			    (s->grants & SERVICE_SLOT & ~flags[i].grant)) {
				ERR(p,
				    "%s: its service handle is already "
				    "given (names-port, vmgr-port and "
				    "control exclude each other)",
				    k);
				return;
			}
			s->grants |= flags[i].grant;
			if (flags[i].grant &
			    (MAN_G_NAMES_PORT | MAN_G_VMGR_PORT))
				one_port(p, flags[i].grant, k);
			return;
		}
	}
	uint64_t v, t[2];
	if (!strcmp(k, "program")) {
		key_program(p, nw, w);
	} else if (!strcmp(k, "class")) {
		key_class(p, nw, w);
	} else if (!strcmp(k, "memory")) {
		/* "memory SIZE [min SIZE]": with a minimum, a machine whose
		 * RAM cannot give SIZE still starts the service with less. */
		uint64_t lo = 0;
		if ((nw != 2 && nw != 4) || man_parse_size(w[1], &v) < 0 ||
		    v < 4096)
			ERR(p, "memory: a size of at least 4K (64K, 8M, 1G)");
		else if (nw == 4 &&
			 (strcmp(w[2], "min") ||
			  man_parse_size(w[3], &lo) < 0 || lo < 4096 || lo > v))
			ERR(p, "memory: 'min SIZE' of at least 4K and at most "
			       "the quota");
		else {
			s->memory = v;
			s->memory_min = nw == 4 ? lo : v;
		}
	} else if (!strcmp(k, "cpu")) {
		if (nw != 2 || man_parse_times(w[1], t, 2) != 2 || t[0] == 0 ||
		    t[0] > t[1] || t[1] < 1000000 || t[1] > 10000000000ull)
			ERR(p, "cpu: RUNTIME/PERIOD, period 1ms-10s");
		else {
			s->cpu_runtime_ns = t[0];
			s->cpu_period_ns = t[1];
		}
	} else if (!strcmp(k, "ioport")) {
		/* all: iod, which narrows it to its drivers' I/O BARs */
		if (nw == 2 && !strcmp(w[1], "all"))
			s->grants |= MAN_G_IOPORT_ALL;
		else if (nw != 2 || man_parse_range(w[1], &s->ioport) < 0 ||
		    s->ioport.base >= 0x10000 ||
		    s->ioport.size > 0x10000 - s->ioport.base)
			ERR(p,
			    "ioport: FIRST-LAST or FIRST+COUNT below 0x10000, or all");
	} else if (!strcmp(k, "mmio")) {
		if (nw == 2 && !strcmp(w[1], "all"))
			s->grants |= MAN_G_MMIO_ALL; /* iod: it narrows */
		else if (nw != 2 || man_parse_range(w[1], &s->mmio) < 0)
			ERR(p, "mmio: FIRST-LAST, BASE+SIZE or all");
	} else if (!strcmp(k, "dma")) {
		/* A budget of DMA memory (docs/memory.md "DMA memory"). */
		if (nw != 2 || man_parse_size(w[1], &v) < 0 || v < 4096 ||
		    v > (1ull << 40))
			ERR(p, "dma: a size of at least 4K");
		else
			s->dma = v;
	} else if (!strcmp(k, "shared")) {
		/* Its vmgr ledger limit (docs/vmgr.md "Ledger limits"). */
		if (nw != 2 || man_parse_size(w[1], &v) < 0 || v < 4096 ||
		    v > (1ull << 40))
			ERR(p, "shared: a size of at least 4K");
		else
			s->shared = v;
	} else if (!strcmp(k, "pci")) {
		/* PCI functions (docs/system.md, docs/devices.md). */
		if (nw != 2 || man_parse_pci(w[1], &s->pci) < 0)
			ERR(p, "pci: all, B:D.F or B:D.F-B:D.F");
	} else if (!strcmp(k, "irq")) {
		if (nw == 2 && !strcmp(w[1], "all")) {
			/* every GSI (iod narrows them per device) */
			s->irq = (struct man_range){0, 256};
		} else if (nw == 2 && !strncmp(w[1], "isa:", 4)) {
			if (man_parse_u64(w[1] + 4, &v) < 0 || v > 15)
				ERR(p, "irq isa:N: N 0-15");
			else
				s->irq_isa = (int)v;
		} else if (nw != 2 || man_parse_u64(w[1], &v) < 0 ||
			   v > 0xffffff) {
			ERR(p, "irq: GSI, isa:N or all");
		} else {
			s->irq = (struct man_range){v, 1};
		}
	} else if (!strcmp(k, "sched")) {
		key_sched(p, nw, w);
	} else if (!strcmp(k, "register")) {
		add_patterns(p, nw, w, s->reg, &s->nreg);
	} else if (!strcmp(k, "lookup")) {
		add_patterns(p, nw, w, s->look, &s->nlook);
	} else if (!strcmp(k, "after")) {
		if (nw < 2)
			ERR(p, "after: one or more service names");
		for (int i = 1; i < nw; i++) {
			if (!man_valid_name(w[i]))
				ERR(p, "after: bad name '%s'", w[i]);
			else if (s->nafter >= MAN_DEP_MAX)
				ERR(p, "after: at most %d", MAN_DEP_MAX);
			else
				strcpy(s->after[s->nafter++], w[i]);
		}
	} else if (!strcmp(k, "restart")) {
		if (nw == 2 && !strcmp(w[1], "always"))
			s->restart = MAN_RESTART_ALWAYS;
		else if (nw == 2 && !strcmp(w[1], "on-failure"))
			s->restart = MAN_RESTART_ON_FAILURE;
		else if (nw == 2 && !strcmp(w[1], "never"))
			s->restart = MAN_RESTART_NEVER;
		else
			ERR(p, "restart: always | on-failure | never");
	} else if (!strcmp(k, "backoff")) {
		char a[32];
		const char *dd = nw == 2 ? strstr(w[1], "..") : NULL;
		if (!dd || (size_t)(dd - w[1]) >= sizeof(a)) {
			ERR(p, "backoff: MIN..MAX (10ms..5s)");
			return;
		}
		memcpy(a, w[1], (size_t)(dd - w[1]));
		a[dd - w[1]] = 0;
		if (man_parse_time(a, &t[0]) < 0 ||
		    man_parse_time(dd + 2, &t[1]) < 0 || t[0] == 0 ||
		    t[0] > t[1] || t[1] > 3600000000000ull)
			ERR(p, "backoff: MIN..MAX, 0 < MIN <= MAX <= 1h");
		else {
			s->backoff_min_ns = t[0];
			s->backoff_max_ns = t[1];
		}
	} else if (!strcmp(k, "limit")) {
		if (nw != 2 ||
		    man_parse_limit(w[1], &s->limit_n, &s->limit_window_ns) < 0)
			ERR(p, "limit: N/WINDOW (5/30s), N 1-%d",
			    MAN_LIMIT_MAX);
	} else if (!strcmp(k, "stdout")) {
		if (nw == 2 && !strcmp(w[1], "kernel"))
			s->grants |= MAN_G_KCONSOLE;
		else if (nw == 2 && !strcmp(w[1], "console"))
			s->grants |= MAN_G_TOCONSOLE;
		else if (nw != 2 || strcmp(w[1], "log"))
			ERR(p, "stdout: log | console | kernel");
	} else if (!strcmp(k, "log")) {
		if (nw != 2 || man_parse_size(w[1], &v) < 0 || v < 256 ||
		    v > (1u << 20))
			ERR(p, "log: ring size 256-1M");
		else
			s->log_size = (uint32_t)v;
	} else {
		ERR(p, "unknown key '%s'", k);
	}
}

static void parse_line(struct parser *p, char *line)
{
	char *w[MAX_WORDS];
	int nw = 0;
	for (char *s = line; *s;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		if (nw == MAX_WORDS) {
			ERR(p, "more than %d words", MAX_WORDS);
			return;
		}
		w[nw++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s)
			*s++ = 0;
	}
	if (nw == 0)
		return;
	for (int i = 0; i < nw; i++) {
		for (const char *c = w[i]; *c; c++) {
			if ((unsigned char)*c < ' ' ||
			    (unsigned char)*c > '~') {
				if (!strcmp(w[0], "service")) {
					/* No entry: its lines must not
					 * land in the one before. */
					p->cur = NULL;
					p->skip = true;
				}
				ERR(p, "control or non-ASCII character");
				return;
			}
		}
	}
	if (!strcmp(w[0], "service"))
		new_entry(p, nw, w);
	else if (!p->cur && !p->skip)
		ERR(p, "'%s' outside a service entry", w[0]);
	else if (!p->cur)
		return; /* reported once, on its "service" line */
	else
		entry_line(p, nw, w);
}

static void fail_entry(struct manifest *m, const char *fname, int i,
		       const char *fmt, const char *a, const char *b)
{
	char w[64];
	where(w, sizeof(w), fname, m->svc[i].line);
	report(m, w, fmt, a, b);
	m->svc[i].ok = false;
}

/* Dependencies: unknown names, then cycles (a cycle is reported once,
 * on each member's line), then entries that depend on one that cannot
 * start. Iterates to a fixed point: at most MAN_MAX_SVC rounds. */
static void resolve(struct manifest *m, const char *fname)
{
	for (int i = 0; i < m->n; i++) {
		struct man_svc *s = &m->svc[i];
		if (s->ok && !s->program[0])
			fail_entry(m, fname, i, "service '%s' has no program%s",
				   s->name, "");
		for (int d = 0; d < s->nafter; d++) {
			s->dep[d] = man_find(m, s->after[d]);
			if (s->dep[d] < 0)
				fail_entry(m, fname, i,
					   "unknown dependency '%s' of '%s'",
					   s->after[d], s->name);
			else if (s->dep[d] == i)
				fail_entry(m, fname, i,
					   "'%s' depends on itself%s", s->name,
					   "");
		}
	}
	/* Kahn: mark what can start; the rest is cycles or behind one. */
	bool done[MAN_MAX_SVC] = {0};
	for (bool progress = true; progress;) {
		progress = false;
		for (int i = 0; i < m->n; i++) {
			struct man_svc *s = &m->svc[i];
			if (done[i] || !s->ok)
				continue;
			bool ready = true;
			for (int d = 0; d < s->nafter && ready; d++)
				ready = s->dep[d] >= 0 && done[s->dep[d]];
			if (ready)
				done[i] = progress = true;
		}
	}
	/* Cycles among the undone good entries: walk first undone deps. */
	for (int i = 0; i < m->n; i++) {
		if (done[i] || !m->svc[i].ok)
			continue;
		int path[MAN_MAX_SVC + 1], len = 0, at = i;
		bool on[MAN_MAX_SVC] = {0};
		while (at >= 0 && !on[at] && len <= MAN_MAX_SVC) {
			on[at] = true;
			path[len++] = at;
			int next = -1;
			const struct man_svc *s = &m->svc[at];
			for (int d = 0; d < s->nafter && next < 0; d++)
				if (s->dep[d] >= 0 && !done[s->dep[d]] &&
				    m->svc[s->dep[d]].ok)
					next = s->dep[d];
			at = next;
		}
		if (at < 0)
			continue; /* ends at a bad entry: handled below */
		/* path[k..] from the first visit of `at` is the cycle. */
		int k = 0;
		while (path[k] != at)
			k++;
		char txt[MAN_ERRLEN] = "";
		size_t n = 0;
		for (int j = k; j <= len; j++) {
			const char *nm = m->svc[j < len ? path[j] : at].name;
			int r = snprintf(txt + n, sizeof(txt) - n, "%s%s",
					 j > k ? " -> " : "", nm);
			if (r < 0 || (size_t)r >= sizeof(txt) - n)
				break;
			n += (size_t)r;
		}
		for (int j = k; j < len; j++)
			fail_entry(m, fname, path[j], "dependency cycle: %s%s",
				   txt, "");
	}
	/* Whatever is still not done depends on a bad entry. */
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < m->n; i++) {
			struct man_svc *s = &m->svc[i];
			if (done[i] || !s->ok)
				continue;
			for (int d = 0; d < s->nafter; d++) {
				int j = s->dep[d];
				if (j >= 0 && !m->svc[j].ok) {
					fail_entry(
						m, fname, i,
						"'%s' depends on '%s', which "
						"cannot start",
						s->name, m->svc[j].name);
					changed = true;
					break;
				}
			}
		}
	}
}

int man_parse(struct manifest *m, const char *text, size_t len,
	      const char *fname, man_prog_fn prog_exists, void *ctx)
{
	memset(m, 0, sizeof(*m));
	struct parser p = {
		.m = m, .fname = fname, .prog_exists = prog_exists, .ctx = ctx};
	char line[MAN_LINE_MAX + 1];
	size_t pos = 0;
	while (pos < len) {
		size_t n = 0;
		bool nul = false;
		p.line++;
		while (pos + n < len && text[pos + n] != '\n') {
			nul |= text[pos + n] == 0;
			n++;
		}
		if (nul) {
			ERR(&p, "NUL byte");
		} else if (n > MAN_LINE_MAX) {
			ERR(&p, "line longer than %d bytes", MAN_LINE_MAX);
		} else {
			memcpy(line, text + pos, n);
			line[n] = 0;
			parse_line(&p, line);
		}
		pos += n + 1;
	}
	resolve(m, fname);
	return m->nerr;
}

int man_find(const struct manifest *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->svc[i].name, name))
			return i;
	return -1;
}
