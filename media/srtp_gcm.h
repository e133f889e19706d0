/* srtp_gcm.h: OpenSSL AES-128-GCM for libsrtp2 (replaces the NSS-backed cipher type of Debian's libsrtp2). */
#ifndef SAMVAER_MEDIA_SRTP_GCM_H
#define SAMVAER_MEDIA_SRTP_GCM_H

/* Replace libsrtp2's SRTP_AES_GCM_128 cipher type with ours (after srtp_init, once, before any session is
 * created). libsrtp2 self-tests the type with the GCM test vector first. Returns 0, or -1 (libsrtp2 keeps
 * its own type). srtp_session_lib_init() calls it unless SAMVAER_SRTP_GCM=nss is set in the environment
 * (to compare the two). */
int srtp_gcm_openssl_install(void);

#endif
