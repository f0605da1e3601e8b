/* lwIP in the host tests (netd's rooms: net-lwip, net-sockd). lwIP has
 * global state and lwip_init() may run once per process: every test calls
 * netd_test_lwip() instead, then advances lwIP's clock by hand. */
#pragma once
#include <stdint.h>

/* lwIP's milliseconds (sys_now()); tests move it forward. */
extern uint32_t netd_test_now_ms;
/* lwip_init() the first time; netd's interfaces set up with no
 * arguments (lo only). */
void netd_test_lwip(void);
/* Advances the clock by ms in 10 ms steps, running lwIP's timers and
 * loopback deliveries (netd_stack_poll) at each step. */
void netd_test_run(uint32_t ms);
