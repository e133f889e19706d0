/* netcheck.h: which addresses the push sender may connect to — public ones only (loopback when allowed, for tests). */
#ifndef SAMVAER_PUSH_NETCHECK_H
#define SAMVAER_PUSH_NETCHECK_H

#include <sys/socket.h>

/* 1 if sa (AF_INET or AF_INET6) is a public unicast address, or loopback and allow_loopback; else 0 (private,
 * link-local, shared, multicast, unspecified, documentation-free "this network", unique-local, other families). */
int push_address_allowed(const struct sockaddr *sa, int allow_loopback);

#endif
