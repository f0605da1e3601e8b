/* init's manifest parser (servers/init/manifest.c): every key, every
 * error with its file:line, good entries kept next to bad ones,
 * dependency cycles, and random damage under ASan+UBSan. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "manifest.h"

static struct manifest m;

static bool have_prog(void *ctx, const char *prog)
{
	(void)ctx;
	return strcmp(prog, "missing") != 0;
}

static int parse(const char *text)
{
	return man_parse(&m, text, strlen(text), "services.conf", have_prog,
			 NULL);
}

/* Whether some report is exactly `want`. */
static bool reported(const char *want)
{
	for (int i = 0; i < m.nerr && i < MAN_ERR_MAX; i++)
		if (!strcmp(m.err[i], want))
			return true;
	for (int i = 0; i < m.nerr && i < MAN_ERR_MAX; i++)
		fprintf(stderr, "    report: %s\n", m.err[i]);
	return false;
}

static const struct man_svc *svc(const char *name)
{
	int i = man_find(&m, name);
	return i < 0 ? NULL : &m.svc[i];
}

TEST(manifest_every_key)
{
	CHECK_EQ(parse("# the system\n"
		       "service names\n"
		       "  program names --verbose\n"
		       "  names-port\n"
		       "  class rt 10 rr\n"
		       "  memory 4M\n"
		       "  restart always\n"
		       "\n"
		       "service console   # the serial driver\n"
		       "\tprogram console\n"
		       "\tafter names\n"
		       "\tioport 0x3f8-0x3ff\n"
		       "\tirq isa:4\n"
		       "\tbootinfo\n"
		       "\tstdout kernel\n"
		       "\tregister /svc/console\n"
		       "\tcpu 2ms/10ms\n"
		       "service dev\n"
		       " program dev a b\n"
		       " mmio 0xfee00000+4K\n"
		       " dma 64K\n"
		       " shared 256K\n vmgr-port\n"
		       " irq 36\n"
		       " class dl 1ms/10ms/5ms\n"
		       " sched be,rt,dl prio 20 bw 5% quota\n"
		       " telemetry\n sysinfo\n initrd\n spawn\n"
		       " lookup /svc/* /svc/names\n"
		       " register /svc/dev\n"
		       " after names console\n"
		       " backoff 10ms..2s\n"
		       " limit 3/10s\n"
		       " log 64K\n"
		       " restart never\n"
		       "service shell\n"
		       "  program sh\n"
		       "  memory 64M min 12M\n"),
		 0);
	CHECK_EQ(m.n, 4);
	const struct man_svc *sh = svc("shell");
	CHECK(sh && sh->ok);
	CHECK_EQ(sh->memory, 64 << 20);
	CHECK_EQ(sh->memory_min, 12 << 20);
	const struct man_svc *n = svc("names"), *c = svc("console"),
			     *d = svc("dev");
	CHECK(n && c && d && n->ok && c->ok && d->ok);
	CHECK(!strcmp(n->program, "names"));
	CHECK(!strcmp(n->cmdline, "names --verbose"));
	CHECK_EQ(n->grants, MAN_G_NAMES_PORT);
	CHECK_EQ(n->cls.cls, SCHED_CLASS_RT);
	CHECK_EQ(n->cls.priority, 10);
	CHECK_EQ(n->cls.flags, SCHED_FLAG_RR);
	CHECK_EQ(n->memory, 4 << 20);
	CHECK_EQ(n->memory_min, 4 << 20);
	CHECK_EQ(n->restart, MAN_RESTART_ALWAYS);
	CHECK_EQ(n->line, 2);
	/* Defaults. */
	CHECK_EQ(c->restart, MAN_RESTART_ON_FAILURE);
	CHECK_EQ(c->memory, MAN_DEF_MEMORY);
	CHECK_EQ(c->cls.cls, SCHED_CLASS_BE);
	CHECK_EQ(c->cls.weight, 1024);
	CHECK_EQ(c->backoff_min_ns, MAN_DEF_BACKOFF_MIN);
	CHECK_EQ(c->limit_n, MAN_DEF_LIMIT_N);
	CHECK_EQ(c->log_size, MAN_DEF_LOG_SIZE);
	CHECK_EQ(c->ioport.base, 0x3f8);
	CHECK_EQ(c->ioport.size, 8);
	CHECK_EQ(c->irq_isa, 4);
	CHECK_EQ(c->irq.size, 0);
	CHECK_EQ(c->grants, MAN_G_BOOTINFO | MAN_G_KCONSOLE);
	CHECK_EQ(c->nreg, 1);
	CHECK(!strcmp(c->reg[0], "/svc/console"));
	CHECK_EQ(c->cpu_runtime_ns, 2000000);
	CHECK_EQ(c->cpu_period_ns, 10000000);
	CHECK_EQ(c->nafter, 1);
	CHECK_EQ(c->dep[0], 0);
	CHECK_EQ(d->mmio.base, 0xfee00000);
	CHECK_EQ(d->mmio.size, 4096);
	CHECK_EQ(d->dma, 64 << 10);
	CHECK_EQ(c->dma, 0);
	CHECK_EQ(d->shared, 256 << 10);
	CHECK_EQ(c->shared, 0);
	CHECK(d->grants & MAN_G_VMGR_PORT);
	CHECK_EQ(d->irq.base, 36);
	CHECK_EQ(d->irq.size, 1);
	CHECK_EQ(d->irq_isa, -1);
	CHECK_EQ(d->cls.cls, SCHED_CLASS_DL);
	CHECK_EQ(d->cls.runtime_ns, 1000000);
	CHECK_EQ(d->cls.period_ns, 10000000);
	CHECK_EQ(d->cls.deadline_ns, 5000000);
	CHECK(d->sched_set);
	CHECK_EQ(d->sched.classes, 7);
	CHECK_EQ(d->sched.max_priority, 20);
	CHECK_EQ(d->sched.dl_bw_ppm, 50000);
	CHECK_EQ(d->sched.flags, SCHED_AUTH_MAY_QUOTA);
	CHECK_EQ(d->grants, MAN_G_TELEMETRY | MAN_G_SYSINFO | MAN_G_INITRD |
				    MAN_G_SPAWN | MAN_G_VMGR_PORT);
	CHECK_EQ(d->nlook, 2);
	CHECK(!strcmp(d->look[0], "/svc/*"));
	CHECK_EQ(d->nafter, 2);
	CHECK_EQ(d->dep[1], 1);
	CHECK_EQ(d->backoff_min_ns, 10000000);
	CHECK_EQ(d->backoff_max_ns, 2000000000);
	CHECK_EQ(d->limit_n, 3);
	CHECK_EQ(d->limit_window_ns, 10000000000ull);
	CHECK_EQ(d->log_size, 64 << 10);
	CHECK_EQ(d->restart, MAN_RESTART_NEVER);
	/* A DL class with deadline = period when not given. */
	CHECK_EQ(parse("service x\nprogram x\nclass dl 100us/1ms\n"), 0);
	CHECK_EQ(m.svc[0].cls.deadline_ns, 1000000);
	CHECK_EQ(parse("service x\nprogram x\nclass be 5\n"), 0);
	CHECK_EQ(m.svc[0].cls.weight, 5);
}

/* Each bad line is reported with its line, only its entry is left out. */
TEST(manifest_errors_have_file_and_line)
{
	CHECK_EQ(parse("service good1\n"   /* 1 */
		       "program good\n"	   /* 2 */
		       "service bad1\n"	   /* 3 */
		       "program x\n"	   /* 4 */
		       "colour blue\n"	   /* 5 */
		       "service bad2\n"	   /* 6 */
		       "program x\n"	   /* 7 */
		       "memory 12Q\n"	   /* 8 */
		       "service bad3\n"	   /* 9 */
		       "program missing\n" /* 10 */
		       "service good1\n"   /* 11 */
		       "program x\n"	   /* 12 */
		       "service good2\n"   /* 13 */
		       "program y\n"	   /* 14 */
		       "after good1\n"),   /* 15 */
		 4);
	CHECK(reported("services.conf:5: unknown key 'colour'"));
	CHECK(reported("services.conf:8: memory: a size of at least 4K "
		       "(64K, 8M, 1G)"));
	CHECK(reported("services.conf:10: program 'missing' not in the "
		       "initrd"));
	CHECK(reported("services.conf:11: duplicate name 'good1' (first at "
		       "line 1)"));
	CHECK(svc("good1")->ok);
	CHECK(svc("good2")->ok);
	CHECK(!svc("bad1")->ok && !svc("bad2")->ok && !svc("bad3")->ok);
	CHECK(!m.svc[4].ok); /* the duplicate */
	/* good2 depends on the first good1. */
	CHECK_EQ(svc("good2")->dep[0], 0);
}

TEST(manifest_bad_numbers)
{
	static const char *const bad[] = {
		"memory 0x",
		"memory 99999999999999999999",
		"memory 1T",
		"memory 100",
		"memory 17179869184G",
		"cpu 5ms",
		"cpu 20ms/10ms",
		"cpu 0ms/10ms",
		"cpu 1ms/100us",
		"class rt 0",
		"class rt 100",
		"class rt 5 fifo",
		"class be 0",
		"class dl 1ms",
		"class dl 5ms/1ms",
		"class dl 1us/1ms",
		"class dl 1ms/10ms/500us",
		"class idle",
		"ioport 0x3ff-0x3f8",
		"ioport 0xffff+2",
		"ioport 12",
		/* past the end of the port space by wrapping (review-a) */
		"ioport 1-0xffffffffffffffff",
		"ioport 0xffffffffffff0000+0x10000",
		"mmio 1-0xffffffffffffffff",
		"irq isa:16",
		"irq nope",
		"mmio 0xffffffffffffffff+2",
		"mmio all 0x1000+4K",
		"mmio All",
		"acpi yes",
		"dma 1K",
		"dma",
		"dma 4K 8K",
		"shared 1K",
		"shared",
		"shared 4K 8K",
		"sched be,xx",
		"sched rt prio 100",
		"sched dl bw 101%",
		"sched dl bw 5",
		"backoff 10ms",
		"backoff 5s..1s",
		"backoff 0ms..1s",
		"limit 0/10s",
		"limit 33/10s",
		"limit 3/0s",
		"limit 3",
		"log 1",
		"restart sometimes",
		"stdout tty",
		"register svc/x",
		"lookup /svc/a*b",
		"after Names",
		"program a/b",
		"telemetry yes",
		"memory 1m",
		"cpu 1.5ms/10ms",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "service x\nprogram x\n%s\n",
			 bad[i]);
		if (parse(text) != 1 || m.svc[0].ok ||
		    strncmp(m.err[0], "services.conf:3: ", 17)) {
			fprintf(stderr,
				"    accepted or misreported: %s (%s)\n",
				bad[i], m.nerr ? m.err[0] : "no error");
			CHECK(0);
		}
	}
}

TEST(manifest_value_parsers)
{
	uint64_t v;
	CHECK_EQ(man_parse_u64("0x7b", &v), 0);
	CHECK_EQ(v, 123);
	CHECK_EQ(man_parse_u64("18446744073709551615", &v), 0);
	CHECK_EQ(man_parse_u64("18446744073709551616", &v), -1);
	CHECK_EQ(man_parse_u64("", &v), -1);
	CHECK_EQ(man_parse_u64("-1", &v), -1);
	CHECK_EQ(man_parse_size("64KiB", &v), 0);
	CHECK_EQ(v, 65536);
	CHECK_EQ(man_parse_size("1G", &v), 0);
	CHECK_EQ(v, 1ull << 30);
	CHECK_EQ(man_parse_size("17179869184G", &v), -1);
	CHECK_EQ(man_parse_time("250us", &v), 0);
	CHECK_EQ(v, 250000);
	CHECK_EQ(man_parse_time("2", &v), -1);
	CHECK_EQ(man_parse_time("18446744073709551615s", &v), -1);
	CHECK(man_pattern_match("*", "/svc/x"));
	CHECK(man_pattern_match("/svc/t*", "/svc/test"));
	CHECK(!man_pattern_match("/svc/t*", "/svc/names"));
	CHECK(man_pattern_match("/svc/test", "/svc/test"));
	CHECK(!man_pattern_match("/svc/test", "/svc/test2"));
}

TEST(manifest_cycles_and_dependencies)
{
	CHECK_EQ(parse("service a\nprogram p\nafter c\n"      /* 1 */
		       "service b\nprogram p\nafter a\n"      /* 4 */
		       "service c\nprogram p\nafter b\n"      /* 7 */
		       "service d\nprogram p\nafter a\n"      /* 10 */
		       "service e\nprogram p\nafter nobody\n" /* 13 */
		       "service f\nprogram p\nafter f\n"      /* 16 */
		       "service g\nprogram p\nafter e\n"      /* 19 */
		       "service h\nprogram p\n"		      /* 22 */
		       "service i\nprogram p\nafter h\n"),    /* 24 */
		 7);
	CHECK(reported("services.conf:1: dependency cycle: a -> c -> b -> a"));
	CHECK(reported("services.conf:4: dependency cycle: a -> c -> b -> a"));
	CHECK(reported("services.conf:7: dependency cycle: a -> c -> b -> a"));
	CHECK(reported("services.conf:10: 'd' depends on 'a', which cannot "
		       "start"));
	CHECK(reported("services.conf:13: unknown dependency 'nobody' of "
		       "'e'"));
	CHECK(reported("services.conf:16: 'f' depends on itself"));
	CHECK(reported("services.conf:19: 'g' depends on 'e', which cannot "
		       "start"));
	CHECK(svc("h")->ok && svc("i")->ok);
	for (const char *n = "abcdefg"; *n; n++) {
		char nm[2] = {*n, 0};
		CHECK(!svc(nm)->ok);
	}
}

TEST(manifest_structure_errors)
{
	CHECK_EQ(parse("program early\n"	 /* 1 */
		       "service Bad_Name\n"	 /* 2 */
		       "program x\n"		 /* 3: skipped silently */
		       "service ok\nprogram x\n" /* 4-5 */
		       "program y\n"		 /* 6 */
		       "service noprog\n"),	 /* 7 */
		 4);
	CHECK(reported("services.conf:1: 'program' outside a service entry"));
	CHECK(reported("services.conf:2: service: one name of 1-15 of "
		       "[a-z0-9_-]"));
	CHECK(reported("services.conf:6: program given twice"));
	CHECK(reported("services.conf:7: service 'noprog' has no program"));
	CHECK_EQ(m.n, 2);
	/* Long lines, NUL bytes, control characters, too many entries. */
	char big[MAN_LINE_MAX + 64];
	memset(big, 'a', sizeof(big));
	memcpy(big, "service x\nprogram x\n", 20);
	big[sizeof(big) - 1] = '\n';
	CHECK_EQ(man_parse(&m, big, sizeof(big), "f", NULL, NULL), 1);
	CHECK(reported("f:3: line longer than 512 bytes"));
	CHECK_EQ(
		man_parse(&m, "service x\nprogram x\0y\n", 22, "f", NULL, NULL),
		1);
	CHECK(reported("f:2: NUL byte"));
	CHECK_EQ(parse("service x\nprogram x\x01\n"), 1);
	CHECK(reported("services.conf:2: control or non-ASCII character"));
	char many[64 * 40] = "";
	for (int i = 0; i < MAN_MAX_SVC + 2; i++)
		sprintf(many + strlen(many), "service s%d\nprogram p\n", i);
	CHECK_EQ(parse(many), 2);
	CHECK_EQ(m.n, MAN_MAX_SVC);
	CHECK(reported("services.conf:65: too many services (at most 32)"));
	/* Errors past MAN_ERR_MAX are counted, not kept. */
	char errs[64 * 40] = "service x\nprogram x\n";
	for (int i = 0; i < MAN_ERR_MAX + 5; i++)
		strcat(errs, "bogus\n");
	CHECK_EQ(parse(errs), MAN_ERR_MAX + 5);
}

/* A "service" line with a bad byte starts no entry, and the lines after
 * it do not land in the entry before (which stays good); two entries
 * cannot both be given names' receive handle (review-a). */
TEST(manifest_bad_service_line_and_two_names_ports)
{
	CHECK_EQ(parse("service a\nprogram a\n"
		       "service b\x80\n"
		       "program b\nmemory 1M\n"),
		 1);
	CHECK(reported("services.conf:3: control or non-ASCII character"));
	CHECK_EQ(m.n, 1);
	CHECK(m.svc[0].ok);
	CHECK(!strcmp(m.svc[0].cmdline, "a"));
	CHECK_EQ(m.svc[0].memory, MAN_DEF_MEMORY);
	CHECK_EQ(parse("service n1\nprogram names\nnames-port\n"
		       "service n2\nprogram names\nnames-port\n"),
		 1);
	CHECK(reported("services.conf:6: names-port: already given to 'n1'"));
	CHECK(m.svc[0].ok);
	CHECK(!m.svc[1].ok);
	CHECK_EQ(parse("service v1\nprogram vmgr\nvmgr-port\n"
		       "service v2\nprogram vmgr\nvmgr-port\n"),
		 1);
	CHECK(reported("services.conf:6: vmgr-port: already given to 'v1'"));
	CHECK(m.svc[0].ok);
	CHECK(!m.svc[1].ok);
}

TEST(manifest_program_line_bounds)
{
	char text[600] = "service x\nprogram p";
	for (int i = 0; i < 20; i++)
		strcat(text, " argument_");
	strcat(text, "\n");
	CHECK_EQ(parse(text), 1);
	CHECK(reported("services.conf:2: program: command line over 199 "
		       "bytes"));
	CHECK_EQ(parse("service x\nprogram p 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
		       "15 16 17 18 19 20 21 22 23 24\n"),
		 1);
	CHECK(reported("services.conf:2: more than 24 words"));
}

/* Random damage to a valid manifest: never a crash, an overflow, or an
 * entry marked good that has no program. */
TEST(manifest_random_damage)
{
	static const char base[] =
		"service names\nprogram names\nnames-port\nclass rt 10\n"
		"service console\nprogram console\nafter names\n"
		"ioport 0x3f8-0x3ff\nirq isa:4\nstdout kernel\n"
		"register /svc/console\nlookup /svc/names\n"
		"service test\nprogram testsvc --tick-ms 100\nafter names\n"
		"backoff 10ms..1s\nlimit 5/10s\ncpu 5ms/10ms\n"
		"sched be,rt prio 5 bw 1%\n";
	static const char alphabet[] = " \t\n#/-+.:,*0123456789abcdefxsms%";
	srand(1234);
	for (int round = 0; round < 20000; round++) {
		size_t len = sizeof(base) - 1;
		char *t = malloc(len);
		memcpy(t, base, len);
		int edits = 1 + rand() % 6;
		for (int e = 0; e < edits && len; e++) {
			size_t at = (size_t)rand() % len;
			int k = rand() % 3;
			if (k == 0)
				t[at] = alphabet[rand() %
						 (sizeof(alphabet) - 1)];
			else if (k == 1)
				t[at] = (char)rand();
			else
				len = at; /* truncate */
		}
		man_parse(&m, t, len, "services.conf", have_prog, NULL);
		free(t);
		CHECK(m.n >= 0 && m.n <= MAN_MAX_SVC);
		for (int i = 0; i < m.n; i++) {
			if (!m.svc[i].ok)
				continue;
			CHECK(m.svc[i].program[0]);
			for (int d = 0; d < m.svc[i].nafter; d++)
				CHECK(m.svc[i].dep[d] >= 0 &&
				      m.svc[m.svc[i].dep[d]].ok);
		}
	}
}

/* "memory SIZE min SIZE": the minimum must be a size, at most the quota. */
TEST(manifest_memory_min)
{
	CHECK_EQ(parse("service a\n"
		       "program a\n"
		       "memory 8M min 16M\n"
		       "service b\n"
		       "program b\n"
		       "memory 8M minimum 1M\n"
		       "service c\n"
		       "program c\n"
		       "memory 8M min 8M\n"),
		 2);
	CHECK(reported("services.conf:3: memory: 'min SIZE' of at least 4K "
		       "and at most the quota"));
	CHECK(reported("services.conf:6: memory: 'min SIZE' of at least 4K "
		       "and at most the quota"));
	const struct man_svc *c = svc("c");
	CHECK(c && c->ok && c->memory_min == c->memory);
}

/* devk-mem: "acpi" gives START_H_ACPI; "mmio all" the whole authority,
 * as one of the forms of the once-only mmio key. */
TEST(manifest_acpi_and_mmio_all)
{
	CHECK_EQ(parse("service iod\nprogram iod\nacpi\nmmio all\n"
		       "service fb\nprogram fb\nmmio 0xfd000000+16M\n"),
		 0);
	const struct man_svc *iod = svc("iod"), *fb = svc("fb");
	CHECK(iod && iod->ok && fb && fb->ok);
	CHECK_EQ(iod->grants, MAN_G_ACPI | MAN_G_MMIO_ALL);
	CHECK_EQ(iod->mmio.size, 0);
	CHECK_EQ(fb->grants, 0);
	CHECK_EQ(fb->mmio.base, 0xfd000000);
	CHECK_EQ(fb->mmio.size, 16 << 20);
	CHECK_EQ(parse("service x\nprogram x\nmmio all\nmmio 0x1000+4K\n"),
		 1);
	CHECK(reported("services.conf:4: mmio given twice"));
}

/* `control` (REVIEW-18 R2): init's control endpoint at START_H_SERVICE,
 * so not with names-port or vmgr-port (the same slot); takes no value. */
TEST(manifest_control_key)
{
	CHECK_EQ(parse("service sh\nprogram sh\ncontrol\n"
		       "service x\nprogram x\n"),
		 0);
	CHECK(svc("sh") && svc("sh")->ok);
	CHECK_EQ(svc("sh")->grants, MAN_G_CONTROL);
	CHECK_EQ(svc("x")->grants, 0);
	CHECK_EQ(parse("service n\nprogram names\nnames-port\ncontrol\n"), 1);
	CHECK(reported("services.conf:4: control: its service handle is "
		       "already given (names-port, vmgr-port and control "
		       "exclude each other)"));
	CHECK_EQ(svc("n")->grants & MAN_G_CONTROL, 0);
	CHECK_EQ(parse("service v\nprogram vmgr\ncontrol\nvmgr-port\n"), 1);
	CHECK(reported("services.conf:4: vmgr-port: its service handle is "
		       "already given (names-port, vmgr-port and control "
		       "exclude each other)"));
	CHECK_EQ(parse("service s\nprogram sh\ncontrol init\n"), 1);
	CHECK(reported("services.conf:3: control takes no value"));
}
