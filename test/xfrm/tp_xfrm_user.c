/* SPDX-License-Identifier: MIT */
/*
 * tp_xfrm_user - a stand-in protocol plugin for the kanmond stop test
 * (test/xfrm/uml/kanmond.sh): requires "sa-backend" and, at init, installs
 * what an IKEv2 plugin would for one road-warrior client behind NAT:
 * an SA pair (AES-GCM, ESP-in-UDP 4500) between 198.51.100.1 (us) and
 * 198.51.100.2, tunnel policies out/in/fwd for 10.1.0.0/24 <-> 10.2.0.0/24
 * with reqid 7. It listens on UDP 4500 (claiming nothing) so the core opens
 * the NAT-T socket the backend switches to ESP-in-UDP.
 * At fini it removes only the outbound SA and the out policy, like a plugin
 * that stops half-way: the backend's own cleanup must remove the rest.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <kanmon/kanmon.h>

struct tpx {
	const struct kanmon_host *host;
	const struct kanmon_sa_ops *ops;
	void *be;
	struct kanmon_net_reg *reg;
	struct kanmon_sa_id in, out;
	struct kanmon_policy_id pol[3];
};

static bool no_claim(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)buf, (void)len, (void)flags, (void)arg;
	return false;
}

static void no_receive(const struct kanmon_pkt *pkt, void *arg)
{
	(void)pkt, (void)arg;
}

static void v4(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s->sin_addr);
}

static void net(struct kanmon_ts *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	v4(&ts->from, from);
	v4(&ts->to, to);
	ts->to_port = 65535;
}

static int install(struct tpx *t)
{
	int err = t->host->sa_backend(t->host, &t->ops, &t->be);
	if (err)
		return err;
	struct kanmon_net_handler nh = { .size = sizeof(nh), .port = 4500, .flags = KANMON_NET_NATT,
					 .classify = no_claim, .receive = no_receive, .arg = t };
	if ((err = t->host->net_register(t->host, &nh, &t->reg)))
		return err;
	v4(&t->in.src, "198.51.100.2");
	v4(&t->in.dst, "198.51.100.1");
	t->in.proto = KANMON_SA_PROTO_ESP;
	if ((err = t->ops->alloc_spi(t->be, &t->in, &t->in.spi)))
		return err;
	t->out = t->in;
	v4(&t->out.src, "198.51.100.1");
	v4(&t->out.dst, "198.51.100.2");
	t->out.spi = htonl(0xc0ffee01);
	static const uint8_t key[36] = { 1, 2, 3, 4 };
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
				      .enc_alg = KANMON_ENCR_AES_GCM_16, .enc_key = key, .enc_key_len = 36,
				      .encap_sport = 4500, .encap_dport = 4500, .reqid = 7 };
	if ((err = t->ops->add_sa(t->be, &t->in, &p)))
		return err;
	p.dir = KANMON_SA_OUT;
	if ((err = t->ops->add_sa(t->be, &t->out, &p)))
		return err;
	struct kanmon_policy_params pp = { .size = sizeof(pp), .mode = KANMON_SA_TUNNEL, .reqid = 7 };
	for (int i = 0; i < 3; i++) {
		struct kanmon_policy_id *id = &t->pol[i];
		id->dir = (enum kanmon_sa_dir)(i + 1);
		bool out = id->dir == KANMON_SA_OUT;
		net(&id->src_ts, out ? "10.1.0.0" : "10.2.0.0", out ? "10.1.0.255" : "10.2.0.255");
		net(&id->dst_ts, out ? "10.2.0.0" : "10.1.0.0", out ? "10.2.0.255" : "10.1.0.255");
		pp.src = out ? t->out.src : t->in.src;
		pp.dst = out ? t->out.dst : t->in.dst;
		if ((err = t->ops->add_policy(t->be, id, &pp)))
			return err;
	}
	t->host->log(t->host, KANMON_LOG_NOTICE, "installed an SA pair and 3 policies for 198.51.100.2");
	return 0;
}

static int tpx_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	(void)conf;
	struct tpx *t = calloc(1, sizeof(*t));
	if (!t)
		return -12;
	t->host = host;
	int err = install(t);
	if (err) {
		host->net_unregister(t->reg);
		free(t);
		return err;
	}
	*state = t;
	return 0;
}

static void tpx_fini(void *state)
{
	struct tpx *t = state;
	t->ops->del_policy(t->be, &t->pol[KANMON_SA_OUT - 1]);
	t->ops->del_sa(t->be, &t->out);
	t->host->net_unregister(t->reg);
	free(t);
}

static const char *const tpx_requires[] = { "sa-backend", NULL };

KANMON_PLUGIN(.name = "tp_xfrm_user", .version = "0", .description = "kernel-xfrm stop test client",
	      .requires = tpx_requires, .init = tpx_init, .fini = tpx_fini);
