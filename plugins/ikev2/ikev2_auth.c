/* SPDX-License-Identifier: MIT */
/*
 * ikev2_auth.c - IKE_AUTH responder with certificates (RFC 7296 1.2, 2.15).
 *
 * The client's side, in order, each failure answered AUTHENTICATION_FAILED
 * (protected, RFC 7296 2.21.2) with one refusal line that carries the
 * Windows error code the client shows:
 *   IDi parsed                       INVALID_SYNTAX otherwise
 *   AUTH present                     none: the client wants EAP (not offered)
 *   CERT payloads (X.509 signature)  none usable: 13806
 *   chain verified by the core's certificate store for a client, carrying
 *   the IDi identity (subject DN or subjectAltName)      refused: 13801
 *   AUTH signature over the client's octets with the certificate's key
 *   (ikev2_sig.c)                                        refused: 13838
 * Then the server's side: IDr (server_id), our certificate (always: iOS
 * sends no CERTREQ), AUTH signed through the host's cert_sign with the
 * method the client can check; the configuration payload from the pool;
 * the CHILD SA (ikev2_child.c). When no CHILD SA can be made the answer
 * still authenticates the server but carries the error notify instead of
 * SA/TSi/TSr (RFC 7296 1.2); a remote-access client can do nothing with
 * such an IKE SA, so its lease is released and the SA closed after the
 * answer (it lingers to answer retransmits).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "ikev2.h"
#include "ikev2_cp.h"
#include "ikev2_sig.h"

int ikev2_auth_octets(const struct ikev2_sa *sa, bool from_initiator, const uint8_t *id_body, size_t id_len,
		      uint8_t *out, size_t *len)
{
	const uint8_t *msg = from_initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = from_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = from_initiator ? sa->nr : sa->ni;
	size_t nonce_len = from_initiator ? sizeof(sa->nr) : sa->ni_len;
	const uint8_t *sk_p = from_initiator ? sa->keys.sk_pi : sa->keys.sk_pr;
	size_t need = msg_len + nonce_len + sa->keys.prf_len;
	if (!msg || !sa->keys.prf_len)
		return -EINVAL;
	if (*len < need)
		return -ENOSPC;
	memcpy(out, msg, msg_len);
	memcpy(out + msg_len, nonce, nonce_len);
	/* MACedIDFor{I,R} = prf(SK_p{i,r}, RestOf{Init,Resp}IDPayload) */
	int err = prf(sa->keys.prf, sk_p, sa->keys.prf_len, id_body, id_len, out + msg_len + nonce_len);
	if (err)
		return err;
	*len = need;
	return 0;
}

/*
 * RFC 7296 3.7: CERTREQ lists SHA-1 hashes of the SubjectPublicKeyInfo of
 * the CAs we trust. The issuer of our server certificate is the one the
 * store can name today (host cert_lookup); without it the list is empty,
 * which still tells clients that send certificates only when asked
 * (strongSwan's default) to send theirs.
 */
void ikev2_auth_certreq(struct ikev2 *ctx, struct ikev2_gen *g)
{
	const struct kanmon_host *h = ctx->host;
	uint8_t keyid[20];
	size_t n = 0;
	if (h->size > offsetof(struct kanmon_host, cert_lookup) && h->cert_lookup && ctx->certificate[0]) {
		struct kanmon_cert_info info = { .size = sizeof(info) };
		gnutls_x509_crt_t crt;
		if (!h->cert_lookup(h, ctx->certificate, NULL, &info) && info.issuer.data &&
		    !gnutls_x509_crt_init(&crt)) {
			gnutls_datum_t der = { (unsigned char *)info.issuer.data, (unsigned)info.issuer.len };
			size_t kl = sizeof(keyid);
			if (!gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) &&
			    !gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, keyid, &kl) && kl == 20)
				n = 20;
			gnutls_x509_crt_deinit(crt);
		}
	}
	uint8_t *b = ikev2_gen_payload(g, IKEV2_PL_CERTREQ, false, 1 + n);
	if (!b)
		return;
	b[0] = IKEV2_CERT_X509_SIG;
	memcpy(b + 1, keyid, n);
}


#define IKEV2_MAX_CHAIN		4	/* CERT payloads we pass on: end entity + intermediates */
#define AUTH_RESP_MAX		16384	/* plaintext of our IKE_AUTH answer */

/* Everything the request carried that IKE_AUTH needs, found once. */
struct auth_req {
	struct ikev2_id idi, idr;
	bool has_idr;
	struct ikev2_auth auth;
	bool has_auth;
	struct kanmon_blob chain[IKEV2_MAX_CHAIN];
	size_t n_chain;
	struct ikev2_cp_request cp;
	bool has_cp;
	bool initial_contact;
};

static int read_request(const struct ikev2_chain *req, struct auth_req *a, const char **why)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < req->n; i++) {
		const struct ikev2_payload *p = &req->pl[i];
		struct ikev2_cert c;
		struct ikev2_notify n;
		switch (p->type) {
		case IKEV2_PL_IDI:
			if (ikev2_parse_id(p, &a->idi)) {
				*why = "malformed IDi";
				return -EBADMSG;
			}
			break;
		case IKEV2_PL_IDR:
			a->has_idr = !ikev2_parse_id(p, &a->idr);
			break;
		case IKEV2_PL_AUTH:
			if (ikev2_parse_auth(p, &a->auth)) {
				*why = "malformed AUTH";
				return -EBADMSG;
			}
			a->has_auth = true;
			break;
		case IKEV2_PL_CERT:
			/* other encodings (hash and URL, raw keys) are not accepted: skipped */
			if (!ikev2_parse_cert(p, &c) && c.encoding == IKEV2_CERT_X509_SIG && a->n_chain < IKEV2_MAX_CHAIN) {
				a->chain[a->n_chain].data = c.data;
				a->chain[a->n_chain++].len = c.len;
			}
			break;
		case IKEV2_PL_CP:
			if (ikev2_parse_cp(p, &a->cp)) {
				*why = "malformed configuration payload";
				return -EBADMSG;
			}
			a->has_cp = a->cp.cfg_type == IKEV2_CFG_REQUEST;
			break;
		case IKEV2_PL_NOTIFY:
			if (!ikev2_parse_notify(p, &n) && n.type == IKEV2_N_INITIAL_CONTACT)
				a->initial_contact = true;
			break;
		default:
			break;
		}
	}
	if (!a->idi.body) {
		*why = "IKE_AUTH without an IDi payload";
		return -EBADMSG;
	}
	return 0;
}

/* Our IDr: server_id as the ID type its text implies; empty: the certificate's subject DN. */
static int server_idr(struct ikev2 *ctx, const struct kanmon_cert_info *info, uint8_t *body, size_t cap,
		      size_t *len)
{
	const char *id = ctx->server_id;
	uint8_t type;
	size_t n;
	struct in6_addr a6;
	if (cap < 4 + 16)
		return -ENOSPC;
	if (id[0] && inet_pton(AF_INET, id, body + 4) == 1) {
		type = KANMON_ID_IPV4_ADDR, n = 4;
	} else if (id[0] && inet_pton(AF_INET6, id, &a6) == 1) {
		type = KANMON_ID_IPV6_ADDR, n = 16;
		memcpy(body + 4, &a6, 16);
	} else if (id[0] && !strchr(id, '=')) {
		type = strchr(id, '@') ? KANMON_ID_RFC822_ADDR : KANMON_ID_FQDN;
		n = strlen(id);
		if (4 + n > cap)
			return -ENOSPC;
		memcpy(body + 4, id, n);
	} else {
		/* a DN: the certificate's own subject, byte for byte */
		gnutls_x509_crt_t crt;
		gnutls_datum_t der = { (unsigned char *)info->cert.data, (unsigned)info->cert.len }, dn = { NULL, 0 };
		if (gnutls_x509_crt_init(&crt))
			return -ENOMEM;
		int r = gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER);
		if (!r)
			r = gnutls_x509_crt_get_raw_dn(crt, &dn);
		gnutls_x509_crt_deinit(crt);
		if (r)
			return -EINVAL;
		type = KANMON_ID_DER_ASN1_DN, n = dn.size;
		if (4 + n > cap) {
			gnutls_free(dn.data);
			return -ENOSPC;
		}
		memcpy(body + 4, dn.data, n);
		gnutls_free(dn.data);
	}
	body[0] = type;
	body[1] = body[2] = body[3] = 0;
	*len = 4 + n;
	return 0;
}

/* IDr, CERT, AUTH of the answer. 0 or -errno (*why set). */
static int server_auth(struct ikev2 *ctx, struct ikev2_sa *sa, struct ikev2_gen *g, char *sig_name, size_t sn_len,
		       const char **why)
{
	const struct kanmon_host *h = ctx->host;
	struct kanmon_cert_info info = { .size = sizeof(info) };
	uint8_t idr[600], sig[IKEV2_SIG_MAX], method, hash;
	size_t idr_len, hdr = 0, sig_len;
	unsigned flags;
	int err;
	if (!h->cert_lookup || !h->cert_sign || h->cert_lookup(h, ctx->certificate, NULL, &info)) {
		*why = "the server certificate (ikev2.certificate) is not in the certificate store";
		return -ENOENT;
	}
	if ((err = server_idr(ctx, &info, idr, sizeof(idr), &idr_len))) {
		*why = "the server ID cannot be encoded";
		return err;
	}
	if ((err = ikev2_sig_choose(info.key_type, info.key_bits, sa->sig_hashes, &method, &hash, &flags))) {
		*why = "the server certificate's key cannot sign IKE_AUTH";
		return err;
	}
	size_t olen = sa->init_resp_len + sizeof(sa->ni) + PRF_MAX_LEN;
	uint8_t *octets = malloc(olen);
	if (!octets)
		return -ENOMEM;
	err = ikev2_auth_octets(sa, false, idr, idr_len, octets, &olen);
	if (method == IKEV2_AUTH_DIGITAL_SIG)
		hdr = ikev2_sig_rfc7427_header(info.key_type, hash, sig);
	sig_len = sizeof(sig) - hdr;
	if (!err)
		err = h->cert_sign(h, ctx->certificate, hash, flags, octets, olen, sig + hdr, &sig_len);
	free(octets);
	if (err) {
		*why = "signing with the server key failed";
		return err;
	}
	ikev2_gen_bytes(g, IKEV2_PL_IDR, idr, idr_len);
	uint8_t *c = ikev2_gen_payload(g, IKEV2_PL_CERT, false, 1 + info.cert.len);
	if (c) {
		c[0] = IKEV2_CERT_X509_SIG;
		memcpy(c + 1, info.cert.data, info.cert.len);
	}
	uint8_t *a = ikev2_gen_payload(g, IKEV2_PL_AUTH, false, 4 + hdr + sig_len);
	if (a) {
		a[0] = method;
		a[1] = a[2] = a[3] = 0;
		memcpy(a + 4, sig, hdr + sig_len);
	}
	snprintf(sig_name, sn_len, "%s", method == IKEV2_AUTH_RSA ? "RSA-SHA1" : method == IKEV2_AUTH_DIGITAL_SIG ?
		 (hash == KANMON_HASH_SHA256 ? "RFC7427-SHA256" : hash == KANMON_HASH_SHA384 ? "RFC7427-SHA384" :
		  "RFC7427-SHA512") : "ECDSA");
	return 0;
}

/* the client's side: certificate chain and AUTH signature. 0, or the refusal's Windows code */
static unsigned client_auth(struct ikev2 *ctx, struct ikev2_sa *sa, const struct auth_req *a,
			    struct kanmon_cert_result *res, struct ikev2_sig_info *si, char *why, size_t why_len)
{
	const struct kanmon_host *h = ctx->host;
	const char *w = NULL;
	if (!a->has_auth) {
		snprintf(why, why_len, "no AUTH payload: the client wants EAP, which this server does not offer "
			 "(certificates only)");
		return IKEV2_WIN_NO_CERT;
	}
	if (!a->n_chain) {
		snprintf(why, why_len, "sent no X.509 certificate (CERT payload)");
		return IKEV2_WIN_NO_CERT;
	}
	struct kanmon_id id = { .type = a->idi.type, .data = a->idi.data, .len = a->idi.len };
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	if (!h->cert_verify || h->cert_verify(h, a->chain, a->n_chain, KANMON_CERT_CLIENT, &id, res)) {
		snprintf(why, why_len, "certificate refused: %s", h->cert_verify ? res->reason : "no certificate store");
		return IKEV2_WIN_CERT_EKU;
	}
	size_t olen = sa->init_req_len + sa->ni_len + PRF_MAX_LEN;
	uint8_t *octets = malloc(olen);
	if (!octets || ikev2_auth_octets(sa, true, a->idi.body, a->idi.body_len, octets, &olen)) {
		free(octets);
		snprintf(why, why_len, "internal error computing the AUTH octets");
		return IKEV2_WIN_SIG;
	}
	int err = ikev2_sig_verify(a->auth.method, a->auth.data, a->auth.len, a->chain[0].data, a->chain[0].len,
				   octets, olen, ctx->sha1_signatures, si, &w);
	free(octets);
	if (err) {
		snprintf(why, why_len, "AUTH (method %u, %s) not accepted: %s", a->auth.method,
			 si->name[0] ? si->name : "?", w ? w : "?");
		return IKEV2_WIN_SIG;
	}
	return 0;
}

static void answer_and_close(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m, uint16_t notify)
{
	struct ikev2_gen g;
	uint8_t buf[64];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	ikev2_gen_notify(&g, 0, NULL, 0, notify, NULL, 0);
	/* the IKE SA is closed; it lingers to answer retransmits of this request */
	ikev2_session_end(ctx, sa, NULL);
	ikev2_sa_set_state(ctx, sa, IKEV2_DEAD);
	ikev2_send_protected(ctx, sa, IKEV2_EXCH_IKE_AUTH, m->msgid, &g);
	ikev2_sa_arm(sa, IKEV2_DEAD_LINGER_MS);
}

void ikev2_auth_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req)
{
	char ident[300] = "", why[400], sig_name[32], vip[INET6_ADDRSTRLEN * 2 + 4] = "-";
	struct auth_req a;
	struct kanmon_cert_result res;
	struct ikev2_sig_info si;
	struct ikev2_cp_reply cpr;
	const char *w = NULL;
	uint8_t *out = NULL;

	if (sa->state != IKEV2_HALF_OPEN) {
		/* a second IKE_AUTH round (EAP) is not offered */
		ctx->st.invalid_syntax++;
		answer_and_close(ctx, sa, m, IKEV2_N_INVALID_SYNTAX);
		return;
	}
	if (read_request(req, &a, &w)) {
		ctx->st.invalid_syntax++;
		ikev2_refuse(ctx, &sa->peer, NULL, 0, "%s", w);
		answer_and_close(ctx, sa, m, IKEV2_N_INVALID_SYNTAX);
		return;
	}
	ikev2_id_str(&a.idi, ident, sizeof(ident));
	unsigned code = client_auth(ctx, sa, &a, &res, &si, why, sizeof(why));
	if (code) {
		ctx->st.auth_failed++;
		ikev2_refuse(ctx, &sa->peer, ident, code, "%s", why);
		answer_and_close(ctx, sa, m, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	}
	/* the same identity is connected already: INITIAL_CONTACT or the duplicates policy decides */
	struct ikev2_sa *dup[16];
	size_t nd = ikev2_sa_by_identity(ctx, ident, sa, dup, 16);
	char lease[sizeof(ident) + 8];
	snprintf(lease, sizeof(lease), "%s", ident);
	if (nd && (a.initial_contact || ctx->duplicates == IKEV2_DUP_REPLACE)) {
		for (size_t i = 0; i < nd; i++) {
			char why_r[160];
			snprintf(why_r, sizeof(why_r), "replaced by a new connection from %s%s", sa->peer_str,
				 a.initial_contact ? " (INITIAL_CONTACT)" : "");
			ctx->st.replaced++;
			/* its lease goes offline first, so the new SA gets the same address back */
			ikev2_delete_ike(ctx, dup[i], why_r);
		}
	} else if (nd && ctx->duplicates == IKEV2_DUP_REFUSE) {
		ctx->st.auth_failed++;
		ikev2_refuse(ctx, &sa->peer, ident, 0, "already connected from %s (duplicates = \"refuse\")",
			     dup[0]->peer_str);
		answer_and_close(ctx, sa, m, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	} else if (nd) {
		/* duplicates = "keep": each concurrent connection its own lease, identity#2, #3... */
		for (unsigned k = 2; k < 64; k++) {
			bool used = false;
			snprintf(lease, sizeof(lease), "%s#%u", ident, k);
			for (size_t i = 0; i < nd && !used; i++)
				used = dup[i]->lease_id && !strcmp(dup[i]->lease_id, lease);
			if (!used)
				break;
		}
	}
	/* authenticated: the response, built in its own buffer (the request lives in ctx->plain) */
	struct ikev2_gen g;
	if (!(out = malloc(AUTH_RESP_MAX)) || !(sa->identity = strdup(ident)) || !(sa->lease_id = strdup(lease))) {
		free(out);
		ctx->host->log(ctx->host, KANMON_LOG_ERR, "client %s: out of memory in IKE_AUTH", sa->peer_str);
		answer_and_close(ctx, sa, m, IKEV2_N_TEMPORARY_FAILURE);
		return;
	}
	ikev2_gen_init_inner(&g, out, AUTH_RESP_MAX);
	if (server_auth(ctx, sa, &g, sig_name, sizeof(sig_name), &w)) {
		ctx->st.auth_failed++;
		ctx->host->log(ctx->host, KANMON_LOG_ERR, "client %s (%s): cannot authenticate the server: %s",
			       sa->peer_str, ident, w);
		free(out);
		answer_and_close(ctx, sa, m, IKEV2_N_AUTHENTICATION_FAILED);
		return;
	}
	ikev2_sa_set_state(ctx, sa, IKEV2_ESTABLISHED);
	sa->established_ms = sa->last_rx_ms = ctx->now_ms();
	ikev2_sa_id_link(ctx, sa);
	ctx->st.established++;
	sa->mobike = ikev2_chain_notify(req, IKEV2_N_MOBIKE_SUPPORTED, &(struct ikev2_notify){ 0 }) == 0;

	/* configuration payload: addresses from the pool (RFC 7296 2.19) */
	const char *child_why = NULL;
	uint16_t child_notify = 0;
	if (!a.has_cp) {
		ctx->st.cp_failed++;
		child_why = "the client asked for no virtual address (no CFG_REQUEST)";
		child_notify = IKEV2_N_FAILED_CP_REQUIRED;
	} else {
		int err = ikev2_session_addresses(ctx, sa, &a.cp, &cpr);
		if (err) {
			ctx->st.cp_failed++;
			child_why = err == -ENOENT ? "no address pool configured (ikev2.pool)"
				    : err == -ENOSPC ? "the address pool is exhausted"
				    : err == -EAFNOSUPPORT ? "the pool has no range of the family the client asked for"
							   : "the address pool could not record the lease";
			child_notify = IKEV2_N_INTERNAL_ADDRESS_FAILURE;
		} else {
			ikev2_gen_cp_reply(&g, &cpr);
		}
	}
	if (!child_notify) {
		struct ikev2_child_nonces n = { .ni = sa->ni, .ni_len = sa->ni_len, .nr = sa->nr, .nr_len = sizeof(sa->nr) };
		ikev2_child_create(ctx, sa, req, &n, &g, &child_notify, &child_why, &sa->child);
	}
	if (child_notify) {
		ikev2_gen_notify(&g, 0, NULL, 0, child_notify, NULL, 0);
		ikev2_refuse(ctx, &sa->peer, ident, child_notify == IKEV2_N_NO_PROPOSAL_CHOSEN ? IKEV2_WIN_NO_POLICY : 0,
			     "authenticated, but no CHILD SA: %s", child_why);
	}
	if (sa->mobike)
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_MOBIKE_SUPPORTED, NULL, 0);
	int err = ikev2_send_protected(ctx, sa, IKEV2_EXCH_IKE_AUTH, m->msgid, &g);
	free(out);
	/* what AUTH signed is no longer needed: ~0.7 KiB less per client */
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
	if (err)
		ctx->host->log(ctx->host, KANMON_LOG_ERR, "client %s: IKE_AUTH answer not sent: %s", sa->peer_str,
			       strerror(-err));
	if (!sa->child) {
		/* nothing to carry traffic: give the client time to read the answer, then forget it */
		ikev2_session_end(ctx, sa, NULL);
		ikev2_sa_set_state(ctx, sa, IKEV2_DEAD);
		ikev2_sa_arm(sa, IKEV2_DEAD_LINGER_MS);
		return;
	}
	ikev2_session_register(ctx, sa, &res);
	ikev2_sa_keepalive_start(ctx, sa);
	/* from now on the SA's timer is its liveness check */
	if (ctx->dpd)
		ikev2_sa_arm(sa, (uint64_t)ctx->dpd * 1000);
	if (sa->has_vip4)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa->vip4)->sin_addr, vip, sizeof(vip));
	if (sa->has_vip6) {
		size_t l = sa->has_vip4 ? strlen(vip) : 0;
		if (l)
			vip[l++] = ',';
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa->vip6)->sin6_addr, vip + l, (socklen_t)(sizeof(vip) - l));
	}
	char child[200], ike[96];
	ikev2_child_describe(sa->child, child, sizeof(child));
	ikev2_suite_name(&sa->suite, ike, sizeof(ike));
	ctx->host->log(ctx->host, KANMON_LOG_INFO,
		       "client %s: IKE SA established as '%s' (client %s, server %s, certificate serial %s), IKE %s, "
		       "virtual IP %s, %s, session %llu",
		       sa->peer_str, ident, si.name, sig_name, res.serial, ike, vip, child,
		       (unsigned long long)sa->session_id);
}
