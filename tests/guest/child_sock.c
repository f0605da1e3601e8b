/* guest-child-sock: socket work of t_sock.c that needs a task of its own
 * (calls that malloc and keep memory, which the suite's leak check would
 * count in its own task). An ordinary musl program: argv[1] says what.
 *   gai     getaddrinfo/gethostbyname/getnameinfo against t_sock.c's fake
 *           netd (numeric, localhost, example.test through NET_RESOLVE,
 *           an unknown name)
 *   dns     the same through the real netd and its DNS client, whose
 *           server is t_sock_netd.c's responder on 127.0.0.1:5353
 *           (test.example is 10.20.30.40, anything else NXDOMAIN)
 * Prints one line per failed check; exits with the number of failures. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int fails;

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			printf("child_sock:%d: %s\n", __LINE__, #c);           \
			fails++;                                               \
		}                                                              \
	} while (0)

static uint32_t v4(const struct addrinfo *r)
{
	return ntohl(((const struct sockaddr_in *)r->ai_addr)->sin_addr.s_addr);
}

static int count(const struct addrinfo *r)
{
	int n = 0;
	for (; r; r = r->ai_next)
		n++;
	return n;
}

static void gai(void)
{
	struct addrinfo hint = {.ai_family = AF_INET,
				.ai_socktype = SOCK_STREAM},
			*res = NULL;
	CHECK(getaddrinfo("127.0.0.1", "80", &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0x7f000001);
		CHECK(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port) ==
		      80);
		freeaddrinfo(res);
		res = NULL;
	}
	CHECK(getaddrinfo("localhost", "8080", &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0x7f000001 && count(res) == 1);
		freeaddrinfo(res);
		res = NULL;
	}
	hint.ai_flags = AI_PASSIVE;
	CHECK(getaddrinfo(NULL, "9", &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0);
		freeaddrinfo(res);
		res = NULL;
	}
	hint.ai_flags = 0;
	CHECK(getaddrinfo("example.test", NULL, &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0x0a010203 && count(res) == 1);
		freeaddrinfo(res);
		res = NULL;
	}
	hint.ai_family = AF_UNSPEC;
	CHECK(getaddrinfo("example.test", "53", &hint, &res) == 0);
	if (res) {
		CHECK(count(res) == 2);
		freeaddrinfo(res);
		res = NULL;
	}
	CHECK(getaddrinfo("no-such.test", NULL, &hint, &res) == EAI_NONAME);
	hint.ai_flags = AI_NUMERICHOST;
	CHECK(getaddrinfo("example.test", NULL, &hint, &res) == EAI_NONAME);
	struct hostent *h = gethostbyname("example.test");
	CHECK(h && h->h_length == 4 && (uint8_t)h->h_addr_list[0][0] == 10);
	char host[64], serv[16];
	struct sockaddr_in x = {.sin_family = AF_INET, .sin_port = htons(8080)};
	inet_pton(AF_INET, "10.0.2.15", &x.sin_addr);
	CHECK(getnameinfo((struct sockaddr *)&x, sizeof(x), host, sizeof(host),
			  serv, sizeof(serv), 0) == 0);
	CHECK(!strcmp(host, "10.0.2.15") && !strcmp(serv, "8080"));
	CHECK(getnameinfo((struct sockaddr *)&x, sizeof(x), host, sizeof(host),
			  NULL, 0, NI_NAMEREQD) == EAI_NONAME);
	inet_pton(AF_INET, "127.0.0.1", &x.sin_addr);
	CHECK(getnameinfo((struct sockaddr *)&x, sizeof(x), host, sizeof(host),
			  NULL, 0, 0) == 0);
	CHECK(!strcmp(host, "localhost"));
	CHECK(getnameinfo((struct sockaddr *)&x, sizeof(x), host, 4, NULL, 0,
			  NI_NUMERICHOST) == EAI_OVERFLOW);
}

static void dns(void)
{
	struct addrinfo hint = {.ai_family = AF_INET,
				.ai_socktype = SOCK_DGRAM},
			*res = NULL;
	CHECK(getaddrinfo("test.example", "53", &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0x0a141e28 && count(res) == 1);
		CHECK(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port) ==
		      53);
		freeaddrinfo(res);
		res = NULL;
	}
	CHECK(getaddrinfo("nx.example", NULL, &hint, &res) == EAI_NONAME);
	struct hostent *h = gethostbyname("test.example");
	CHECK(h && h->h_length == 4 && (uint8_t)h->h_addr_list[0][3] == 40);
	/* Names that never reach the DNS server. */
	CHECK(getaddrinfo("localhost", NULL, &hint, &res) == 0);
	if (res) {
		CHECK(v4(res) == 0x7f000001);
		freeaddrinfo(res);
	}
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "gai"))
		gai();
	else if (!strcmp(m, "dns"))
		dns();
	else
		fails = 100;
	return fails;
}
