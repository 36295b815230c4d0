/* SPDX-License-Identifier: MIT */
/*
 * diag.h - a list of human-readable error lines collected while checking
 * something (a configuration, a set of plugins), so `kanmond -t` can list
 * every problem at once instead of stopping at the first.
 */
#ifndef KANMON_CORE_DIAG_H
#define KANMON_CORE_DIAG_H

#include <stddef.h>

#include <kanmon/log.h>

struct diag {
	char **lines;
	size_t n;
};

void diag_add(struct diag *d, const char *fmt, ...) KANMON_PRINTF(2, 3);
void diag_clear(struct diag *d);
/* true when a line contains `needle` (tests) */
int diag_contains(const struct diag *d, const char *needle);

#endif
