/* SPDX-License-Identifier: MIT */
/*
 * sample - the smallest real kanmon plugin, and the template for third-party
 * ones. UDP on its port: "hello NAME" registers a session for the sender
 * (identity NAME; with `pool` set it also leases NAME an address, sticky
 * across reconnects and restarts) and answers "<greeting> NAME [ADDRESS]";
 * "bye NAME" ends that session. Build out of tree:
 *   cc -shared -fPIC $(pkg-config --cflags kanmon) sample.c -o sample.so
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kanmon/kanmon.h>

struct peer {
	struct peer *next;
	struct sockaddr_storage addr, vip;
	uint64_t id;
	struct kanmon_session_counters c;
	char name[64];
};

struct sample {
	const struct kanmon_host *host;
	struct kanmon_net_reg *reg;
	struct peer *peers;
	uint16_t port;
	char greeting[64], pool[64];
};

static const struct kanmon_setting sample_settings[] = {
	{ .name = "port", .type = KANMON_CONF_INT, .def = "7777", .min = 1, .max = 65535,
	  .help = "UDP port answered on every listen address." },
	{ .name = "greeting", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "hello",
	  .help = "First word of every answer." },
	{ .name = "pool", .type = KANMON_CONF_STRING, .def = "",
	  .help = "Lease each NAME an address from this pool (empty: no addresses)." },
	KANMON_SETTINGS_END,
};


static void peer_end(struct sample *s, struct peer **pp)
{
	struct peer *p = *pp;
	if (s->pool[0] && p->vip.ss_family)
		s->host->pool_release(s->host, s->pool, p->name, (struct sockaddr *)&p->vip);
	s->host->session_remove(s->host, p->id);
	*pp = p->next;
	free(p);
}

static struct peer **peer_find(struct sample *s, const struct sockaddr_storage *a, uint64_t id)
{
	struct peer **pp = &s->peers;
	while (*pp && !(a ? !memcmp(&(*pp)->addr, a, sizeof(*a)) : (*pp)->id == id))
		pp = &(*pp)->next;
	return pp;
}

static int sample_counters(void *arg, uint64_t id, struct kanmon_session_counters *c)
{
	struct peer **pp = peer_find(arg, NULL, id);
	if (*pp)
		*c = (*pp)->c;
	return *pp ? 0 : -2; /* ENOENT */
}

static int sample_kill(void *arg, uint64_t id)
{
	struct peer **pp = peer_find(arg, NULL, id);
	if (*pp)
		peer_end(arg, pp);
	return 0;
}

static const struct kanmon_session_ops sample_ops = { sizeof(sample_ops), sample_counters, sample_kill };

static bool sample_classify(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)flags;
	(void)arg;
	return (len > 6 && !memcmp(buf, "hello ", 6)) || (len > 4 && !memcmp(buf, "bye ", 4));
}

static void sample_receive(const struct kanmon_pkt *pkt, void *arg)
{
	struct sample *s = arg;
	bool bye = pkt->data[0] == 'b';
	struct peer **pp = peer_find(s, &pkt->peer, 0), *p = *pp;
	char reply[256], vip[64] = "";
	if (bye) {
		if (p)
			peer_end(s, pp);
		return;
	}
	if (!p && (p = calloc(1, sizeof(*p)))) {
		size_t n = pkt->len - 6 < sizeof(p->name) - 1 ? pkt->len - 6 : sizeof(p->name) - 1;
		memcpy(p->name, pkt->data + 6, n);
		p->addr = pkt->peer;
		struct kanmon_session si = { .size = sizeof(si), .identity = p->name, .peer = pkt->peer,
					     .state = "hello" };
		if (s->pool[0] && !s->host->pool_acquire(s->host, s->pool, p->name, AF_INET, &p->vip))
			si.vips[si.n_vips++] = p->vip;
		if (s->host->session_add(s->host, &si, &sample_ops, s, &p->id)) {
			free(p);
			return;
		}
		p->next = s->peers;
		s->peers = p;
	}
	if (!p)
		return;
	if (p->vip.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&p->vip)->sin_addr, vip + 1, sizeof(vip) - 1), vip[0] = ' ';
	int n = snprintf(reply, sizeof(reply), "%s %s%s", s->greeting, p->name, vip);
	p->c.packets_in++, p->c.bytes_in += pkt->len;
	if (!s->host->net_send(s->host, s->port, (const struct sockaddr *)&pkt->local,
			       (const struct sockaddr *)&pkt->peer, reply, (size_t)n, 0))
		p->c.packets_out++, p->c.bytes_out += (uint64_t)n;
}

static int sample_reload(void *state, const struct kanmon_conf *conf)
{
	struct sample *s = state;
	snprintf(s->greeting, sizeof(s->greeting), "%s", s->host->conf_string(conf, "greeting"));
	return 0;
}

static int sample_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	struct sample *s = calloc(1, sizeof(*s));
	if (!s)
		return -12; /* ENOMEM */
	s->host = host;
	s->port = (uint16_t)host->conf_int(conf, "port");
	snprintf(s->pool, sizeof(s->pool), "%s", host->conf_string(conf, "pool"));
	sample_reload(s, conf);
	struct kanmon_net_handler h = { .size = sizeof(h), .port = s->port, .classify = sample_classify,
					.receive = sample_receive, .arg = s };
	int err = s->pool[0] && !host->pool_conf(host, s->pool) ? -2 /* ENOENT */ : 0;
	if (err)
		host->log(host, KANMON_LOG_ERR, "pool '%s' is not configured in pools", s->pool);
	if (err || (err = host->net_register(host, &h, &s->reg))) {
		free(s);
		return err;
	}
	*state = s;
	return 0;
}

static void sample_fini(void *state)
{
	struct sample *s = state;
	while (s->peers)
		peer_end(s, &s->peers);
	s->host->net_unregister(s->reg);
	free(s);
}

KANMON_PLUGIN(.name = "sample", .version = "1.1", .description = "UDP hello responder (example plugin)",
	      .settings = sample_settings, .init = sample_init, .reload = sample_reload,
	      .fini = sample_fini);
