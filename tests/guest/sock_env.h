/* The name service of the socket tests (t_sock.c, t_sock_netd.c): started
 * fresh, this task's lookups and its children's through it, and the
 * runtime's netd connection dropped before and after. */
#pragma once

/* 0 started, < 0 an error (nothing left behind after sock_names_stop). */
long sock_names_start(void);
void sock_names_stop(void);
