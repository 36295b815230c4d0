/* SPDX-License-Identifier: MIT */
/*
 * ikev2_session.c - what an authenticated IKE SA means to the operator:
 * virtual IPs leased from the core pool by identity (sticky across
 * reconnects and restarts), the CFG_REPLY that hands them out with DNS and
 * split-DNS domains, and the session in the core's registry, listed by
 * `kanmonctl status`, ended by `kanmonctl kill` and by a revocation of the
 * client's certificate.
 *
 * Every path that ends an authenticated SA goes through
 * ikev2_session_end(): CHILD SA out of the backend, session removed, leases
 * marked offline (kept reserved for the identity for lease_time).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "ikev2.h"
#include "ikev2_cp.h"

static void dns_from_pool(struct ikev2 *ctx, struct ikev2_cp_reply *r, bool v4, bool v6)
{
	const struct kanmon_host *h = ctx->host;
	const struct kanmon_conf *pc = h->pool_conf(h, ctx->pool);
	size_t n = pc ? h->conf_count(pc, "dns") : 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = h->conf_string_at(pc, "dns", i);
		if (!s)
			continue;
		if (v4 && r->n_dns4 < IKEV2_CP_MAX_DNS && inet_pton(AF_INET, s, &r->dns4[r->n_dns4]) == 1)
			r->n_dns4++;
		else if (v6 && r->n_dns6 < IKEV2_CP_MAX_DNS && inet_pton(AF_INET6, s, &r->dns6[r->n_dns6]) == 1)
			r->n_dns6++;
	}
}

/* split_include as INTERNAL_IP4/6_SUBNET, unless it is everything (full tunnel) */
static void subnets(const struct ikev2 *ctx, struct ikev2_cp_reply *r, bool v4, bool v6)
{
	for (size_t i = 0; i < ctx->split.n; i++) {
		const struct kanmon_ts *ts = &ctx->split.ts[i];
		int plen = ikev2_ts_prefix_len(ts);
		if (plen <= 0 || ts->proto)
			continue;
		if (ts->from.ss_family == AF_INET && v4 && r->n_subnet4 < IKEV2_CP_MAX_SUBNETS) {
			r->subnet4[r->n_subnet4].addr = ((const struct sockaddr_in *)&ts->from)->sin_addr;
			r->subnet4[r->n_subnet4++].plen = (uint8_t)plen;
		} else if (ts->from.ss_family == AF_INET6 && v6 && r->n_subnet6 < IKEV2_CP_MAX_SUBNETS) {
			r->subnet6[r->n_subnet6].addr = ((const struct sockaddr_in6 *)&ts->from)->sin6_addr;
			r->subnet6[r->n_subnet6++].plen = (uint8_t)plen;
		}
	}
}

int ikev2_session_addresses(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_cp_request *cpr,
			    struct ikev2_cp_reply *r)
{
	const struct kanmon_host *h = ctx->host;
	int err = 0;
	memset(r, 0, sizeof(*r));
	if (!ctx->pool[0] || !h->pool_acquire)
		return -ENOENT;
	if (cpr->ip4) {
		if ((err = h->pool_acquire(h, ctx->pool, sa->lease_id, AF_INET, &sa->vip4)))
			return err;
		sa->has_vip4 = true;
		r->has_ip4 = true;
		r->ip4 = ((struct sockaddr_in *)&sa->vip4)->sin_addr;
		if (cpr->netmask4) {
			/* one /32 per client: everything else goes through the tunnel */
			r->has_netmask4 = true;
			r->netmask4.s_addr = 0xffffffffu;
		}
	}
	if (cpr->ip6) {
		err = h->pool_acquire(h, ctx->pool, sa->lease_id, AF_INET6, &sa->vip6);
		if (!err) {
			sa->has_vip6 = true;
			r->has_ip6 = true;
			r->ip6 = ((struct sockaddr_in6 *)&sa->vip6)->sin6_addr;
			r->ip6_plen = 128;
		} else if (err != -EAFNOSUPPORT || !sa->has_vip4) {
			return err;	/* a pool without IPv6 is fine when IPv4 was given */
		}
		err = 0;
	}
	if (!sa->has_vip4 && !sa->has_vip6)
		return -EAFNOSUPPORT;
	/* DNS of the families the client has an address of (and asked for) */
	dns_from_pool(ctx, r, sa->has_vip4 && cpr->dns4, sa->has_vip6 && cpr->dns6);
	subnets(ctx, r, sa->has_vip4, sa->has_vip6);
	for (size_t i = 0; i < ctx->n_domains && i < IKEV2_CP_MAX_DOMAINS; i++)
		r->domains[r->n_domains++] = ctx->domains[i];
	return err;
}

static int session_counters(void *arg, uint64_t id, struct kanmon_session_counters *c)
{
	/* arg is the IKE SA: its session is removed before it is freed */
	struct ikev2_sa *sa = arg;
	struct ikev2 *ctx = sa->ctx;
	memset(c, 0, sizeof(*c));
	if (sa->session_id != id)
		return -ENOENT;
	if (!sa->child || !ctx->sa_ops)
		return 0;
	struct kanmon_sa_id sid;
	struct kanmon_sa_stats st;
	/* inbound: from the client */
	ikev2_child_sa_id(sa->child, true, &sid);
	if (!ctx->sa_ops->query_sa(ctx->sa_be, &sid, &st))
		c->bytes_in = st.bytes, c->packets_in = st.packets;
	ikev2_child_sa_id(sa->child, false, &sid);
	if (!ctx->sa_ops->query_sa(ctx->sa_be, &sid, &st))
		c->bytes_out = st.bytes, c->packets_out = st.packets;
	return 0;
}

/*
 * The operator (`kanmonctl kill`) or a revocation ends the session: its
 * traffic stops at once and the client is told with a DELETE.
 */
static int session_kill(void *arg, uint64_t id)
{
	struct ikev2_sa *sa = arg;
	struct ikev2 *ctx = sa->ctx;
	if (sa->session_id != id)
		return -ENOENT;
	ikev2_delete_ike(ctx, sa, "ended by the operator or a revocation");
	return 0;
}

void ikev2_session_register(struct ikev2 *ctx, struct ikev2_sa *sa, const struct kanmon_cert_result *cert)
{
	const struct kanmon_host *h = ctx->host;
	if (!h->session_add)
		return;
	static const struct kanmon_session_ops ops = { .size = sizeof(ops), .counters = session_counters,
						       .kill = session_kill };
	char algs[200], ike[96], esp[96] = "";
	ikev2_suite_name(&sa->suite, ike, sizeof(ike));
	if (sa->child)
		ikev2_suite_name(&sa->child->suite, esp, sizeof(esp));
	snprintf(algs, sizeof(algs), "%s%s%s", ike, esp[0] ? ", ESP " : "", esp);
	struct kanmon_session s = { .size = sizeof(s), .identity = sa->identity, .peer = sa->peer,
				    .state = "established", .algorithms = algs, .established = time(NULL) };
	if (sa->has_vip4)
		s.vips[s.n_vips++] = sa->vip4;
	if (sa->has_vip6)
		s.vips[s.n_vips++] = sa->vip6;
	if (h->session_add(h, &s, &ops, sa, &sa->session_id)) {
		sa->session_id = 0;
		return;
	}
	if (cert && h->size > offsetof(struct kanmon_host, session_cert) && h->session_cert)
		h->session_cert(h, sa->session_id, cert);
}

void ikev2_session_end(struct ikev2 *ctx, struct ikev2_sa *sa, const char *why)
{
	const struct kanmon_host *h = ctx->host;
	if (!sa->identity)
		return;
	bool was_up = sa->session_id || sa->child;
	ikev2_child_delete(ctx, sa);
	if (sa->session_id) {
		h->session_remove(h, sa->session_id);
		sa->session_id = 0;
	}
	if (sa->has_vip4)
		h->pool_release(h, ctx->pool, sa->lease_id, (struct sockaddr *)&sa->vip4);
	if (sa->has_vip6)
		h->pool_release(h, ctx->pool, sa->lease_id, (struct sockaddr *)&sa->vip6);
	sa->has_vip4 = sa->has_vip6 = false;
	if (was_up && why)
		h->log(h, KANMON_LOG_INFO, "client %s (%s): session ended after %llu s: %s", sa->peer_str, sa->identity,
		       (unsigned long long)((ctx->now_ms() - sa->established_ms) / 1000), why);
	ikev2_sa_id_unlink(ctx, sa);
	free(sa->identity);
	free(sa->lease_id);
	sa->identity = sa->lease_id = NULL;
}
