/* SPDX-License-Identifier: MIT */
/*
 * ctl_fmt.h - renderings shared by the daemon's control commands and
 * kanmonctl's offline commands: a table for people, JSON for programs.
 * The JSON schema is documented in the README ("Control socket") and only
 * ever grows: fields are added, never renamed or removed.
 */
#ifndef KANMON_CORE_CTL_FMT_H
#define KANMON_CORE_CTL_FMT_H

#include <stdbool.h>
#include <time.h>

#include "pool.h"
#include "sbuf.h"

struct lease_fmt {
	struct sbuf *out;
	bool json;
	size_t rows;
	time_t now;
};

void lease_fmt_begin(struct lease_fmt *f, struct sbuf *out, bool json);
int lease_fmt_row(const struct pool_lease_info *l, void *lease_fmt);	/* foreach callback */
void lease_fmt_end(struct lease_fmt *f);

const char *lease_state_name(enum lease_state s);
/* "3d04h", "12m05s" */
void fmt_age(char *buf, size_t len, long seconds);

#endif
