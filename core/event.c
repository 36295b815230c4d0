/* SPDX-License-Identifier: MIT */
/* event.c - libevent behind a small interface (see event.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "event.h"
#include "list.h"

struct kanmon_timer {
	struct list_node node;		/* loop->objects */
	struct ev_loop *loop;
	struct event *ev;
	void (*cb)(void *);
	void *arg;
	const void *owner;
};

struct kanmon_watch {
	struct list_node node;		/* loop->objects */
	struct ev_loop *loop;
	struct event *ev;
	void (*cb)(int, unsigned, void *);
	void *arg;
	const void *owner;
};

struct ev_post_item {
	struct ev_post_item *next;
	void (*fn)(void *);
	void *arg;
};

struct ev_sig {
	struct ev_sig *next;
	struct event *ev;
	void (*cb)(int, void *);
	void *arg;
};

struct ev_loop {
	struct event_base *base;
	struct list_node timers;	/* struct kanmon_timer */
	struct list_node watches;	/* struct kanmon_watch */
	struct ev_sig *signals;
	int post_fd;			/* eventfd: wakes the loop for posts */
	struct event *post_ev;
	pthread_mutex_t post_lock;
	struct ev_post_item *post_head, **post_tail;
};

static void ev_post_drain(evutil_socket_t fd, short what, void *arg)
{
	struct ev_loop *loop = arg;
	uint64_t n;
	(void)what;
	/* read first: a post racing with us re-signals the eventfd */
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&loop->post_lock);
	struct ev_post_item *items = loop->post_head;
	loop->post_head = NULL;
	loop->post_tail = &loop->post_head;
	pthread_mutex_unlock(&loop->post_lock);
	while (items) {
		struct ev_post_item *next = items->next;
		items->fn(items->arg);
		free(items);
		items = next;
	}
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	list_init(&loop->timers);
	list_init(&loop->watches);
	pthread_mutex_init(&loop->post_lock, NULL);
	loop->post_tail = &loop->post_head;
	loop->post_fd = -1;
	struct event_config *cfg = event_config_new();
	if (!cfg)
		goto fail;
	/* we never use libevent from other threads: no locking needed inside */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	loop->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (!loop->base)
		goto fail;
	loop->post_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->post_fd < 0)
		goto fail;
	loop->post_ev = event_new(loop->base, loop->post_fd, EV_READ | EV_PERSIST, ev_post_drain, loop);
	if (!loop->post_ev || event_add(loop->post_ev, NULL) < 0)
		goto fail;
	return loop;
fail:
	ev_loop_free(loop);
	return NULL;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	ev_free_owned(loop, NULL);
	/* objects with other owners that were never reclaimed */
	while (!list_empty(&loop->timers))
		ev_timer_free(list_entry(loop->timers.next, struct kanmon_timer, node));
	while (!list_empty(&loop->watches))
		ev_watch_free(list_entry(loop->watches.next, struct kanmon_watch, node));
	while (loop->signals) {
		struct ev_sig *s = loop->signals;
		loop->signals = s->next;
		event_free(s->ev);
		free(s);
	}
	struct ev_post_item *p = loop->post_head;
	while (p) {
		struct ev_post_item *next = p->next;
		free(p);
		p = next;
	}
	if (loop->post_ev)
		event_free(loop->post_ev);
	if (loop->post_fd >= 0)
		close(loop->post_fd);
	if (loop->base)
		event_base_free(loop->base);
	pthread_mutex_destroy(&loop->post_lock);
	free(loop);
}

int ev_run(struct ev_loop *loop)
{
	return event_base_dispatch(loop->base) < 0 ? -EIO : 0;
}

void ev_stop(struct ev_loop *loop)
{
	event_base_loopbreak(loop->base);
}

static void ev_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct kanmon_timer *t = arg;
	(void)fd;
	(void)what;
	t->cb(t->arg);
}

struct kanmon_timer *ev_timer_new(struct ev_loop *loop, void (*cb)(void *), void *arg,
				  const void *owner)
{
	struct kanmon_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ev = evtimer_new(loop->base, ev_timer_fire, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->owner = owner;
	list_add(&loop->timers, &t->node);
	return t;
}

void ev_timer_arm(struct kanmon_timer *t, uint64_t msec)
{
	struct timeval tv = { .tv_sec = (time_t)(msec / 1000), .tv_usec = (suseconds_t)(msec % 1000) * 1000 };
	evtimer_add(t->ev, &tv);
}

void ev_timer_cancel(struct kanmon_timer *t)
{
	evtimer_del(t->ev);
}

void ev_timer_free(struct kanmon_timer *t)
{
	if (!t)
		return;
	event_free(t->ev);
	list_del(&t->node);
	free(t);
}

static void ev_watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct kanmon_watch *w = arg;
	unsigned events = 0;
	if (what & EV_READ)
		events |= KANMON_WATCH_READ;
	if (what & EV_WRITE)
		events |= KANMON_WATCH_WRITE;
	w->cb(fd, events, w->arg);
}

struct kanmon_watch *ev_watch_new(struct ev_loop *loop, int fd, unsigned events,
				  void (*cb)(int, unsigned, void *), void *arg, const void *owner)
{
	short what = EV_PERSIST;
	if (events & KANMON_WATCH_READ)
		what |= EV_READ;
	if (events & KANMON_WATCH_WRITE)
		what |= EV_WRITE;
	struct kanmon_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ev = event_new(loop->base, fd, what, ev_watch_fire, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	w->loop = loop;
	w->cb = cb;
	w->arg = arg;
	w->owner = owner;
	list_add(&loop->watches, &w->node);
	return w;
}

void ev_watch_free(struct kanmon_watch *w)
{
	if (!w)
		return;
	event_free(w->ev);
	list_del(&w->node);
	free(w);
}

int ev_post(struct ev_loop *loop, void (*fn)(void *), void *arg)
{
	struct ev_post_item *item = malloc(sizeof(*item));
	if (!item)
		return -ENOMEM;
	item->next = NULL;
	item->fn = fn;
	item->arg = arg;
	pthread_mutex_lock(&loop->post_lock);
	*loop->post_tail = item;
	loop->post_tail = &item->next;
	pthread_mutex_unlock(&loop->post_lock);
	uint64_t one = 1;
	/* EAGAIN means the counter is already non-zero: the loop will wake */
	if (write(loop->post_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static void ev_signal_fire(evutil_socket_t signo, short what, void *arg)
{
	struct ev_sig *s = arg;
	(void)what;
	s->cb((int)signo, s->arg);
}

int ev_signal(struct ev_loop *loop, int signo, void (*cb)(int, void *), void *arg)
{
	struct ev_sig *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cb = cb;
	s->arg = arg;
	s->ev = evsignal_new(loop->base, signo, ev_signal_fire, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		if (s->ev)
			event_free(s->ev);
		free(s);
		return -EINVAL;
	}
	s->next = loop->signals;
	loop->signals = s;
	return 0;
}

size_t ev_free_owned(struct ev_loop *loop, const void *owner)
{
	size_t n = 0;
	struct list_node *it, *next;
	for (it = loop->timers.next; it != &loop->timers; it = next) {
		next = it->next;
		struct kanmon_timer *t = list_entry(it, struct kanmon_timer, node);
		if (t->owner == owner) {
			ev_timer_free(t);
			n++;
		}
	}
	for (it = loop->watches.next; it != &loop->watches; it = next) {
		next = it->next;
		struct kanmon_watch *w = list_entry(it, struct kanmon_watch, node);
		if (w->owner == owner) {
			ev_watch_free(w);
			n++;
		}
	}
	return n;
}
