/* main.c: the samvaer server process — read settings, open the store, serve until SIGTERM/SIGINT, shut down cleanly. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "server/app.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/net/tls.h"
#include "server/net/ws_server.h"

/* SIGTERM ends the process within 2 s whatever clients do (PROTOCOL.md section 1): clients that read get their
 * backlog and the 1001 within DRAIN_LIMIT_S; one that ignores the close frame, or stops reading, is cut off. */
#define DRAIN_LIMIT_S 1.0 /* slow clients read their backlog before they see the 1001 */
#define GRACE_S 0.2       /* then lws completes the close handshakes */

static struct ws_server *server;
static int stopping;

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	if (stopping++)
		return;
	log_info("signal %d: shutting down", w->signum);
	struct app *app = w->data;
	commit_flush(&app->commit); /* finish the pending commit: every acknowledged message is durable */
	ws_server_drain(server);
	ev_break(loop, EVBREAK_ALL);
}

/* SIGHUP: reopen the log file (after a rotation) and load the TLS certificate and key again; connections stay. */
static void on_hangup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct app *app = w->data;
	char err[512];
	if (app->cfg.log_file[0] && log_open_file(app->cfg.log_file) != 0)
		log_error("SIGHUP: cannot reopen %s: %s", app->cfg.log_file, strerror(errno));
	if (!tls_enabled()) {
		log_info("SIGHUP: log reopened");
	} else if (tls_reload(app->cfg.tls_cert, app->cfg.tls_key, err, sizeof(err)) != 0) {
		log_error("SIGHUP: %s; the previous certificate stays in use", err);
	} else {
		app->metrics.tls_reloads++;
		log_info("SIGHUP: TLS certificate reloaded from %s", app->cfg.tls_cert);
	}
}

/* Loopback only (127.0.0.0/8, ::1, localhost): where plain HTTP cannot be overheard. */
static int loopback(const char *addr)
{
	struct in_addr a4;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return !strcmp(addr, "::1") || !strcmp(addr, "localhost");
}

static void on_grace_end(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Let the closes (1001) reach the clients: run the loop until every session is gone, then a short grace
 * during which lws completes the close handshakes (it waits for each client's close reply and reads what the
 * client sent meanwhile; closing the socket earlier would reset the connection and lose the 1001). */
static void drain(struct ev_loop *loop, struct app *app)
{
	uint64_t deadline = clock_mono_ns() + (uint64_t)(DRAIN_LIMIT_S * 1e9);
	while (ws_server_connections(server) > 0 && clock_mono_ns() < deadline)
		ev_run(loop, EVRUN_ONCE);
	ev_timer grace;
	ev_timer_init(&grace, on_grace_end, GRACE_S, 0);
	ev_timer_start(loop, &grace);
	ev_run(loop, 0);
	ev_timer_stop(loop, &grace);
	commit_flush(&app->commit);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	config_defaults(&cfg);
	int rc = config_from_args(&cfg, argc, argv, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "samvaer: %s\n", err);
		return rc < 0 ? 2 : 0;
	}
	log_setup((enum log_level)cfg.log_level, cfg.log_json);
	if (cfg.log_file[0] && log_open_file(cfg.log_file) != 0) {
		fprintf(stderr, "samvaer: cannot open the log file %s: %s\n", cfg.log_file, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	static struct app app;
	if (app_init(&app, &cfg, loop, err, sizeof(err)) != 0) {
		log_error("%s", err);
		app_free(&app);
		return 1;
	}
	server = ws_server_start(&app);
	if (!server) {
		app_free(&app);
		return 1;
	}
	ev_signal sigterm, sigint, sighup;
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_init(&sighup, on_hangup, SIGHUP);
	sigterm.data = sigint.data = sighup.data = &app;
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sighup);
	if (!tls_enabled() && !loopback(cfg.listen))
		log_warn(
		    "WARNING: serving plain HTTP on %s, which is not a loopback address: passwords, messages and "
		    "call signalling cross the network unencrypted. Set tls_cert and tls_key (docs/OPERATIONS.md).",
		    cfg.listen);
	/* on stdout: it stays with the process's output when the log goes to --log-file */
	printf("samvaer: listening on %s://%s:%d\n", tls_enabled() ? "https" : "http", cfg.listen, cfg.port);
	fflush(stdout);
	log_info("data dir %s, web dir %s", cfg.data_dir, cfg.web_dir);
	ev_run(loop, 0);
	drain(loop, &app);
	ws_server_destroy(server);
	app_free(&app);
	log_info("stopped");
	return 0;
}
