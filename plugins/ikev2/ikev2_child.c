/* SPDX-License-Identifier: MIT */
/*
 * ikev2_child.c - the CHILD SA negotiated inside IKE_AUTH (RFC 7296 1.3,
 * 2.9, 2.17), installed through whichever SA backend is loaded
 * (kernel-xfrm, kernel-user: include/kanmon/sa.h).
 *
 * Tunnel mode only (remote access): a USE_TRANSPORT_MODE request is answered
 * without the notify, which per RFC 7296 1.3.1 means tunnel mode.
 * Selectors: the client's side (TSi) is narrowed to its virtual IPs, ours
 * (TSr) to split_include. Policies: one out/in/fwd triple per pair of
 * narrowed selectors, so traffic to a client's virtual IP is routed into
 * the tunnel (kernel-user adds the route for each out policy).
 * Several clients behind one NAT stay apart: each has its own SPIs, its own
 * virtual IP (and so its own policies) and its own UDP encapsulation port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ikev2.h"

#define CHILD_KEYMAT_MAX (2 * (IKE_MAX_ENCR_KEY + IKE_MAX_INTEG_KEY))

void ikev2_child_sa_id(const struct ikev2_child *c, bool in, struct kanmon_sa_id *id)
{
	memset(id, 0, sizeof(*id));
	id->proto = KANMON_SA_PROTO_ESP;
	id->src = in ? c->peer : c->local;
	id->dst = in ? c->local : c->peer;
	((struct sockaddr_in *)&id->src)->sin_port = 0;	/* sin6_port is at the same offset */
	((struct sockaddr_in *)&id->dst)->sin_port = 0;
	id->spi = in ? c->spi_in : c->spi_out;
}

static void uninstall(struct ikev2 *ctx, struct ikev2_child *c)
{
	const struct kanmon_sa_ops *ops = ctx->sa_ops;
	struct kanmon_sa_id id;
	if (!ops || !c)
		return;
	if (c->out_installed) {
		ikev2_child_sa_id(c, false, &id);
		ops->del_sa(ctx->sa_be, &id);
		c->out_installed = false;
	}
	if (c->in_installed) {
		ikev2_child_sa_id(c, true, &id);
		ops->del_sa(ctx->sa_be, &id);
		c->in_installed = false;
	}
}

void ikev2_policies_delete(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	while (ctx->sa_ops && sa->n_pol)
		ctx->sa_ops->del_policy(ctx->sa_be, &sa->pol[--sa->n_pol]);
	free(sa->pol);
	sa->pol = NULL;
	sa->n_pol = 0;
}

static void child_free(struct ikev2_child *c)
{
	if (!c)
		return;
	free(c->tsi);
	free(c->tsr);
	gnutls_memset(c, 0, sizeof(*c));
	free(c);
}

void ikev2_child_free(struct ikev2 *ctx, struct ikev2_child *c)
{
	uninstall(ctx, c);
	child_free(c);
}

void ikev2_child_delete(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	ikev2_rekey_free(ctx, sa);	/* first: it may hold a CHILD SA of its own */
	ikev2_child_free(ctx, sa->child_old);
	sa->child_old = NULL;
	ikev2_child_free(ctx, sa->child);
	sa->child = NULL;
	ikev2_policies_delete(ctx, sa);
}

size_t ikev2_child_describe(const struct ikev2_child *c, char *buf, size_t len)
{
	char suite[96];
	ikev2_suite_name(&c->suite, suite, sizeof(suite));
	int n = snprintf(buf, len, "ESP %s, SPIs in 0x%08x out 0x%08x%s", suite, ntohl(c->spi_in), ntohl(c->spi_out),
			 c->encap_port ? ", UDP-encapsulated" : "");
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): encr_i | integ_i | encr_r | integ_r (RFC 7296 2.17) */
static int child_keys(const struct ikev2_sa *sa, const struct ikev2_suite *s, const struct ikev2_child_nonces *n,
		      uint8_t *km, size_t *e_len, size_t *a_len)
{
	uint8_t seed[IKEV2_MAX_GIR + 2 * 256];
	*e_len = ike_encr_key_len(s->encr, s->encr_bits);
	*a_len = s->integ ? ike_integ_key_len(s->integ) : 0;
	if (!*e_len || (s->integ && !*a_len) || 2 * (*e_len + *a_len) > CHILD_KEYMAT_MAX ||
	    n->gir_len > IKEV2_MAX_GIR || n->ni_len > 256 || n->nr_len > 256)
		return -ENOTSUP;
	size_t l = 0;
	if (n->gir_len)
		memcpy(seed, n->gir, n->gir_len), l += n->gir_len;
	memcpy(seed + l, n->ni, n->ni_len), l += n->ni_len;
	memcpy(seed + l, n->nr, n->nr_len), l += n->nr_len;
	int err = prf_plus(sa->keys.prf, sa->keys.sk_d, sa->keys.prf_len, seed, l, km, 2 * (*e_len + *a_len));
	gnutls_memset(seed, 0, sizeof(seed));
	return err;
}

/* the allowed client side: its virtual IPs */
static void allowed_tsi(const struct ikev2_sa *sa, struct ikev2_ts_set *out)
{
	out->n = 0;
	if (sa->has_vip4)
		ikev2_ts_host(&out->ts[out->n++], &sa->vip4);
	if (sa->has_vip6)
		ikev2_ts_host(&out->ts[out->n++], &sa->vip6);
}

static int add_policy(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_child *c, enum kanmon_sa_dir dir,
		      const struct kanmon_ts *src, const struct kanmon_ts *dst)
{
	struct kanmon_policy_id id = { .dir = dir, .src_ts = *src, .dst_ts = *dst };
	struct kanmon_policy_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .reqid = c->reqid };
	/* the template: outer addresses of the tunnel in that direction */
	p.src = dir == KANMON_SA_OUT ? c->local : c->peer;
	p.dst = dir == KANMON_SA_OUT ? c->peer : c->local;
	((struct sockaddr_in *)&p.src)->sin_port = 0;
	((struct sockaddr_in *)&p.dst)->sin_port = 0;
	int err = ctx->sa_ops->add_policy(ctx->sa_be, &id, &p);
	if (!err)
		sa->pol[sa->n_pol++] = id;
	return err;
}

/*
 * KEYMAT holds the keys of the exchange's initiator first (RFC 7296 2.17):
 * the client's in IKE_AUTH and its CREATE_CHILD_SA, ours when we rekey.
 */
static int install(struct ikev2 *ctx, struct ikev2_sa *sa, struct ikev2_child *c, const uint8_t *km, size_t e_len,
		   size_t a_len, bool we_initiated)
{
	const uint8_t *first = km, *second = km + e_len + a_len;
	const uint8_t *k_in = we_initiated ? second : first, *k_out = we_initiated ? first : second;
	const struct kanmon_sa_ops *ops = ctx->sa_ops;
	struct kanmon_sa_id id;
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .enc_alg = c->suite.encr,
				      .integ_alg = c->suite.integ, .enc_key_len = e_len, .integ_key_len = a_len,
				      .esn = c->suite.esn != 0, .reqid = c->reqid };
	int err;
	/* lifetimes: our rekey a little early, at random, so clients do not all rekey at once */
	p.hard = ctx->child_hard;
	if (ctx->child_soft.seconds) {
		uint32_t r = 0;
		gnutls_rnd(GNUTLS_RND_NONCE, &r, sizeof(r));
		p.soft.seconds = ctx->child_soft.seconds - (ctx->child_jitter ? r % (ctx->child_jitter + 1) : 0);
	}
	ikev2_child_sa_id(c, true, &id);
	p.dir = KANMON_SA_IN;
	p.enc_key = k_in;
	p.integ_key = a_len ? k_in + e_len : NULL;
	/* The SA's own selectors only when they are one pair (what the inbound
	 * check of kernel-user enforces); several (dual stack: a v4 and a v6
	 * virtual IP on one SA) are left to the in/fwd policies, as strongSwan
	 * leaves tunnel-mode XFRM selectors empty. */
	if (c->tsi->n == 1 && c->tsr->n == 1) {
		p.local_ts = c->tsr->ts[0];
		p.remote_ts = c->tsi->ts[0];
	}
	if (c->encap_port) {
		p.encap_sport = c->encap_port;
		p.encap_dport = ctx->natt_port;
	}
	if ((err = ops->add_sa(ctx->sa_be, &id, &p)))
		return err;
	c->in_installed = true;
	ikev2_child_sa_id(c, false, &id);
	p.dir = KANMON_SA_OUT;
	p.enc_key = k_out;
	p.integ_key = a_len ? k_out + e_len : NULL;
	if (c->encap_port) {
		p.encap_sport = ctx->natt_port;
		p.encap_dport = c->encap_port;
	}
	if ((err = ops->add_sa(ctx->sa_be, &id, &p)))
		return err;
	c->out_installed = true;
	if (sa->pol)
		return 0;	/* a rekeyed CHILD SA: the policies (same reqid) stay */
	sa->pol = calloc(c->tsi->n * c->tsr->n * 3, sizeof(*sa->pol));
	if (!sa->pol)
		return -ENOMEM;
	for (size_t i = 0; i < c->tsi->n; i++)
		for (size_t r = 0; r < c->tsr->n; r++)
			/* dual stack: an IPv4 VIP goes with IPv4 networks only (XFRM refuses mixed families) */
			if (c->tsi->ts[i].from.ss_family != c->tsr->ts[r].from.ss_family)
				continue;
			else if ((err = add_policy(ctx, sa, c, KANMON_SA_OUT, &c->tsr->ts[r], &c->tsi->ts[i])) ||
			    (err = add_policy(ctx, sa, c, KANMON_SA_IN, &c->tsi->ts[i], &c->tsr->ts[r])) ||
			    (err = add_policy(ctx, sa, c, KANMON_SA_FWD, &c->tsi->ts[i], &c->tsr->ts[r])))
				return err;
	return 0;
}

int ikev2_child_create(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_chain *req,
		       const struct ikev2_child_nonces *nonces, struct ikev2_gen *g, uint16_t *notify, const char **why,
		       struct ikev2_child **out)
{
	const struct ikev2_payload *sap = ikev2_chain_find(req, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *tsip = ikev2_chain_find(req, IKEV2_PL_TSI, NULL);
	const struct ikev2_payload *tsrp = ikev2_chain_find(req, IKEV2_PL_TSR, NULL);
	struct ikev2_ts_set offered_i, offered_r, allowed_i, narrowed_i, narrowed_r;
	struct ikev2_child *c = NULL;
	uint8_t km[CHILD_KEYMAT_MAX];
	size_t e_len = 0, a_len = 0;
	int err;

	*notify = IKEV2_N_NO_PROPOSAL_CHOSEN;
	if (!sap || !tsip || !tsrp) {
		*why = "IKE_AUTH without SA, TSi or TSr: no CHILD SA requested";
		*notify = IKEV2_N_INVALID_SYNTAX;
		return -EINVAL;
	}
	if (!ctx->sa_ops) {
		*why = "no SA backend is loaded (plugins: kernel-xfrm or kernel-user)";
		return -ENOSYS;
	}
	if (ikev2_offer_parse(sap->body, sap->len, &ctx->offer)) {
		*why = "malformed CHILD SA proposals";
		*notify = IKEV2_N_INVALID_SYNTAX;
		return -EBADMSG;
	}
	/* IKE_AUTH has no KE: DH transforms there mean nothing (RFC 7296 1.2);
	 * in CREATE_CHILD_SA the caller did the KE and passes g^ir */
	for (size_t i = 0; i < ctx->offer.n; i++)
		ctx->offer.p[i].dh_ignored = !nonces->dh_group;
	if (!(c = calloc(1, sizeof(*c))))
		return -ENOMEM;
	c->created_ms = ctx->now_ms();
	if (ikev2_select(ctx->esp_conf, ctx->n_esp, ctx->n_esp, &ctx->offer, IKEV2_PROTO_ESP, &c->suite)) {
		static char buf[400];
		char offer[300];
		ikev2_offer_describe(&ctx->offer, offer, sizeof(offer));
		snprintf(buf, sizeof(buf), "no ESP proposal chosen: client offered %s", offer);
		*why = buf;
		err = -ENOENT;
		goto fail;
	}
	if (!nonces->dh_group) {
		/* the group our own rekeys will offer: what the client would take with a KE */
		struct ikev2_suite pfs;
		for (size_t i = 0; i < ctx->offer.n; i++)
			ctx->offer.p[i].dh_ignored = false;
		if (!ikev2_select(ctx->esp_conf, ctx->n_esp, ctx->n_esp, &ctx->offer, IKEV2_PROTO_ESP, &pfs) &&
		    pfs.encr == c->suite.encr && pfs.integ == c->suite.integ)
			c->pfs_group = pfs.dh;
	}
	if (ikev2_parse_ts(tsip, &offered_i) || ikev2_parse_ts(tsrp, &offered_r)) {
		*why = "malformed traffic selectors";
		*notify = IKEV2_N_INVALID_SYNTAX;
		err = -EBADMSG;
		goto fail;
	}
	allowed_tsi(sa, &allowed_i);
	if (!ikev2_ts_narrow(&offered_i, &allowed_i, &narrowed_i) ||
	    !ikev2_ts_narrow(&offered_r, &ctx->split, &narrowed_r)) {
		static char buf[600];
		char a[250], b[250];
		ikev2_ts_describe(&offered_i, a, sizeof(a));
		ikev2_ts_describe(&offered_r, b, sizeof(b));
		snprintf(buf, sizeof(buf), "traffic selectors unacceptable: client asked %s === %s", a, b);
		*why = buf;
		*notify = IKEV2_N_TS_UNACCEPTABLE;
		err = -EINVAL;
		goto fail;
	}
	if (!(c->tsi = ikev2_ts_dup(&narrowed_i)) || !(c->tsr = ikev2_ts_dup(&narrowed_r))) {
		err = -ENOMEM;
		goto fail;
	}
	/* the client's inbound SPI is what we send to */
	if (c->suite.spi_len != 4) {
		*why = "ESP proposal without a 4-byte SPI";
		*notify = IKEV2_N_INVALID_SYNTAX;
		err = -EBADMSG;
		goto fail;
	}
	memcpy(&c->spi_out, c->suite.spi, 4);
	c->local = sa->local;
	c->peer = sa->peer;
	/* ESP follows IKE onto UDP when either side is behind a NAT (RFC 3948) */
	if (sa->nat_peer || sa->nat_local)
		c->encap_port = ntohs(((struct sockaddr_in *)&sa->peer)->sin_port);
	if (!sa->reqid)
		sa->reqid = ++ctx->next_reqid ? ctx->next_reqid : ++ctx->next_reqid;
	c->reqid = sa->reqid;
	struct kanmon_sa_id id;
	ikev2_child_sa_id(c, true, &id);
	if ((err = ctx->sa_ops->alloc_spi(ctx->sa_be, &id, &c->spi_in))) {
		*why = "the SA backend could not allocate an SPI";
		*notify = IKEV2_N_TEMPORARY_FAILURE;
		goto fail;
	}
	if (nonces->dh_group && c->suite.dh != nonces->dh_group) {
		*why = "the KE group is not the one of the chosen ESP proposal";
		*notify = IKEV2_N_INVALID_KE_PAYLOAD;
		err = -EINVAL;
		goto fail;
	}
	if ((err = child_keys(sa, &c->suite, nonces, km, &e_len, &a_len))) {
		*why = "CHILD SA key derivation failed";
		goto fail;
	}
	err = install(ctx, sa, c, km, e_len, a_len, false);
	gnutls_memset(km, 0, sizeof(km));
	if (err) {
		*why = "the SA backend refused the CHILD SA (see its log line)";
		*notify = IKEV2_N_TEMPORARY_FAILURE;
		goto fail;
	}
	/* the answer: our SPI in the chosen proposal, then the narrowed selectors */
	struct ikev2_suite answer = c->suite;
	memcpy(answer.spi, &c->spi_in, 4);
	ikev2_gen_sa(g, &answer);
	ikev2_gen_ts(g, IKEV2_PL_TSI, c->tsi);
	ikev2_gen_ts(g, IKEV2_PL_TSR, c->tsr);
	*out = c;
	ctx->st.children++;
	*notify = 0;
	return 0;
fail:
	uninstall(ctx, c);
	child_free(c);
	if (!sa->child)
		ikev2_policies_delete(ctx, sa);	/* the first CHILD SA brought them */
	ctx->st.child_failed++;
	return err;
}

void ikev2_child_update(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_child *c = sa->child;
	if (!c || !ctx->sa_ops)
		return;
	uint16_t port = ntohs(((struct sockaddr_in *)&sa->peer)->sin_port);
	/* NAT detection decides (RFC 4555 3.5: MOBIKE updates carry it anew) */
	uint16_t encap = (sa->nat_peer || sa->nat_local) ? port : 0;
	struct kanmon_sa_id old_in, old_out, new_in, new_out;
	ikev2_child_sa_id(c, true, &old_in);
	ikev2_child_sa_id(c, false, &old_out);
	struct ikev2_child moved = *c;
	moved.local = sa->local;
	moved.peer = sa->peer;
	ikev2_child_sa_id(&moved, true, &new_in);
	ikev2_child_sa_id(&moved, false, &new_out);
	int e1 = ctx->sa_ops->update_sa(ctx->sa_be, &old_in, &new_in, encap, encap ? ctx->natt_port : 0);
	int e2 = ctx->sa_ops->update_sa(ctx->sa_be, &old_out, &new_out, encap ? ctx->natt_port : 0, encap);
	if (e1 || e2)
		ctx->host->log(ctx->host, KANMON_LOG_WARNING, "client %s: CHILD SA could not follow the new address: %s",
			       sa->peer_str, strerror(-(e1 ? e1 : e2)));
	c->local = sa->local;
	c->peer = sa->peer;
	c->encap_port = encap;
}

int ikev2_child_adopt(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_child *like,
		      const struct ikev2_suite *suite, uint32_t spi_in, uint32_t spi_out,
		      const struct ikev2_child_nonces *nonces, struct ikev2_child **out)
{
	uint8_t km[CHILD_KEYMAT_MAX];
	size_t e_len = 0, a_len = 0;
	struct ikev2_child *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* same selectors, endpoints and reqid as the CHILD SA it replaces */
	if (!(c->tsi = ikev2_ts_dup(like->tsi)) || !(c->tsr = ikev2_ts_dup(like->tsr))) {
		ikev2_child_free(ctx, c);
		return -ENOMEM;
	}
	c->local = like->local;
	c->peer = like->peer;
	c->encap_port = like->encap_port;
	c->reqid = like->reqid;
	c->suite = *suite;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->created_ms = ctx->now_ms();
	int err = child_keys(sa, suite, nonces, km, &e_len, &a_len);
	if (!err)
		err = install(ctx, sa, c, km, e_len, a_len, true);
	gnutls_memset(km, 0, sizeof(km));
	if (err) {
		ikev2_child_free(ctx, c);
		ctx->st.child_failed++;
		return err;
	}
	ctx->st.children++;
	*out = c;
	return 0;
}
