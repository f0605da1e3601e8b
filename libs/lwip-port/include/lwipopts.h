/* lwIP's configuration for netd (docs/net.md "lwIP"). One thread owns the
 * stack (NO_SYS: raw API, no sys_arch threads, mailboxes or locks): netd's
 * main loop feeds it frames and calls sys_check_timeouts(). The same file
 * builds the host tests' lwIP, so they run the stack netd runs.
 *
 * Memory is fixed at build time (netd's quota in etc/services.conf must
 * cover it): lwIP's heap and pools are static arrays, so hostile traffic
 * can exhaust them (frames dropped, connections refused) but never make
 * netd grow. */
#pragma once

#define NO_SYS			1
#define SYS_LIGHTWEIGHT_PROT	0
#define LWIP_NETCONN		0
#define LWIP_SOCKET		0
#define LWIP_TIMERS		1

#define LWIP_IPV4		1
#define LWIP_IPV6		0
#define LWIP_ARP		1
#define LWIP_ETHERNET		1
#define LWIP_ICMP		1
#define LWIP_RAW		1
#define LWIP_UDP		1
#define LWIP_TCP		1
#define LWIP_IGMP		0
#define LWIP_AUTOIP		0
#define LWIP_DHCP		1
/* No ARP probe of the offered address: binding is 0.5 s sooner, and the
 * networks netd meets (QEMU's user net) hand out unique addresses. */
#define DHCP_DOES_ARP_CHECK	0
#define LWIP_DNS		1
#define DNS_MAX_SERVERS		2
#define DNS_TABLE_SIZE		32 /* names asked at once, all clients */
#define DNS_MAX_NAME_LENGTH	256
/* --dns ADDR:PORT (tests answer on the host at 10.0.2.2:5353). */
#define DNS_SERVER_PORT		lwip_port_dns_port
extern unsigned short lwip_port_dns_port;

#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_HOSTNAME	   1
#define LWIP_SINGLE_NETIF	   0
/* "lo" (127.0.0.1) and sends to an interface's own address: queued and
 * delivered by netif_poll_all() in the main loop. */
#define LWIP_HAVE_LOOPIF	   1
#define LWIP_NETIF_LOOPBACK	   1
#define LWIP_LOOPBACK_MAX_PBUFS	   512

/* Memory. */
#define MEM_ALIGNMENT		8
/* The heap (tx data copied by tcp_write) is sized at start from netd's
 * quota (lwip_port_set_heap, before lwip_init: 4 MiB with the manifest's
 * quota, less on a small machine) and allocated out of that quota, not
 * part of the image. The constant part of MEM_SIZE is all lwIP's #if
 * checks see (a 32-bit mem_size_t); C code reads the real size. */
#define MEM_SIZE_MAX (4u << 20)
#define MEM_SIZE     (MEM_SIZE_MAX - lwip_port_heap_short)
#define LWIP_RAM_HEAP_POINTER lwip_port_heap()
#ifndef __ASSEMBLER__
extern unsigned int lwip_port_heap_short; /* MEM_SIZE_MAX - the size */
void *lwip_port_heap(void);
#endif
#define MEMP_NUM_PBUF		512
#define MEMP_NUM_RAW_PCB	32
#define MEMP_NUM_UDP_PCB	128 /* every UDP and ping socket of all clients */
#define MEMP_NUM_TCP_PCB	512 /* 200 httpd clients + a SYN flood */
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_TCP_SEG	4096
#define MEMP_NUM_REASSDATA	16
#define IP_REASS_MAX_PBUFS	64
#define MEMP_NUM_FRAG_PBUF	32
#define MEMP_NUM_ARP_QUEUE	64
#define MEMP_NUM_SYS_TIMEOUT	(LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define PBUF_POOL_SIZE		1024 /* received frames, 1.5 MiB */
#define PBUF_POOL_BUFSIZE	1536 /* one whole frame per pbuf */
#define ARP_TABLE_SIZE		32
#define ARP_QUEUEING		1
#define IP_REASSEMBLY		1
#define IP_FRAG			1

/* TCP: windows scaled so a connection can have 128 KiB in flight. */
#define TCP_MSS			1460
#define LWIP_WND_SCALE		1
#define TCP_RCV_SCALE		2
#define TCP_WND			(128u * 1024u)
#define TCP_SND_BUF		(128u * 1024u)
#define TCP_SND_QUEUELEN	((4u * TCP_SND_BUF) / TCP_MSS)
#define TCP_SNDLOWAT		(32u * 1024u) /* u16_t in lwIP */
#define TCP_QUEUE_OOSEQ		1
#define TCP_OOSEQ_MAX_PBUFS	64
#define TCP_LISTEN_BACKLOG	1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE	1
#define SO_REUSE		1

/* The Internet checksum, 8 bytes a step (libs/lwip-port/lwip_port.c):
 * without offloads every frame is summed, and lwIP's own 2 bytes a step
 * was 60% of netd's instructions per MiB received. */
#define LWIP_CHKSUM lwip_port_chksum
#ifndef __ASSEMBLER__
unsigned short lwip_port_chksum(const void *dataptr, int len);
#endif

#define LWIP_STATS		1
#define LWIP_STATS_DISPLAY	0
#define MIB2_STATS		1 /* per-netif counters: lo's in ifconfig */
#define LWIP_NUM_NETIF_CLIENT_DATA 0
