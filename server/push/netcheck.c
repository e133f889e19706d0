/* netcheck.c: a push subscription names a URL on the public internet; this refuses the addresses that would let
 * one make the server reach into its own machine or network (checked on the resolved address, after DNS). */
#include "server/push/netcheck.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

/* 0/8 "this network", 10/8, 100.64/10 shared, 127/8 loopback, 169.254/16 link-local, 172.16/12, 192.168/16,
 * 224/4 multicast and 240/4 reserved (with the broadcast address). */
static int special_v4(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 22) == (100u << 2 | 1) || (a >> 24) == 127 ||
	    (a >> 16) == (169u << 8 | 254) || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168) ||
	    (a >> 28) >= 0xe;
}

int push_address_allowed(const struct sockaddr *sa, int allow_loopback)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return !special_v4(a) || (allow_loopback && (a >> 24) == 127);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	const uint8_t *b = a6->s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
		return !special_v4(a) || (allow_loopback && b[12] == 127);
	}
	if (IN6_IS_ADDR_LOOPBACK(a6))
		return allow_loopback;
	return !(IN6_IS_ADDR_UNSPECIFIED(a6) || (b[0] & 0xfe) == 0xfc /* fc00::/7 unique local */ ||
		 (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */ || b[0] == 0xff /* multicast */);
}
