/* test_sfu.c: the SFU object model without sockets — replacing a participant (a new offer) keeps the others' streams. */
#include <stdio.h>
#include <string.h>

#include "media/sfu.h"
#include "tests/unit/media/check_media.h"

/* Receivers' consumers of a replaced source: same SSRC and numbering state, marked to resync after the gap. */
static void test_replace_keeps_streams(void)
{
    static struct sfu_call c;
    sfu_call_init(&c, 7);
    struct sfu_participant_params a = {.id = 1, .can_send = true, .can_recv = true, .pt = {111, 96},
                                       .ssrc_out = {0x1111, 0x2222}};
    struct sfu_participant_params b = {.id = 2, .can_send = true, .can_recv = true, .pt = {111, 96},
                                       .ssrc_out = {0x3333, 0x4444}};
    struct sfu_participant *pa = sfu_participant_add(&c, &a), *pb = sfu_participant_add(&c, &b);
    CHECK(pa && pb, "two participants");
    if (!pa || !pb)
        return;
    int ia = (int)(pa - c.p), ib = (int)(pb - c.p);
    CHECK(pb->cons[ia][SFU_AUDIO].ssrc == 0x3333 && pb->cons[ia][SFU_VIDEO].ssrc == 0x4444, "b gets a with its SSRCs");
    struct sfu_consumer *audio = &pb->cons[ia][SFU_AUDIO], *video = &pb->cons[ia][SFU_VIDEO];
    audio->started = true, audio->last_out_seq = 4000, audio->last_out_ts = 960000, audio->last_out_ms = 5000;
    video->started = true, video->last_out_seq = 9000, video->last_out_ts = 90000, video->last_out_ms = 5000;
    pb->cons[ia][SFU_VIDEO].gate = false;                     /* b chose not to get a's video */
    struct sfu_participant_params a2 = a;
    a2.pt[SFU_VIDEO] = 0;                                      /* a's new offer: sound only */
    a2.ssrc_out[SFU_AUDIO] = 0x5555;
    struct sfu_participant *na = sfu_participant_replace(pa, &a2);
    CHECK(na != NULL && na->id == 1 && sfu_participant_find(&c, 1) == na, "a is back");
    if (!na)
        return;
    int ja = (int)(na - c.p);
    struct sfu_consumer *ca = &c.p[ib].cons[ja][SFU_AUDIO], *cv = &c.p[ib].cons[ja][SFU_VIDEO];
    CHECK(ca->ssrc == 0x3333 && ca->started && ca->resync, "b's audio of a: same SSRC, resyncs");
    CHECK(ca->last_out_seq == 4000 && ca->last_out_ts == 960000 && ca->last_out_ms == 5000, "audio numbering kept");
    CHECK(cv->ssrc == 0x4444 && cv->last_out_seq == 9000 && cv->resync, "video numbering kept");
    CHECK(cv->gate == c.p[ib].recv_on[SFU_VIDEO], "the receiver's gate comes from its own setting");
    CHECK(na->pt[SFU_VIDEO] == 0 && na->ssrc_out[SFU_AUDIO] == 0x5555, "a's new parameters");
    CHECK(c.p[ib].used && c.p[ib].id == 2, "b untouched");
    struct sfu_participant_params c3 = {.id = 3, .can_send = true, .can_recv = true, .pt = {111, 96}};
    struct sfu_participant *pc = sfu_participant_add(&c, &c3);
    CHECK(pc && !pc->cons[ja][SFU_AUDIO].started, "a newcomer starts fresh");
    sfu_participant_remove(pc);
    sfu_participant_remove(na);
    sfu_participant_remove(&c.p[ib]);
}

int main(void)
{
    test_replace_keeps_streams();
    printf("test_sfu: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
