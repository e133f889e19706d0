/* store_schema.c: the forward-only schema migrations; migration i takes user_version i to i+1. Never edit one
 * that has shipped: add a new one. */
#include "server/store/audit_internal.h"
#include "server/store/store_internal.h"

const char *const store__migrations[] = {
    /* 1: people, cases, agreements, login sessions */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('child','contact','carer','caseworker','supervisor','operator')),"
    "  password_hash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL);"
    "CREATE INDEX sessions_account ON sessions(account_id);"
    "CREATE TABLE cases ("
    "  id INTEGER PRIMARY KEY,"
    "  child_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id),"
    "  time_zone TEXT NOT NULL DEFAULT 'UTC',"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE case_members ("
    "  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  role TEXT NOT NULL CHECK (role IN ('carer','caseworker','supervisor')),"
    "  PRIMARY KEY (case_id, account_id, role));"
    "CREATE TABLE agreements ("
    "  id INTEGER PRIMARY KEY,"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  child_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  contact_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  relationship TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('draft','pending','active','suspended','ended')),"
    "  status_reason TEXT NOT NULL DEFAULT '',"
    "  ch_text TEXT NOT NULL DEFAULT 'allowed',"
    "  ch_photo TEXT NOT NULL DEFAULT 'off',"
    "  ch_video_clip TEXT NOT NULL DEFAULT 'off',"
    "  ch_voice_note TEXT NOT NULL DEFAULT 'off',"
    "  ch_voice_call TEXT NOT NULL DEFAULT 'off',"
    "  ch_video_call TEXT NOT NULL DEFAULT 'off',"
    "  valid_from INTEGER NOT NULL DEFAULT 0,"
    "  valid_until INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (child_id, contact_id));"
    "CREATE INDEX agreements_contact ON agreements(contact_id);",

    /* 2: conversations — messages with idempotency keys, and receipt markers. Since the message log (msglog.h)
	 * the messages table stays empty: store_open moves any rows it finds into the log. */
    "CREATE TABLE messages ("
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  seq INTEGER NOT NULL,"
    "  sender_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  client_key TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  sent_at INTEGER NOT NULL,"
    "  PRIMARY KEY (agreement_id, seq),"
    "  UNIQUE (agreement_id, sender_id, client_key)) WITHOUT ROWID;"
    "CREATE TABLE receipts ("
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  delivered_seq INTEGER NOT NULL DEFAULT 0,"
    "  read_seq INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (agreement_id, account_id)) WITHOUT ROWID;",

    /* 3: agreements in full — terms (windows, limits, supervision, privacy, goal) as JSON, review date,
	 * change proposals with approvals, pauses (child / carer emergency), caseworker notices, and the
	 * hash-chained audit trail (append-only, enforced by triggers). */
    "ALTER TABLE agreements ADD COLUMN terms TEXT NOT NULL DEFAULT '{}';"
    "ALTER TABLE agreements ADD COLUMN review_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE proposals ("
    "  id INTEGER PRIMARY KEY,"
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  terms TEXT NOT NULL,"
    "  proposed_by INTEGER NOT NULL REFERENCES accounts(id),"
    "  proposed_role TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','withdrawn')),"
    "  created_at INTEGER NOT NULL,"
    "  decided_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX proposals_agreement ON proposals(agreement_id, status);"
    "CREATE TABLE approvals ("
    "  proposal_id INTEGER NOT NULL REFERENCES proposals(id),"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  role TEXT NOT NULL,"
    "  decision TEXT NOT NULL CHECK (decision IN ('approve','reject')),"
    "  note TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (proposal_id, account_id));"
    "CREATE TABLE pauses ("
    "  id INTEGER PRIMARY KEY,"
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  by_account INTEGER NOT NULL REFERENCES accounts(id),"
    "  by_role TEXT NOT NULL CHECK (by_role IN ('child','carer','caseworker')),"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  started_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  ended_at INTEGER NOT NULL DEFAULT 0,"
    "  ended_by INTEGER REFERENCES accounts(id));"
    "CREATE INDEX pauses_agreement ON pauses(agreement_id, ended_at);"
    "CREATE TABLE notices ("
    "  id INTEGER PRIMARY KEY,"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  agreement_id INTEGER REFERENCES agreements(id),"
    "  kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  read_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE audit ("
    "  seq INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  actor INTEGER,"
    "  kind TEXT NOT NULL,"
    "  case_id INTEGER,"
    "  agreement_id INTEGER,"
    "  detail TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL);"
    "CREATE INDEX audit_case ON audit(case_id, seq);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); "
    "END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); "
    "END;"
    "CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq)"
    " BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;"
    /* message review: a held message waits here; only when released does it join the conversation
	 * (and get its seq), so a conversation's sequence never has gaps */
    "CREATE TABLE held ("
    "  id INTEGER PRIMARY KEY,"
    "  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
    "  sender_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  client_key TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  sent_at INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held','released','rejected')),"
    "  reviewed_by INTEGER REFERENCES accounts(id),"
    "  reviewed_at INTEGER NOT NULL DEFAULT 0,"
    "  released_seq INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (agreement_id, sender_id, client_key));"
    "CREATE INDEX held_state ON held(state, agreement_id);",

    /* 4: joining and staying reachable (issue 15).
	 * - accounts.username_key: the username as logins match it (ICU NFKC case fold, server/base/username.h). SQL
	 *   cannot compute it, so store_open fills the NULL keys of older rows after migrating; then it is UNIQUE.
	 * - accounts.language: the person's preferred language ("ro", "da", "en", "it", "es"; "" = the browser's).
	 * - accounts.password_reset_at: set when a carer or caseworker resets the password; the person is told at the
	 *   next sign-in, then it is cleared.
	 * - invitations and pairings: one-time codes, looked up by a public part and checked by a hashed secret, so a
	 *   wrong secret counts against that one code (failed_tries) as well as against the address.
	 * - devices: long-lived device credentials (hashed), each bound to one account; sessions made by a device name
	 *   it, so revoking the device ends them.
	 * - push_subscriptions: Web Push endpoints (RFC 8030) with the browser's keys (RFC 8291). */
    "ALTER TABLE accounts ADD COLUMN username_key TEXT;"
    "CREATE UNIQUE INDEX accounts_username_key ON accounts(username_key);"
    "ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE accounts ADD COLUMN password_reset_at INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE invitations ("
    "  id INTEGER PRIMARY KEY,"
    "  lookup TEXT NOT NULL UNIQUE,"
    "  secret_hash BLOB NOT NULL,"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  child_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  invitee_name TEXT NOT NULL,"
    "  relationship TEXT NOT NULL,"
    "  language TEXT NOT NULL DEFAULT '',"
    "  terms TEXT NOT NULL DEFAULT '{}',"
    "  created_by INTEGER NOT NULL REFERENCES accounts(id),"
    "  created_role TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  failed_tries INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','used','revoked','locked')),"
    "  ended_by INTEGER REFERENCES accounts(id),"
    "  ended_at INTEGER NOT NULL DEFAULT 0,"
    "  agreement_id INTEGER REFERENCES agreements(id));"
    "CREATE INDEX invitations_case ON invitations(case_id, state);"
    "CREATE TABLE pairings ("
    "  id INTEGER PRIMARY KEY,"
    "  lookup TEXT NOT NULL UNIQUE,"
    "  secret_hash BLOB NOT NULL,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  created_by INTEGER NOT NULL REFERENCES accounts(id),"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  failed_tries INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','used','revoked','locked')),"
    "  ended_at INTEGER NOT NULL DEFAULT 0,"
    "  device_id INTEGER REFERENCES devices(id));"
    "CREATE INDEX pairings_account ON pairings(account_id, state);"
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  name TEXT NOT NULL,"
    "  credential_hash BLOB NOT NULL UNIQUE,"
    "  created_by INTEGER NOT NULL REFERENCES accounts(id),"
    "  created_at INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL DEFAULT 0,"
    "  revoked_by INTEGER REFERENCES accounts(id),"
    "  revoked_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX devices_account ON devices(account_id, revoked_at);"
    "ALTER TABLE sessions ADD COLUMN device_id INTEGER REFERENCES devices(id);"
    "CREATE INDEX sessions_device ON sessions(device_id);"
    "CREATE TABLE push_subscriptions ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  device_id INTEGER REFERENCES devices(id),"
    "  endpoint TEXT NOT NULL UNIQUE,"
    "  p256dh BLOB NOT NULL,"
    "  auth BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  last_ok_at INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX push_account ON push_subscriptions(account_id);",

    /* 5: retention and erasure (issue 18).
	 * - audit.detail_hash: SHA-256 of the detail; entries from now on chain over it instead of the detail itself, so
	 *   an erasure can remove a detail (erased_at set, detail '{"erased":true}') and the chain still verifies.
	 *   store_open re-chains the older entries once, after verifying them, keeping their old hash in hash_v1
	 *   (server/store/audit_erase.c). The update trigger now lets through that one change and nothing else.
	 * - message_floors: the first seq a conversation still holds; messages below it were removed (retention or
	 *   erasure) and are dropped from DIR/messages.log when it is compacted (server/store/store_compact.c).
	 * - retention: per case, how long messages, media and recordings are kept (days; 0 = for ever). */
    "ALTER TABLE audit ADD COLUMN detail_hash BLOB;"
    "ALTER TABLE audit ADD COLUMN erased_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE audit ADD COLUMN hash_v1 BLOB;"
    "DROP TRIGGER audit_no_update;" AUDIT__NO_UPDATE_TRIGGER ";"
    "CREATE TABLE message_floors ("
    "  agreement_id INTEGER PRIMARY KEY REFERENCES agreements(id),"
    "  first_seq INTEGER NOT NULL);"
    "CREATE TABLE retention ("
    "  case_id INTEGER PRIMARY KEY REFERENCES cases(id),"
    "  messages_days INTEGER NOT NULL DEFAULT 0,"
    "  media_days INTEGER NOT NULL DEFAULT 0,"
    "  recordings_days INTEGER NOT NULL DEFAULT 0,"
    "  set_by INTEGER REFERENCES accounts(id),"
    "  set_at INTEGER NOT NULL);",

    /* 6 (uploads): media sharing (issue 17).
	 * - blobs: content-addressed files under DIR/blobs/ (server/blobs/blobstore.h), by SHA-256 hex, with how many
	 *   attachment rows refer to them; a file with no reference is deleted by the blob sweep.
	 * - attachments: one per processed upload, id = the tus upload id (server/blobs/attachments.h), its blobs and
	 *   facts, and where it went: ready -> sent | held | profile, held -> approved | rejected. */
    "CREATE TABLE blobs ("
    "  hash TEXT PRIMARY KEY,"
    "  bytes INTEGER NOT NULL,"
    "  refs INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX blobs_unreferenced ON blobs(refs) WHERE refs = 0;"
    "CREATE TABLE attachments ("
    "  id TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('photo','video_clip','voice_note','profile_photo')),"
    "  state TEXT NOT NULL DEFAULT 'ready'"
    "    CHECK (state IN ('ready','sent','held','approved','rejected','profile')),"
    "  uploader_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  case_id INTEGER REFERENCES cases(id),"
    "  agreement_id INTEGER REFERENCES agreements(id),"
    "  account_id INTEGER REFERENCES accounts(id),"
    "  seq INTEGER NOT NULL DEFAULT 0,"
    "  held_id INTEGER NOT NULL DEFAULT 0,"
    "  mime TEXT NOT NULL,"
    "  width INTEGER NOT NULL DEFAULT 0,"
    "  height INTEGER NOT NULL DEFAULT 0,"
    "  duration_ms INTEGER NOT NULL DEFAULT 0,"
    "  waveform BLOB,"
    "  bytes INTEGER NOT NULL,"
    "  blob TEXT NOT NULL REFERENCES blobs(hash),"
    "  thumb TEXT REFERENCES blobs(hash),"
    "  thumb_mime TEXT NOT NULL DEFAULT '',"
    "  poster TEXT REFERENCES blobs(hash),"
    "  poster_mime TEXT NOT NULL DEFAULT '',"
    "  total_bytes INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  used_at INTEGER NOT NULL DEFAULT 0,"
    "  decided_by INTEGER REFERENCES accounts(id),"
    "  decided_at INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE INDEX attachments_message ON attachments(agreement_id, seq) WHERE seq > 0;"
    "CREATE INDEX attachments_case ON attachments(case_id);"
    "CREATE INDEX attachments_state ON attachments(state, created_at);"
    "CREATE INDEX attachments_profile ON attachments(account_id, used_at) WHERE state = 'profile';",

    /* 7 (attach): held messages may carry an attachment (its id; '' = text only), and a rejection keeps the
	 * supervisor's reason, which the sender is told. */
    "ALTER TABLE held ADD COLUMN attachment_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE held ADD COLUMN decision_reason TEXT NOT NULL DEFAULT '';",

    /* 8 (rec): call recordings (issue 19) — one row per file of a recorded call: the audio mix (Ogg Opus) or one
     * participant's video (WebM), its blob (refs counted in blobs like attachments'), and whether a crash cut it. */
    "CREATE TABLE recordings ("
    "  id TEXT PRIMARY KEY,"
    "  recording TEXT NOT NULL,"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  call_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('audio','video')),"
    "  account_id INTEGER REFERENCES accounts(id),"
    "  blob TEXT NOT NULL REFERENCES blobs(hash),"
    "  mime TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  duration_ms INTEGER NOT NULL,"
    "  started_by INTEGER REFERENCES accounts(id),"
    "  started_at INTEGER NOT NULL,"
    "  ended_at INTEGER NOT NULL,"
    "  interrupted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX recordings_case ON recordings(case_id, started_at);",

    /* 9 (leftovers): where an attachment was before the retention sweep removed it (media_days, or its message
     * below a floor): the message stays in history with the attachment shown as expired (PROTOCOL.md §16). The row
     * holds no content, only which upload it was and its kind; the attachment row and its blobs are gone. */
    "CREATE TABLE attachments_expired ("
    "  agreement_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  uploader_id INTEGER NOT NULL,"
    "  expired_at INTEGER NOT NULL,"
    "  PRIMARY KEY (agreement_id, seq)) WITHOUT ROWID;",

    /* 10: the retention sweep finds attachments past their case's media period through this index (per agreement,
     * oldest first), not by reading every sent attachment (attachments_expire.c). */
    "CREATE INDEX attachments_used ON attachments(agreement_id, used_at)"
    " WHERE state IN ('sent', 'approved', 'rejected');",
};

const int store__migration_count = (int)(sizeof(store__migrations) / sizeof(store__migrations[0]));
