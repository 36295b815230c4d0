/* SPDX-License-Identifier: MIT */
/*
 * xfrm_sa.c - SA ops. Requests are built with libnl-xfrm (xfrmnl_sa_*)
 * and sent through xfrm_nl.c; the messages libnl-xfrm cannot build come from
 * xfrm_msg.c.
 *
 * Keys: libnl copies whatever it is given into heap buffers it later frees
 * without wiping, so it only ever sees an all-zero placeholder key of the
 * right length; the real key is written into the finished message
 * (kx_msg_put_key) and the message is wiped before it is freed. Replies
 * that carry keys (GETSA) are parsed in place and the receive buffer wiped.
 *
 * alloc_spi leaves a larval SA in the kernel (it expires after
 * net.core.xfrm_acq_expires, 30 s); add_sa of that SPI turns it into the real
 * SA with XFRM_MSG_UPDSA, as strongSwan does, falling back to NEWSA when it
 * expired meanwhile.
 *
 * update_sa: same addresses (only the NAT-T ports moved) -> XFRM_MSG_UPDSA in
 * place; new addresses (MOBIKE, NAT rebinding to another address) -> GETSA,
 * then DELSA + NEWSA of the same state in one batch, carrying the replay/ESN
 * state and current lifetime over; if the re-add is refused the old SA is
 * put back.
 *
 * ESP-in-UDP: the kernel decapsulates only on a UDP socket with
 * UDP_ENCAP_ESPINUDP. That socket is the core's NAT-T socket (setting
 * natt_port), which exists only when a protocol plugin registered the port,
 * and protocol plugins start after the backend: so the option is set lazily,
 * at the first SA with encapsulation (host->net_fds).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <sys/socket.h>

#include "xfrm.h"
#include "xfrm_msg.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif

/* RFC 4303: SPIs 1-255 are reserved; strongSwan's default range */
#define KX_SPI_MIN 0xc0000000u
#define KX_SPI_MAX 0xcfffffffu

#define LOG(kx, lvl, ...) (kx)->host->log((kx)->host, (lvl), __VA_ARGS__)

void kx_sa_name(const struct kanmon_sa_id *id, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int n = snprintf(buf, len, "SA 0x%08x %s -> %s", ntohl(id->spi), kx_addr_str(&id->src, s, sizeof(s)),
			 kx_addr_str(&id->dst, d, sizeof(d)));
	if ((id->mark || id->mark_mask) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " mark 0x%x/0x%x", id->mark, kx_mark_mask(id->mark, id->mark_mask));
}

static const char *hint(int err, int family)
{
	switch (err) {
	case -EPROTONOSUPPORT:
	case -ENOENT:
		return family == AF_INET6 ? " (is esp6 loaded?)" : " (is esp4 loaded?)";
	case -ENOSYS:
		return " (is the kernel crypto module for this algorithm available?)";
	case -EEXIST:
		return " (an SA with this SPI, destination and mark exists)";
	case -EPERM:
		return " (kanmond needs CAP_NET_ADMIN)";
	default:
		return "";
	}
}

static void refused(struct kx *kx, const char *what, const struct kanmon_sa_id *id, int err)
{
	char name[160];
	kx_sa_name(id, name, sizeof(name));
	LOG(kx, KANMON_LOG_ERR, "kernel refused %s%s: %s%s%s%s", what, name, strerror(-err),
	    kx->nl.errmsg[0] ? ": " : "", kx->nl.errmsg, hint(err, id->dst.ss_family));
}

static struct kx_sa_rec *find(struct kx *kx, const struct kanmon_sa_id *id)
{
	struct kx_sa_key k;
	if (kx_sa_key_from_id(id, &k))
		return NULL;
	return (struct kx_sa_rec *)(void *)kx_tab_find(&kx->sas, &k);
}

static int track(struct kx *kx, const struct kanmon_sa_id *id, struct kx_sa_rec **out)
{
	struct kx_sa_rec *rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	kx_sa_key_from_id(id, &rec->k);
	kx_addr_bytes(&id->src, rec->src);
	rec->if_id = id->if_id;
	if (kx_tab_add(&kx->sas, &rec->node)) {
		free(rec);
		return -ENOMEM;
	}
	*out = rec;
	return 0;
}

static void untrack(struct kx *kx, struct kx_sa_rec *rec)
{
	kx_tab_del(&kx->sas, &rec->node);
	free(rec);
}

/* One request, no reply expected. */
static int run1(struct kx *kx, struct nl_msg *msg)
{
	struct kx_req r = { .msg = nlmsg_hdr(msg) };
	int err = kx_nl_run(&kx->nl, &r, 1);
	return err ? err : r.err;
}

/* ---- NAT-T socket ----------------------------------------------------------- */

static void natt_setup(struct kx *kx)
{
	if (kx->natt_done)
		return;
	int fds[16], type = UDP_ENCAP_ESPINUDP, ok = 0;
	size_t n = kx->host->net_fds(kx->host, kx->cfg.natt_port, fds, 16);
	for (size_t i = 0; i < n && i < 16; i++) {
		if (setsockopt(fds[i], IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0)
			LOG(kx, KANMON_LOG_ERR, "cannot enable ESP-in-UDP on the UDP %u socket: %s", kx->cfg.natt_port,
			    strerror(errno));
		else
			ok++;
	}
	if (!n)
		LOG(kx, KANMON_LOG_WARNING,
		    "no core socket on UDP port %u (natt_port): inbound ESP-in-UDP will not be decapsulated "
		    "until a protocol plugin listens on it",
		    kx->cfg.natt_port);
	if (ok)
		LOG(kx, KANMON_LOG_INFO, "ESP-in-UDP decapsulation enabled on %d socket(s) of UDP port %u", ok,
		    kx->cfg.natt_port);
	/* retried at the next encapsulated SA while no socket took the option */
	kx->natt_done = ok > 0;
}

/* ---- building SAs ---------------------------------------------------------- */

struct sa_build {
	const struct kanmon_sa_id *id;
	const struct kanmon_sa_params *p;
	const struct kx_alg *enc, *integ;
	uint32_t replay;
	bool update;
};

static int set_lifetime(struct xfrmnl_sa *sa, const struct kanmon_sa_params *p)
{
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();
	if (!lt)
		return -ENOMEM;
	/* 0 in the ABI is "no limit": XFRM_INF for counts, 0 for seconds */
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, p->soft.bytes ? p->soft.bytes : XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, p->hard.bytes ? p->hard.bytes : XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, p->soft.packets ? p->soft.packets : XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, p->hard.packets ? p->hard.packets : XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_addexpires(lt, p->soft.seconds);
	xfrmnl_ltime_cfg_set_hard_addexpires(lt, p->hard.seconds);
	xfrmnl_sa_set_lifetime_cfg(sa, lt);
	xfrmnl_ltime_cfg_put(lt);
	return 0;
}

/* Transport mode: a host selector when both selectors are one prefix each. */
static int set_transport_sel(struct xfrmnl_sa *sa, const struct kanmon_sa_params *p)
{
	const struct kanmon_ts *s = p->dir == KANMON_SA_OUT ? &p->local_ts : &p->remote_ts;
	const struct kanmon_ts *d = p->dir == KANMON_SA_OUT ? &p->remote_ts : &p->local_ts;
	struct kx_sel *v = NULL;
	size_t n = 0;
	if (!s->from.ss_family || kx_ts_split(s, d, &v, &n) || n != 1) {
		free(v);
		return 0;	/* no usable selector: the policies select */
	}
	size_t alen = v->family == AF_INET6 ? 16 : 4;
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *sa_ = nl_addr_build(v->family, v->saddr, alen), *da = nl_addr_build(v->family, v->daddr, alen);
	int err = !sel || !sa_ || !da ? -ENOMEM : 0;
	if (!err) {
		xfrmnl_sel_set_saddr(sel, sa_);
		xfrmnl_sel_set_daddr(sel, da);
		xfrmnl_sel_set_family(sel, v->family);
		xfrmnl_sel_set_prefixlen_s(sel, v->plen_s);
		xfrmnl_sel_set_prefixlen_d(sel, v->plen_d);
		xfrmnl_sel_set_sport(sel, v->sport);
		xfrmnl_sel_set_sportmask(sel, v->sport_mask);
		xfrmnl_sel_set_dport(sel, v->dport);
		xfrmnl_sel_set_dportmask(sel, v->dport_mask);
		xfrmnl_sel_set_proto(sel, v->proto);
		xfrmnl_sa_set_sel(sa, sel);
	}
	if (sel)
		xfrmnl_sel_put(sel);
	nl_addr_put(sa_);
	nl_addr_put(da);
	free(v);
	return err;
}

static int put_keys(struct nl_msg *msg, const struct sa_build *b)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	size_t hl = sizeof(struct xfrm_usersa_info);
	const struct kanmon_sa_params *p = b->p;
	int err;
	if (b->enc->aead)
		return kx_msg_put_key(h, hl, XFRMA_ALG_AEAD, p->enc_key, p->enc_key_len);
	if (p->enc_key_len && (err = kx_msg_put_key(h, hl, XFRMA_ALG_CRYPT, p->enc_key, p->enc_key_len)))
		return err;
	if (!b->integ)
		return 0;
	/* libnl sends the integrity key twice: plain (legacy) and truncated */
	err = kx_msg_put_key(h, hl, XFRMA_ALG_AUTH_TRUNC, p->integ_key, p->integ_key_len);
	if (!err)
		err = kx_msg_put_key(h, hl, XFRMA_ALG_AUTH, p->integ_key, p->integ_key_len);
	return err == -ENOENT ? 0 : err;
}

static int build_sa(const struct sa_build *b, struct nl_msg **out)
{
	static const uint8_t zero[128];
	static uint32_t bmp[XFRMA_REPLAY_ESN_MAX / 32];
	const struct kanmon_sa_id *id = b->id;
	const struct kanmon_sa_params *p = b->p;
	uint8_t src[16], dst[16];
	int family = kx_addr_bytes(&id->dst, dst);
	if (family < 0 || kx_addr_bytes(&id->src, src) != family)
		return -EAFNOSUPPORT;
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	struct nl_addr *sa_ = nl_addr_build(family, src, alen), *da = nl_addr_build(family, dst, alen);
	struct nl_addr *oa = nl_addr_build(family, zero, alen);
	int err = !sa || !sa_ || !da || !oa ? -ENOMEM : 0;
	if (err)
		goto out;
	xfrmnl_sa_set_daddr(sa, da);
	xfrmnl_sa_set_saddr(sa, sa_);
	xfrmnl_sa_set_spi(sa, ntohl(id->spi));
	xfrmnl_sa_set_proto(sa, KANMON_SA_PROTO_ESP);
	xfrmnl_sa_set_family(sa, (unsigned)family);
	xfrmnl_sa_set_reqid(sa, p->reqid);
	unsigned flags = p->esn ? XFRM_STATE_ESN : 0;
	if (p->mode == KANMON_SA_TUNNEL) {
		xfrmnl_sa_set_mode(sa, XFRM_MODE_TUNNEL);
		/* no selector family: IPv4 and IPv6 may both travel inside (as strongSwan) */
		flags |= XFRM_STATE_AF_UNSPEC;
	} else {
		xfrmnl_sa_set_mode(sa, XFRM_MODE_TRANSPORT);
		if ((err = set_transport_sel(sa, p)))
			goto out;
	}
	xfrmnl_sa_set_flags(sa, flags);
	/* beyond 32 packets (or with ESN) only the bitmap form can hold the window */
	if (p->esn || b->replay > 32) {
		unsigned words = (b->replay + 31) / 32;
		xfrmnl_sa_set_replay_state_esn(sa, 0, 0, 0, 0, b->replay, words, bmp);
		xfrmnl_sa_set_replay_window(sa, 0);
	} else {
		xfrmnl_sa_set_replay_window(sa, b->replay);
	}
	if ((err = set_lifetime(sa, p)))
		goto out;
	/* all-zero placeholders: the real keys go into the finished message */
	if (b->enc->aead) {
		xfrmnl_sa_set_aead_params(sa, b->enc->name, (unsigned)p->enc_key_len * 8, b->enc->bits, (const char *)zero);
	} else {
		xfrmnl_sa_set_crypto_params(sa, b->enc->name, (unsigned)p->enc_key_len * 8, (const char *)zero);
		if (b->integ)
			xfrmnl_sa_set_auth_params(sa, b->integ->name, (unsigned)p->integ_key_len * 8, b->integ->bits,
						  (const char *)zero);
	}
	if (p->encap_sport || p->encap_dport)
		xfrmnl_sa_set_encap_tmpl(sa, UDP_ENCAP_ESPINUDP, p->encap_sport, p->encap_dport, oa);
	if (id->mark || id->mark_mask)
		xfrmnl_sa_set_mark(sa, id->mark, kx_mark_mask(id->mark, id->mark_mask));
	int rc = b->update ? xfrmnl_sa_build_update_request(sa, 0, out) : xfrmnl_sa_build_add_request(sa, 0, out);
	if (rc < 0) {
		err = -ENOMEM;
		goto out;
	}
	err = put_keys(*out, b);
	if (!err && id->if_id && nla_put_u32(*out, XFRMA_IF_ID, id->if_id) < 0)
		err = -EMSGSIZE;
	if (err) {
		kx_msg_wipe(*out);
		nlmsg_free(*out);
	}
out:
	if (sa)
		xfrmnl_sa_put(sa);
	nl_addr_put(sa_);
	nl_addr_put(da);
	nl_addr_put(oa);
	return err;
}

int kx_sa_msg(const struct kanmon_sa_id *id, const struct kanmon_sa_params *p, uint32_t replay, bool update,
	      struct nl_msg **out)
{
	struct sa_build b = { .id = id, .p = p, .replay = replay, .update = update };
	int err = kx_alg_enc(p->enc_alg, p->enc_key_len, &b.enc);
	if (!err && !b.enc->aead)
		err = kx_alg_integ(p->integ_alg, p->integ_key_len, &b.integ);
	return err ? err : build_sa(&b, out);
}

/* ---- ops -------------------------------------------------------------------- */

static void spi_reply(struct kx_req *r, const struct nlmsghdr *h)
{
	uint32_t spi;
	if (!kx_msg_allocspi_reply(h, h->nlmsg_len, &spi))
		*(uint32_t *)r->arg = spi;
}

int kx_alloc_spi(void *be, const struct kanmon_sa_id *id, uint32_t *spi)
{
	struct kx *kx = be;
	struct kx_spi_req q;
	memset(&q, 0, sizeof(q));
	q.family = kx_addr_bytes(&id->dst, q.dst);
	if (q.family < 0 || kx_addr_bytes(&id->src, q.src) != q.family)
		return -EAFNOSUPPORT;
	q.proto = id->proto ? id->proto : KANMON_SA_PROTO_ESP;
	q.mark_v = id->mark;
	q.mark_m = kx_mark_mask(id->mark, id->mark_mask);
	q.if_id = id->if_id;
	q.min = KX_SPI_MIN;
	q.max = KX_SPI_MAX;
	struct nl_msg *msg;
	int err = kx_msg_allocspi(&q, &msg);
	if (err)
		return err;
	uint32_t got = 0;
	struct kx_req r = { .msg = nlmsg_hdr(msg), .reply = spi_reply, .arg = &got };
	err = kx_nl_run(&kx->nl, &r, 1);
	nlmsg_free(msg);
	if (!err)
		err = r.err;
	if (!err && !got)
		err = -EBADMSG;
	struct kanmon_sa_id named = *id;
	named.spi = got;
	if (err) {
		refused(kx, "SPI allocation for ", &named, err);
		return err;
	}
	struct kx_sa_rec *rec;
	if (!find(kx, &named) && !track(kx, &named, &rec))
		rec->larval = true;
	*spi = got;
	return 0;
}

static int check_params(struct kx *kx, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p,
			struct sa_build *b)
{
	char name[160];
	kx_sa_name(id, name, sizeof(name));
	memset(b, 0, sizeof(*b));
	b->id = id;
	b->p = p;
	if (!p || p->size < offsetof(struct kanmon_sa_params, reserved) ||
	    (p->mode != KANMON_SA_TUNNEL && p->mode != KANMON_SA_TRANSPORT) ||
	    (p->dir != KANMON_SA_IN && p->dir != KANMON_SA_OUT) || !p->reqid || !id->spi ||
	    (id->proto && id->proto != KANMON_SA_PROTO_ESP)) {
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: invalid parameters (mode, direction, reqid, SPI or protocol)",
		    name);
		return -EINVAL;
	}
	int err = kx_alg_enc(p->enc_alg, p->enc_key_len, &b->enc);
	if (err == -ENOTSUP) {
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: encryption transform %u is not supported by kernel-xfrm",
		    name, p->enc_alg);
		return err;
	}
	if (err) {
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: %zu-byte key is wrong for %s", name, p->enc_key_len,
		    b->enc->name);
		return err;
	}
	if (b->enc->aead != (p->integ_alg == KANMON_AUTH_NONE)) {
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: %s %s an integrity algorithm", name, b->enc->name,
		    b->enc->aead ? "must not have" : "needs");
		return -EINVAL;
	}
	if (!b->enc->aead) {
		err = kx_alg_integ(p->integ_alg, p->integ_key_len, &b->integ);
		if (err) {
			LOG(kx, KANMON_LOG_ERR, "cannot install %s: integrity transform %u %s", name, p->integ_alg,
			    err == -ENOTSUP ? "is not supported by kernel-xfrm" : "has a key of the wrong length");
			return err;
		}
	}
	b->replay = p->replay_window ? p->replay_window : kx->cfg.replay_window;
	if (b->replay > XFRMA_REPLAY_ESN_MAX) {
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: replay window %u exceeds %u", name, b->replay,
		    XFRMA_REPLAY_ESN_MAX);
		return -EINVAL;
	}
	return 0;
}

int kx_add_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p)
{
	struct kx *kx = be;
	struct sa_build b;
	int err = check_params(kx, id, p, &b);
	if (err)
		return err;
	struct kx_sa_rec *rec = find(kx, id);
	if (rec && !rec->larval) {
		refused(kx, "", id, -EEXIST);
		return -EEXIST;
	}
	b.update = rec && rec->larval && p->dir == KANMON_SA_IN;
	if (p->encap_sport || p->encap_dport)
		natt_setup(kx);
	struct nl_msg *msg;
	if ((err = build_sa(&b, &msg))) {
		char name[160];
		kx_sa_name(id, name, sizeof(name));
		LOG(kx, KANMON_LOG_ERR, "cannot install %s: %s", name,
		    err == -EAFNOSUPPORT ? "source and destination are not both IPv4 or both IPv6" : strerror(-err));
		return err;
	}
	err = run1(kx, msg);
	if (err == -ESRCH && b.update) {
		/* the larval SA expired before the IKE exchange finished: add it new */
		nlmsg_hdr(msg)->nlmsg_type = XFRM_MSG_NEWSA;
		err = run1(kx, msg);
	}
	kx_msg_wipe(msg);
	nlmsg_free(msg);
	if (err) {
		refused(kx, "", id, err);
		return err;
	}
	if (!rec && (err = track(kx, id, &rec))) {
		LOG(kx, KANMON_LOG_ERR, "out of memory tracking an SA: it will not be removed at stop");
		return 0;
	}
	rec->larval = false;
	rec->dir = (uint8_t)p->dir;
	rec->reqid = p->reqid;
	rec->if_id = id->if_id;
	rec->encap = p->encap_sport || p->encap_dport;
	if (kx->host->log_enabled(kx->host, KANMON_LOG_DEBUG)) {
		char name[160];
		kx_sa_name(id, name, sizeof(name));
		LOG(kx, KANMON_LOG_DEBUG, "installed %s %s reqid %u (%s%s%s)", p->dir == KANMON_SA_IN ? "inbound" : "outbound",
		    name, p->reqid, b.enc->name, b.integ ? "/" : "", b.integ ? b.integ->name : "");
	}
	return 0;
}

/* GETSA; the reply is copied to a heap buffer the caller wipes and frees. */
struct got {
	uint8_t *buf;
	size_t len;
};

static void got_reply(struct kx_req *r, const struct nlmsghdr *h)
{
	struct got *g = r->arg;
	if (g->buf || h->nlmsg_type != XFRM_MSG_NEWSA)
		return;
	if ((g->buf = malloc(h->nlmsg_len))) {
		memcpy(g->buf, h, h->nlmsg_len);
		g->len = h->nlmsg_len;
	}
}

static void got_free(struct got *g)
{
	kx_wipe(g->buf, g->len);
	free(g->buf);
	g->buf = NULL;
}

static int get_sa(struct kx *kx, const struct kanmon_sa_id *id, struct got *g)
{
	uint8_t dst[16];
	int family = kx_addr_bytes(&id->dst, dst);
	if (family < 0)
		return -EAFNOSUPPORT;
	struct nl_addr *da = nl_addr_build(family, dst, family == AF_INET6 ? 16 : 4);
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;
	memset(g, 0, sizeof(*g));
	if (da && xfrmnl_sa_build_get_request(da, ntohl(id->spi), id->proto ? id->proto : KANMON_SA_PROTO_ESP,
					      id->mark, kx_mark_mask(id->mark, id->mark_mask), &msg) >= 0) {
		struct kx_req r = { .msg = nlmsg_hdr(msg), .reply = got_reply, .arg = g };
		err = kx_nl_run(&kx->nl, &r, 1);
		if (!err)
			err = r.err;
		if (!err && !g->buf)
			err = -EBADMSG;
		nlmsg_free(msg);
	}
	nl_addr_put(da);
	kx_nl_wipe(&kx->nl);
	if (err)
		got_free(g);
	return err;
}

int kx_query_sa(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st)
{
	struct kx *kx = be;
	struct got g;
	int err = get_sa(kx, id, &g);
	if (!err)
		err = kx_msg_sa_stats((const struct nlmsghdr *)g.buf, g.len, st);
	got_free(&g);
	if (err && err != -ESRCH)
		refused(kx, "query of ", id, err);
	return err;
}

int kx_sa_del_msg(const struct kanmon_sa_id *id, struct nl_msg **out)
{
	uint8_t dst[16];
	int family = kx_addr_bytes(&id->dst, dst);
	if (family < 0)
		return -EAFNOSUPPORT;
	struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	struct nl_addr *da = nl_addr_build(family, dst, family == AF_INET6 ? 16 : 4);
	int err = -ENOMEM;
	if (sa && da) {
		xfrmnl_sa_set_daddr(sa, da);
		xfrmnl_sa_set_spi(sa, ntohl(id->spi));
		xfrmnl_sa_set_proto(sa, id->proto ? id->proto : KANMON_SA_PROTO_ESP);
		if (id->mark || id->mark_mask)
			xfrmnl_sa_set_mark(sa, id->mark, kx_mark_mask(id->mark, id->mark_mask));
		err = xfrmnl_sa_build_delete_request(sa, 0, out) < 0 ? -ENOMEM : 0;
	}
	if (sa)
		xfrmnl_sa_put(sa);
	nl_addr_put(da);
	return err;
}

static void id_of_rec(const struct kx_sa_rec *rec, struct kanmon_sa_id *id)
{
	memset(id, 0, sizeof(*id));
	kx_addr_make(rec->k.family, rec->k.dst, 0, &id->dst);
	kx_addr_make(rec->k.family, rec->src, 0, &id->src);
	id->spi = rec->k.spi;
	id->proto = rec->k.proto;
	id->mark = rec->k.mark_v;
	id->mark_mask = rec->k.mark_m;
	id->if_id = rec->if_id;
}

int kx_update_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id, uint16_t sport,
		 uint16_t dport)
{
	struct kx *kx = be;
	struct kx_sa_rec *rec = find(kx, id);
	if (!rec || rec->larval)
		return -ESRCH;
	if (!new_id)
		new_id = id;
	if (new_id->spi && new_id->spi != id->spi)
		return -EINVAL;
	struct kx_sa_move mv;
	memset(&mv, 0, sizeof(mv));
	mv.family = kx_addr_bytes(&new_id->dst, mv.dst);
	if (mv.family < 0 || kx_addr_bytes(&new_id->src, mv.src) != mv.family)
		return -EAFNOSUPPORT;
	mv.encap = sport || dport;
	mv.sport = sport;
	mv.dport = dport;
	bool same = mv.family == rec->k.family && !memcmp(mv.dst, rec->k.dst, 16) && !memcmp(mv.src, rec->src, 16);
	/* UPDSA keeps the kernel's state object; it can change ports, not addresses or encap on/off */
	mv.type = same && mv.encap == rec->encap ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA;
	struct got g;
	int err = get_sa(kx, id, &g);
	if (err) {
		refused(kx, "update (lookup) of ", id, err);
		return err;
	}
	if (mv.encap)
		natt_setup(kx);
	struct nl_msg *add = NULL, *del = NULL, *back = NULL;
	const struct nlmsghdr *old = (const struct nlmsghdr *)g.buf;
	err = kx_msg_sa_move(old, g.len, &mv, &add);
	if (!err && mv.type == XFRM_MSG_NEWSA)
		err = kx_sa_del_msg(id, &del);
	if (err)
		goto out;
	if (mv.type == XFRM_MSG_UPDSA) {
		err = run1(kx, add);
	} else {
		struct kx_req r[2] = { { .msg = nlmsg_hdr(del) }, { .msg = nlmsg_hdr(add) } };
		err = kx_nl_run(&kx->nl, r, 2);
		if (!err && r[0].err)
			err = r[0].err;
		else if (!err && r[1].err) {
			/* deleted but not re-added: put the old one back as it was */
			err = r[1].err;
			struct kx_sa_move old_mv = { .type = XFRM_MSG_NEWSA, .family = rec->k.family,
						     .keep_encap = true };
			memcpy(old_mv.src, rec->src, 16);
			memcpy(old_mv.dst, rec->k.dst, 16);
			if (!kx_msg_sa_move(old, g.len, &old_mv, &back) && run1(kx, back))
				LOG(kx, KANMON_LOG_ERR, "could not restore the SA after a refused update: it is gone");
		}
	}
	if (err) {
		refused(kx, "update of ", id, err);
		goto out;
	}
	/* the record follows the SA */
	kx_tab_del(&kx->sas, &rec->node);
	rec->k.family = (uint8_t)mv.family;
	memcpy(rec->k.dst, mv.dst, 16);
	memcpy(rec->src, mv.src, 16);
	rec->encap = mv.encap;
	if (kx_tab_add(&kx->sas, &rec->node)) {
		LOG(kx, KANMON_LOG_ERR, "out of memory tracking an SA: it will not be removed at stop");
		free(rec);
	}
out:
	kx_msg_wipe(add);
	kx_msg_wipe(back);
	if (add)
		nlmsg_free(add);
	if (del)
		nlmsg_free(del);
	if (back)
		nlmsg_free(back);
	got_free(&g);
	return err;
}

int kx_del_sa(void *be, const struct kanmon_sa_id *id)
{
	struct kx *kx = be;
	struct kx_sa_rec *rec = find(kx, id);
	if (!rec) {
		char name[160];
		kx_sa_name(id, name, sizeof(name));
		LOG(kx, KANMON_LOG_DEBUG, "not deleting %s: not installed by kanmon", name);
		return -ESRCH;
	}
	struct nl_msg *msg;
	int err = kx_sa_del_msg(id, &msg);
	if (err)
		return err;
	err = run1(kx, msg);
	nlmsg_free(msg);
	/* -ESRCH: it expired (hard) meanwhile; either way it is not ours any more */
	if (!err || err == -ESRCH)
		untrack(kx, rec);
	if (err && err != -ESRCH)
		refused(kx, "deletion of ", id, err);
	return err;
}

size_t kx_sa_flush_owned(struct kx *kx)
{
	size_t n = kx->sas.n, removed = 0, i = 0;
	if (!n)
		return 0;
	struct kx_sa_rec **recs = calloc(n, sizeof(*recs));
	struct nl_msg **msgs = calloc(n, sizeof(*msgs));
	struct kx_req *r = calloc(n, sizeof(*r));
	if (!recs || !msgs || !r)
		goto out;
	for (struct kx_node *node = kx_tab_next(&kx->sas, NULL); node && i < n; node = kx_tab_next(&kx->sas, node)) {
		struct kanmon_sa_id id;
		recs[i] = (struct kx_sa_rec *)(void *)node;
		id_of_rec(recs[i], &id);
		if (kx_sa_del_msg(&id, &msgs[i]))
			break;
		r[i].msg = nlmsg_hdr(msgs[i]);
		i++;
	}
	kx_nl_run(&kx->nl, r, i);
	for (size_t j = 0; j < i; j++) {
		nlmsg_free(msgs[j]);
		if (!r[j].err || r[j].err == -ESRCH) {
			kx_tab_del(&kx->sas, &recs[j]->node);
			free(recs[j]);
			removed++;
		}
	}
out:
	if (kx->sas.n)
		LOG(kx, KANMON_LOG_ERR, "%zu SA(s) could not be removed (ip xfrm state)", kx->sas.n);
	free(recs);
	free(msgs);
	free(r);
	return removed;
}
