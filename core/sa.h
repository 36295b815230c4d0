/* SPDX-License-Identifier: MIT */
/*
 * sa.h - the core's side of the SA backend ABI (kanmon/sa.h): holds the one
 * registered backend and fans its events out to subscribed plugins.
 */
#ifndef KANMON_CORE_SA_H
#define KANMON_CORE_SA_H

#include <stddef.h>

#include <kanmon/sa.h>

struct sa_core;

struct sa_core *sa_core_new(void);
void sa_core_free(struct sa_core *sc);

/* -EEXIST (naming the holder in the log) when another backend registered. */
int sa_core_register(struct sa_core *sc, const void *owner, const char *owner_name,
		     const struct kanmon_sa_ops *ops, void *be);
int sa_core_backend(const struct sa_core *sc, const struct kanmon_sa_ops **ops, void **be);
const char *sa_core_backend_name(const struct sa_core *sc);	/* NULL: none */

int sa_core_subscribe(struct sa_core *sc, const void *owner,
		      void (*cb)(const struct kanmon_sa_event *ev, void *arg), void *arg);
void sa_core_event(struct sa_core *sc, const struct kanmon_sa_event *ev);
/* Drops the owner's subscriptions and, if it was the backend, the backend. */
size_t sa_core_forget(struct sa_core *sc, const void *owner);

#endif
