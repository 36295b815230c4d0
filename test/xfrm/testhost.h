/* SPDX-License-Identifier: MIT */
/*
 * testhost.h - a kanmon_host for driving kernel-xfrm without the daemon:
 * real event loop (core/event.c), settings from a small table, log lines and
 * SA events recorded for assertions, net_fds answered from sockets the test
 * owns. Used by the unit tests, the UML scenario driver and the benchmark.
 * Not thread-safe (neither is the host it stands in for).
 */
#ifndef KANMON_TEST_XFRM_TESTHOST_H
#define KANMON_TEST_XFRM_TESTHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kanmon/kanmon.h>

struct ev_loop;
struct th;

/* echo: also print every log line to stderr (prefixed with name) */
struct th *th_new(struct ev_loop *loop, const char *name, bool echo);
void th_free(struct th *t);
const struct kanmon_host *th_host(struct th *t);
struct ev_loop *th_loop(struct th *t);

/* settings: integers (booleans: non-zero); unknown keys read as 0 (false) */
void th_set_int(struct th *t, const char *key, int64_t v);
const struct kanmon_conf *th_conf(struct th *t);
/* what host->net_fds() answers for port */
void th_set_fds(struct th *t, uint16_t port, const int *fds, size_t n);

/* the backend registered through host->sa_register_backend() */
int th_backend(struct th *t, const struct kanmon_sa_ops **ops, void **be);

size_t th_event_count(const struct th *t);
const struct kanmon_sa_event *th_event(const struct th *t, size_t i);
void th_events_clear(struct th *t);
/* runs the loop until an event of type (0: any) arrives or ms pass; index or -1 */
long th_wait_event(struct th *t, int type, uint32_t spi, unsigned ms);
/* runs the loop for ms */
void th_run_for(struct th *t, unsigned ms);

/* log_enabled() answers true up to this level (default: debug) */
void th_set_level(struct th *t, int level);
bool th_logged(const struct th *t, const char *needle);
const char *th_log_dump(struct th *t);	/* all lines, newline-separated */
void th_log_clear(struct th *t);

#endif
