/* nc's pure half: the command line, the data pattern of --source and the
 * CRC-32 that --sink/--source print (zlib's, so a test compares it with
 * Python's zlib.crc32). Host-tested in tests/host/test_net_nc.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nc_mode { NC_RELAY = 0, NC_ECHO, NC_SINK, NC_SOURCE };

struct nc_opts {
	bool listen, udp, keep, verbose;
	int mode;	     /* enum nc_mode */
	uint64_t count;	     /* --source bytes; UDP --sink/--echo: datagrams
				to handle before exiting (0: no limit) */
	unsigned timeout_ms; /* -w: give up after this long idle (0: never) */
	const char *host;    /* connect: the peer; listen: bind address */
	int port;
};

/* Parses argv; 0, or -1 with a message in err. */
int nc_parse(int argc, char **argv, struct nc_opts *o, char *err, size_t cap);

/* CRC-32 (IEEE 802.3, as zlib): crc = nc_crc32(crc, buf, n), starting
 * from 0. */
uint32_t nc_crc32(uint32_t crc, const void *buf, size_t n);

/* The --source byte stream: n bytes starting at stream offset off. */
void nc_pattern(uint64_t off, uint8_t *buf, size_t n);

/* "12.3 MB/s" style figure: bytes over ns in MB/s (10^6), tenths. */
void nc_rate(char *buf, size_t cap, uint64_t bytes, uint64_t ns);
