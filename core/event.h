/* SPDX-License-Identifier: MIT */
/*
 * event.h - the daemon's event loop. event.c is the only file that includes
 * libevent: everything else uses these functions, so the loop library can be
 * swapped without touching protocol code.
 *
 * Timers and watches carry an `owner` (a plugin record or NULL for the core)
 * so ev_free_owned() can reclaim what a plugin forgot.
 */
#ifndef KANMON_CORE_EVENT_H
#define KANMON_CORE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <kanmon/host.h>

struct ev_loop;

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);	/* frees remaining timers, watches, posts */
int ev_run(struct ev_loop *loop);		/* until ev_stop(); 0 or -errno */
void ev_stop(struct ev_loop *loop);

/* One-shot timers (kanmon_host timer_* have the same semantics). */
struct kanmon_timer *ev_timer_new(struct ev_loop *loop, void (*cb)(void *), void *arg,
				  const void *owner);
void ev_timer_arm(struct kanmon_timer *t, uint64_t msec);
void ev_timer_cancel(struct kanmon_timer *t);
void ev_timer_free(struct kanmon_timer *t);

/* Persistent fd watches; events are KANMON_WATCH_READ / _WRITE. */
struct kanmon_watch *ev_watch_new(struct ev_loop *loop, int fd, unsigned events,
				  void (*cb)(int fd, unsigned events, void *arg), void *arg,
				  const void *owner);
void ev_watch_free(struct kanmon_watch *w);

/* Any thread: queue fn(arg) to run on the loop thread. 0 or -errno. */
int ev_post(struct ev_loop *loop, void (*fn)(void *), void *arg);

/* Persistent signal handler run on the loop (not in signal context). */
int ev_signal(struct ev_loop *loop, int signo, void (*cb)(int signo, void *arg), void *arg);

/* Frees timers and watches created with this owner; returns how many. */
size_t ev_free_owned(struct ev_loop *loop, const void *owner);

#endif
