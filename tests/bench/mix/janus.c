/* janus.c: bench-mix's other side: the same calls through Janus's AudioBridge (WebSocket API), one room per call, one handle per participant. */
/* Included by tests/bench/mix.c. Requests are sent one at a time and their answers awaited while the peers keep
 * running (pump): transactions are numbers, answers kept by number until taken. */

#define JN_MAX_TR 4096

static struct ws jws;
static json_t *jn_got[JN_MAX_TR]; /* the latest answer (not "ack") per transaction */
static unsigned jn_next_tr = 1;
static uint64_t jn_session;

static void jn_on_text(struct ws *w, const char *text, size_t len)
{
	(void)w;
	json_t *m = json_loadb(text, len, 0, NULL);
	const char *type = json_string_value(json_object_get(m, "janus"));
	const char *tr = json_string_value(json_object_get(m, "transaction"));
	unsigned n = tr ? (unsigned)strtoul(tr, NULL, 10) : 0;
	if (!type || !n || n >= JN_MAX_TR || !strcmp(type, "ack")) {
		json_decref(m);
		return;
	}
	json_decref(jn_got[n]);
	jn_got[n] = m;
}

/* Send one request; wait (running the peers) for its answer: the plugin's event when want_event. NULL on error. */
static json_t *jn_call(json_t *req, uint64_t handle, bool want_event)
{
	unsigned tr = jn_next_tr++ % JN_MAX_TR;
	char trs[16];
	snprintf(trs, sizeof trs, "%u", tr);
	json_object_set_new(req, "transaction", json_string(trs));
	if (jn_session)
		json_object_set_new(req, "session_id", json_integer((json_int_t)jn_session));
	if (handle)
		json_object_set_new(req, "handle_id", json_integer((json_int_t)handle));
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text || ws_send_text(&jws, text, strlen(text))) {
		free(text);
		return NULL;
	}
	free(text);
	for (int64_t end = now_ms() + 15000; now_ms() < end;) {
		struct pollfd pf = {.fd = jws.fd, .events = POLLIN};
		poll(&pf, 1, 2);
		if (ws_read(&jws) < 0)
			return NULL;
		int64_t now = now_ms();
		for (int i = 0; i < n_peers; i++)
			peer_poll(peers[i], now);
		json_t *m = jn_got[tr];
		const char *type = m ? json_string_value(json_object_get(m, "janus")) : NULL;
		if (m && (!want_event || strcmp(type, "success") != 0 || json_object_get(m, "plugindata"))) {
			jn_got[tr] = NULL;
			if (!strcmp(type, "error") ||
			    json_object_get(json_object_get(json_object_get(m, "plugindata"), "data"), "error")) {
				char *t = json_dumps(m, JSON_COMPACT);
				fprintf(stderr, "bench-mix: janus: %.300s\n", t ? t : "?");
				free(t);
				json_decref(m);
				return NULL;
			}
			return m;
		}
	}
	fprintf(stderr, "bench-mix: janus: no answer to transaction %u\n", tr);
	return NULL;
}

static uint64_t jn_id(json_t *m)
{
	uint64_t id = m ? (uint64_t)json_integer_value(json_object_get(json_object_get(m, "data"), "id")) : 0;
	json_decref(m);
	return id;
}

/* One call: a room, then each participant attaches and joins with its offer; Janus answers in the join event. */
static int jn_setup_call(int c, struct dtls_cert *cert, struct dtls_ctx *ctx)
{
	uint64_t room = 5000 + (uint64_t)c;
	for (int k = 0; k < o.size; k++) {
		uint64_t h = jn_id(
		    jn_call(json_pack("{s:s,s:s}", "janus", "attach", "plugin", "janus.plugin.audiobridge"), 0, false));
		if (!h)
			return -1;
		if (k == 0) {
			json_t *r = jn_call(json_pack("{s:s,s:{s:s,s:I,s:i,s:b}}", "janus", "message", "body",
						      "request", "create", "room", (json_int_t)room, "sampling_rate",
						      48000, "audiolevel_event", 0),
					    h, true);
			if (!r)
				return -1;
			json_decref(r);
		}
		struct peer *p = new_peer(k, cert, ctx);
		static char offer[8192];
		int n = p ? peer_offer(p, offer, sizeof offer) : -1;
		json_t *r = n > 0 ? jn_call(json_pack("{s:s,s:{s:s,s:I,s:I},s:{s:s,s:s}}", "janus", "message", "body",
						      "request", "join", "room", (json_int_t)room, "id",
						      (json_int_t)(k + 1), "jsep", "type", "offer", "sdp", offer),
					    h, true)
				  : NULL;
		const char *sdp = json_string_value(json_object_get(json_object_get(r, "jsep"), "sdp")), *err = NULL;
		if (!sdp || peer_set_answer(p, sdp, strlen(sdp), &err)) {
			fprintf(stderr, "bench-mix: janus answer for %d/%d: %s\n", c, k, sdp ? err : "none");
			json_decref(r);
			return -1;
		}
		json_decref(r);
	}
	return 0;
}

static int jn_setup(int port, struct dtls_cert *cert, struct dtls_ctx *ctx)
{
	if (ws_connect(&jws, "127.0.0.1", port, "/", "janus-protocol"))
		return -1;
	jws.on_text = jn_on_text;
	if (!(jn_session = jn_id(jn_call(json_pack("{s:s}", "janus", "create"), 0, false))))
		return -1;
	for (int c = 0; c < o.calls; c++)
		if (jn_setup_call(c, cert, ctx))
			return -1;
	return 0;
}

/* CPU seconds (user + system) of process pid so far. */
static double pid_cpu_s(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
