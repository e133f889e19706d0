/* sender.c: the push sender thread — a bounded queue in, libcurl POSTs (RFC 8030 §5) out, outcomes back to the
 * control thread through an eventfd. Encryption and the VAPID signature happen here, not on the event loop. */
#include "server/push/sender.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/base/log.h"
#include "server/push/netcheck.h"
#include "server/push/vapid.h"

struct result_node {
	struct push_result r;
	struct result_node *next;
};

struct push_sender {
	/* passed to start */
	struct ev_loop *loop; /* the control thread */
	const struct vapid *vapid;
	char subject[256];  /* VAPID sub */
	int allow_loopback; /* config push_allow_http (tests): loopback addresses may be reached */
	push_result_fn fn;  /* outcome handler (control thread) */
	void *ctx;
	/* allocated by this */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct push_job *queue[PUSH_QUEUE_MAX]; /* ring of owned jobs */
	size_t head, n;
	struct result_node *results; /* newest first; reversed when drained */
	int efd;                     /* eventfd: results are waiting */
	ev_io io;
	atomic_int stop; /* abort transfers, leave the thread */
	CURLM *multi;    /* runs the one transfer; curl_multi_wakeup interrupts its wait */
};

static void post_result(struct push_sender *s, const struct push_job *j, long status)
{
	struct result_node *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->r = (struct push_result){.sub_id = j->sub_id, .account = j->account, .status = status};
	memcpy(n->r.endpoint, j->endpoint, sizeof(n->r.endpoint));
	pthread_mutex_lock(&s->mu);
	n->next = s->results;
	s->results = n;
	pthread_mutex_unlock(&s->mu);
	uint64_t one = 1;
	if (write(s->efd, &one, sizeof(one)) != sizeof(one))
		log_warn("push: eventfd write failed");
}

/* Every address curl is about to connect to (after DNS): a push service is on the public internet, so an endpoint
 * naming (or resolving to) an address inside this network is refused — a subscription cannot make the server probe
 * its neighbours. Loopback is allowed only with push_allow_http (tests). */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct push_sender *s = arg;
	if (!push_address_allowed(&addr->addr, s->allow_loopback))
		return CURL_SOCKET_BAD;
	return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* curl_easy_perform through the multi handle, so push_sender_stop can wake the wait (curl_multi_wakeup) and abort a
 * request at once instead of at the next progress callback. */
static CURLcode perform(struct push_sender *s, CURL *curl)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	int running = 1;
	if (curl_multi_add_handle(s->multi, curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running && !atomic_load(&s->stop)) {
		if (curl_multi_perform(s->multi, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	int left;
	for (CURLMsg *m; (m = curl_multi_info_read(s->multi, &left));)
		if (m->msg == CURLMSG_DONE && m->easy_handle == curl)
			rc = m->data.result;
	curl_multi_remove_handle(s->multi, curl);
	return rc;
}

/* Encrypt, sign and POST one job on the reused easy handle; returns the HTTP status or 0. */
static long send_one(struct push_sender *s, CURL *curl, const struct push_job *j)
{
	uint8_t body[PUSH_PAYLOAD_MAX + ECE_OVERHEAD];
	char auth[VAPID_AUTH_MAX + 32], ttl[32], urgency[32], topic[48];
	int n = ece_encrypt(j->p256dh, j->auth, (const uint8_t *)j->payload, j->len, NULL, NULL, body, sizeof(body));
	memcpy(auth, "Authorization: ", 15);
	if (n < 0 ||
	    vapid_authorization(s->vapid, j->endpoint, s->subject, (int64_t)time(NULL), auth + 15, sizeof(auth) - 15) <
		0) {
		log_warn("push: cannot encrypt or sign a push for account %lld", (long long)j->account);
		return 0;
	}
	snprintf(ttl, sizeof(ttl), "TTL: %d", j->ttl_s);
	snprintf(urgency, sizeof(urgency), "Urgency: %s", j->urgent ? "high" : "normal");
	snprintf(topic, sizeof(topic), "Topic: %s", j->topic);
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/octet-stream");
	h = curl_slist_append(h, "Content-Encoding: aes128gcm");
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, ttl);
	h = curl_slist_append(h, urgency);
	if (j->topic[0])
		h = curl_slist_append(h, topic);
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(curl, CURLOPT_URL, j->endpoint);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)n);
	long status = 0;
	CURLcode rc = perform(s, curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else if (!atomic_load(&s->stop))
		log_warn("push: POST for account %lld failed: %s", (long long)j->account, curl_easy_strerror(rc));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return status;
}

static CURL *easy_new(struct push_sender *s)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)PUSH_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)PUSH_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "samvaer-push");
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, s);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* the address check must see the real peer */
	return c;
}

static void *run(void *arg)
{
	struct push_sender *s = arg;
	CURL *curl = easy_new(s);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->n && !atomic_load(&s->stop))
			pthread_cond_wait(&s->cv, &s->mu);
		if (atomic_load(&s->stop)) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		struct push_job *j = s->queue[s->head];
		s->head = (s->head + 1) % PUSH_QUEUE_MAX;
		s->n--;
		pthread_mutex_unlock(&s->mu);
		long status = curl ? send_one(s, curl, j) : 0;
		if (!atomic_load(&s->stop))
			post_result(s, j, status);
		memset(j->auth, 0, sizeof(j->auth));
		free(j);
	}
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

/* Control thread: hand every waiting outcome to fn, oldest first. */
static void on_results(struct ev_loop *loop, ev_io *w, int revents)
{
	struct push_sender *s = w->data;
	uint64_t v;
	if (read(s->efd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&s->mu);
	struct result_node *list = s->results, *rev = NULL;
	s->results = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list) {
		struct result_node *next = list->next;
		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct result_node *next = rev->next;
		s->fn(&rev->r, s->ctx);
		free(rev);
		rev = next;
	}
}

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct push_sender *push_sender_start(struct ev_loop *loop, const struct vapid *v, const char *subject,
				      int allow_loopback, push_result_fn fn, void *ctx)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, curl_init_once);
	struct push_sender *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct push_sender){.loop = loop, .vapid = v, .allow_loopback = allow_loopback, .fn = fn, .ctx = ctx};
	snprintf(s->subject, sizeof(s->subject), "%s", subject);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->multi = curl_multi_init();
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (s->efd < 0 || !s->multi || pthread_create(&s->thread, NULL, run, s) != 0) {
		if (s->efd >= 0)
			close(s->efd);
		curl_multi_cleanup(s->multi);
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		free(s);
		return NULL;
	}
	ev_io_init(&s->io, on_results, s->efd, EV_READ);
	s->io.data = s;
	ev_io_start(loop, &s->io);
	ev_unref(loop); /* outcomes never keep the loop alive */
	return s;
}

int push_sender_enqueue(struct push_sender *s, const struct push_job *job)
{
	struct push_job *j = malloc(sizeof(*j));
	if (!j)
		return -1;
	*j = *job;
	pthread_mutex_lock(&s->mu);
	int full = s->n >= PUSH_QUEUE_MAX;
	if (!full) {
		s->queue[(s->head + s->n) % PUSH_QUEUE_MAX] = j;
		s->n++;
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	if (full)
		free(j);
	return full ? -1 : 0;
}

void push_sender_stop(struct push_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, 1);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	curl_multi_wakeup(s->multi); /* a transfer in progress ends now */
	pthread_join(s->thread, NULL);
	curl_multi_cleanup(s->multi);
	ev_ref(s->loop);
	ev_io_stop(s->loop, &s->io);
	for (; s->n; s->n--, s->head = (s->head + 1) % PUSH_QUEUE_MAX)
		free(s->queue[s->head]);
	while (s->results) {
		struct result_node *next = s->results->next;
		free(s->results);
		s->results = next;
	}
	close(s->efd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
