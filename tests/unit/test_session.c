/* test_session.c: the session's method table and listeners — features add request types and hear connections
 * close and agreements change, and the session names none of them (server/session/session.c). */
#include <stdlib.h>
#include <string.h>

#include "server/session/session_internal.h"
#include "tests/unit/check.h"

/* A connection that keeps the last frame sent to it. */
struct fake_conn {
	struct conn base;
	char last[512];
	int closed_code;
};

static void fake_send(struct conn *c, struct frame *f)
{
	struct fake_conn *fc = (struct fake_conn *)c;
	size_t n = f->len < sizeof(fc->last) - 1 ? f->len : sizeof(fc->last) - 1;
	memcpy(fc->last, frame_payload(f), n);
	fc->last[n] = 0;
}

static void fake_close(struct conn *c, int code, const char *reason)
{
	((struct fake_conn *)c)->closed_code = code;
}

static const struct conn_ops fake_ops = {fake_send, fake_close, NULL};

static int calls_open, calls_auth;
static char heard[256]; /* listener calls in order, e.g. "A.auth B.auth A.closed" */

static void h_open(struct session *s, struct proto_request *r)
{
	calls_open++;
	session_reply_ok(s, r->id, json_object());
}

static void h_auth(struct session *s, struct proto_request *r)
{
	calls_auth++;
	session_reply_ok(s, r->id, json_object());
}

static void note(const char *what)
{
	strncat(heard, what, sizeof(heard) - strlen(heard) - 1);
	strncat(heard, " ", sizeof(heard) - strlen(heard) - 1);
}
static void a_auth(struct session *s)
{
	note("A.auth");
}
static void a_closed(struct app *app, int64_t account, uint64_t conn)
{
	note(account == 7 && conn == 42 ? "A.closed" : "A.closed?");
}
static void a_changed(struct app *app, const struct agreement *o, const struct agreement *n)
{
	note("A.changed");
}
static void b_changed(struct app *app, const struct agreement *o, const struct agreement *n)
{
	note("B.changed");
}

static const struct session_method feature[] = {
    {"t.open", 0, h_open},
    {"t.auth", 1, h_auth},
};
static const struct session_listener listener_a = {a_auth, a_closed, a_changed};
static const struct session_listener listener_b = {NULL, NULL, b_changed};

static const struct {
	const char *name;
	const char *request;
	int authenticated;        /* send after login */
	int want_open, want_auth; /* handler calls expected */
	const char *want;         /* in the reply */
} requests[] = {
    {"built-in ping", "{\"type\":\"ping\",\"id\":1}", 0, 0, 0, "\"ok\":true"},
    {"added, open", "{\"type\":\"t.open\",\"id\":2}", 0, 1, 0, "\"ok\":true"},
    {"added, needs login, before", "{\"type\":\"t.auth\",\"id\":3}", 0, 0, 0, "unauthenticated"},
    {"unknown type", "{\"type\":\"t.none\",\"id\":4}", 0, 0, 0, "unknown_type"},
    {"added, needs login, after", "{\"type\":\"t.auth\",\"id\":5}", 1, 0, 1, "\"ok\":true"},
};

static void test_methods(void)
{
	struct app app;
	memset(&app, 0, sizeof(app));
	router_init(&app.router);
	CHECK(session_methods_add(&app, feature, 2) == 0, "add a feature's methods");
	CHECK(session_methods_add(&app, feature + 1, 1) == -1 && app.features.n_methods == 2, "a type added twice");
	struct session_method ping = {"ping", 0, h_open};
	CHECK(session_methods_add(&app, &ping, 1) == -1, "a built-in type cannot be taken");
	CHECK(session_listen(&app, &listener_a) == 0 && session_listen(&app, &listener_b) == 0, "listen");

	struct fake_conn fc = {{&fake_ops, 42, "test"}, "", 0};
	struct session *s = session_open(&app, &fc.base);
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (requests[i].authenticated && !s->account_id)
			session_authenticated(s, 7, "child", NULL, json_object());
		int open0 = calls_open, auth0 = calls_auth;
		fc.last[0] = 0;
		session_receive(s, requests[i].request, strlen(requests[i].request));
		CHECK(calls_open - open0 == requests[i].want_open, requests[i].name);
		CHECK(calls_auth - auth0 == requests[i].want_auth, requests[i].name);
		CHECK(strstr(fc.last, requests[i].want) != NULL, requests[i].name);
	}
	struct agreement a;
	memset(&a, 0, sizeof(a));
	session_agreement_changed(&a, &a, &app);
	session_close(s);
	CHECK(!strcmp(heard, "A.auth A.changed B.changed A.closed "), "listeners in the order added");
	router_free(&app.router);
}

static void test_full(void)
{
	struct app app;
	memset(&app, 0, sizeof(app));
	static char names[SESSION_METHODS_MAX + 1][16];
	int rc = 0;
	for (int i = 0; i <= SESSION_METHODS_MAX && rc == 0; i++) {
		snprintf(names[i], sizeof(names[i]), "t.%d", i);
		struct session_method m = {names[i], 1, h_auth};
		rc = session_methods_add(&app, &m, 1);
	}
	CHECK(rc == -1 && app.features.n_methods == SESSION_METHODS_MAX, "the table is full");
	for (int i = 0; i < SESSION_LISTENERS_MAX; i++)
		session_listen(&app, &listener_b);
	CHECK(session_listen(&app, &listener_b) == -1, "too many listeners");
}

int main(void)
{
	test_methods();
	test_full();
	frame_pool_free();
	return check_done("session");
}
