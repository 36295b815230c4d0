/* SPDX-License-Identifier: MIT */
/*
 * ku_drive - runs kernel-user on the core's event loop, socket layer and
 * SA registry, without the rest of the daemon, and installs SAs and
 * policies given on the command line: the netns test, the UML
 * wire-compatibility matrix and the benchmark use it as one VPN endpoint.
 *
 *   ku_drive [-v] CONF SPEC...
 *
 * CONF is a kanmond configuration (listen, and a kernel-user group). SPECs:
 *   "sa in|out spi=0x.. src=IP dst=IP mode=tunnel|transport enc=N ekey=HEX
 *       [integ=N ikey=HEX] [encap=SPORT:DPORT] [lts=RANGE] [rts=RANGE] reqid=N
 *       [esn=1] [window=N] [soft_packets=N] [hard_packets=N]"
 *   "policy in|out|fwd src=RANGE dst=RANGE reqid=N mode=tunnel|transport
 *       [proto=N] [sport=A-B] [dport=A-B] [osrc=IP odst=IP]"
 *   "echo PORT"   a UDP echo service on PORT (transport-mode test plugin)
 *   "extra N SRC" N more SA pairs from outer address SRC (one we listen on)
 *                 with VIP policies (benchmark: 1 vs 10,000 SAs)
 *   "udpping PORT DST DPORT MSG"  send MSG from core port PORT every 200 ms
 *                 until an answer arrives (exit 0) or 5 s pass (exit 3)
 * RANGE is IP or IP-IP. Prints "ready" when everything is installed, runs
 * until SIGINT/SIGTERM, then prints the drop counters and exits 0.
 *
 * It links the plugin's own code (kuser_core, ku_plugin.c) and the core
 * library, borrowing the host table of a loaded kernel-user.so record. Its
 * net_send does what the proposed core hook would: offer every datagram to
 * ku_transport_output() first, so transport-mode replies leave encrypted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "event.h"
#include "log.h"
#include "net.h"
#include "plugin.h"
#include "sa.h"
#include "settings.h"

#include "ku.h"

#ifndef KU_PLUGIN_SO
#define KU_PLUGIN_SO "plugins/kernel-user.so"
#endif

extern const struct kanmon_plugin kanmon_plugin;

static struct plugin *rec;
static void *ku_state;
static const struct kanmon_sa_ops *ops;
static void *be;
static int (*core_send)(const struct kanmon_host *, uint16_t, const struct sockaddr *, const struct sockaddr *,
			const void *, size_t, uint16_t);

/* What the proposed host hook does in net_send: the SA backend sees it first. */
static int drive_net_send(const struct kanmon_host *h, uint16_t port, const struct sockaddr *local,
			  const struct sockaddr *peer, const void *buf, size_t len, uint16_t flags)
{
	if (be) {
		int r = ku_transport_output(be, port, local, peer, buf, len, flags);
		if (r)
			return r < 0 ? r : 0;
	}
	return core_send(h, port, local, peer, buf, len, flags);
}

static void echo_receive(const struct kanmon_pkt *pkt, void *arg)
{
	(void)arg;
	char peer[64] = "?";
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&pkt->peer;
	if (pkt->peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, peer, sizeof(peer));
	fprintf(stderr, "echo: %zu bytes from %s port %u%s (spi 0x%08x)\n", pkt->len, peer, pkt->port,
		pkt->esp_spi ? " through ESP" : " in the clear", ntohl(pkt->esp_spi));
	rec->host.net_send(&rec->host, pkt->port, (const struct sockaddr *)&pkt->local,
			   (const struct sockaddr *)&pkt->peer, pkt->data, pkt->len, 0);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss);

/* udpping: a protocol plugin's request through net_send, hence through the hook */
static struct {
	struct ev_loop *loop;
	struct kanmon_timer *timer;
	struct sockaddr_storage dst;
	uint16_t port;
	char msg[256];
	int tries;
	bool answered;
} up;

static void up_receive(const struct kanmon_pkt *pkt, void *arg)
{
	(void)arg;
	printf("udpping: answer \"%.*s\"%s\n", (int)pkt->len, (const char *)pkt->data,
	       pkt->esp_spi ? " through ESP" : " in the clear");
	fflush(stdout);
	up.answered = true;
	ev_stop(up.loop);
}

static void up_send(void *arg)
{
	(void)arg;
	if (++up.tries > 25) {
		ev_stop(up.loop);
		return;
	}
	int err = rec->host.net_send(&rec->host, up.port, NULL, (const struct sockaddr *)&up.dst, up.msg,
				     strlen(up.msg), 0);
	if (err)
		fprintf(stderr, "udpping: send: %s\n", strerror(-err));
	ev_timer_arm(up.timer, 200);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int parse_range(const char *s, struct kanmon_ts *ts)
{
	char a[128], *dash;
	snprintf(a, sizeof(a), "%s", s);
	dash = strchr(a, '-');
	if (dash)
		*dash++ = 0;
	if (parse_addr(a, &ts->from) || parse_addr(dash ? dash : a, &ts->to))
		return -EINVAL;
	ts->to_port = 65535;
	return 0;
}

static void parse_ports(const char *s, uint16_t *from, uint16_t *to)
{
	unsigned a = 0, b = 0;
	if (sscanf(s, "%u-%u", &a, &b) < 2)
		b = a;
	*from = (uint16_t)a;
	*to = (uint16_t)b;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	if (!strncmp(s, "0x", 2))
		s += 2;
	for (; s[0] && s[1] && n < max; s += 2) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static enum kanmon_sa_dir parse_dir(const char *s)
{
	return !strcmp(s, "in") ? KANMON_SA_IN : !strcmp(s, "out") ? KANMON_SA_OUT : KANMON_SA_FWD;
}

static int spec_sa(char **tok, int n)
{
	struct kanmon_sa_id id = { .proto = KANMON_SA_PROTO_ESP };
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL };
	uint8_t ek[64], ik[64];
	p.dir = parse_dir(tok[1]);
	p.enc_key = ek;
	p.integ_key = ik;
	for (int i = 2; i < n; i++) {
		char *v = strchr(tok[i], '=');
		if (!v)
			return -EINVAL;
		*v++ = 0;
		const char *k = tok[i];
		if (!strcmp(k, "spi"))
			id.spi = htonl((uint32_t)strtoul(v, NULL, 0));
		else if (!strcmp(k, "src"))
			parse_addr(v, &id.src);
		else if (!strcmp(k, "dst"))
			parse_addr(v, &id.dst);
		else if (!strcmp(k, "mode"))
			p.mode = !strcmp(v, "transport") ? KANMON_SA_TRANSPORT : KANMON_SA_TUNNEL;
		else if (!strcmp(k, "enc"))
			p.enc_alg = (uint16_t)atoi(v);
		else if (!strcmp(k, "ekey"))
			p.enc_key_len = unhex(v, ek, sizeof(ek));
		else if (!strcmp(k, "integ"))
			p.integ_alg = (uint16_t)atoi(v);
		else if (!strcmp(k, "ikey"))
			p.integ_key_len = unhex(v, ik, sizeof(ik));
		else if (!strcmp(k, "encap"))
			sscanf(v, "%hu:%hu", &p.encap_sport, &p.encap_dport);
		else if (!strcmp(k, "lts"))
			parse_range(v, &p.local_ts);
		else if (!strcmp(k, "rts"))
			parse_range(v, &p.remote_ts);
		else if (!strcmp(k, "reqid"))
			p.reqid = (uint32_t)atoi(v);
		else if (!strcmp(k, "esn"))
			p.esn = atoi(v) != 0;
		else if (!strcmp(k, "window"))
			p.replay_window = (uint32_t)atoi(v);
		else if (!strcmp(k, "soft_packets"))
			p.soft.packets = strtoull(v, NULL, 0);
		else if (!strcmp(k, "hard_packets"))
			p.hard.packets = strtoull(v, NULL, 0);
		else
			return -EINVAL;
	}
	return ops->add_sa(be, &id, &p);
}

static int spec_policy(char **tok, int n)
{
	struct kanmon_policy_id id = { .dir = parse_dir(tok[1]) };
	struct kanmon_policy_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL };
	uint8_t proto = 0;
	uint16_t sp0 = 0, sp1 = 65535, dp0 = 0, dp1 = 65535;
	for (int i = 2; i < n; i++) {
		char *v = strchr(tok[i], '=');
		if (!v)
			return -EINVAL;
		*v++ = 0;
		const char *k = tok[i];
		if (!strcmp(k, "src"))
			parse_range(v, &id.src_ts);
		else if (!strcmp(k, "dst"))
			parse_range(v, &id.dst_ts);
		else if (!strcmp(k, "reqid"))
			p.reqid = (uint32_t)atoi(v);
		else if (!strcmp(k, "mode"))
			p.mode = !strcmp(v, "transport") ? KANMON_SA_TRANSPORT : KANMON_SA_TUNNEL;
		else if (!strcmp(k, "proto"))
			proto = (uint8_t)atoi(v);
		else if (!strcmp(k, "sport"))
			parse_ports(v, &sp0, &sp1);
		else if (!strcmp(k, "dport"))
			parse_ports(v, &dp0, &dp1);
		else if (!strcmp(k, "osrc"))
			parse_addr(v, &p.src);
		else if (!strcmp(k, "odst"))
			parse_addr(v, &p.dst);
		else
			return -EINVAL;
	}
	id.src_ts.proto = id.dst_ts.proto = proto;
	id.src_ts.from_port = sp0, id.src_ts.to_port = sp1;
	id.dst_ts.from_port = dp0, id.dst_ts.to_port = dp1;
	return ops->add_policy(be, &id, &p);
}

/* n SA pairs and VIP policies that no packet uses: the table is what is measured. */
static int spec_extra(unsigned n, const char *src)
{
	static const uint8_t key[36] = "0123456789abcdef0123456789abcdef012";
	for (unsigned i = 0; i < n; i++) {
		struct kanmon_sa_id id = { .proto = KANMON_SA_PROTO_ESP };
		struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL,
					      .enc_alg = KANMON_ENCR_AES_GCM_16, .enc_key = key,
					      .enc_key_len = 36, .reqid = 100000 + i };
		char a[64];
		snprintf(a, sizeof(a), "100.%u.%u.%u", 64 + (i >> 16), (i >> 8) & 255, i & 255);
		if (parse_addr(src, &id.src))
			return -EINVAL;
		parse_addr("192.0.2.201", &id.dst);
		for (int dir = 0; dir < 2; dir++) {
			id.spi = htonl(0x50000000u + i * 2 + (unsigned)dir);
			p.dir = dir ? KANMON_SA_OUT : KANMON_SA_IN;
			p.encap_sport = p.encap_dport = 4500;
			int err = ops->add_sa(be, &id, &p);
			if (err)
				return err;
		}
		struct kanmon_policy_id pid = { .dir = KANMON_SA_OUT };
		struct kanmon_policy_params pp = { .size = sizeof(pp), .mode = KANMON_SA_TUNNEL, .reqid = 100000 + i };
		parse_range("0.0.0.0-255.255.255.255", &pid.src_ts);
		parse_range(a, &pid.dst_ts);
		int err = ops->add_policy(be, &pid, &pp);
		if (err)
			return err;
	}
	return 0;
}

static int run_spec(const char *spec, struct ev_loop *loop, struct net *net, struct kanmon_net_reg **echo)
{
	char buf[2048], *tok[64];
	int n = 0;
	(void)loop;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *s = strtok(buf, " \t"); s && n < 64; s = strtok(NULL, " \t"))
		tok[n++] = s;
	if (!n)
		return 0;
	if (!strcmp(tok[0], "sa") && n > 1)
		return spec_sa(tok, n);
	if (!strcmp(tok[0], "policy") && n > 1)
		return spec_policy(tok, n);
	if (!strcmp(tok[0], "extra") && n > 2)
		return spec_extra((unsigned)atoi(tok[1]), tok[2]);
	if (!strcmp(tok[0], "udpping") && n > 4) {
		struct kanmon_net_handler nh = { .size = sizeof(nh), .port = (uint16_t)atoi(tok[1]),
						 .receive = up_receive };
		up.loop = loop;
		up.port = nh.port;
		if (parse_addr(tok[2], &up.dst))
			return -EINVAL;
		((struct sockaddr_in *)&up.dst)->sin_port = htons((uint16_t)atoi(tok[3]));	/* same offset in sin6 */
		snprintf(up.msg, sizeof(up.msg), "%s", tok[4]);
		if (!(up.timer = ev_timer_new(loop, up_send, NULL, NULL)))
			return -ENOMEM;
		ev_timer_arm(up.timer, 100);
		return net_register(net, &nh, NULL, "udpping", echo);
	}
	if (!strcmp(tok[0], "echo") && n > 1) {
		struct kanmon_net_handler nh = { .size = sizeof(nh), .port = (uint16_t)atoi(tok[1]),
						 .receive = echo_receive };
		return net_register(net, &nh, NULL, "echo", echo);
	}
	return -EINVAL;
}

static void on_signal(int signo, void *arg)
{
	(void)signo;
	ev_stop(arg);
}

int main(int argc, char **argv)
{
	int verbose = 0, rc = 1;
	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++, argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: ku_drive [-v] CONF SPEC...\n");
		return 2;
	}
	log_open(LOG_TARGET_STDERR);
	if (verbose)
		log_set_default_level(KANMON_LOG_DEBUG);
	struct diag d = { 0 };
	struct conf *c = NULL;
	struct ev_loop *loop = NULL;
	struct net *net = NULL;
	struct sa_core *sc = NULL;
	struct kanmon_net_reg *echo = NULL;
	struct plugin_set ps = { 0 };
	struct conf_group_schema g = { .name = "kernel-user", .settings = kanmon_plugin.settings };
	if (conf_parse(argv[1], &c, &d) || conf_validate(c, core_settings, &g, 1, &d))
		goto out;
	const struct kanmon_conf *root = conf_root(c);
	const char *listen[16];
	size_t n_listen = conf_count(root, "listen");
	for (size_t i = 0; i < n_listen && i < 16; i++)
		listen[i] = conf_string_at(root, "listen", i);
	loop = ev_loop_new();
	sc = sa_core_new();
	net = loop ? net_new(loop, listen, n_listen < 16 ? n_listen : 16) : NULL;
	if (!loop || !sc || !net)
		goto out;
	const char *so = getenv("KU_PLUGIN_SO") ? getenv("KU_PLUGIN_SO") : KU_PLUGIN_SO;
	if (plugin_open(so, &rec, &d))
		goto out;
	ps.loop = loop;
	ps.net = net;
	ps.sa = sc;
	rec->set = &ps;
	rec->conf = conf_ref(c);
	core_send = rec->host.net_send;
	rec->host.net_send = drive_net_send;
	int err = kanmon_plugin.init(&rec->host, conf_group_of(c, "kernel-user"), &ku_state);
	if (err) {
		fprintf(stderr, "ku_drive: kernel-user init failed: %s\n", strerror(-err));
		goto out;
	}
	sa_core_backend(sc, &ops, &be);
	((struct ku *)be)->send_hook = true;	/* drive_net_send is the hook */
	for (int i = 2; i < argc; i++) {
		err = run_spec(argv[i], loop, net, &echo);
		if (err) {
			fprintf(stderr, "ku_drive: \"%s\": %s\n", argv[i], strerror(-err));
			goto fini;
		}
	}
	ev_signal(loop, SIGINT, on_signal, loop);
	ev_signal(loop, SIGTERM, on_signal, loop);
	printf("ready\n");
	fflush(stdout);
	ev_run(loop);
	rc = up.timer && !up.answered ? 3 : 0;
	ev_timer_free(up.timer);
fini:
	if (rc == 0 || rc == 3) {
		struct ku_stats st;
		ku_stats_sum(ku_state, &st);
		printf("esp in %llu out %llu, tun in %llu out %llu, mss clamped %llu, drops:",
		       (unsigned long long)st.rx, (unsigned long long)st.tx, (unsigned long long)st.tun_rx,
		       (unsigned long long)st.tun_tx, (unsigned long long)st.mss_clamped);
		for (int i = 1; i < KU_DROP_N; i++)
			printf(" %s=%llu", ku_verdict_name(i), (unsigned long long)st.drops[i]);
		printf("\n");
		fflush(stdout);
	}
	net_unregister(echo);
	be = NULL;
	kanmon_plugin.fini(ku_state);
out:
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	diag_clear(&d);
	if (rec) {
		conf_free(rec->conf);
		rec->conf = NULL;
		plugin_close(rec);
	}
	sa_core_free(sc);
	net_free(net);
	ev_loop_free(loop);
	conf_free(c);
	log_close();
	return rc;
}
