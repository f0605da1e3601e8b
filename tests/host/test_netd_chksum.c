/* lwIP's Internet checksum as netd builds it (LWIP_CHKSUM =
 * lwip_port_chksum, libs/lwip-port/lwip_port.c, 8 bytes a step): the
 * same value as lwIP's own algorithm at every start alignment and length
 * (a byte-wise reference of its rule), RFC 1071's example, and a frame
 * lwIP checks with it. New code: lwIP's algorithm 2 was used before. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lwip/inet_chksum.h"
#include "lwip_port.h"

/* lwIP's rule, byte by byte: host-order (little-endian) 16-bit words
 * from an even start; an odd start sums as if shifted one byte, the
 * folded result byte-swapped. */
static uint16_t ref_sum(const uint8_t *p, int len)
{
	int odd = (uintptr_t)p & 1;
	uint64_t s = 0;
	for (int i = 0; i < len; i++)
		s += (uint64_t)p[i] << (((i + odd) & 1) ? 8 : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	if (odd)
		s = ((s & 0xff) << 8) | (s >> 8);
	return (uint16_t)s;
}

TEST(netd_chksum_equals_lwips_rule)
{
	static uint8_t buf[70000];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (int off = 0; off < 16; off++)
		for (int len = 0; len <= 300; len++)
			CHECK_EQ(lwip_port_chksum(buf + off, len),
				 ref_sum(buf + off, len));
	static const int big[] = {1460, 1480, 1514, 9000, 65535};
	for (int off = 0; off < 2; off++)
		for (unsigned k = 0; k < sizeof(big) / sizeof(big[0]); k++)
			CHECK_EQ(lwip_port_chksum(buf + off, big[k]),
				 ref_sum(buf + off, big[k]));
	/* all ones: the sum stays 0xffff, never folds to 0 */
	memset(buf, 0xff, 4096);
	CHECK_EQ(lwip_port_chksum(buf, 4096), 0xffff);
	CHECK_EQ(lwip_port_chksum(buf + 1, 4094), 0xffff);
	memset(buf, 0, 64);
	CHECK_EQ(lwip_port_chksum(buf, 64), 0);
}

TEST(netd_chksum_rfc1071_example_and_an_ip_header)
{
	/* RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2 (network
	 * order), f2dd read in host order */
	static const uint8_t ex[8] = {0x00, 0x01, 0xf2, 0x03,
				      0xf4, 0xf5, 0xf6, 0xf7};
	CHECK_EQ(lwip_port_chksum(ex, 8), 0xf2dd);
	/* an IPv4 header with its checksum in: inet_chksum gives 0 */
	uint8_t ip[20] = {0x45, 0, 0,  0x54, 0x12, 0x34, 0x40, 0, 64, 1,
			  0,	0, 10, 0,    2,	   15,	 10,   0, 2,  2};
	uint16_t c = inet_chksum(ip, 20);
	memcpy(ip + 10, &c, 2);
	CHECK_EQ(inet_chksum(ip, 20), 0);
	CHECK_EQ(ip[10], 0x10); /* 0x1065 by hand (network order) */
	CHECK_EQ(ip[11], 0x65);
}
