/* SPDX-License-Identifier: MIT */
/*
 * sample - the smallest real kanmon plugin, and the template for third-party
 * ones. It answers UDP datagrams "hello NAME" on its port with
 * "<greeting> NAME". Build out of tree:
 *   cc -shared -fPIC $(pkg-config --cflags kanmon) sample.c -o sample.so
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kanmon/kanmon.h>

struct sample {
	const struct kanmon_host *host;
	struct kanmon_net_reg *reg;
	uint16_t port;
	char greeting[64];
};

static const struct kanmon_setting sample_settings[] = {
	{ .name = "port", .type = KANMON_CONF_INT, .def = "7777", .min = 1, .max = 65535,
	  .help = "UDP port answered on every listen address." },
	{ .name = "greeting", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_RELOAD, .def = "hello",
	  .help = "First word of every answer." },
	KANMON_SETTINGS_END,
};

static bool sample_classify(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)flags;
	(void)arg;
	return len >= 6 && !memcmp(buf, "hello ", 6);
}

static void sample_receive(const struct kanmon_pkt *pkt, void *arg)
{
	struct sample *s = arg;
	char reply[512];
	int name_len = (int)(pkt->len - 6 > 256 ? 256 : pkt->len - 6);
	int n = snprintf(reply, sizeof(reply), "%s %.*s", s->greeting, name_len, (const char *)pkt->data + 6);
	s->host->net_send(s->host, s->port, (const struct sockaddr *)&pkt->local,
			  (const struct sockaddr *)&pkt->peer, reply, (size_t)n, 0);
	s->host->log(s->host, KANMON_LOG_DEBUG, "answered %d bytes", n);
}

static void sample_apply(struct sample *s, const struct kanmon_conf *conf)
{
	snprintf(s->greeting, sizeof(s->greeting), "%s", s->host->conf_string(conf, "greeting"));
}

static int sample_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	struct sample *s = calloc(1, sizeof(*s));
	if (!s)
		return -12; /* ENOMEM */
	s->host = host;
	s->port = (uint16_t)host->conf_int(conf, "port");
	sample_apply(s, conf);
	struct kanmon_net_handler h = {
		.size = sizeof(h), .port = s->port,
		.classify = sample_classify, .receive = sample_receive, .arg = s,
	};
	int err = host->net_register(host, &h, &s->reg);
	if (err) {
		free(s);
		return err;
	}
	*state = s;
	return 0;
}

static int sample_reload(void *state, const struct kanmon_conf *conf)
{
	sample_apply(state, conf);
	return 0;
}

static void sample_fini(void *state)
{
	struct sample *s = state;
	s->host->net_unregister(s->reg);
	free(s);
}

KANMON_PLUGIN(.name = "sample", .version = "1.0", .description = "UDP hello responder (example plugin)",
	      .settings = sample_settings, .init = sample_init, .reload = sample_reload,
	      .fini = sample_fini);
