/* SPDX-License-Identifier: MIT */
/* fakehost.c - see fakehost.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "fakehost.h"

struct fakehost fh;

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...) KANMON_PRINTF(3, 4);

static void fh_log(const struct kanmon_host *h, int level, const char *fmt, ...)
{
	(void)h;
	size_t i = fh.n_log % FH_MAX_LOG;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fh.log[i], sizeof(fh.log[i]), fmt, ap);
	va_end(ap);
	fh.log_level[i] = level;
	fh.n_log++;
	fh.total_log++;
	if (fh.verbose)
		fprintf(stderr, "[ikev2 %d] %s\n", level, fh.log[i]);
}

static bool fh_log_enabled(const struct kanmon_host *h, int level)
{
	(void)h;
	(void)level;
	return true;
}

static struct kanmon_timer *fh_timer_new(const struct kanmon_host *h, void (*cb)(void *), void *arg)
{
	(void)h;
	for (size_t i = 0; i < fh.n_timers; i++)
		if (fh.timers[i].freed) {
			fh.timers[i] = (struct kanmon_timer){ .cb = cb, .arg = arg };
			return &fh.timers[i];
		}
	if (fh.n_timers == FH_MAX_TIMERS)
		return NULL;
	fh.timers[fh.n_timers] = (struct kanmon_timer){ .cb = cb, .arg = arg };
	return &fh.timers[fh.n_timers++];
}

static void fh_timer_arm(struct kanmon_timer *t, uint64_t ms)
{
	t->armed = true;
	t->due_ms = fh.now + ms;
}

static void fh_timer_cancel(struct kanmon_timer *t)
{
	t->armed = false;
}

static void fh_timer_free(struct kanmon_timer *t)
{
	if (t) {
		t->armed = false;
		t->freed = true;
	}
}

static int fh_net_send(const struct kanmon_host *h, uint16_t port, const struct sockaddr *local,
		       const struct sockaddr *peer, const void *buf, size_t len, uint16_t flags)
{
	(void)h;
	(void)local;
	struct fh_sent *s = &fh.sent[fh.n_sent % FH_MAX_SENT];
	if (len > sizeof(s->data))
		return -90;	/* EMSGSIZE */
	memcpy(s->data, buf, len);
	s->len = len;
	s->port = port;
	s->flags = flags;
	memset(&s->peer, 0, sizeof(s->peer));
	memcpy(&s->peer, peer, peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	fh.n_sent++;
	fh.total_sent++;
	return 0;
}

static void fh_net_unregister(struct kanmon_net_reg *r)
{
	(void)r;
}

void fh_reset(void)
{
	bool verbose = getenv("IKEV2_VERBOSE") != NULL;
	memset(&fh, 0, sizeof(fh));
	fh.verbose = verbose;
	fh.now = 1000000;
	fh.h.size = sizeof(fh.h);
	fh.h.plugin_name = "ikev2";
	fh.h.log = fh_log;
	fh.h.log_enabled = fh_log_enabled;
	fh.h.timer_new = fh_timer_new;
	fh.h.timer_arm = fh_timer_arm;
	fh.h.timer_cancel = fh_timer_cancel;
	fh.h.timer_free = fh_timer_free;
	fh.h.net_send = fh_net_send;
	fh.h.net_unregister = fh_net_unregister;
}

uint64_t fh_now(void)
{
	return fh.now;
}

const struct fh_sent *fh_sent_at(size_t i)
{
	return i < fh.n_sent && i < FH_MAX_SENT ? &fh.sent[i] : NULL;
}

void fh_clear_sent(void)
{
	fh.n_sent = 0;
}

void fh_clear_log(void)
{
	fh.n_log = 0;
}

size_t fh_log_count(const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_log && i < FH_MAX_LOG; i++)
		n += strstr(fh.log[i], needle) != NULL;
	return n;
}

void fh_run_timers(void)
{
	for (size_t i = 0; i < fh.n_timers; i++) {
		struct kanmon_timer *t = &fh.timers[i];
		if (t->armed && !t->freed && t->due_ms <= fh.now) {
			t->armed = false;
			t->cb(t->arg);
		}
	}
}

void fh_advance(uint64_t ms)
{
	uint64_t end = fh.now + ms;
	for (unsigned guard = 0; guard < 1000000; guard++) {
		struct kanmon_timer *next = NULL;
		for (size_t i = 0; i < fh.n_timers; i++) {
			struct kanmon_timer *t = &fh.timers[i];
			if (t->armed && !t->freed && t->due_ms <= end && (!next || t->due_ms < next->due_ms))
				next = t;
		}
		if (!next)
			break;
		if (next->due_ms > fh.now)
			fh.now = next->due_ms;
		next->armed = false;
		next->cb(next->arg);
	}
	fh.now = end;
}

/* ---- IKE_AUTH services (fh_auth_on) ------------------------------------------ */

/* cert_verify: the end entity must be signed by the test's CA and carry the identity */
static int fh_cert_verify(const struct kanmon_host *h, const struct kanmon_blob *chain, size_t n, int role,
			  const struct kanmon_id *id, struct kanmon_cert_result *res)
{
	(void)h;
	gnutls_x509_crt_t crt;
	unsigned status = 0;
	fh.n_cert_verify++;
	fh.verify_role = role;
	res->status = -EKEYREJECTED;
	res->reason[0] = 0;
	if (!n || gnutls_x509_crt_init(&crt)) {
		snprintf(res->reason, sizeof(res->reason), "no certificate");
		return res->status;
	}
	gnutls_datum_t der = { (unsigned char *)chain[0].data, (unsigned)chain[0].len };
	if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER)) {
		snprintf(res->reason, sizeof(res->reason), "not an X.509 certificate");
		res->status = -EINVAL;
		goto out;
	}
	if (!fh.auth.ca || gnutls_x509_crt_verify(crt, &fh.auth.ca, 1, 0, &status) || status) {
		snprintf(res->reason, sizeof(res->reason), "not issued by a trusted CA (test CA)");
		goto out;
	}
	if (id && (id->type == KANMON_ID_RFC822_ADDR || id->type == KANMON_ID_FQDN)) {
		bool found = false;
		for (unsigned i = 0; !found; i++) {
			char san[256];
			size_t sl = sizeof(san) - 1;
			int t = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &sl, NULL);
			if (t < 0)
				break;
			found = sl == id->len && !memcmp(san, id->data, sl);
		}
		if (!found) {
			snprintf(res->reason, sizeof(res->reason), "the certificate does not carry the identity");
			goto out;
		}
	}
	size_t sl = sizeof(res->subject);
	gnutls_x509_crt_get_dn(crt, res->subject, &sl);
	sl = sizeof(res->issuer);
	gnutls_x509_crt_get_issuer_dn(crt, res->issuer, &sl);
	uint8_t serial[20];
	size_t nl = sizeof(serial);
	if (!gnutls_x509_crt_get_serial(crt, serial, &nl))
		for (size_t i = 0; i < nl && 2 * i + 2 < sizeof(res->serial); i++)
			snprintf(res->serial + 2 * i, 3, "%02x", serial[i]);
	res->status = 0;
out:
	gnutls_x509_crt_deinit(crt);
	return res->status;
}

static gnutls_digest_algorithm_t fh_dig(unsigned hash)
{
	switch (hash) {
	case KANMON_HASH_SHA1: return GNUTLS_DIG_SHA1;
	case KANMON_HASH_SHA256: return GNUTLS_DIG_SHA256;
	case KANMON_HASH_SHA384: return GNUTLS_DIG_SHA384;
	case KANMON_HASH_SHA512: return GNUTLS_DIG_SHA512;
	default: return GNUTLS_DIG_UNKNOWN;
	}
}

/* cert_sign with the test's server key: PKCS#1 v1.5, PSS, ECDSA DER or r || s */
static int fh_cert_sign(const struct kanmon_host *h, const char *name, unsigned hash, unsigned flags,
			const void *data, size_t len, uint8_t *sig, size_t *sig_len)
{
	(void)h;
	fh.n_cert_sign++;
	fh.sign_hash = hash;
	fh.sign_flags = flags;
	if (!fh.auth.server_name || strcmp(name, fh.auth.server_name) || !fh.auth.server_key)
		return -ENOENT;
	gnutls_digest_algorithm_t dig = fh_dig(hash);
	if (dig == GNUTLS_DIG_UNKNOWN)
		return -EOPNOTSUPP;
	bool ec = fh.auth.key_type == KANMON_KEY_ECDSA;
	if ((flags & KANMON_SIGN_RSA_PSS && ec) || (flags & KANMON_SIGN_ECDSA_RAW && !ec))
		return -EOPNOTSUPP;
	gnutls_datum_t d = { (unsigned char *)data, (unsigned)len }, s = { NULL, 0 };
	int r;
	if (flags & KANMON_SIGN_RSA_PSS)
		r = gnutls_privkey_sign_data(fh.auth.server_key, dig, GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS, &d, &s);
	else
		r = gnutls_privkey_sign_data(fh.auth.server_key, dig, 0, &d, &s);
	if (r)
		return -EIO;
	int err = 0;
	if (flags & KANMON_SIGN_ECDSA_RAW) {
		/* r || s, each the curve's size */
		size_t half = (fh.auth.key_bits + 7) / 8;
		gnutls_datum_t rr, ss;
		if (gnutls_decode_rs_value(&s, &rr, &ss)) {
			gnutls_free(s.data);
			return -EIO;
		}
		if (*sig_len < 2 * half) {
			err = -ENOSPC;
		} else {
			const gnutls_datum_t *v[2] = { &rr, &ss };
			for (int i = 0; i < 2; i++) {
				const uint8_t *p = v[i]->data;
				size_t l = v[i]->size;
				while (l > half && !*p)
					p++, l--;
				memset(sig + i * half, 0, half - l);
				memcpy(sig + i * half + half - l, p, l);
			}
			*sig_len = 2 * half;
		}
		gnutls_free(rr.data);
		gnutls_free(ss.data);
	} else if (*sig_len < s.size) {
		err = -ENOSPC;
	} else {
		memcpy(sig, s.data, s.size);
		*sig_len = s.size;
	}
	gnutls_free(s.data);
	return err;
}

static int fh_cert_lookup(const struct kanmon_host *h, const char *name, const struct kanmon_id *id,
			  struct kanmon_cert_info *info)
{
	(void)h;
	(void)id;
	fh.n_cert_lookup++;
	if (!name || !fh.auth.server_name || strcmp(name, fh.auth.server_name) || !fh.auth.server_cert)
		return -ENOENT;
	info->name = fh.auth.server_name;
	info->cert.data = fh.auth.server_cert;
	info->cert.len = fh.auth.server_cert_len;
	info->issuer.data = fh.auth.server_issuer;
	info->issuer.len = fh.auth.server_issuer_len;
	info->key_type = fh.auth.key_type;
	info->key_bits = fh.auth.key_bits;
	info->subject = "CN=vpn.example.com";
	info->not_after = 0;
	return 0;
}

static int fh_session_cert(const struct kanmon_host *h, uint64_t id, const struct kanmon_cert_result *res)
{
	(void)h;
	fh.n_session_cert++;
	for (size_t i = 0; i < fh.n_sessions; i++)
		if (fh.sessions[i].id == id && fh.sessions[i].present) {
			snprintf(fh.sessions[i].cert_serial, sizeof(fh.sessions[i].cert_serial), "%s", res->serial);
			return 0;
		}
	return -ENOENT;
}

/* pool: one IPv4 address per identity, sticky */
static int fh_pool_acquire(const struct kanmon_host *h, const char *pool, const char *identity, int family,
			   struct sockaddr_storage *addr)
{
	(void)h;
	fh.n_acquire++;
	if (!fh.auth.pool || strcmp(pool, fh.auth.pool))
		return -ENOENT;
	if (family != AF_INET)
		return -EAFNOSUPPORT;
	struct fh_lease *l = (struct fh_lease *)fh_lease_of(identity);
	if (!l) {
		if (fh.n_leases == FH_MAX_LEASES)
			return -ENOSPC;
		l = &fh.leases[fh.n_leases];
		char ip[INET_ADDRSTRLEN];
		snprintf(ip, sizeof(ip), "%s%zu", fh.auth.pool4_prefix, 10 + fh.n_leases);
		struct sockaddr_in *s = (struct sockaddr_in *)&l->addr;
		memset(&l->addr, 0, sizeof(l->addr));
		s->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s->sin_addr);
		snprintf(l->identity, sizeof(l->identity), "%s", identity);
		fh.n_leases++;
	}
	l->online = true;
	*addr = l->addr;
	return 0;
}

static int fh_pool_release(const struct kanmon_host *h, const char *pool, const char *identity,
			   const struct sockaddr *addr)
{
	(void)h;
	fh.n_release++;
	struct fh_lease *l = (struct fh_lease *)fh_lease_of(identity);
	if (!fh.auth.pool || strcmp(pool, fh.auth.pool) || !l || addr->sa_family != AF_INET ||
	    memcmp(&((const struct sockaddr_in *)addr)->sin_addr, &((struct sockaddr_in *)&l->addr)->sin_addr, 4))
		return -ENOENT;
	l->online = false;
	return 0;
}

static const char fh_pool_group = 'p';	/* what pool_conf hands out: only its address matters */

static const struct kanmon_conf *fh_pool_conf(const struct kanmon_host *h, const char *pool)
{
	(void)h;
	if (!fh.auth.pool || strcmp(pool, fh.auth.pool))
		return NULL;
	return (const struct kanmon_conf *)&fh_pool_group;
}

static size_t fh_conf_count(const struct kanmon_conf *c, const char *path)
{
	return c == (const struct kanmon_conf *)&fh_pool_group && !strcmp(path, "dns") ? fh.auth.n_dns : 0;
}

static const char *fh_conf_string_at(const struct kanmon_conf *c, const char *path, size_t i)
{
	return fh_conf_count(c, path) > i ? fh.auth.dns[i] : NULL;
}

/* sessions */
static int fh_session_add(const struct kanmon_host *h, const struct kanmon_session *s,
			  const struct kanmon_session_ops *ops, void *arg, uint64_t *id)
{
	(void)h;
	if (fh.n_sessions == FH_MAX_SESSIONS)
		return -ENOSPC;
	struct fh_session *r = &fh.sessions[fh.n_sessions++];
	memset(r, 0, sizeof(*r));
	r->id = 100 + fh.n_sessions;
	r->present = true;
	snprintf(r->identity, sizeof(r->identity), "%s", s->identity ? s->identity : "");
	snprintf(r->algorithms, sizeof(r->algorithms), "%s", s->algorithms ? s->algorithms : "");
	r->peer = s->peer;
	r->n_vips = s->n_vips;
	for (unsigned i = 0; i < s->n_vips && i < KANMON_SESSION_MAX_VIPS; i++)
		r->vips[i] = s->vips[i];
	r->ops = ops;
	r->arg = arg;
	*id = r->id;
	return 0;
}

static void fh_session_remove(const struct kanmon_host *h, uint64_t id)
{
	(void)h;
	fh.n_session_remove++;
	for (size_t i = 0; i < fh.n_sessions; i++)
		if (fh.sessions[i].id == id)
			fh.sessions[i].present = false;
}

/* SA backend */
static bool fh_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a, *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a, *b6 = (const struct sockaddr_in6 *)b;
	if (a->ss_family == AF_INET)
		return !memcmp(&a4->sin_addr, &b4->sin_addr, 4);
	if (a->ss_family == AF_INET6)
		return !memcmp(&a6->sin6_addr, &b6->sin6_addr, 16);
	return true;
}

static bool fh_same_ts(const struct kanmon_ts *a, const struct kanmon_ts *b)
{
	return fh_same_addr(&a->from, &b->from) && fh_same_addr(&a->to, &b->to) && a->proto == b->proto &&
	       a->from_port == b->from_port && a->to_port == b->to_port;
}

static struct fh_sa *fh_find_sa(const struct kanmon_sa_id *id)
{
	for (size_t i = 0; i < fh.n_sas; i++) {
		struct fh_sa *s = &fh.sas[i];
		if (s->present && s->id.spi == id->spi && s->id.proto == id->proto &&
		    fh_same_addr(&s->id.dst, &id->dst))
			return s;
	}
	return NULL;
}

static int fh_alloc_spi(void *be, const struct kanmon_sa_id *id, uint32_t *spi)
{
	(void)be;
	(void)id;
	fh.n_alloc_spi++;
	*spi = htonl(fh.next_spi++);
	return 0;
}

static int fh_add_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p)
{
	(void)be;
	fh.n_add_sa++;
	if (fh_find_sa(id))
		return -EEXIST;
	if (fh.n_sas == FH_MAX_SAS || p->enc_key_len > 64 || p->integ_key_len > 64)
		return -ENOSPC;
	struct fh_sa *s = &fh.sas[fh.n_sas++];
	memset(s, 0, sizeof(*s));
	s->present = true;
	s->id = *id;
	s->p = *p;
	if (p->enc_key)
		memcpy(s->enc_key, p->enc_key, p->enc_key_len);
	if (p->integ_key)
		memcpy(s->integ_key, p->integ_key, p->integ_key_len);
	s->p.enc_key = s->p.integ_key = NULL;
	return 0;
}

static int fh_update_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id, uint16_t sport,
			uint16_t dport)
{
	(void)be;
	fh.n_update_sa++;
	struct fh_sa *s = fh_find_sa(id);
	if (!s)
		return -ESRCH;
	s->id = *new_id;
	s->p.encap_sport = sport;
	s->p.encap_dport = dport;
	return 0;
}

static int fh_query_sa(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st)
{
	(void)be;
	memset(st, 0, sizeof(*st));
	const struct fh_sa *s = fh_find_sa(id);
	if (!s)
		return -ESRCH;
	st->last_use = s->last_use;
	return 0;
}

static int fh_del_sa(void *be, const struct kanmon_sa_id *id)
{
	(void)be;
	fh.n_del_sa++;
	struct fh_sa *s = fh_find_sa(id);
	if (!s)
		return -ESRCH;
	s->present = false;
	return 0;
}

static int fh_add_policy(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p)
{
	(void)be;
	fh.n_add_policy++;
	if (fh.n_policies == FH_MAX_POLICIES)
		return -ENOSPC;
	struct fh_policy *r = &fh.policies[fh.n_policies++];
	r->present = true;
	r->id = *id;
	r->p = *p;
	return 0;
}

static int fh_del_policy(void *be, const struct kanmon_policy_id *id)
{
	(void)be;
	fh.n_del_policy++;
	for (size_t i = 0; i < fh.n_policies; i++) {
		struct fh_policy *r = &fh.policies[i];
		if (r->present && r->id.dir == id->dir && fh_same_ts(&r->id.src_ts, &id->src_ts) &&
		    fh_same_ts(&r->id.dst_ts, &id->dst_ts)) {
			r->present = false;
			return 0;
		}
	}
	return -ENOENT;
}

static const struct kanmon_sa_ops fh_sa_ops = {
	.size = sizeof(fh_sa_ops),
	.alloc_spi = fh_alloc_spi,
	.add_sa = fh_add_sa,
	.update_sa = fh_update_sa,
	.query_sa = fh_query_sa,
	.del_sa = fh_del_sa,
	.add_policy = fh_add_policy,
	.del_policy = fh_del_policy,
};

static int fh_sa_backend(const struct kanmon_host *h, const struct kanmon_sa_ops **ops, void **be)
{
	(void)h;
	*ops = &fh_sa_ops;
	*be = &fh;
	return 0;
}

void fh_auth_on(void)
{
	fh.h.cert_verify = fh_cert_verify;
	fh.h.cert_sign = fh_cert_sign;
	fh.h.cert_lookup = fh_cert_lookup;
	fh.h.session_cert = fh_session_cert;
	fh.h.pool_acquire = fh_pool_acquire;
	fh.h.pool_release = fh_pool_release;
	fh.h.pool_conf = fh_pool_conf;
	fh.h.conf_count = fh_conf_count;
	fh.h.conf_string_at = fh_conf_string_at;
	fh.h.session_add = fh_session_add;
	fh.h.session_remove = fh_session_remove;
	fh.h.sa_backend = fh_sa_backend;
	fh.next_spi = 0xc0de0001;
}

size_t fh_sas_present(void)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_sas; i++)
		n += fh.sas[i].present;
	return n;
}

size_t fh_policies_present(void)
{
	size_t n = 0;
	for (size_t i = 0; i < fh.n_policies; i++)
		n += fh.policies[i].present;
	return n;
}

const struct fh_sa *fh_sa_by_spi(uint32_t spi)
{
	for (size_t i = 0; i < fh.n_sas; i++)
		if (fh.sas[i].present && fh.sas[i].id.spi == spi)
			return &fh.sas[i];
	return NULL;
}

void fh_set_last_use(uint32_t spi, time_t t)
{
	for (size_t i = 0; i < fh.n_sas; i++)
		if (fh.sas[i].present && fh.sas[i].id.spi == spi)
			fh.sas[i].last_use = t;
}

const struct fh_lease *fh_lease_of(const char *identity)
{
	for (size_t i = 0; i < fh.n_leases; i++)
		if (!strcmp(fh.leases[i].identity, identity))
			return &fh.leases[i];
	return NULL;
}
