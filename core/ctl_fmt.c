/* SPDX-License-Identifier: MIT */
/* ctl_fmt.c - lease tables and JSON (ctl_fmt.h). */
#include <stdio.h>

#include "ctl_fmt.h"

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_ONLINE: return "online";
	case LEASE_OFFLINE: return "offline";
	default: return "free";
	}
}

void fmt_age(char *buf, size_t len, long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, len, "%ldd%02ldh", s / 86400, (s % 86400) / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
}

void lease_fmt_begin(struct lease_fmt *f, struct sbuf *out, bool json)
{
	f->out = out;
	f->json = json;
	f->rows = 0;
	f->now = time(NULL);
	if (json)
		sbuf_printf(out, "{\"leases\":[");
	else
		sbuf_printf(out, "%-16s %-39s %-8s %-7s %-9s %s\n", "POOL", "ADDRESS", "STATE", "STATIC",
			    "SINCE", "IDENTITY");
}

int lease_fmt_row(const struct pool_lease_info *l, void *arg)
{
	struct lease_fmt *f = arg;
	char addr[64], age[32];
	addr_str((const struct sockaddr *)&l->addr, addr, sizeof(addr));
	if (f->json) {
		sbuf_printf(f->out, "%s{\"pool\":", f->rows ? "," : "");
		sbuf_json_str(f->out, l->pool);
		sbuf_printf(f->out, ",\"address\":\"%s\",\"state\":\"%s\",\"static\":%s,\"since\":%lld,\"identity\":",
			    addr, lease_state_name(l->state), l->is_static ? "true" : "false",
			    (long long)l->since);
		sbuf_json_str(f->out, l->identity);
		sbuf_printf(f->out, "}");
	} else {
		fmt_age(age, sizeof(age), (long)(f->now - l->since));
		sbuf_printf(f->out, "%-16s %-39s %-8s %-7s %-9s %s\n", l->pool, addr,
			    lease_state_name(l->state), l->is_static ? "yes" : "no", age, l->identity);
	}
	f->rows++;
	return 0;
}

void lease_fmt_end(struct lease_fmt *f)
{
	if (f->json)
		sbuf_printf(f->out, "]}\n");
	else if (!f->rows)
		sbuf_printf(f->out, "(no leases)\n");
}
