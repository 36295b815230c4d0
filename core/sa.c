/* SPDX-License-Identifier: MIT */
/* sa.c - backend registry and event fan-out (sa.h). */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "sa.h"

struct sa_sub {
	struct sa_sub *next;
	const void *owner;
	void (*cb)(const struct kanmon_sa_event *, void *);
	void *arg;
};

struct sa_core {
	const struct kanmon_sa_ops *ops;
	void *be;
	const void *owner;
	const char *owner_name;
	struct sa_sub *subs;
};

struct sa_core *sa_core_new(void)
{
	return calloc(1, sizeof(struct sa_core));
}

void sa_core_free(struct sa_core *sc)
{
	if (!sc)
		return;
	while (sc->subs) {
		struct sa_sub *s = sc->subs;
		sc->subs = s->next;
		free(s);
	}
	free(sc);
}

int sa_core_register(struct sa_core *sc, const void *owner, const char *owner_name,
		     const struct kanmon_sa_ops *ops, void *be)
{
	if (!ops || ops->size < offsetof(struct kanmon_sa_ops, reserved) || !ops->add_sa || !ops->del_sa ||
	    !ops->alloc_spi || !ops->query_sa || !ops->add_policy || !ops->del_policy)
		return -EINVAL;
	if (sc->ops) {
		log_err("plugin", "%s: cannot register an SA backend: %s already is the backend (enable only one)",
			owner_name, sc->owner_name);
		return -EEXIST;
	}
	sc->ops = ops;
	sc->be = be;
	sc->owner = owner;
	sc->owner_name = owner_name;
	log_info("plugin", "SA backend: %s", owner_name);
	return 0;
}

int sa_core_backend(const struct sa_core *sc, const struct kanmon_sa_ops **ops, void **be)
{
	if (!sc->ops)
		return -ENOENT;
	*ops = sc->ops;
	*be = sc->be;
	return 0;
}

const char *sa_core_backend_name(const struct sa_core *sc)
{
	return sc->ops ? sc->owner_name : NULL;
}

int sa_core_subscribe(struct sa_core *sc, const void *owner,
		      void (*cb)(const struct kanmon_sa_event *ev, void *arg), void *arg)
{
	struct sa_sub *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->owner = owner;
	s->cb = cb;
	s->arg = arg;
	/* append: subscribers hear events in the order they subscribed */
	struct sa_sub **pp = &sc->subs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	return 0;
}

void sa_core_event(struct sa_core *sc, const struct kanmon_sa_event *ev)
{
	if (!ev || ev->size < sizeof(*ev))
		return;
	for (struct sa_sub *s = sc->subs; s; s = s->next)
		s->cb(ev, s->arg);
}

size_t sa_core_forget(struct sa_core *sc, const void *owner)
{
	size_t n = 0;
	struct sa_sub **pp = &sc->subs;
	while (*pp) {
		if ((*pp)->owner == owner) {
			struct sa_sub *s = *pp;
			*pp = s->next;
			free(s);
			n++;
		} else {
			pp = &(*pp)->next;
		}
	}
	if (sc->owner == owner && sc->ops) {
		sc->ops = NULL;
		sc->be = NULL;
		sc->owner = NULL;
	}
	return n;
}
