/* exec-rt's side of lwIP's platform layer (libs/lwip-port). */
#pragma once
#include <stdint.h>

/* The UDP port lwIP's DNS client asks its servers on (lwipopts.h makes
 * DNS_SERVER_PORT this variable): netd's --dns ADDR:PORT sets it. */
extern uint16_t lwip_port_dns_port;

/* Seeds LWIP_RAND() (netd: the clock and the TSC at start). */
void lwip_port_seed(uint64_t seed);

/* lwIP's heap (MEM_SIZE): bytes, clamped to 64 KiB..MEM_SIZE_MAX; call
 * before lwip_init() (default MEM_SIZE_MAX). lwip_port_heap() allocates it
 * on first use (lwip_init); no memory is an assertion failure. */
void lwip_port_set_heap(uint32_t bytes);
uint32_t lwip_port_heap_size(void);

/* netd's loop reads the clock once per pass (after its wait) and hands
 * it here: sys_now() answers from it instead of a system call each time
 * lwIP asks (several per frame). 0 (never set): sys_now() reads the
 * clock itself. */
void lwip_port_set_now(uint64_t ns);
