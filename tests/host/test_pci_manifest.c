/* init's manifest key `pci` (servers/init/manifest.c, manifest_value.c):
 * all, one function, a range of functions; bad forms reported. */
#include <string.h>

#include "harness.h"
#include "manifest.h"
#include "manifest_value.h"

static struct manifest m;

static bool have_prog(void *ctx, const char *prog)
{
	(void)ctx;
	(void)prog;
	return true;
}

static int parse_one(const char *key_line)
{
	char text[160];
	snprintf(text, sizeof(text), "service x\nprogram x\n%s\n", key_line);
	return man_parse(&m, text, strlen(text), "services.conf", have_prog,
			 NULL);
}

TEST(pci_manifest_forms)
{
	struct man_range r;
	CHECK_EQ(man_parse_pci("all", &r), 0);
	CHECK_EQ(r.base, 0);
	CHECK_EQ(r.size, 0x10000);
	CHECK_EQ(man_parse_pci("00:1f.3", &r), 0);
	CHECK_EQ(r.base, 0xfb);
	CHECK_EQ(r.size, 1);
	CHECK_EQ(man_parse_pci("0:3.0", &r), 0);
	CHECK_EQ(r.base, 0x18);
	CHECK_EQ(man_parse_pci("01:00.0-01:1F.7", &r), 0);
	CHECK_EQ(r.base, 0x100);
	CHECK_EQ(r.size, 0x100);
	CHECK_EQ(man_parse_pci("ff:1f.7", &r), 0);
	CHECK_EQ(r.base, 0xffff);
	CHECK_EQ(r.size, 1);
	CHECK_EQ(man_parse_pci("00:00.0-ff:1f.7", &r), 0);
	CHECK_EQ(r.size, 0x10000);
	static const char *bad[] = {"",		 "al",
				    "00:20.0",	 "100:00.0",
				    "00:00.8",	 "00:00",
				    "00.0",	 "0:0:0.0",
				    "00:00.0-",	 "00:01.0-00:00.7",
				    "00:00.01",	 "x0:00.0",
				    "00:00.0+1", "00:00.0-01:00.0-02:00.0",
				    "-00:00.0",	 "00::00.0",
				    "00:00.-1"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (man_parse_pci(bad[i], &r) == 0) {
			fprintf(stderr, "    accepted: '%s'\n", bad[i]);
			CHECK(0);
		}
	}
}

TEST(pci_manifest_key)
{
	CHECK_EQ(parse_one("pci 00:03.0"), 0);
	CHECK(m.svc[0].ok);
	CHECK_EQ(m.svc[0].pci.base, 0x18);
	CHECK_EQ(m.svc[0].pci.size, 1);
	CHECK_EQ(parse_one("memory 1M"), 0);
	CHECK_EQ(m.svc[0].pci.size, 0); /* not given: none */
	CHECK_EQ(parse_one("pci all"), 0);
	CHECK_EQ(m.svc[0].pci.size, 0x10000);
	static const char *bad[] = {"pci", "pci all all", "pci 00:00.9",
				    "pci 00:03.0\npci 00:04.0"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_one(bad[i]) != 1 || m.svc[0].ok ||
		    strncmp(m.err[0], "services.conf:", 14)) {
			fprintf(stderr,
				"    accepted or misreported: %s (%s)\n",
				bad[i], m.nerr ? m.err[0] : "no error");
			CHECK(0);
		}
	}
}
