/* samvaer.c: the media bench's signalling against samvaer (proto/PROTOCOL.md §9): resume, call.start, call.accept, call.offer, call.renegotiate. */
/* Included by tests/bench/calls.c. Per call: ws[0] = the child (callee), ws[1] = the contact (caller); one leg each. */

static void sv_send(struct call *c, int k, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text || ws_send_text(&c->ws[k], text, strlen(text)))
		call_fail(c, "signalling write failed");
	free(text);
}

static void sv_send_offer(struct call *c, int k)
{
	static char offer[16384];
	if (peer_offer(c->leg[k]->p, offer, sizeof offer) < 0) {
		call_fail(c, "peer_offer failed");
		return;
	}
	sv_send(c, k,
		json_pack("{s:s,s:s,s:I,s:s}", "id", "o", "type", "call.offer", "call_id", (json_int_t)c->call_id,
			  "sdp", offer));
}

/* call.renegotiate: the other party's media arrived after our offer; offer again on the same transport. */
static void sv_send_reoffer(struct call *c, int k)
{
	static char offer[16384];
	if (peer_reoffer(c->leg[k]->p, 0, offer, sizeof offer) < 0) {
		call_fail(c, "peer_reoffer failed");
		return;
	}
	sv_send(c, k,
		json_pack("{s:s,s:s,s:I,s:s}", "id", "n", "type", "call.offer", "call_id", (json_int_t)c->call_id,
			  "sdp", offer));
}

static void sv_on_result(struct call *c, int k, const char *id, json_t *result)
{
	if (!strcmp(id, "r")) {
		if (++c->ready == 2) /* both resumed: the contact calls the child */
			sv_send(c, 1,
				json_pack("{s:s,s:s,s:I,s:b}", "id", "s", "type", "call.start", "agreement_id",
					  (json_int_t)c->agreement, "video", 1));
	} else if (!strcmp(id, "a")) {
		sv_send_offer(c, 0);
	} else if (!strcmp(id, "o")) {
		const char *sdp = json_string_value(json_object_get(result, "sdp")), *err = NULL;
		if (!sdp || peer_set_answer(c->leg[k]->p, sdp, strlen(sdp), &err)) {
			call_fail(c, err ? err : "answer without sdp");
			return;
		}
		leg_started(c->leg[k]);
	} else if (!strcmp(id, "n")) {
		const char *sdp = json_string_value(json_object_get(result, "sdp")), *err = NULL;
		if (!sdp || peer_set_answer(c->leg[k]->p, sdp, strlen(sdp), &err))
			call_fail(c, err ? err : "renegotiation answer without sdp");
	}
}

static void sv_on_event(struct call *c, int k, const char *ev, json_t *data)
{
	const char *state = json_string_value(json_object_get(data, "state"));
	if (!strcmp(ev, "call.ring") && k == 0) {
		c->call_id = json_integer_value(json_object_get(data, "call_id"));
		c->t0_ms = now_ms();
		sv_send(
		    c, 0,
		    json_pack("{s:s,s:s,s:I}", "id", "a", "type", "call.accept", "call_id", (json_int_t)c->call_id));
	} else if (!strcmp(ev, "call.state") && k == 1 && state && !strcmp(state, "active") && !c->offered) {
		c->offered = true;
		c->call_id = json_integer_value(json_object_get(data, "call_id"));
		sv_send_offer(c, 1);
	} else if (!strcmp(ev, "call.renegotiate")) {
		sv_send_reoffer(c, k);
	} else if (!strcmp(ev, "call.state") && state && !strcmp(state, "ended") && !G.stopping) {
		call_fail(c, json_string_value(json_object_get(data, "reason")));
	}
}

static void sv_on_text(struct ws *w, const char *text, size_t len)
{
	struct call *c = w->user;
	int k = w == &c->ws[0] ? 0 : 1;
	json_t *m = json_loadb(text, len, 0, NULL);
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *ev = json_string_value(json_object_get(m, "event"));
	if (id && !json_is_true(json_object_get(m, "ok"))) {
		fprintf(stderr, "calls: call %d: %s refused: %.200s\n", c->idx, id, text);
		call_fail(c, "request refused");
	} else if (id) {
		sv_on_result(c, k, id, json_object_get(m, "result"));
	} else if (ev) {
		sv_on_event(c, k, ev, json_object_get(m, "data"));
	}
	json_decref(m);
}

/* Connect both parties, resume their sessions; the rest follows from the answers. */
static void sv_call_start(struct call *c)
{
	for (int k = 0; k < 2; k++) {
		if (!leg_new(c, true, true) || ws_connect(&c->ws[k], G.o.host, G.o.port, "/", "samvaer.v1")) {
			call_fail(c, "setup failed");
			return;
		}
		c->ws[k].on_text = sv_on_text, c->ws[k].user = c;
		watch_ws(&c->ws[k]);
		sv_send(c, k, json_pack("{s:s,s:s,s:s}", "id", "r", "type", "auth.resume", "token", c->token[k]));
	}
}
