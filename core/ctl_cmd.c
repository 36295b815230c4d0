/* SPDX-License-Identifier: MIT */
/*
 * ctl_cmd.c - the daemon's control commands, one table entry each
 * (WireGuard style); kanmonctl relays argv here over the control socket.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certstore.h"
#include "ctl.h"
#include "ctl_fmt.h"
#include "daemon.h"
#include "log.h"
#include "session.h"

struct status_ctx {
	struct sbuf *out;
	bool json;
	size_t rows;
	time_t now;
};

static int status_row(const struct session_entry *e, void *arg)
{
	struct status_ctx *s = arg;
	struct kanmon_session_counters c;
	char peer[64], vip[64], age[32];
	session_counters(e, &c);
	addr_str((const struct sockaddr *)&e->peer, peer, sizeof(peer));
	if (s->json) {
		sbuf_printf(s->out, "%s{\"id\":%" PRIu64 ",\"plugin\":", s->rows ? "," : "", e->id);
		sbuf_json_str(s->out, e->plugin);
		sbuf_printf(s->out, ",\"identity\":");
		sbuf_json_str(s->out, e->identity);
		sbuf_printf(s->out, ",\"peer\":\"%s\",\"peer_port\":%u,\"vips\":[", peer,
			    addr_port((const struct sockaddr *)&e->peer));
		for (unsigned i = 0; i < e->n_vips; i++)
			sbuf_printf(s->out, "%s\"%s\"", i ? "," : "",
				    addr_str((const struct sockaddr *)&e->vips[i], vip, sizeof(vip)));
		sbuf_printf(s->out, "],\"state\":");
		sbuf_json_str(s->out, e->state);
		sbuf_printf(s->out, ",\"established\":%lld,\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
				    ",\"packets_in\":%" PRIu64 ",\"packets_out\":%" PRIu64 ",\"algorithms\":",
			    (long long)e->established, c.bytes_in, c.bytes_out, c.packets_in, c.packets_out);
		if (e->algorithms)
			sbuf_json_str(s->out, e->algorithms);
		else
			sbuf_printf(s->out, "null");
		sbuf_printf(s->out, "}");
	} else {
		char endpoint[80];
		snprintf(endpoint, sizeof(endpoint), "%s[%u]", peer, addr_port((const struct sockaddr *)&e->peer));
		if (e->n_vips)
			addr_str((const struct sockaddr *)&e->vips[0], vip, sizeof(vip));
		else
			snprintf(vip, sizeof(vip), "-");
		fmt_age(age, sizeof(age), (long)(s->now - e->established));
		sbuf_printf(s->out, "%-6" PRIu64 " %-8s %-28s %-24s %-16s %-11s %-8s %10" PRIu64 " %10" PRIu64 " %s\n",
			    e->id, e->plugin, e->identity, endpoint, vip, e->state, age, c.bytes_in, c.bytes_out,
			    e->algorithms ? e->algorithms : "-");
	}
	s->rows++;
	return 0;
}

static int cmd_status(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)argc;
	(void)argv;
	struct status_ctx s = { .out = out, .json = json, .now = time(NULL) };
	if (json) {
		sbuf_printf(out, "{\"version\":1,\"daemon\":{\"version\":\"" KANMON_VERSION
				 "\",\"pid\":%d,\"uptime\":%lld},\"sessions\":[",
			    (int)getpid(), (long long)(s.now - dm->started));
	} else {
		sbuf_printf(out, "kanmond " KANMON_VERSION ", pid %d, up %llds, %zu session%s\n", (int)getpid(),
			    (long long)(s.now - dm->started), session_count(dm->sessions),
			    session_count(dm->sessions) == 1 ? "" : "s");
		if (session_count(dm->sessions))
			sbuf_printf(out, "%-6s %-8s %-28s %-24s %-16s %-11s %-8s %10s %10s %s\n", "ID", "PLUGIN",
				    "IDENTITY", "PEER", "VIP", "STATE", "AGE", "BYTES_IN", "BYTES_OUT",
				    "ALGORITHMS");
	}
	session_foreach(dm->sessions, status_row, &s);
	if (json)
		sbuf_printf(out, "]}\n");
	return 0;
}

static int cmd_leases(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)argc;
	(void)argv;
	struct lease_fmt f;
	lease_fmt_begin(&f, out, json);
	pool_foreach(dm->pools, lease_fmt_row, &f);
	lease_fmt_end(&f);
	return 0;
}

static void json_list(struct sbuf *out, const char *const *v)
{
	sbuf_printf(out, "[");
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			sbuf_printf(out, ",");
		sbuf_json_str(out, v[i]);
	}
	sbuf_printf(out, "]");
}

static int cmd_plugins(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)argc;
	(void)argv;
	if (json)
		sbuf_printf(out, "{\"plugins\":[");
	else
		sbuf_printf(out, "%-14s %-8s %s\n", "NAME", "VERSION", "DESCRIPTION");
	for (size_t i = 0; i < dm->plugins.n; i++) {
		const struct plugin *p = dm->plugins.v[i];
		if (json) {
			sbuf_printf(out, "%s{\"name\":", i ? "," : "");
			sbuf_json_str(out, p->desc->name);
			sbuf_printf(out, ",\"version\":");
			sbuf_json_str(out, p->desc->version);
			sbuf_printf(out, ",\"description\":");
			sbuf_json_str(out, p->desc->description);
			sbuf_printf(out, ",\"file\":");
			sbuf_json_str(out, p->path);
			sbuf_printf(out, ",\"abi\":\"%u.%u\",\"provides\":", p->desc->abi_major, p->desc->abi_minor);
			json_list(out, p->desc->provides);
			sbuf_printf(out, ",\"requires\":");
			json_list(out, p->desc->requires);
			sbuf_printf(out, "}");
		} else {
			sbuf_printf(out, "%-14s %-8s %s\n", p->desc->name, p->desc->version ? p->desc->version : "-",
				    p->desc->description ? p->desc->description : "");
		}
	}
	if (json)
		sbuf_printf(out, "]}\n");
	return 0;
}

static int cmd_reload(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)argc;
	(void)argv;
	(void)json;
	struct diag d = { 0 };
	int rc = daemon_reload(dm, &d);
	for (size_t i = 0; i < d.n; i++)
		sbuf_printf(out, "%s\n", d.lines[i]);
	if (rc)
		sbuf_printf(out, "reload refused: the running configuration is kept\n");
	else
		sbuf_printf(out, "configuration reloaded from %s\n", dm->conf_path);
	diag_clear(&d);
	return rc;
}

static int cmd_stop(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)argc;
	(void)argv;
	(void)json;
	log_notice("core", "stop requested over the control socket");
	sbuf_printf(out, "kanmond is stopping\n");
	daemon_stop(dm);
	return 0;
}

static int cmd_kill(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	(void)json;
	char *end;
	if (argc != 2) {
		sbuf_printf(out, "usage: kill ID\n");
		return -EINVAL;
	}
	errno = 0;
	unsigned long long id = strtoull(argv[1], &end, 10);
	if (errno || *end || !id) {
		sbuf_printf(out, "'%s' is not a session id (see kanmonctl status)\n", argv[1]);
		return -EINVAL;
	}
	const struct session_entry *e = session_find(dm->sessions, id);
	if (!e) {
		sbuf_printf(out, "no session %llu\n", id);
		return -ENOENT;
	}
	char identity[256];
	snprintf(identity, sizeof(identity), "%s", e->identity);
	int rc = session_kill(dm->sessions, id);
	if (rc) {
		sbuf_printf(out, "session %llu (%s) could not be killed: %s\n", id, identity, strerror(-rc));
		return rc;
	}
	log_notice("session", "session %llu (%s) killed by the operator", id, identity);
	sbuf_printf(out, "session %llu (%s) killed\n", id, identity);
	return 0;
}

/*
 * certs: what the certificate store holds; certs reload: re-read it now
 * (kanmonctl sends this after every revocation, so it takes effect at once
 * and the sessions of the revoked certificate end).
 */
static int cmd_certs(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out)
{
	size_t killed = 0;
	int rc = 0;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "reload"))) {
		sbuf_printf(out, "usage: certs [reload]\n");
		return -EINVAL;
	}
	if (argc == 2) {
		struct diag d = { 0 };
		rc = daemon_certs_reload(dm, &killed, &d);
		for (size_t i = 0; i < d.n; i++)
			sbuf_printf(out, "%s\n", d.lines[i]);
		diag_clear(&d);
		if (rc) {
			sbuf_printf(out, "certificate store not re-read: the previous one stays\n");
			return rc;
		}
	}
	struct certstore_stats st = { 0 };
	if (dm->certs)
		certstore_stats(dm->certs, &st);
	if (json)
		sbuf_printf(out, "{\"trusted\":%zu,\"servers\":%zu,\"revoked\":%zu,\"crls\":%zu,\"sessions_ended\":%zu}\n",
			    st.trusted, st.servers, st.revoked, st.crls, killed);
	else
		sbuf_printf(out, "certificate store%s: %zu trusted CA%s, %zu server certificate%s, %zu revoked; %zu session%s ended\n",
			    argc == 2 ? " re-read" : "", st.trusted, st.trusted == 1 ? "" : "s", st.servers,
			    st.servers == 1 ? "" : "s", st.revoked, killed, killed == 1 ? "" : "s");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct daemon *dm, int argc, char **argv, bool json, struct sbuf *out);
	const char *help;
} commands[] = {
	{ "status", cmd_status, "live sessions" },
	{ "leases", cmd_leases, "address leases of every pool" },
	{ "plugins", cmd_plugins, "loaded plugins" },
	{ "reload", cmd_reload, "re-read the configuration" },
	{ "stop", cmd_stop, "stop the daemon" },
	{ "kill", cmd_kill, "kill ID: terminate one session" },
	{ "certs", cmd_certs, "certs [reload]: the certificate store; reload re-reads it (revocations)" },
};

int daemon_ctl(void *ctx, int argc, char **argv, struct sbuf *out)
{
	struct daemon *dm = ctx;
	bool json = false;
	int n = 0;
	for (int i = 0; i < argc; i++) {	/* --json anywhere; the rest stays in order */
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			argv[n++] = argv[i];
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (n && !strcmp(commands[i].name, argv[0]))
			return commands[i].fn(dm, n, argv, json, out);
	sbuf_printf(out, "unknown command '%s'; commands:", n ? argv[0] : "");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		sbuf_printf(out, " %s", commands[i].name);
	sbuf_printf(out, "\n");
	return -EINVAL;
}
