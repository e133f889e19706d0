/* log.c: stderr logging; JSON lines mode escapes the message so each line parses on its own. */
#include "server/base/log.h"

#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static int as_json;
static const char *const names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level min, int json_lines)
{
	min_level = min;
	as_json = json_lines;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (as_json) {
		fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", when, ts.tv_nsec / 1000000,
			names[lvl]);
		json_escape(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000, names[lvl], msg);
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl < min_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void log_ratelimited(const char *fmt, ...)
{
	static time_t window;
	static unsigned in_window, suppressed;
	time_t now = time(NULL);
	if (now != window) {
		if (suppressed)
			log_msg(LOG_WARN, "(%u similar messages suppressed)", suppressed);
		window = now;
		in_window = suppressed = 0;
	}
	if (++in_window > 10) {
		suppressed++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	if (LOG_WARN >= min_level)
		vlog(LOG_WARN, fmt, ap);
	va_end(ap);
}

int log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	fflush(stderr);
	int rc = dup2(fd, STDERR_FILENO) < 0 ? -1 : 0;
	close(fd);
	return rc;
}
