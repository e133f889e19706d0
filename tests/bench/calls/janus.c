/* janus.c: the media bench's signalling against Janus's VideoRoom (WebSocket API): one room per 1:1 call, two publishers, each subscribed to the other. */
/* Included by tests/bench/calls.c. Legs per call: 0, 1 = the two publishers (send only), 2 = A's subscription to
 * B, 3 = B's subscription to A (receive only; Janus offers, the peer answers). One Janus session per call,
 * four handles; one WebSocket for all calls. Transactions are "CALL:STEP:K". */

enum jn_step { JN_CREATE, JN_ATTACH, JN_ROOM, JN_JOIN, JN_PUB, JN_SUB, JN_START };

static struct ws jn_ws;

static void jn_send(struct call *c, int step, int k, uint64_t handle, json_t *body, json_t *jsep)
{
	char tr[48];
	snprintf(tr, sizeof tr, "%d:%d:%d", c->idx, step, k);
	json_t *m = json_pack("{s:s,s:s}", "janus",
			      body                    ? "message"
				  : step == JN_CREATE ? "create"
						      : "attach",
			      "transaction", tr);
	if (c->session)
		json_object_set_new(m, "session_id", json_integer((json_int_t)c->session));
	if (handle)
		json_object_set_new(m, "handle_id", json_integer((json_int_t)handle));
	if (step == JN_ATTACH)
		json_object_set_new(m, "plugin", json_string("janus.plugin.videoroom"));
	if (body)
		json_object_set_new(m, "body", body);
	if (jsep)
		json_object_set_new(m, "jsep", jsep);
	char *text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!text || ws_send_text(&jn_ws, text, strlen(text)))
		call_fail(c, "janus: write failed");
	free(text);
}

static json_t *jn_jsep(const char *type, const char *sdp)
{
	return json_pack("{s:s,s:s}", "type", type, "sdp", sdp);
}

static void jn_publish(struct call *c, int k)
{
	static char offer[16384];
	if (peer_offer(c->leg[k]->p, offer, sizeof offer) < 0) {
		call_fail(c, "peer_offer failed");
		return;
	}
	if (!c->t0_ms)
		c->t0_ms = now_ms();
	jn_send(c, JN_PUB, k, c->handle[k], json_pack("{s:s}", "request", "publish"), jn_jsep("offer", offer));
}

static void jn_subscribe(struct call *c)
{
	for (int k = 2; k < 4; k++) /* leg 2 watches publisher 1, leg 3 watches publisher 0 */
		jn_send(c, JN_SUB, k, c->handle[k],
			json_pack("{s:s,s:s,s:I,s:[{s:I}]}", "request", "join", "ptype", "subscriber", "room",
				  (json_int_t)c->room, "streams", "feed", (json_int_t)c->feed[k == 2 ? 1 : 0]),
			NULL);
}

static void jn_answer_sub(struct call *c, int k, json_t *jsep)
{
	static char answer[16384];
	const char *sdp = json_string_value(json_object_get(jsep, "sdp")), *err = NULL;
	int n = sdp ? peer_answer(c->leg[k]->p, sdp, strlen(sdp), answer, sizeof answer, &err) : -1;
	if (n < 0) {
		fprintf(stderr, "calls: janus subscriber offer refused: %s\n", err ? err : "no sdp");
		call_fail(c, "subscriber offer");
		return;
	}
	leg_started(c->leg[k]);
	jn_send(c, JN_START, k, c->handle[k], json_pack("{s:s}", "request", "start"), jn_jsep("answer", answer));
}

static void jn_on_success(struct call *c, int step, int k, json_t *m)
{
	json_t *data = json_object_get(m, "data");
	if (step == JN_CREATE) {
		c->session = (uint64_t)json_integer_value(json_object_get(data, "id"));
		for (int h = 0; h < 4; h++)
			jn_send(c, JN_ATTACH, h, 0, NULL, NULL);
	} else if (step == JN_ATTACH) {
		c->handle[k] = (uint64_t)json_integer_value(json_object_get(data, "id"));
		if (++c->ready == 4)
			jn_send(c, JN_ROOM, 0, c->handle[0],
				json_pack("{s:s,s:I,s:i,s:i,s:s,s:s}", "request", "create", "room", (json_int_t)c->room,
					  "publishers", 2, "bitrate", 2000000, "videocodec", "vp8", "audiocodec",
					  "opus"),
				NULL);
	} else if (step == JN_ROOM) {
		for (int p = 0; p < 2; p++)
			jn_send(c, JN_JOIN, p, c->handle[p],
				json_pack("{s:s,s:s,s:I,s:I}", "request", "join", "ptype", "publisher", "room",
					  (json_int_t)c->room, "id", (json_int_t)c->feed[p]),
				NULL);
	}
}

static void jn_on_event(struct call *c, int step, int k, json_t *m)
{
	json_t *pd = json_object_get(json_object_get(m, "plugindata"), "data"), *jsep = json_object_get(m, "jsep");
	if (json_object_get(pd, "error")) {
		fprintf(stderr, "calls: janus call %d step %d: %s\n", c->idx, step,
			json_string_value(json_object_get(pd, "error")));
		call_fail(c, "janus error");
	} else if (step == JN_ROOM) {
		jn_on_success(c, step, k, m);
	} else if (step == JN_JOIN) {
		jn_publish(c, k);
	} else if (step == JN_PUB && jsep) {
		const char *sdp = json_string_value(json_object_get(jsep, "sdp")), *err = NULL;
		if (getenv("CALLS_DEBUG") && sdp)
			fprintf(stderr, "debug: janus answer:\n%s\n", sdp);
		if (!sdp || peer_set_answer(c->leg[k]->p, sdp, strlen(sdp), &err)) {
			fprintf(stderr, "calls: janus answer refused: %s\n", err ? err : "no sdp");
			call_fail(c, "publisher answer");
			return;
		}
		leg_started(c->leg[k]);
	} else if (step == JN_SUB && jsep) {
		jn_answer_sub(c, k, jsep);
	}
}

/* A publisher's PeerConnection is up: Janus accepts subscriptions to a feed only from then on. */
static void jn_on_webrtcup(json_t *m)
{
	uint64_t session = (uint64_t)json_integer_value(json_object_get(m, "session_id"));
	uint64_t sender = (uint64_t)json_integer_value(json_object_get(m, "sender"));
	for (int i = 0; i < G.started; i++) {
		struct call *c = &G.calls[i];
		if (c->session != session)
			continue;
		for (int k = 0; k < 2; k++)
			if (c->handle[k] == sender && !(c->offered & (1 << k)))
				c->offered |= 1 << k;
		if (c->offered == 3) {
			c->offered |= 4;
			jn_subscribe(c);
		}
		return;
	}
}

static void jn_on_text(struct ws *w, const char *text, size_t len)
{
	(void)w;
	json_t *m = json_loadb(text, len, 0, NULL);
	const char *type = json_string_value(json_object_get(m, "janus"));
	const char *tr = json_string_value(json_object_get(m, "transaction"));
	int idx, step, k;
	if (type && !strcmp(type, "webrtcup"))
		jn_on_webrtcup(m);
	if (!type || !tr || sscanf(tr, "%d:%d:%d", &idx, &step, &k) != 3 || idx < 0 || idx >= G.o.calls) {
		json_decref(m);
		return; /* webrtcup, media, slowlink, keepalive acks: nothing to do */
	}
	struct call *c = &G.calls[idx];
	if (!strcmp(type, "success") && !json_object_get(m, "plugindata"))
		jn_on_success(c, step, k, m);
	else if (!strcmp(type, "success") || !strcmp(type, "event"))
		jn_on_event(c, step, k, m);
	else if (!strcmp(type, "error")) {
		fprintf(stderr, "calls: janus call %d step %d: %.200s\n", idx, step, text);
		call_fail(c, "janus error");
	}
	json_decref(m);
}

static void jn_call_start(struct call *c)
{
	if (jn_ws.fd <= 0) {
		if (ws_connect(&jn_ws, G.o.host, G.o.port, "/", "janus-protocol")) {
			call_fail(c, "janus connect");
			return;
		}
		jn_ws.on_text = jn_on_text;
		watch_ws(&jn_ws);
	}
	c->room = 1000 + (uint64_t)c->idx;
	c->feed[0] = 10 * (uint64_t)c->idx + 1, c->feed[1] = 10 * (uint64_t)c->idx + 2;
	if (!leg_new(c, true, false) || !leg_new(c, true, false) || !leg_new(c, false, true) ||
	    !leg_new(c, false, true)) {
		call_fail(c, "peer setup failed");
		return;
	}
	jn_send(c, JN_CREATE, 0, 0, NULL, NULL);
}
