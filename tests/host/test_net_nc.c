/* nc's pure half (apps/nc/ncutil.c): command lines, CRC-32 against
 * zlib's check value, the --source pattern. */
#include "harness.h"
#include "ncutil.h"

static int parse(struct nc_opts *o, const char *line)
{
	char copy[256], *argv[16];
	int argc = 0;
	snprintf(copy, sizeof(copy), "nc %s", line);
	for (char *t = strtok(copy, " "); t && argc < 16; t = strtok(NULL, " "))
		argv[argc++] = t;
	char err[512];
	return nc_parse(argc, argv, o, err, sizeof(err));
}

TEST(net_nc_command_lines)
{
	struct nc_opts o;
	CHECK_EQ(parse(&o, "-l -u -p 7 --echo"), 0);
	CHECK(o.listen && o.udp && o.mode == NC_ECHO && o.port == 7);
	STR_EQ(o.host, "0.0.0.0");
	CHECK_EQ(parse(&o, "-l -k 5001 --sink"), 0);
	CHECK(o.listen && o.keep && !o.udp && o.mode == NC_SINK);
	CHECK_EQ(o.port, 5001);
	CHECK_EQ(parse(&o, "-l 127.0.0.1 80"), 0);
	STR_EQ(o.host, "127.0.0.1");
	CHECK_EQ(parse(&o, "10.0.2.2 9 --source 64M"), 0);
	CHECK(!o.listen && o.mode == NC_SOURCE && o.count == 64ull << 20);
	STR_EQ(o.host, "10.0.2.2");
	CHECK_EQ(parse(&o, "-u -w 3 host 53"), 0);
	CHECK_EQ(o.timeout_ms, 3000);
	CHECK_EQ(parse(&o, "-l -u -c 10000 -p 7 --echo"), 0);
	CHECK_EQ(o.count, 10000);
	/* errors */
	CHECK_EQ(parse(&o, "host"), -1);
	CHECK_EQ(parse(&o, "-l"), -1);
	CHECK_EQ(parse(&o, "-l -p 0"), -1);
	CHECK_EQ(parse(&o, "-l -p 65536"), -1);
	CHECK_EQ(parse(&o, "-l -p 80x"), -1);
	CHECK_EQ(parse(&o, "-x host 1"), -1);
	CHECK_EQ(parse(&o, "a b c"), -1);
	CHECK_EQ(parse(&o, "-k host 1"), -1);
	CHECK_EQ(parse(&o, "-u host 1 --source 5"), -1);
	CHECK_EQ(parse(&o, "host 1 --source -5"), -1);
	CHECK_EQ(parse(&o, "-l -p 7 -p"), -1);
}

TEST(net_nc_crc32_is_zlibs)
{
	CHECK_EQ(nc_crc32(0, "123456789", 9), 0xcbf43926u);
	CHECK_EQ(nc_crc32(0, "", 0), 0);
	/* piecewise equals whole */
	uint8_t b[1000];
	nc_pattern(12345, b, sizeof(b));
	uint32_t whole = nc_crc32(0, b, sizeof(b));
	uint32_t c = 0;
	for (size_t i = 0; i < sizeof(b); i += 7)
		c = nc_crc32(c, b + i, sizeof(b) - i < 7 ? sizeof(b) - i : 7);
	CHECK_EQ(c, whole);
}

TEST(net_nc_pattern_is_positional)
{
	uint8_t a[4096], b[100];
	nc_pattern(0, a, sizeof(a));
	nc_pattern(1000, b, sizeof(b));
	CHECK(!memcmp(a + 1000, b, sizeof(b)));
	/* not periodic at 256 or 4096 */
	CHECK(memcmp(a, a + 256, 256));
	uint8_t c[256];
	nc_pattern(4096, c, sizeof(c));
	CHECK(memcmp(a, c, sizeof(c)));
	char r[32];
	nc_rate(r, sizeof(r), 64ull << 20, 2000000000ull);
	STR_EQ(r, "33.5 MB/s");
}
