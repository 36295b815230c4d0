/* SPDX-License-Identifier: MIT */
/*
 * sbuf.h - a growing string buffer, and JSON string escaping for the control
 * socket's --json output. An allocation failure sets `failed` and later
 * appends do nothing, so callers check once at the end.
 */
#ifndef KANMON_CORE_SBUF_H
#define KANMON_CORE_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <kanmon/log.h>

struct sbuf {
	char *data;
	size_t len, cap;
	bool failed;
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...) KANMON_PRINTF(2, 3);
void sbuf_put(struct sbuf *b, const char *s, size_t len);
/* "..." with JSON escapes (control characters, quotes, backslash) */
void sbuf_json_str(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);

/* "192.0.2.1" / "2001:db8::1" (no port) into buf; "-" for AF_UNSPEC */
const char *addr_str(const struct sockaddr *sa, char *buf, size_t len);
unsigned addr_port(const struct sockaddr *sa);

#endif
