/* The few kernel services the socket code needs, behind one small
 * interface: sock_os.c implements it with system calls inside netd, the
 * host tests (tests/host/netd_sock_fake.c) with a fake that checks every
 * handle is closed exactly once. Everything else in sock*.c is portable. */
#pragma once
#include <execrt/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A socket region: netd's own mapping of memory it granted to a client. */
struct sock_region {
	void *base;	/* netd's mapping, page-aligned, zeroed */
	size_t size;	/* bytes, a multiple of 4096 */
	handle_t grant; /* netd's grant handle (MANAGE: revokes) */
	bool revoked;
};

/* Maps `size` fresh zeroed bytes and grants them; *client gets a handle
 * READ | WRITE | MAP | TRANSFER (no MANAGE) to hand to the client.
 * 0 or a negative errno (-ENOBUFS when netd's quota says no). */
int sock_os_region_new(size_t size, struct sock_region *r, handle_t *client);
/* The client loses every mapping; netd keeps its own (data in flight). */
void sock_os_region_revoke(struct sock_region *r);
/* Revokes if not yet done, unmaps netd's mapping, closes the grant. */
void sock_os_region_free(struct sock_region *r);

/* A send endpoint on `port` with `badge`, PORT_MINT_NOTIFY_CLOSED. */
int sock_os_mint(handle_t port, uint64_t badge, handle_t *out);
/* A copy of netd's doorbell with SIGNAL | TRANSFER only. */
int sock_os_dup_signal(handle_t notif, handle_t *out);
/* 0 when h is a notification this task may SIGNAL, else -EINVAL. */
int sock_os_check_notif(handle_t h);
void sock_os_signal(handle_t notif, uint64_t bits);
/* Answers a call: resp, then `len` bytes of data, then the handles
 * (moved on success). 0, or a negative errno (the caller is gone or the
 * answer was refused): the handles then stay with netd. */
int sock_os_reply(handle_t reply, const void *msg, uint32_t len,
		  const handle_t *handles, uint32_t nhandles);
void sock_os_close(handle_t h);
