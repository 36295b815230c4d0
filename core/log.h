/* SPDX-License-Identifier: MIT */
/*
 * log.h - levelled logging per subsystem ("core", "conf", "net", "plugin",
 * or a plugin's name). Lines go to stderr (foreground, with a timestamp) or
 * syslog(3) (daemon), each prefixed with its subsystem in brackets.
 */
#ifndef KANMON_CORE_LOG_H
#define KANMON_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <kanmon/log.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

void log_open(enum log_target target);
void log_close(void);

/* Levels: a default plus overrides per subsystem; reset before re-applying. */
void log_set_default_level(int level);
int log_set_level(const char *subsys, int level);	/* 0 or -ENOMEM */
void log_reset_levels(void);
/* "err", "warning", "notice", "info", "debug" -> level, or -1 */
int log_level_from_name(const char *name);
const char *log_level_name(int level);

bool log_enabled(const char *subsys, int level);
void log_msg(const char *subsys, int level, const char *fmt, ...) KANMON_PRINTF(3, 4);
void log_vmsg(const char *subsys, int level, const char *fmt, va_list ap);

/* Tests: receive every emitted line (already filtered) instead of the target. */
void log_set_sink(void (*sink)(const char *subsys, int level, const char *line, void *arg),
		  void *arg);

#define log_err(s, ...)    log_msg(s, KANMON_LOG_ERR, __VA_ARGS__)
#define log_warn(s, ...)   log_msg(s, KANMON_LOG_WARNING, __VA_ARGS__)
#define log_notice(s, ...) log_msg(s, KANMON_LOG_NOTICE, __VA_ARGS__)
#define log_info(s, ...)   log_msg(s, KANMON_LOG_INFO, __VA_ARGS__)
#define log_debug(s, ...)  log_msg(s, KANMON_LOG_DEBUG, __VA_ARGS__)

#endif
