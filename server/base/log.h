/* log.h: leveled logging to stderr as text or JSON lines, with a rate limit for noisy network errors. */
#ifndef SAMVAER_LOG_H
#define SAMVAER_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_setup(enum log_level min, int json_lines);
/* Send stderr (every log line, ours and the libraries') to `path`, appending; called again it reopens the file,
 * so a rotated log is let go of (SIGHUP). 0, or -1 with errno (stderr is then unchanged). */
int log_open_file(const char *path);
/* Parse "debug"/"info"/"warn"/"error"; returns -1 if unknown. */
int log_level_parse(const char *s);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like log_msg at WARN, but at most 10 lines per second per process; the rest are counted and summarised. */
void log_ratelimited(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
