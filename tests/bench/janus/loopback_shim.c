/* loopback_shim.c: LD_PRELOAD library for the media bench: getifaddrs() without IFF_LOOPBACK, so Janus gathers a 127.0.0.1 candidate. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>

/* Janus (libnice) skips loopback interfaces when it gathers host candidates; on a loopback-only bench the
 * only interface is lo. Build: cc -shared -fPIC -o loopback_shim.so loopback_shim.c -ldl */
int getifaddrs(struct ifaddrs **ifap)
{
	static int (*real)(struct ifaddrs **);
	if (!real)
		real = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
	if (!real)
		return -1;
	int rc = real(ifap);
	for (struct ifaddrs *i = rc == 0 ? *ifap : NULL; i; i = i->ifa_next)
		i->ifa_flags &= ~(unsigned)IFF_LOOPBACK;
	return rc;
}
