/* setsockopt/getsockopt (Linux numbers and layouts). Options a socket
 * keeps are applied to its pcb when it has one and again whenever lwIP
 * hands it a new one (listen, accept). */
#include <string.h>

#include "lwip/ip.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "sock_int.h"

enum {
	L_IP = 0,
	L_SOCKET = 1,
	L_TCP = 6,
	SO_REUSEADDR_ = 2,
	SO_TYPE_ = 3,
	SO_ERROR_ = 4,
	SO_BROADCAST_ = 6,
	SO_SNDBUF_ = 7,
	SO_RCVBUF_ = 8,
	SO_KEEPALIVE_ = 9,
	SO_LINGER_ = 13,
	SO_REUSEPORT_ = 15,
	SO_RCVTIMEO_ = 20,
	SO_SNDTIMEO_ = 21,
	SO_ACCEPTCONN_ = 30,
	SO_PROTOCOL_ = 38,
	SO_DOMAIN_ = 39,
	TCP_NODELAY_ = 1,
	TCP_MAXSEG_ = 2,
	TCP_KEEPIDLE_ = 4,
	TCP_KEEPINTVL_ = 5,
	TCP_KEEPCNT_ = 6,
	IP_TOS_ = 1,
	IP_TTL_ = 2,
};

static void set_flag(u8_t *so, u8_t opt, bool on)
{
	if (on)
		*so |= opt;
	else
		*so &= (u8_t)~opt;
}

void sk_opts_apply(struct sock *s)
{
	if (!s->pcb.any)
		return;
	if (s->type == SK_STREAM) {
		struct tcp_pcb *p = s->pcb.tcp;
		set_flag(&p->so_options, SOF_REUSEADDR, s->reuseaddr);
		p->ttl = (u8_t)s->ttl;
		p->tos = (u8_t)s->tos;
		if (s->listening)
			return;
		set_flag(&p->so_options, SOF_KEEPALIVE, s->keepalive);
		if (s->nodelay)
			tcp_nagle_disable(p);
		else
			tcp_nagle_enable(p);
		if (s->keepidle)
			p->keep_idle = s->keepidle * 1000u;
		if (s->keepintvl)
			p->keep_intvl = s->keepintvl * 1000u;
		if (s->keepcnt)
			p->keep_cnt = s->keepcnt;
	} else if (s->type == SK_DGRAM && !s->icmp_dgram) {
		struct udp_pcb *p = s->pcb.udp;
		set_flag(&p->so_options, SOF_REUSEADDR, s->reuseaddr);
		set_flag(&p->so_options, SOF_BROADCAST, s->broadcast);
		p->ttl = (u8_t)s->ttl;
		p->tos = (u8_t)s->tos;
	} else {
		struct raw_pcb *p = s->pcb.raw;
		set_flag(&p->so_options, SOF_BROADCAST, s->broadcast);
		p->ttl = (u8_t)s->ttl;
		p->tos = (u8_t)s->tos;
	}
}

static int set_socket(struct sock *s, uint32_t name, int v, const void *val,
		      uint32_t len)
{
	switch (name) {
	case SO_REUSEADDR_:
	case SO_REUSEPORT_:
		s->reuseaddr = v != 0;
		return 0;
	case SO_BROADCAST_:
		s->broadcast = v != 0;
		return 0;
	case SO_KEEPALIVE_:
		s->keepalive = v != 0;
		return 0;
	case SO_SNDBUF_:
	case SO_RCVBUF_: {
		/* The rings of an existing socket stay; the size counts for
		 * the sockets it accepts (Linux's inheritance). */
		uint32_t sz = sk_ring_size(v < 0 ? 0 : (uint32_t)v);
		if (name == SO_SNDBUF_)
			s->sndbuf = sz;
		else
			s->rcvbuf = sz;
		return 0;
	}
	case SO_LINGER_: {
		int l[2];
		if (len < sizeof(l))
			return -NE_EINVAL;
		memcpy(l, val, sizeof(l));
		if (l[1] < 0)
			return -NE_EINVAL;
		s->linger_on = l[0] != 0;
		s->linger_secs = l[1] > 3600 ? 3600 : l[1];
		return 0;
	}
	case SO_RCVTIMEO_:
	case SO_SNDTIMEO_: {
		uint64_t tv[2];
		if (len < sizeof(tv))
			return -NE_EINVAL;
		memcpy(tv, val, sizeof(tv));
		memcpy(name == SO_RCVTIMEO_ ? s->rcvtimeo : s->sndtimeo, tv,
		       sizeof(tv));
		return 0;
	}
	}
	return -NE_ENOPROTOOPT;
}

int sk_setopt(struct sock *s, uint32_t level, uint32_t name, const void *val,
	      uint32_t len)
{
	int v = 0;
	bool linger_like = level == L_SOCKET &&
			   (name == SO_LINGER_ || name == SO_RCVTIMEO_ ||
			    name == SO_SNDTIMEO_);
	if (!linger_like) {
		if (len < sizeof(int))
			return -NE_EINVAL;
		memcpy(&v, val, sizeof(v));
	}
	int r = -NE_ENOPROTOOPT;
	if (level == L_SOCKET) {
		r = set_socket(s, name, v, val, len);
	} else if (level == L_TCP) {
		if (s->type != SK_STREAM)
			return -NE_EOPNOTSUPP;
		r = 0;
		if (name == TCP_NODELAY_)
			s->nodelay = v != 0;
		else if (name == TCP_KEEPIDLE_ || name == TCP_KEEPINTVL_ ||
			 name == TCP_KEEPCNT_) {
			if (v < 1 || v > 32767)
				return -NE_EINVAL;
			if (name == TCP_KEEPIDLE_)
				s->keepidle = (uint32_t)v;
			else if (name == TCP_KEEPINTVL_)
				s->keepintvl = (uint32_t)v;
			else
				s->keepcnt = (uint32_t)v;
		} else if (name != TCP_MAXSEG_) /* accepted, lwIP's MSS */
			r = -NE_ENOPROTOOPT;
	} else if (level == L_IP) {
		r = 0;
		if (name == IP_TTL_ && v >= 1 && v <= 255)
			s->ttl = v;
		else if (name == IP_TTL_ && v == -1)
			s->ttl = 64;
		else if (name == IP_TOS_)
			s->tos = v & 0xff;
		else
			r = name == IP_TTL_ ? -NE_EINVAL : -NE_ENOPROTOOPT;
	}
	if (!r)
		sk_opts_apply(s);
	return r;
}

int sk_getopt(struct sock *s, uint32_t level, uint32_t name, void *out,
	      uint32_t *len)
{
	int v;
	if (level == L_SOCKET) {
		switch (name) {
		case SO_REUSEADDR_:
		case SO_REUSEPORT_:
			v = s->reuseaddr;
			break;
		case SO_BROADCAST_:
			v = s->broadcast;
			break;
		case SO_KEEPALIVE_:
			v = s->keepalive;
			break;
		case SO_TYPE_:
			v = s->icmp_dgram ? SK_DGRAM : s->type;
			break;
		case SO_ERROR_:
			v = s->error;
			s->error = 0;
			sk_set_state(s, 0, NET_ST_ERROR);
			break;
		case SO_SNDBUF_:
			v = (int)s->sndbuf;
			break;
		case SO_RCVBUF_:
			v = (int)s->rcvbuf;
			break;
		case SO_ACCEPTCONN_:
			v = s->listening;
			break;
		case SO_PROTOCOL_:
			v = s->type == SK_STREAM ? SK_IPPROTO_TCP
			    : s->type == SK_DGRAM && !s->icmp_dgram
				    ? SK_IPPROTO_UDP
				    : s->proto;
			break;
		case SO_DOMAIN_:
			v = SK_AF_INET;
			break;
		case SO_LINGER_: {
			int l[2] = {s->linger_on, s->linger_secs};
			memcpy(out, l, sizeof(l));
			*len = sizeof(l);
			return 0;
		}
		case SO_RCVTIMEO_:
		case SO_SNDTIMEO_:
			memcpy(out,
			       name == SO_RCVTIMEO_ ? s->rcvtimeo : s->sndtimeo,
			       16);
			*len = 16;
			return 0;
		default:
			return -NE_ENOPROTOOPT;
		}
	} else if (level == L_TCP) {
		if (s->type != SK_STREAM)
			return -NE_EOPNOTSUPP;
		struct tcp_pcb *p = s->listening ? NULL : s->pcb.tcp;
		switch (name) {
		case TCP_NODELAY_:
			v = s->nodelay;
			break;
		case TCP_MAXSEG_:
			v = p ? tcp_mss(p) : TCP_MSS;
			break;
		case TCP_KEEPIDLE_:
			v = (int)(s->keepidle ? s->keepidle
					      : TCP_KEEPIDLE_DEFAULT / 1000u);
			break;
		case TCP_KEEPINTVL_:
			v = (int)(s->keepintvl ? s->keepintvl
					       : TCP_KEEPINTVL_DEFAULT / 1000u);
			break;
		case TCP_KEEPCNT_:
			v = (int)(s->keepcnt ? s->keepcnt
					     : TCP_KEEPCNT_DEFAULT);
			break;
		default:
			return -NE_ENOPROTOOPT;
		}
	} else if (level == L_IP) {
		if (name == IP_TTL_)
			v = s->ttl;
		else if (name == IP_TOS_)
			v = s->tos;
		else
			return -NE_ENOPROTOOPT;
	} else {
		return -NE_ENOPROTOOPT;
	}
	memcpy(out, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}
