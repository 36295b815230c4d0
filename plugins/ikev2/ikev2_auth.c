/* SPDX-License-Identifier: MIT */
/*
 * ikev2_auth.c - IKE_AUTH responder.
 *
 * This is the seam for the second half of issue 9 (certificate
 * authentication through the host table's cert_* functions, configuration
 * payload, CHILD SA): ikev2_auth_request() receives the decrypted and
 * parsed IKE_AUTH request of a half-open SA; ikev2_auth_octets() already
 * gives what the AUTH payloads sign (RFC 7296 2.15) for cert_sign /
 * signature verification. Until certificate authentication lands, every
 * IKE_AUTH is answered AUTHENTICATION_FAILED (protected, as RFC 7296 2.21.2
 * wants) and the IKE SA is closed, with one log line naming the client.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ikev2.h"

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

void ikev2_auth_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req)
{
	char ident[300] = "";
	struct ikev2_id id;
	const struct ikev2_payload *idi = ikev2_chain_find(req, IKEV2_PL_IDI, NULL);
	struct ikev2_gen g;
	uint8_t buf[64];
	ikev2_gen_init_inner(&g, buf, sizeof(buf));
	if (sa->state != IKEV2_HALF_OPEN) {
		/* a second IKE_AUTH (EAP rounds come later): nothing to continue */
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		ctx->st.invalid_syntax++;
		goto close;
	}
	if (!idi || ikev2_parse_id(idi, &id)) {
		ctx->st.invalid_syntax++;
		ikev2_refuse(ctx, &sa->peer, NULL, 0, "IKE_AUTH without a valid IDi payload");
		ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		goto close;
	}
	ikev2_id_str(&id, ident, sizeof(ident));
	ctx->st.auth_failed++;
	ikev2_refuse(ctx, &sa->peer, ident, 0,
		     "certificate authentication is not implemented in this build: IKE_AUTH answered "
		     "AUTHENTICATION_FAILED");
	ikev2_gen_notify(&g, 0, NULL, 0, IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
close:
	/* the IKE SA is closed; it lingers to answer retransmits of this request */
	ikev2_sa_set_state(ctx, sa, IKEV2_DEAD);
	ikev2_send_protected(ctx, sa, IKEV2_EXCH_IKE_AUTH, m->msgid, &g);
	ikev2_sa_arm(sa, IKEV2_DEAD_LINGER_MS);
}
