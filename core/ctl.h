/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the control socket (UNIX stream, mode 0660, owner root, group of
 * the daemon's user) that kanmonctl talks to.
 *
 * Protocol (stable, documented in the README): the client sends one line of
 * at most 1024 bytes, words separated by spaces ("status --json"); the daemon
 * answers "ok\n" or "error\n", then the body, and closes the connection.
 * A client that sends nothing for 5 s is dropped.
 */
#ifndef KANMON_CORE_CTL_H
#define KANMON_CORE_CTL_H

#include <sys/types.h>

#include "diag.h"
#include "sbuf.h"

struct ev_loop;
struct ctl;

#define CTL_MAX_LINE 1024
#define CTL_MAX_ARGS 16

/* Runs one command; returns 0 (ok) or non-zero (error, message in out). */
typedef int (*ctl_dispatch_fn)(void *ctx, int argc, char **argv, struct sbuf *out);

/*
 * Binds `path` (creating its directory 0750 root:gid when missing). Refuses
 * when another daemon answers on it; removes a stale socket file otherwise.
 * gid: group allowed to connect ((gid_t)-1 = root only).
 */
int ctl_open(struct ev_loop *loop, const char *path, gid_t gid, ctl_dispatch_fn fn, void *ctx,
	     struct ctl **out, struct diag *d);
void ctl_close(struct ctl *c);

/* Splits a request line into words in place; returns argc (0 = empty). */
int ctl_split(char *line, char **argv, int max);

#endif
