/* SPDX-License-Identifier: MIT */
/*
 * fake_sa.h - an SA backend that installs nothing and records every call,
 * so protocol tests assert exactly which SAs and policies were installed and
 * removed. Linked into unit tests directly, and loadable as the plugin
 * "fake-sa" (fake_sa_plugin.c) which also logs each call.
 *
 * Calls are recorded as one line each, e.g.
 *   "add_sa dir=in mode=tunnel spi=0x0000c001 reqid=7 enc=20/36 integ=0/0 encap=4500-4500 mark=0/0"
 *   "del_policy dir=out"
 * It keeps a table of SAs so query/delete behave like a kernel's: -ESRCH
 * for an unknown SA, -EEXIST for a duplicate add.
 */
#ifndef KANMON_TEST_FAKE_SA_H
#define KANMON_TEST_FAKE_SA_H

#include <stddef.h>

#include <kanmon/sa.h>

struct fake_sa;

struct fake_sa *fake_sa_new(void);
void fake_sa_free(struct fake_sa *f);
const struct kanmon_sa_ops *fake_sa_ops(void);

size_t fake_sa_count(const struct fake_sa *f);
const char *fake_sa_call(const struct fake_sa *f, size_t i);
size_t fake_sa_installed(const struct fake_sa *f);	/* SAs currently present */
size_t fake_sa_policies(const struct fake_sa *f);	/* policies currently present */
/* The next call of `op` ("add_sa", ...) fails with err (negative errno). */
void fake_sa_fail_next(struct fake_sa *f, const char *op, int err);
/* Account traffic to an installed SA (query_sa reports it). */
int fake_sa_traffic(struct fake_sa *f, uint32_t spi, uint64_t bytes, uint64_t packets);
/* Optional: called with each recorded line (the plugin logs through it). */
void fake_sa_set_observer(struct fake_sa *f, void (*cb)(const char *line, void *arg), void *arg);

#endif
