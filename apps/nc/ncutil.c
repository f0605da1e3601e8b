/* nc's pure half (ncutil.h). */
#include "ncutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: nc [-u] [-v] [-w SECS] HOST PORT [MODE]\n"
	"       nc -l [-u] [-k] [-v] [-w SECS] [-s ADDR] [-p] PORT [MODE]\n"
	"MODE: --echo | --sink | --source BYTES (default: stdin <-> peer);"
	" -c N: UDP datagrams to handle";

static bool num(const char *s, uint64_t max, uint64_t *out)
{
	if (!*s)
		return false;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024, end++;
	if (*end || s[0] == '-' || v > max / mul)
		return false;
	*out = v * mul;
	return true;
}

int nc_parse(int argc, char **argv, struct nc_opts *o, char *err, size_t cap)
{
	memset(o, 0, sizeof(*o));
	const char *pos[2] = {NULL, NULL};
	int npos = 0;
	const char *pflag = NULL;
	uint64_t v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-l")) {
			o->listen = true;
		} else if (!strcmp(a, "-u")) {
			o->udp = true;
		} else if (!strcmp(a, "-k")) {
			o->keep = true;
		} else if (!strcmp(a, "-v")) {
			o->verbose = true;
		} else if (!strcmp(a, "--echo")) {
			o->mode = NC_ECHO;
		} else if (!strcmp(a, "--sink")) {
			o->mode = NC_SINK;
		} else if (!strcmp(a, "--source") && next &&
			   num(next, 1ull << 50, &v)) {
			o->mode = NC_SOURCE;
			o->count = v;
			i++;
		} else if (!strcmp(a, "-c") && next &&
			   num(next, 1ull << 40, &v)) {
			o->count = v;
			i++;
		} else if (!strcmp(a, "-w") && next && num(next, 86400, &v) &&
			   v) {
			o->timeout_ms = (unsigned)v * 1000;
			i++;
		} else if (!strcmp(a, "-p") && next) {
			pflag = next;
			i++;
		} else if (!strcmp(a, "-s") && next) {
			o->host = next;
			i++;
		} else if (a[0] == '-' && a[1]) {
			snprintf(err, cap, "nc: bad option %s\n%s", a, usage);
			return -1;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			snprintf(err, cap, "nc: too many arguments\n%s", usage);
			return -1;
		}
	}
	const char *port = pflag;
	if (o->listen) {
		if (npos == 2 && !o->host) {
			o->host = pos[0];
			port = port ? NULL : pos[1];
		} else if (npos == 1 && !port) {
			port = pos[0];
		} else if (npos != 0) {
			port = NULL;
		}
		if (!o->host)
			o->host = "0.0.0.0";
	} else {
		if (npos != 2 || pflag || o->keep) {
			snprintf(err, cap, "nc: connect needs HOST PORT\n%s",
				 usage);
			return -1;
		}
		o->host = pos[0];
		port = pos[1];
	}
	if (!port || !num(port, 65535, &v) || v == 0) {
		snprintf(err, cap, "nc: bad or missing port\n%s", usage);
		return -1;
	}
	o->port = (int)v;
	if (o->mode == NC_SOURCE && o->udp) {
		snprintf(err, cap, "nc: --source is TCP only\n%s", usage);
		return -1;
	}
	return 0;
}

static uint32_t crc_table[256];

uint32_t nc_crc32(uint32_t crc, const void *buf, size_t n)
{
	if (!crc_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	}
	const uint8_t *p = buf;
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void nc_pattern(uint64_t off, uint8_t *buf, size_t n)
{
	/* Not periodic at any power of two a ring could hide an error at. */
	for (size_t i = 0; i < n; i++) {
		uint64_t x = off + i;
		buf[i] = (uint8_t)(x ^ (x >> 8) * 7 ^ (x >> 17) * 13);
	}
}

void nc_rate(char *buf, size_t cap, uint64_t bytes, uint64_t ns)
{
	if (!ns)
		ns = 1;
	/* bytes * 10^4 / ns = tenths of MB/s */
	unsigned long long t =
		(unsigned long long)((double)bytes * 1e4 / (double)ns);
	snprintf(buf, cap, "%llu.%llu MB/s", t / 10, t % 10);
}
