/* The kernel's formatter and log ring. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include <kern/lib.h>
#include <kern/log.h>

static int fmt_same(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Compare kvsnprintf with the host's vsnprintf for the same arguments. */
static int fmt_same(const char *fmt, ...)
{
	char a[128], b[128];
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	int ra = kvsnprintf(a, sizeof(a), fmt, ap);
	int rb = vsnprintf(b, sizeof(b), fmt, aq);
	va_end(aq);
	va_end(ap);
	if (ra != rb || strcmp(a, b)) {
		fprintf(stderr, "    fmt \"%s\": kernel \"%s\" (%d), libc \"%s\" (%d)\n",
			fmt, a, ra, b, rb);
		return 0;
	}
	return 1;
}

TEST(printf_matches_libc)
{
	CHECK(fmt_same("%d %i %u", -42, 7, 3000000000u));
	CHECK(fmt_same("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42));
	CHECK(fmt_same("%x %X %#x %#o %o", 0xbeef, 0xbeef, 255, 8, 8));
	CHECK(fmt_same("%lld %llu %llx", -1ll, ~0ull, 0x123456789abcull));
	CHECK(fmt_same("%zu %ld %lu", (size_t)123, -5l, 5ul));
	CHECK(fmt_same("%hhu %hd", 300, 70000));
	CHECK(fmt_same("%s|%10s|%-10s|%.2s", "abc", "abc", "abc", "abc"));
	CHECK(fmt_same("%c%c %5c", 'o', 'k', 'x'));
	CHECK(fmt_same("%.3d %.0d %8.3x", 5, 0, 0xa));
	CHECK(fmt_same("%*d %-*d %.*s", 6, 1, 6, 2, 2, "xyz"));
	CHECK(fmt_same("100%%"));
	CHECK(fmt_same("%d", -2147483647 - 1));
	CHECK(fmt_same("%lld", (long long)(-9223372036854775807ll - 1)));
}

TEST(printf_truncates_and_reports_full_length)
{
	char buf[8];
	int n = ksnprintf(buf, sizeof(buf), "%s", "hello world");
	CHECK_EQ(n, 11);
	CHECK(!strcmp(buf, "hello w"));
	CHECK_EQ(ksnprintf(NULL, 0, "%d", 12345), 5);
	char p[32];
	ksnprintf(p, sizeof(p), "%p", (void *)0x1234);
	CHECK(!strcmp(p, "0x0000000000001234"));
	const char *volatile null_str = NULL; /* hide it from -Wformat */
	ksnprintf(p, sizeof(p), "%s", null_str);
	CHECK(!strcmp(p, "(null)"));
}

TEST(kstrtou64_parses_and_rejects)
{
	uint64_t v;
	CHECK(kstrtou64("12345", 10, &v));
	CHECK_EQ(v, 12345);
	CHECK(kstrtou64("0x1f", 0, &v));
	CHECK_EQ(v, 31);
	CHECK(kstrtou64("18446744073709551615", 10, &v));
	CHECK(v == UINT64_MAX);
	CHECK(!kstrtou64("18446744073709551616", 10, &v));
	CHECK(!kstrtou64("12a", 10, &v));
	CHECK(!kstrtou64("", 10, &v));
}

extern uint64_t host_fake_ns;

TEST(log_records_level_timestamp_and_ring)
{
	char con[512];
	size_t used;
	host_fake_ns = 12345678000ull; /* 12.345678 s */
	uint64_t start = log_head();
	harness_capture_console(con, sizeof(con), &used);
	pr_info("hello %d", 42);
	pr_debug("quiet"); /* below the console level: ring only */
	harness_capture_console(NULL, 0, NULL);
	host_fake_ns = (uint64_t)-1;

	con[used] = 0;
	CHECK(strstr(con, "[   12.345678] I hello 42\n") != NULL);
	CHECK(strstr(con, "quiet") == NULL);

	char buf[256];
	uint64_t pos = start;
	size_t n = log_read(&pos, buf, sizeof(buf) - 1);
	buf[n] = 0;
	CHECK(strstr(buf, "I hello 42\n") != NULL);
	CHECK(strstr(buf, "D quiet\n") != NULL);
	CHECK_EQ(pos, log_head());
}

TEST(log_reader_that_falls_behind_skips_to_oldest)
{
	uint64_t pos = log_head();
	char line[200];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	/* Write well over the ring's 64 KiB without a console. */
	for (int i = 0; i < 500; i++)
		pr_debug("%s", line);
	uint64_t dropped = log_dropped();
	char buf[64];
	size_t n = log_read(&pos, buf, sizeof(buf));
	CHECK_EQ(n, sizeof(buf));
	CHECK(log_dropped() > dropped);
	CHECK(log_head() - pos < 64 * 1024);
}
