/* uploads_internal.h: what the uploads files share — the upload table, the answer helpers, who is asking. */
#ifndef SAMVAER_UPLOADS_INTERNAL_H
#define SAMVAER_UPLOADS_INTERNAL_H

#include <ev.h>

#include "server/base/intmap.h"
#include "server/blobs/attachments.h"
#include "server/blobs/blobstore.h"
#include "server/mediaproc/mediaproc.h"
#include "server/store/store.h"
#include "server/uploads/spool.h"
#include "server/uploads/tus_headers.h"
#include "server/uploads/uploads.h"

#define UPLOADS_PER_ACCOUNT 8   /* unfinished uploads one account may hold at once */
#define UPLOADS_RETRY_AFTER_S 5 /* Retry-After of upload_busy */

enum upload_state {
	UPLOAD_RECEIVING,  /* bytes may come */
	UPLOAD_PROCESSING, /* the last byte arrived; mediaproc has it */
	UPLOAD_DONE,       /* the attachment exists; HEAD answers offset = length until expiry */
	UPLOAD_FAILED,     /* processing refused it; PATCH answers that refusal until expiry */
};

struct upload {
	char id[TUS_ID_LEN + 1]; /* also the attachment id */
	uint64_t key;            /* intmap key (keyed hash of id) */
	enum upload_state state;
	enum attachment_kind kind;
	int64_t account_id;          /* the uploader: nobody else sees it */
	int64_t agreement_id;        /* message kinds */
	int64_t target_id;           /* profile photo: whose */
	int64_t case_id, child_id;   /* quota owner; 0 = none */
	uint64_t length, offset;     /* Upload-Length; bytes received */
	int64_t expires_at;          /* ms */
	struct spool *spool;         /* RECEIVING, PROCESSING */
	struct mediaproc_slot *slot; /* reserved at creation until submitted */
	struct up_patch *patch;      /* the PATCH writing now, or NULL */
	void *waiter;                /* transport context waiting for the final answer */
	up_done_fn done;
	int err_status; /* FAILED: the refusal */
	char err_code[40];
	char err_message[200];
	char filename[TUS_FILENAME_MAX + 1];
	char client_lang[8]; /* Accept-Language of the last PATCH, for the final answer's language ("" = none) */
};

struct up_patch {
	struct uploads *u;
	struct upload *up;
	int failed;          /* uploads_body refused: 0 or an HTTP status */
	const char *code;    /* its error code */
	const char *message; /* its sentence */
};

struct uploads {
	struct app *app;
	struct blobstore *blobs;
	struct spool_writer *writer; /* encrypts and writes spools off the loop */
	struct mediaproc_pool *pool;
	struct mediaproc_limits limits;
	struct intmap by_id;          /* key -> struct upload */
	struct intmap media_sessions; /* cookie hash key -> struct media_cookie (media.c) */
	ev_timer sweep;
	char blob_root[600];
};

/* Answers. */
void up__header(struct up_response *res, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void up__error(struct up_response *res, int status, const char *code, const char *message);
void up__reset(struct up_response *res);
/* The account behind a Bearer token (a live session, an enabled account): 0 and *out, or -1. */
int up__account(struct uploads *u, const char *bearer, struct account *out);

/* media.c: who is asking, by the Bearer first, else the media cookie: 0 with *account, or -1. */
int up__who(struct uploads *u, const struct up_request *req, int64_t *account);
/* uploads_i18n.c: the language to answer `account` in (0: nobody known) given the client's tag; a refusal's message
 * put in `lang`; and both for a request (its account and Accept-Language). */
const char *up__lang(struct uploads *u, int64_t account, const char *client_tag);
void up__localize(struct up_response *res, const char *lang);
void up__localize_request(struct uploads *u, const struct up_request *req, struct up_response *res);

/* tus.c */
int up__tus(struct uploads *u, const struct up_request *req, struct up_response *res, struct up_patch **patch);
struct upload *up__find(struct uploads *u, const char *id);
void up__remove(struct uploads *u, struct upload *up);
/* media.c */
int up__media(struct uploads *u, const struct up_request *req, struct up_response *res);
void up__media_free(struct uploads *u);

#endif
