/* worker_internal.h: state shared by worker.c (the worker threads) and worker_api.c (the control thread's side); not public. */
#ifndef SAMVAER_MEDIA_WORKER_INTERNAL_H
#define SAMVAER_MEDIA_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/router.h"
#include "media/worker.h"

#define MEDIA_BATCH 64         /* datagrams per recvmmsg / sendmmsg */
#define MEDIA_LEVELS_MS 200    /* talking indicators: at most 5 events a second per call */
#define MEDIA_TICK_MS 10       /* timer granularity for calls being set up: DTLS retransmits, first media */
#define MEDIA_SETTLED_TICKS 10 /* calls whose transports are all connected with media get every 10th tick */
#define MEDIA_ADDR_TABLE 16384 /* address hash slots per worker (power of two) */
#define MEDIA_GSO_BYTES 65000  /* bytes in one segmented send (UDP_SEGMENT), below the 64 KiB IP limit */
#define MEDIA_GSO_SEGS 64      /* datagrams in one segmented send (the kernel's UDP_MAX_SEGMENTS) */
#define MEDIA_GSO_SEG_MAX 1400 /* larger datagrams go alone: a segment must fit the path MTU with its headers */

enum media_cmd_type {
	CMD_CALL_CREATE,
	CMD_CALL_END,
	CMD_PART_ADD,
	CMD_PART_UPDATE,
	CMD_PART_REMOVE,
	CMD_GATE,
	CMD_RECV_GATE,
	CMD_PAUSE,
	CMD_RECORD
};

struct media_cmd {
	struct media_cmd *next;
	enum media_cmd_type type;
	uint64_t call_id, pid;
	bool a, b;             /* gate audio/video, pause on */
	struct recording *rec; /* CMD_RECORD: start (or NULL: stop), and what runs when its files are done */
	void (*rec_done)(void *arg, const struct recording_result *res);
	void *rec_arg;
	struct router_participant_params pp;
	char ufrag[ICE_CRED_MAX], pwd[ICE_CRED_MAX], rufrag[ICE_CRED_MAX], rpwd[ICE_CRED_MAX];
	char fingerprint[DTLS_FINGERPRINT_MAX];
};

struct media_addr_entry {
	struct ice_addr key;
	struct router_participant *p; /* NULL: empty */
};

struct media_worker {
	/* passed by argument */
	unsigned idx;
	/* allocated by this */
	int fd, ep, cmd_efd;
	uint16_t port;
	pthread_t th;
	bool started;
	pthread_mutex_t mu; /* guards the command list only */
	struct media_cmd *cmd_head, *cmd_tail;
	struct router_call **calls; /* worker-local; control thread never touches */
	bool *settled;              /* per calls[i]: every transport connected with first media reported */
	unsigned n_calls, cap_calls;
	unsigned ticks;               /* ticks so far: every MEDIA_SETTLED_TICKS-th visits settled calls too */
	struct media_addr_entry *tab; /* MEDIA_ADDR_TABLE slots */
	uint32_t tab_gen; /* bumped by every change of tab: a lookup made before it is still good while equal */
	struct mmsghdr rmsg[MEDIA_BATCH], smsg[MEDIA_BATCH];
	struct iovec riov[MEDIA_BATCH], siov[MEDIA_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} gso_cm[MEDIA_BATCH]; /* UDP_SEGMENT */
	bool gso_off;          /* the kernel refused a segmented send: one datagram per message */
	struct ice_addr raddr[MEDIA_BATCH];
	uint8_t (*rbuf)[ROUTER_PKT_MAX];
	struct router_txslot *slots;
	struct router_txq q;
	int64_t next_tick_ms, next_stats_ms, next_levels_ms;
	/* others */
	atomic_bool stop;
	unsigned load;                                        /* calls pinned here (control thread's count) */
	uint64_t rx_dgrams, tx_dgrams, tx_errors, rx_unknown; /* worker-only counters (read racily by benches) */
	uint64_t rx_calls, tx_calls;                          /* recvmmsg / sendmmsg calls that moved datagrams */
	struct mixer_stats mix;                               /* summed over its mixing calls every 200 ms (racy) */
};

struct media_global {
	bool running;
	struct media_config cfg;
	char bind_ip[64], announce_ip[64];
	struct dtls_cert *cert;
	struct dtls_ctx *dtls; /* server role, shared read-only by the workers */
	uint8_t fp_sha256[32];
	unsigned n;
	struct media_worker *w;
	int ev_efd;
	pthread_mutex_t ev_mu; /* guards the event list */
	struct media_ev_node *ev_head, *ev_tail;
};

extern struct media_global media__g;

void media__event_push(const struct media_event *ev);
void *media__worker_main(void *arg);
int media__worker_open(struct media_worker *w, const char *bind_ip, uint16_t port);
void media__worker_close(struct media_worker *w);
int64_t media__now_ms(void);

#endif
