/* transport.c: one WebRTC peer connection: RFC 7983 demux, ICE, DTLS-SRTP keying, SRTP protect/unprotect. */
#include "media/transport.h"

#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"
#include "media/stun.h"

struct transport {
    /* passed by argument */
    transport_send_fn send;
    transport_state_fn on_state;
    void *user;
    /* allocated by this */
    struct ice_agent ice;
    dtls_transport_t *dtls;
    struct srtp_session srtp_in, srtp_out;
    /* others */
    enum transport_state state;
    bool srtp_ready;
    const char *profile_name;     /* negotiated SRTP profile (static string), "" before */
    uint32_t dtls_gen;            /* ice selected_gen when DTLS was started */
    char err[96];
};

static void set_state(struct transport *t, enum transport_state st)
{
    if (t->state == st)
        return;
    t->state = st;
    if (t->on_state)
        t->on_state(t->user, st);
}

static void dtls_send_cb(void *user, const uint8_t *buf, size_t len)
{
    struct transport *t = user;
    if (t->ice.selected_gen)
        t->send(t->user, buf, len, &t->ice.selected);
}

static int srtp_keying(struct transport *t)
{
    dtls_srtp_keys_t k;
    if (dtls_srtp_keys_get(t->dtls, &k) != DTLS_OK)
        return -1;
    enum srtp_session_profile prof;
    if (k.profile == DTLS_SRTP_AEAD_AES_128_GCM)
        prof = SRTP_SESSION_AEAD_AES_128_GCM;
    else if (k.profile == DTLS_SRTP_AES128_CM_SHA1_80)
        prof = SRTP_SESSION_AES128_CM_SHA1_80;
    else
        return -1;
    enum srtp_session_role role = k.local_is_client ? SRTP_SESSION_DTLS_CLIENT : SRTP_SESSION_DTLS_SERVER;
    if (srtp_session_create(&t->srtp_in, prof, k.material, k.material_len, role, SRTP_SESSION_INBOUND))
        return -1;
    if (srtp_session_create(&t->srtp_out, prof, k.material, k.material_len, role, SRTP_SESSION_OUTBOUND)) {
        srtp_session_destroy(&t->srtp_in);
        return -1;
    }
    t->srtp_ready = true;
    t->profile_name = k.profile_name;
    return 0;
}

static void dtls_state_cb(void *user, dtls_state_t st)
{
    struct transport *t = user;
    if (st == DTLS_STATE_CONNECTED && !t->srtp_ready) {
        if (srtp_keying(t) == 0)
            set_state(t, TRANSPORT_CONNECTED);
        else {
            strcpy(t->err, "transport: SRTP keying failed");
            set_state(t, TRANSPORT_FAILED);
        }
    } else if (st == DTLS_STATE_FAILED) {
        set_state(t, TRANSPORT_FAILED);
    } else if (st == DTLS_STATE_CLOSED && t->state != TRANSPORT_FAILED) {
        set_state(t, TRANSPORT_CLOSED);
    }
}

struct transport *transport_new(const struct transport_params *p)
{
    if (!p || !p->dtls || !p->send || !p->remote_fingerprint)
        return NULL;
    struct transport *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->send = p->send, t->on_state = p->on_state, t->user = p->user;
    if (ice_agent_init(&t->ice, p->ice_role, p->local_ufrag, p->local_pwd, p->remote_ufrag, p->remote_pwd,
                       p->remote_cand) != 0)
        goto err;
    if (p->consent_timeout_ms)
        t->ice.consent_timeout_ms = p->consent_timeout_ms;
    dtls_callbacks_t cb = {.send = dtls_send_cb, .state = dtls_state_cb, .user = t};
    t->dtls = dtls_transport_new(p->dtls, p->remote_fingerprint, &cb);
    if (!t->dtls)
        goto err;
    return t;
err:
    free(t);
    return NULL;
}

void transport_free(struct transport *t)
{
    if (!t)
        return;
    dtls_transport_free(t->dtls);
    if (t->srtp_ready) {
        srtp_session_destroy(&t->srtp_in);
        srtp_session_destroy(&t->srtp_out);
    }
    free(t);
}

void transport_close(struct transport *t)
{
    if (!t || t->state == TRANSPORT_CLOSED)
        return;
    dtls_close(t->dtls);
    set_state(t, TRANSPORT_CLOSED);
}

/* ICE moved: start DTLS once an address is selected (the client sends its ClientHello then). */
static void after_ice(struct transport *t)
{
    if (t->state == TRANSPORT_DISCONNECTED && t->ice.state == ICE_STATE_CONNECTED)
        set_state(t, t->srtp_ready ? TRANSPORT_CONNECTED : TRANSPORT_DTLS); /* consent regained */
    if (t->state != TRANSPORT_NEW || !t->ice.selected_gen || t->ice.state != ICE_STATE_CONNECTED)
        return;
    set_state(t, TRANSPORT_DTLS);
    t->dtls_gen = t->ice.selected_gen;
    dtls_start(t->dtls);
}

static int recv_stun(struct transport *t, uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now)
{
    uint8_t out[256];
    size_t out_len = 0;
    int rc = ice_agent_handle(&t->ice, buf, len, from, now, out, sizeof out, &out_len);
    if (out_len)
        t->send(t->user, out, out_len, from);
    if (rc < 0)
        return TRANSPORT_ERR_STUN;
    after_ice(t);
    return TRANSPORT_RX_CONSUMED;
}

static bool from_selected(const struct transport *t, const struct ice_addr *from)
{
    return t->ice.selected_gen && ice_addr_equal(&t->ice.selected, from);
}

static int recv_srtp(struct transport *t, uint8_t *buf, size_t *len, const struct ice_addr *from)
{
    if (t->state != TRANSPORT_CONNECTED || !from_selected(t, from))
        return TRANSPORT_ERR_STATE;
    if (rtcp_is_rtcp(buf, *len))
        return srtp_session_unprotect_rtcp(&t->srtp_in, buf, len) ? TRANSPORT_ERR_SRTP : TRANSPORT_RX_RTCP;
    return srtp_session_unprotect_rtp(&t->srtp_in, buf, len) ? TRANSPORT_ERR_SRTP : TRANSPORT_RX_RTP;
}

int transport_recv(struct transport *t, uint8_t *buf, size_t *len, const struct ice_addr *from, int64_t now_ms)
{
    if (!t || !buf || !len || !from || *len == 0)
        return TRANSPORT_ERR_ARG;
    uint8_t b = buf[0];
    if (b <= 3)
        return stun_is_stun(buf, *len) ? recv_stun(t, buf, *len, from, now_ms) : TRANSPORT_ERR_DEMUX;
    if (b >= 20 && b <= 63) {
        if (!from_selected(t, from) || t->state == TRANSPORT_NEW)
            return TRANSPORT_ERR_STATE;
        return dtls_feed(t->dtls, buf, *len) == DTLS_OK ? TRANSPORT_RX_CONSUMED : TRANSPORT_ERR_DTLS;
    }
    if (b >= 128 && b <= 191 && *len >= 8)
        return recv_srtp(t, buf, len, from);
    return TRANSPORT_ERR_DEMUX;
}

void transport_prefetch(const struct transport *t, bool outbound, int depth)
{
    const struct srtp_session *s = outbound ? &t->srtp_out : &t->srtp_in;
    if (depth == 0) {
        __builtin_prefetch(t);
        __builtin_prefetch(s);
        __builtin_prefetch(&t->ice.selected);
    } else if (t->srtp_ready) {
        srtp_session_prefetch(s, depth - 1);
    }
}

void transport_tick(struct transport *t, int64_t now_ms)
{
    uint8_t out[256];
    if (!t)
        return;
    int n = ice_agent_tick(&t->ice, now_ms, out, sizeof out);
    if (n > 0)
        t->send(t->user, out, (size_t)n, &t->ice.remote_cand);
    if (t->ice.state == ICE_STATE_DISCONNECTED && t->state != TRANSPORT_CLOSED && t->state != TRANSPORT_FAILED)
        set_state(t, TRANSPORT_DISCONNECTED);
    if (t->state == TRANSPORT_DTLS) {
        int64_t due = dtls_next_timeout_ms(t->dtls, now_ms);
        if (due >= 0 && due <= now_ms)
            dtls_handle_timeout(t->dtls);
    }
}

int64_t transport_next_timeout_ms(const struct transport *t, int64_t now_ms)
{
    int64_t due = -1;
    if (t->state == TRANSPORT_DTLS)
        due = dtls_next_timeout_ms(t->dtls, now_ms);
    if (t->ice.role == ICE_ROLE_CONTROLLING && (due < 0 || t->ice.next_check_ms < due))
        due = t->ice.next_check_ms;
    return due;
}

int transport_protect_rtp(struct transport *t, uint8_t *buf, size_t *len, size_t cap)
{
    if (t->state != TRANSPORT_CONNECTED)
        return TRANSPORT_ERR_STATE;
    return srtp_session_protect_rtp(&t->srtp_out, buf, len, cap) ? TRANSPORT_ERR_SRTP : 0;
}

int transport_protect_rtcp(struct transport *t, uint8_t *buf, size_t *len, size_t cap)
{
    if (t->state != TRANSPORT_CONNECTED)
        return TRANSPORT_ERR_STATE;
    return srtp_session_protect_rtcp(&t->srtp_out, buf, len, cap) ? TRANSPORT_ERR_SRTP : 0;
}

enum transport_state transport_state(const struct transport *t) { return t->state; }

const char *transport_state_name(enum transport_state s)
{
    static const char *const names[] = {"new", "dtls", "connected", "disconnected", "failed", "closed"};
    return (unsigned)s < 6 ? names[s] : "?";
}

const struct ice_addr *transport_remote(const struct transport *t, uint32_t *gen)
{
    if (gen)
        *gen = t->ice.selected_gen;
    return t->ice.selected_gen ? &t->ice.selected : NULL;
}

const char *transport_local_ufrag(const struct transport *t) { return t->ice.local_ufrag; }

const char *transport_error(const struct transport *t)
{
    if (t->err[0])
        return t->err;
    return dtls_error(t->dtls);
}

void *transport_user(const struct transport *t) { return t->user; }

const char *transport_srtp_profile(const struct transport *t) { return t->profile_name ? t->profile_name : ""; }
