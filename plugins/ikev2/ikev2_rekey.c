/* SPDX-License-Identifier: MIT */
/*
 * ikev2_rekey.c - CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.18):
 *
 *   the client rekeys its CHILD SA   N(REKEY_SA) naming our outbound SPI,
 *                                    with or without PFS (macOS: without);
 *                                    the new CHILD SA shares the policies
 *                                    (same reqid), the old one stays until
 *                                    the client deletes it
 *   the client rekeys the IKE SA     new SPIs and keys (SKEYSEED from the old
 *                                    SK_d); the client's state (session,
 *                                    CHILD SAs, leases) moves to the new SPIs
 *                                    and the old SPIs live on in a husk that
 *                                    answers the client's DELETE of them
 *   we rekey the CHILD SA            on the SA backend's SOFT_EXPIRE (the
 *                                    lifetime with jitter): same suite, same
 *                                    PFS group, then our DELETE of the old one
 *   collisions (2.8.1)               both rekeys of one CHILD SA complete;
 *                                    of the two new ones, the exchange with
 *                                    the lowest of the four nonces made the
 *                                    redundant one, closed by its initiator
 *   additional CHILD SAs             NO_ADDITIONAL_SAS (one per client)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "dh.h"
#include "ikev2.h"

struct ikev2_rekey {
	struct dh *dh;				/* our KE (PFS), NULL without */
	uint8_t ni[IKEV2_NONCE_LEN];		/* our nonce */
	uint32_t spi_in;			/* reserved for the new CHILD SA */
	struct ikev2_suite suite;		/* what we offered (the old suite, our PFS group) */
	struct ikev2_child *old;		/* the CHILD SA being rekeyed; NULL once the client deleted it */
	/* collision: the client's rekey of the same CHILD SA, answered meanwhile
	 * (owned here until ours is answered; NULL once the client deleted it) */
	struct ikev2_child *theirs;
	bool collided;
	uint8_t their_min[256];			/* the lower nonce of that exchange */
	size_t their_min_len;
};

void ikev2_rekey_free(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_rekey *r = sa->rekey;
	if (!r)
		return;
	/* the client's CHILD SA of a collision is ours to free unless it became current */
	if (r->theirs && r->theirs != sa->child && r->theirs != sa->child_old)
		ikev2_child_free(ctx, r->theirs);
	dh_free(sa->rekey->dh);
	gnutls_memset(sa->rekey, 0, sizeof(*sa->rekey));
	free(sa->rekey);
	sa->rekey = NULL;
}

/* chunk order: bytes, then the shorter first (what strongSwan compares) */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

/* KE of the request against `group`: g^ir into gir and our public value appended to g */
static int key_exchange(struct ikev2 *ctx, const struct ikev2_ke *ke, uint16_t group, struct ikev2_gen *g,
			uint8_t *gir, size_t *gir_len)
{
	struct dh *d;
	uint8_t pub[1024];
	size_t pl = dh_public_len(group), sl = dh_shared_len(group);
	(void)ctx;
	if (!pl || pl > sizeof(pub) || sl > IKEV2_MAX_GIR || dh_new(group, &d))
		return -ENOTSUP;
	int err = dh_shared(d, ke->data, ke->len, gir, sl);
	if (!err)
		err = dh_public(d, pub, pl);
	dh_free(d);
	if (err)
		return err;
	*gir_len = sl;
	ikev2_gen_ke(g, group, pub, pl);
	return 0;
}

/* ---- the client rekeys its CHILD SA --------------------------------------- */

static void rekey_child(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req, const uint8_t *ni, size_t ni_len)
{
	struct ikev2_gen g;
	uint8_t out[2048], nr[IKEV2_NONCE_LEN], gir[IKEV2_MAX_GIR];
	size_t gir_len = 0;
	struct ikev2_ke ke;
	const struct ikev2_payload *kep = ikev2_chain_find(req, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *sap = ikev2_chain_find(req, IKEV2_PL_SA, NULL);
	uint16_t notify = 0;
	const char *why = NULL;
	struct ikev2_child *c = NULL;

	if (kep && ikev2_parse_ke(kep, &ke)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	/* which group the ESP proposal takes, to check the KE against it */
	struct ikev2_suite probe;
	if (!sap || ikev2_offer_parse(sap->body, sap->len, &ctx->offer)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	for (size_t i = 0; i < ctx->offer.n; i++)
		ctx->offer.p[i].dh_ignored = !kep;
	if (ikev2_select(ctx->esp_conf, ctx->n_esp, ctx->n_esp, &ctx->offer, IKEV2_PROTO_ESP, &probe)) {
		ctx->st.child_failed++;
		ikev2_refuse(ctx, &sa->peer, sa->identity, IKEV2_WIN_NO_POLICY, "CHILD SA rekey: no ESP proposal chosen");
		ikev2_send_error(ctx, sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (kep && probe.dh && probe.dh != ke.group) {
		uint8_t want[2];
		ikev2_put16(want, probe.dh);
		ctx->st.invalid_ke++;
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_KE_PAYLOAD, want, 2);
		return;
	}
	if (gnutls_rnd(GNUTLS_RND_NONCE, nr, sizeof(nr))) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	ikev2_gen_init_inner(&g, out, sizeof(out));
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, nr, sizeof(nr));
	if (kep && probe.dh && key_exchange(ctx, &ke, probe.dh, &g, gir, &gir_len)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);	/* a bad public value */
		return;
	}
	struct ikev2_child_nonces n = { .ni = ni, .ni_len = ni_len, .nr = nr, .nr_len = sizeof(nr), .gir = gir,
					.gir_len = gir_len, .dh_group = gir_len ? probe.dh : 0 };
	int err = ikev2_child_create(ctx, sa, req, &n, &g, &notify, &why, &c);
	gnutls_memset(gir, 0, sizeof(gir));
	if (err) {
		ikev2_refuse(ctx, &sa->peer, sa->identity, 0, "CHILD SA rekey refused: %s", why);
		ikev2_send_error(ctx, sa, m, notify ? notify : IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	ikev2_send_protected(ctx, sa, m->exchange, m->msgid, &g);
	ctx->st.child_rekeys++;
	char d[200];
	ikev2_child_describe(c, d, sizeof(d));
	ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): CHILD SA rekeyed%s: %s", sa->peer_str,
		       sa->identity ? sa->identity : "?", gir_len ? " with PFS" : "", d);
	if (sa->rekey && sa->rekey->old == sa->child) {
		/* we are rekeying the same CHILD SA: a collision, settled when ours is answered */
		struct ikev2_rekey *r = sa->rekey;
		ikev2_child_free(ctx, r->theirs);	/* a second one: the first was not deleted */
		r->theirs = c;
		r->collided = true;
		const uint8_t *lo = nonce_cmp(ni, ni_len, nr, sizeof(nr)) < 0 ? ni : nr;
		size_t lo_len = lo == ni ? ni_len : sizeof(nr);
		memcpy(r->their_min, lo, lo_len);
		r->their_min_len = lo_len;
		return;
	}
	/* the old CHILD SA stays until the client deletes it (it says so next) */
	ikev2_child_free(ctx, sa->child_old);
	sa->child_old = sa->child;
	sa->child = c;
}

/* ---- the client rekeys the IKE SA ----------------------------------------- */

static void rekey_ike(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
		      const struct ikev2_chain *req, const uint8_t *ni, size_t ni_len)
{
	struct ikev2_gen g;
	uint8_t out[2048], nr[IKEV2_NONCE_LEN], gir[IKEV2_MAX_GIR];
	size_t gir_len = 0;
	struct ikev2_ke ke;
	struct ikev2_suite suite;
	const struct ikev2_payload *kep = ikev2_chain_find(req, IKEV2_PL_KE, NULL);
	const struct ikev2_payload *sap = ikev2_chain_find(req, IKEV2_PL_SA, NULL);

	if (!kep || ikev2_parse_ke(kep, &ke) || ikev2_offer_parse(sap->body, sap->len, &ctx->offer)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (ikev2_select(ctx->ike_conf, ctx->n_ike, ctx->ike_legacy_from, &ctx->offer, IKEV2_PROTO_IKE, &suite) ||
	    suite.spi_len != 8) {
		ikev2_refuse(ctx, &sa->peer, sa->identity, IKEV2_WIN_NO_POLICY, "IKE SA rekey: no proposal chosen");
		ikev2_send_error(ctx, sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (suite.dh != ke.group) {
		uint8_t want[2];
		ikev2_put16(want, suite.dh);
		ctx->st.invalid_ke++;
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_KE_PAYLOAD, want, 2);
		return;
	}
	uint8_t spi_r[8];
	if (gnutls_rnd(GNUTLS_RND_NONCE, nr, sizeof(nr)) || ikev2_sa_new_spi(ctx, spi_r)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	struct ikev2_suite answer = suite;
	memcpy(answer.spi, spi_r, 8);
	ikev2_gen_init_inner(&g, out, sizeof(out));
	ikev2_gen_sa(&g, &answer);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, nr, sizeof(nr));
	if (key_exchange(ctx, &ke, suite.dh, &g, gir, &gir_len)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	struct ikev2_keys keys;
	int err = ikev2_derive_keys_rekey(&sa->keys, &suite, ni, ni_len, nr, sizeof(nr), gir, gir_len, suite.spi,
					  spi_r, &keys);
	gnutls_memset(gir, 0, sizeof(gir));
	if (err) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	/* the answer goes out (and is cached) under the old SPIs, by the husk */
	struct ikev2_sa *husk = ikev2_sa_split(ctx, sa, suite.spi, spi_r);
	if (!husk) {
		ikev2_keys_wipe(&keys);
		ikev2_send_error(ctx, sa, m, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	ikev2_send_protected(ctx, husk, m->exchange, m->msgid, &g);
	sa->keys = keys;
	ikev2_keys_wipe(&keys);
	sa->suite = suite;
	ctx->st.ike_rekeys++;
	char name[96];
	ikev2_suite_name(&suite, name, sizeof(name));
	ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): IKE SA rekeyed: %s", sa->peer_str,
		       sa->identity ? sa->identity : "?", name);
}

void ikev2_create_child_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
				const struct ikev2_chain *req)
{
	const struct ikev2_payload *sap = ikev2_chain_find(req, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *np = ikev2_chain_find(req, IKEV2_PL_NONCE, NULL);
	const uint8_t *ni;
	size_t ni_len;
	struct ikev2_notify rk;
	if (sa->state != IKEV2_ESTABLISHED || !sa->child) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	if (!sap || !np || ikev2_parse_nonce(np, &ni, &ni_len) || sap->len < 8) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	/* the protocol of the first proposal: IKE (rekey the IKE SA) or ESP */
	if (sap->body[5] == IKEV2_PROTO_IKE) {
		rekey_ike(ctx, sa, m, req, ni, ni_len);
		return;
	}
	if (ikev2_chain_notify(req, IKEV2_N_REKEY_SA, &rk)) {
		ikev2_send_error(ctx, sa, m, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	uint32_t spi;
	if (rk.spi_len != 4 || (memcpy(&spi, rk.spi, 4), !sa->child || spi != sa->child->spi_out)) {
		/* RFC 7296 2.25: gone meanwhile (or never ours) */
		ikev2_send_error(ctx, sa, m, IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	rekey_child(ctx, sa, m, req, ni, ni_len);
}

/* ---- we rekey the CHILD SA --------------------------------------------------- */

int ikev2_rekey_child_start(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	struct ikev2_child *c = sa->child;
	if (!c || sa->state != IKEV2_ESTABLISHED || sa->rekey || !ctx->sa_ops)
		return -EALREADY;
	if (sa->req_kind != IKEV2_REQ_NONE)
		return -EBUSY;
	struct ikev2_rekey *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	struct kanmon_sa_id id;
	ikev2_child_sa_id(c, true, &id);	/* the new inbound SA has the old one's addresses */
	uint8_t pub[1024];
	size_t pl = 0;
	int err = -EIO;
	if (gnutls_rnd(GNUTLS_RND_NONCE, r->ni, sizeof(r->ni)) ||
	    (err = ctx->sa_ops->alloc_spi(ctx->sa_be, &id, &r->spi_in)))
		goto fail;
	uint16_t group = c->suite.dh ? c->suite.dh : c->pfs_group;
	if (group) {
		pl = dh_public_len(group);
		if (!pl || pl > sizeof(pub) || (err = dh_new(group, &r->dh)) || (err = dh_public(r->dh, pub, pl)))
			goto fail;
	}
	r->old = c;
	r->suite = c->suite;
	r->suite.dh = group;
	sa->rekey = r;
	/* the current suite, our new SPI: N(REKEY_SA), SA, Ni, [KEi], TSi, TSr (RFC 7296 1.3.3) */
	struct ikev2_gen g;
	uint8_t out[2048];
	struct ikev2_suite offer = c->suite;
	offer.dh = group;
	offer.num = 1;
	offer.spi_len = 4;
	memcpy(offer.spi, &r->spi_in, 4);
	ikev2_gen_init_inner(&g, out, sizeof(out));
	ikev2_gen_notify(&g, IKEV2_PROTO_ESP, (const uint8_t *)&c->spi_in, 4, IKEV2_N_REKEY_SA, NULL, 0);
	ikev2_gen_sa(&g, &offer);
	ikev2_gen_bytes(&g, IKEV2_PL_NONCE, r->ni, sizeof(r->ni));
	if (r->dh)
		ikev2_gen_ke(&g, group, pub, pl);
	/* our view: TSi is the initiator's side, now ours */
	ikev2_gen_ts(&g, IKEV2_PL_TSI, c->tsr);
	ikev2_gen_ts(&g, IKEV2_PL_TSR, c->tsi);
	if ((err = ikev2_request(ctx, sa, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_REQ_REKEY_CHILD, &g))) {
		sa->rekey = NULL;
		goto fail;
	}
	ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): rekeying its CHILD SA (soft lifetime reached)%s",
		       sa->peer_str, sa->identity ? sa->identity : "?", r->dh ? " with PFS" : "");
	return 0;
fail:
	dh_free(r->dh);
	free(r);
	return err;
}

/* the redundant CHILD SA of a collision, or the old one: our DELETE (one request at a time) */
static void delete_child(struct ikev2 *ctx, struct ikev2_sa *sa, struct ikev2_child *c)
{
	struct ikev2_gen g;
	uint8_t buf[32];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	uint8_t *d = ikev2_gen_payload(&g, IKEV2_PL_DELETE, false, 8);
	if (d) {
		d[0] = IKEV2_PROTO_ESP;
		d[1] = 4;
		ikev2_put16(d + 2, 1);
		memcpy(d + 4, &c->spi_in, 4);
	}
	ikev2_child_free(ctx, c);
	ikev2_request(ctx, sa, IKEV2_EXCH_INFORMATIONAL, IKEV2_REQ_DELETE_CHILD, &g);
}

/*
 * Who keeps what once our rekey is answered (mine: our new CHILD SA, NULL
 * when refused), given what the client did meanwhile: its own rekey of the
 * same CHILD SA (still held in r->theirs while the old one lives, or already
 * current once the client deleted the old one), deleting the old one
 * (r->old NULL). One DELETE of ours at most: the other side deletes the
 * rest (RFC 7296 2.8.1).
 */
static void settle(struct ikev2 *ctx, struct ikev2_sa *sa, struct ikev2_rekey *r, struct ikev2_child *mine,
		   bool ours_redundant)
{
	struct ikev2_child *theirs = r->theirs ? r->theirs : (r->collided && sa->child != r->old ? sa->child : NULL);
	struct ikev2_child *keep = sa->child, *client_deletes = NULL, *we_delete = NULL;
	if (mine && ours_redundant && theirs) {
		keep = theirs;			/* the client won: it deletes the old one */
		client_deletes = r->old;
		we_delete = mine;
	} else if (mine) {
		keep = mine;			/* ours stays; the client deletes its redundant one */
		client_deletes = theirs;
		we_delete = r->old;
	} else if (theirs) {
		keep = theirs;			/* ours refused; the client's rekey stands */
		client_deletes = r->old;
	}
	sa->child = keep;
	if (client_deletes && client_deletes != sa->child_old) {
		if (sa->child_old != keep)
			ikev2_child_free(ctx, sa->child_old);
		sa->child_old = client_deletes;
	}
	r->old = r->theirs = NULL;
	if (we_delete)
		delete_child(ctx, sa, we_delete);
	if (!sa->child && !sa->child_old)
		ikev2_policies_delete(ctx, sa);
}

bool ikev2_rekey_client_deleted(struct ikev2 *ctx, struct ikev2_sa *sa, uint32_t spi, uint32_t *our_spi)
{
	struct ikev2_rekey *r = sa->rekey;
	struct ikev2_child **slot = NULL;
	if (!r)
		return false;
	if (r->theirs && spi == r->theirs->spi_out)
		slot = &r->theirs;	/* the client lost the collision: its redundant one */
	else if (r->old && spi == r->old->spi_out)
		slot = &r->old;		/* the client won, or rekeyed on its own: the old one */
	if (!slot)
		return false;
	struct ikev2_child *gone = *slot;
	*slot = NULL;
	*our_spi = gone->spi_in;
	if (sa->child == gone) {
		/* the old one went: the client's CHILD SA is current now, no longer held here */
		sa->child = r->theirs;
		r->theirs = NULL;
	}
	if (sa->child_old == gone)
		sa->child_old = NULL;
	ikev2_child_free(ctx, gone);
	return true;
}

void ikev2_rekey_answered(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_chain *c)
{
	struct ikev2_rekey *r = sa->rekey;
	const struct ikev2_payload *sap = ikev2_chain_find(c, IKEV2_PL_SA, NULL);
	const struct ikev2_payload *np = ikev2_chain_find(c, IKEV2_PL_NONCE, NULL);
	const struct ikev2_payload *kep = ikev2_chain_find(c, IKEV2_PL_KE, NULL);
	struct ikev2_suite chosen;
	const uint8_t *nr = NULL;
	size_t nr_len = 0;
	uint8_t gir[IKEV2_MAX_GIR];
	size_t gir_len = 0;
	struct ikev2_ke ke;
	struct ikev2_child *mine = NULL;
	bool ours_redundant = false;
	if (!r)
		return;
	sa->rekey = NULL;
	struct ikev2_proposal offered = { 0 };
	char err[64], suite_s[96];
	const struct ikev2_child *like = r->old ? r->old : r->theirs ? r->theirs : sa->child;
	/* the answer must hold the one proposal we offered */
	ikev2_suite_name(&r->suite, suite_s, sizeof(suite_s));
	bool ok = like && sap && np && !ikev2_parse_nonce(np, &nr, &nr_len) &&
		  !ikev2_offer_parse(sap->body, sap->len, &ctx->offer) && ctx->offer.n == 1 &&
		  !ikev2_proposal_parse_conf(suite_s, IKEV2_PROTO_ESP, &offered, err, sizeof(err)) &&
		  !ikev2_select(&offered, 1, 1, &ctx->offer, IKEV2_PROTO_ESP, &chosen) && chosen.spi_len == 4;
	if (ok && r->dh) {
		gir_len = dh_shared_len(dh_group(r->dh));
		ok = kep && !ikev2_parse_ke(kep, &ke) && ke.group == dh_group(r->dh) &&
		     !dh_shared(r->dh, ke.data, ke.len, gir, gir_len);
	}
	if (ok) {
		chosen.dh = r->dh ? dh_group(r->dh) : 0;
		uint32_t spi_out;
		memcpy(&spi_out, chosen.spi, 4);
		struct ikev2_child_nonces n = { .ni = r->ni, .ni_len = sizeof(r->ni), .nr = nr, .nr_len = nr_len,
						.gir = gir, .gir_len = gir_len };
		ok = !ikev2_child_adopt(ctx, sa, like, &chosen, r->spi_in, spi_out, &n, &mine);
	}
	gnutls_memset(gir, 0, sizeof(gir));
	if (!ok) {
		/* refused (the client rekeyed or deleted it meanwhile) or garbage */
		ctx->host->log(ctx->host, KANMON_LOG_NOTICE, "client %s (%s): our CHILD SA rekey was not accepted%s",
			       sa->peer_str, sa->identity ? sa->identity : "?",
			       r->theirs ? ": the client's own rekey stands" : "");
	} else {
		ctx->st.child_rekeys++;
	}
	if (mine && r->collided) {
		/* RFC 7296 2.8.1: the exchange with the lowest of the four nonces made the redundant SA */
		const uint8_t *lo = nonce_cmp(r->ni, sizeof(r->ni), nr, nr_len) < 0 ? r->ni : nr;
		size_t lo_len = lo == r->ni ? sizeof(r->ni) : nr_len;
		ours_redundant = nonce_cmp(lo, lo_len, r->their_min, r->their_min_len) < 0;
		ctx->st.rekey_collisions++;
		ctx->host->log(ctx->host, KANMON_LOG_INFO, "client %s (%s): CHILD SA rekey collision: %s CHILD SA stays",
			       sa->peer_str, sa->identity ? sa->identity : "?", ours_redundant ? "the client's" : "our");
	}
	settle(ctx, sa, r, mine, ours_redundant);
	dh_free(r->dh);
	free(r);
}

void ikev2_rekey_next(struct ikev2 *ctx, struct ikev2_sa *sa)
{
	if (!sa->rekey_pending || sa->req_kind != IKEV2_REQ_NONE)
		return;
	sa->rekey_pending = false;
	ikev2_rekey_child_start(ctx, sa);
}

/* the IKE SA whose current or rekeyed CHILD SA has this SPI (either direction) */
static struct ikev2_sa *sa_of_spi(struct ikev2 *ctx, uint32_t spi, bool *current)
{
	struct ikev2_sa_table *t = &ctx->sas;
	for (size_t k = 0; k < t->buckets; k++)
		for (struct ikev2_sa *sa = t->by_r[k]; sa; sa = sa->next_r) {
			const struct ikev2_child *c = sa->child, *o = sa->child_old;
			if (c && (c->spi_in == spi || c->spi_out == spi)) {
				*current = true;
				return sa;
			}
			if (o && (o->spi_in == spi || o->spi_out == spi)) {
				*current = false;
				return sa;
			}
		}
	return NULL;
}

/*
 * Expiry events are rare (one per CHILD SA lifetime), so a scan of the
 * table is cheaper than an index every SA would pay for.
 */
void ikev2_sa_event(const struct kanmon_sa_event *ev, void *arg)
{
	struct ikev2 *ctx = arg;
	bool current = false;
	if (ev->type != KANMON_SA_SOFT_EXPIRE && ev->type != KANMON_SA_HARD_EXPIRE)
		return;
	struct ikev2_sa *sa = sa_of_spi(ctx, ev->sa.spi, &current);
	if (!sa || sa->state != IKEV2_ESTABLISHED)
		return;
	if (ev->type == KANMON_SA_SOFT_EXPIRE) {
		if (current && ikev2_rekey_child_start(ctx, sa) == -EBUSY) {
			/* backends report a soft expiry once: start it when the window frees */
			sa->rekey_pending = true;
			ctx->host->log(ctx->host, KANMON_LOG_DEBUG, "client %s: CHILD SA rekey deferred (a request is out)",
				       sa->peer_str);
		}
		return;
	}
	/* hard expiry: the backend removed that SA; without a current CHILD SA the client is cut off */
	if (!current) {
		ikev2_child_free(ctx, sa->child_old);
		sa->child_old = NULL;
		return;
	}
	ikev2_delete_ike(ctx, sa, "its CHILD SA reached its hard lifetime without a rekey");
}
