/* SPDX-License-Identifier: MIT */
/*
 * kanmon/log.h - log levels shared by the core and plugins.
 *
 * Plugins log through kanmon_host.log(); the core prefixes every line with the
 * plugin's name and filters by the level configured for that plugin
 * (log.subsystems.<plugin-name>), so a plugin never decides where lines go.
 * Never pass secrets (keys, passphrases, nonces) to the logger.
 */
#ifndef KANMON_LOG_H
#define KANMON_LOG_H

enum kanmon_log_level {
	KANMON_LOG_ERR = 3,	/* same numbers as syslog(3) */
	KANMON_LOG_WARNING = 4,
	KANMON_LOG_NOTICE = 5,
	KANMON_LOG_INFO = 6,
	KANMON_LOG_DEBUG = 7,
};

#if defined(__GNUC__)
#define KANMON_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KANMON_PRINTF(fmt, args)
#endif

#endif
