/* SPDX-License-Identifier: MIT */
/* log.c - see log.h. Single-threaded by design: only the loop thread logs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

struct log_override {
	char *subsys;
	int level;
};

static struct {
	enum log_target target;
	int default_level;
	struct log_override *overrides;
	size_t n_overrides;
	void (*sink)(const char *, int, const char *, void *);
	void *sink_arg;
} logger = { .target = LOG_TARGET_STDERR, .default_level = KANMON_LOG_INFO };

static const char *const level_names[] = {
	[KANMON_LOG_ERR] = "err", [KANMON_LOG_WARNING] = "warning",
	[KANMON_LOG_NOTICE] = "notice", [KANMON_LOG_INFO] = "info",
	[KANMON_LOG_DEBUG] = "debug",
};

void log_open(enum log_target target)
{
	logger.target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog("kanmond", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_close(void)
{
	if (logger.target == LOG_TARGET_SYSLOG)
		closelog();
	log_reset_levels();
}

void log_set_default_level(int level)
{
	logger.default_level = level;
}

int log_set_level(const char *subsys, int level)
{
	for (size_t i = 0; i < logger.n_overrides; i++) {
		if (!strcmp(logger.overrides[i].subsys, subsys)) {
			logger.overrides[i].level = level;
			return 0;
		}
	}
	struct log_override *o = realloc(logger.overrides, (logger.n_overrides + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	logger.overrides = o;
	o[logger.n_overrides].subsys = strdup(subsys);
	if (!o[logger.n_overrides].subsys)
		return -ENOMEM;
	o[logger.n_overrides++].level = level;
	return 0;
}

void log_reset_levels(void)
{
	for (size_t i = 0; i < logger.n_overrides; i++)
		free(logger.overrides[i].subsys);
	free(logger.overrides);
	logger.overrides = NULL;
	logger.n_overrides = 0;
}

int log_level_from_name(const char *name)
{
	for (int l = KANMON_LOG_ERR; l <= KANMON_LOG_DEBUG; l++)
		if (!strcmp(level_names[l], name))
			return l;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < KANMON_LOG_ERR || level > KANMON_LOG_DEBUG)
		return "?";
	return level_names[level];
}

bool log_enabled(const char *subsys, int level)
{
	for (size_t i = 0; i < logger.n_overrides; i++)
		if (!strcmp(logger.overrides[i].subsys, subsys))
			return level <= logger.overrides[i].level;
	return level <= logger.default_level;
}

void log_set_sink(void (*sink)(const char *, int, const char *, void *), void *arg)
{
	logger.sink = sink;
	logger.sink_arg = arg;
}

/* fmt comes from log_msg()'s checked callers: a vprintf wrapper by design */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#endif
void log_vmsg(const char *subsys, int level, const char *fmt, va_list ap)
{
	if (!log_enabled(subsys, level))
		return;
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	/* one event, one line: a newline inside a message would forge a second */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (logger.sink) {
		logger.sink(subsys, level, line, logger.sink_arg);
		return;
	}
	if (logger.target == LOG_TARGET_SYSLOG) {
		syslog(level, "[%s] %s", subsys, line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %-7s [%s] %s\n", stamp, ts.tv_nsec / 1000000,
		log_level_name(level), subsys, line);
}

void log_msg(const char *subsys, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(subsys, level, fmt, ap);
	va_end(ap);
}
