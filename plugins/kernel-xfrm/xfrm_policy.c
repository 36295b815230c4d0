/* SPDX-License-Identifier: MIT */
/*
 * xfrm_policy.c - policies. IKEv2 traffic selectors are ranges (address
 * range, protocol, port range); an XFRM selector is one prefix pair with
 * port/mask pairs. A range is split into the fewest prefixes that cover it
 * exactly (192.0.2.5-192.0.2.10 = .5/32 .6/31 .8/31 .10/32) and one XFRM
 * policy is installed per (src prefix, dst prefix, sport mask, dport mask)
 * combination, all in one netlink batch: either all of them are installed
 * or none (the installed part is removed again when one is refused).
 * Messages are built with libnl-xfrm (xfrmnl_sp_*); libnl 3.7 has no if_id,
 * so XFRMA_IF_ID is appended to the built message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/xfrm.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>
#include <netlink/xfrm/lifetime.h>

#include "xfrm.h"
#include "xfrm_msg.h"

/* ---- ranges -> prefixes ---------------------------------------------------- */

static size_t fam_len(int family)
{
	return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

/* a | (2^h - 1), n bytes big-endian */
static void set_low(uint8_t *out, const uint8_t *a, size_t n, unsigned h)
{
	if (n > 16)	/* never: addresses; says so to GCC's -O2 overflow analysis */
		return;
	memcpy(out, a, n);
	for (size_t i = n; i > 0 && h; i--) {
		unsigned k = h >= 8 ? 8 : h;
		out[i - 1] |= (uint8_t)((1u << k) - 1);
		h -= k;
	}
}

static unsigned trailing_zeros(const uint8_t *a, size_t n)
{
	unsigned tz = 0;
	for (size_t i = n; i-- > 0; ) {
		if (!a[i]) {
			tz += 8;
			continue;
		}
		for (uint8_t b = a[i]; !(b & 1); b >>= 1)
			tz++;
		break;
	}
	return tz;
}

static void inc(uint8_t *a, size_t n)
{
	for (size_t i = n; i-- > 0; )
		if (++a[i])
			break;
}

int kx_range_prefixes(int family, const uint8_t *from, const uint8_t *to, struct kx_prefix *out, size_t max)
{
	size_t n = fam_len(family);
	if (!n || memcmp(from, to, n) > 0)
		return -EINVAL;
	uint8_t cur[16], last[16];
	memcpy(cur, from, n);
	int count = 0;
	for (;;) {
		/* the biggest aligned block starting at cur that stays within to */
		unsigned h = trailing_zeros(cur, n);
		for (;; h--) {
			set_low(last, cur, n, h);
			if (memcmp(last, to, n) <= 0)
				break;
		}
		if ((size_t)count < max) {
			memset(out[count].addr, 0, sizeof(out[count].addr));
			memcpy(out[count].addr, cur, n);
			out[count].plen = (uint8_t)(n * 8 - h);
		}
		count++;
		if (!memcmp(last, to, n))
			return count;
		memcpy(cur, last, n);
		inc(cur, n);
	}
}

int kx_port_masks(uint16_t from, uint16_t to, struct kx_portmask *out, size_t max)
{
	uint8_t f[2] = { (uint8_t)(from >> 8), (uint8_t)from }, t[2] = { (uint8_t)(to >> 8), (uint8_t)to };
	struct kx_prefix p[32];
	/* the same split on 16 bits; AF_INET stands in for "4 bytes", so widen */
	uint8_t f4[4] = { 0, 0, f[0], f[1] }, t4[4] = { 0, 0, t[0], t[1] };
	int n = kx_range_prefixes(AF_INET, f4, t4, p, 32);
	if (n < 0)
		return n;
	for (int i = 0; i < n && (size_t)i < max; i++) {
		out[i].port = (uint16_t)(p[i].addr[2] << 8 | p[i].addr[3]);
		unsigned bits = p[i].plen - 16u;	/* prefix length within 16 bits */
		out[i].mask = bits ? (uint16_t)(0xffffu << (16 - bits)) : 0;
	}
	return n;
}

static int ts_prefixes(const struct kanmon_ts *ts, int *family, struct kx_prefix *out, size_t max)
{
	uint8_t from[16], to[16];
	int f1 = kx_addr_bytes(&ts->from, from), f2 = kx_addr_bytes(&ts->to, to);
	if (f1 < 0 || f1 != f2)
		return -EINVAL;
	*family = f1;
	return kx_range_prefixes(f1, from, to, out, max);
}

int kx_ts_split(const struct kanmon_ts *src, const struct kanmon_ts *dst, struct kx_sel **out, size_t *n_out)
{
	struct kx_prefix sp[256], dp[256];
	struct kx_portmask spm[32], dpm[32];
	int sf = 0, df = 0;
	int ns = ts_prefixes(src, &sf, sp, 256), nd = ts_prefixes(dst, &df, dp, 256);
	if (ns < 0 || nd < 0 || sf != df)
		return -EINVAL;
	if (src->proto && dst->proto && src->proto != dst->proto)
		return -EINVAL;
	int nsp = kx_port_masks(src->from_port, src->to_port, spm, 32);
	int ndp = kx_port_masks(dst->from_port, dst->to_port, dpm, 32);
	if (nsp < 0 || ndp < 0)
		return -EINVAL;
	size_t total = (size_t)ns * (size_t)nd * (size_t)nsp * (size_t)ndp;
	if (total > KX_MAX_SELECTORS)
		return -E2BIG;
	struct kx_sel *v = calloc(total, sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t k = 0, alen = fam_len(sf);
	for (int a = 0; a < ns; a++)
		for (int b = 0; b < nd; b++)
			for (int c = 0; c < nsp; c++)
				for (int d = 0; d < ndp; d++) {
					struct kx_sel *s = &v[k++];
					s->family = (uint8_t)sf;
					memcpy(s->saddr, sp[a].addr, alen);
					memcpy(s->daddr, dp[b].addr, alen);
					s->plen_s = sp[a].plen;
					s->plen_d = dp[b].plen;
					s->sport = spm[c].port;
					s->sport_mask = spm[c].mask;
					s->dport = dpm[d].port;
					s->dport_mask = dpm[d].mask;
					s->proto = src->proto ? src->proto : dst->proto;
				}
	*out = v;
	*n_out = total;
	return 0;
}

static void prefix_to_range(int family, const uint8_t *addr, unsigned plen, struct sockaddr_storage *from,
			    struct sockaddr_storage *to)
{
	size_t n = fam_len(family);
	uint8_t lo[16] = { 0 }, hi[16] = { 0 };
	if (plen > n * 8)
		plen = (unsigned)(n * 8);
	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		lo[i] = addr[i] & mask;
		hi[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
	}
	kx_addr_make(family, lo, 0, from);
	kx_addr_make(family, hi, 0, to);
}

static void port_range(uint16_t port, uint16_t mask, uint16_t *from, uint16_t *to)
{
	*from = port & mask;
	*to = (uint16_t)(port | (uint16_t)~mask);
}

void kx_sel_to_ts(const struct kx_sel *sel, struct kanmon_ts *src, struct kanmon_ts *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	prefix_to_range(sel->family, sel->saddr, sel->plen_s, &src->from, &src->to);
	prefix_to_range(sel->family, sel->daddr, sel->plen_d, &dst->from, &dst->to);
	src->proto = dst->proto = sel->proto;
	port_range(sel->sport, sel->sport_mask, &src->from_port, &src->to_port);
	port_range(sel->dport, sel->dport_mask, &dst->from_port, &dst->to_port);
}

/* ---- libnl-xfrm messages --------------------------------------------------- */

static uint8_t xfrm_dir(enum kanmon_sa_dir d)
{
	return d == KANMON_SA_IN ? XFRM_POLICY_IN : d == KANMON_SA_FWD ? XFRM_POLICY_FWD : XFRM_POLICY_OUT;
}

static const char *dir_name(uint8_t xdir)
{
	return xdir == XFRM_POLICY_IN ? "in" : xdir == XFRM_POLICY_FWD ? "fwd" : "out";
}

/* More specific selectors get the smaller (= stronger) priority. */
static uint32_t default_priority(const struct kx_sel *s)
{
	return 100000u - (uint32_t)(s->plen_s + s->plen_d) * 4u - (s->proto ? 2u : 0u) -
	       (s->sport_mask == 0xffff ? 1u : 0u) - (s->dport_mask == 0xffff ? 1u : 0u);
}

static struct xfrmnl_sel *sel_to_nl(const struct kx_sel *s)
{
	size_t n = fam_len(s->family);
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *sa = nl_addr_build(s->family, s->saddr, n), *da = nl_addr_build(s->family, s->daddr, n);
	if (!sel || !sa || !da) {
		if (sel)
			xfrmnl_sel_put(sel);
		sel = NULL;
		goto out;
	}
	xfrmnl_sel_set_saddr(sel, sa);
	xfrmnl_sel_set_daddr(sel, da);
	xfrmnl_sel_set_family(sel, s->family);
	xfrmnl_sel_set_prefixlen_s(sel, s->plen_s);
	xfrmnl_sel_set_prefixlen_d(sel, s->plen_d);
	xfrmnl_sel_set_sport(sel, s->sport);
	xfrmnl_sel_set_sportmask(sel, s->sport_mask);
	xfrmnl_sel_set_dport(sel, s->dport);
	xfrmnl_sel_set_dportmask(sel, s->dport_mask);
	xfrmnl_sel_set_proto(sel, s->proto);
out:
	nl_addr_put(sa);
	nl_addr_put(da);
	return sel;
}

static int set_infinite(struct xfrmnl_sp *sp)
{
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();
	if (!lt)
		return -ENOMEM;
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, XFRM_INF);
	xfrmnl_sp_set_lifetime_cfg(sp, lt);
	xfrmnl_ltime_cfg_put(lt);
	return 0;
}

static int add_tmpl(struct xfrmnl_sp *sp, const struct kanmon_policy_params *p, int sel_family)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	int family = sel_family;
	if (p->mode == KANMON_SA_TUNNEL) {
		int f1 = kx_addr_bytes(&p->src, src), f2 = kx_addr_bytes(&p->dst, dst);
		if (f1 < 0 || f1 != f2)
			return -EINVAL;
		family = f1;
	}
	/* transport: any addresses, the SA is found by the packet's own */
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	struct nl_addr *sa = nl_addr_build(family, src, fam_len(family));
	struct nl_addr *da = nl_addr_build(family, dst, fam_len(family));
	int err = !t || !sa || !da ? -ENOMEM : 0;
	if (!err) {
		xfrmnl_user_tmpl_set_saddr(t, sa);
		xfrmnl_user_tmpl_set_daddr(t, da);
		xfrmnl_user_tmpl_set_family(t, (unsigned)family);
		xfrmnl_user_tmpl_set_proto(t, KANMON_SA_PROTO_ESP);
		xfrmnl_user_tmpl_set_spi(t, 0);
		xfrmnl_user_tmpl_set_reqid(t, p->reqid);
		xfrmnl_user_tmpl_set_mode(t, p->mode == KANMON_SA_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
		xfrmnl_user_tmpl_set_aalgos(t, ~0u);
		xfrmnl_user_tmpl_set_ealgos(t, ~0u);
		xfrmnl_user_tmpl_set_calgos(t, ~0u);
		xfrmnl_sp_add_usertemplate(sp, t);	/* the policy owns it now */
		t = NULL;
	}
	if (t)
		xfrmnl_user_tmpl_free(t);
	nl_addr_put(sa);
	nl_addr_put(da);
	return err;
}

/* add (p != NULL) or delete request for one selector (or the kernel's index of it) */
static int build(const struct kx_pol_key *k, const struct kanmon_policy_params *p, uint32_t index,
		 struct nl_msg **out)
{
	struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	struct xfrmnl_sel *sel = sel_to_nl(&k->sel);
	int err = !sp || !sel ? -ENOMEM : 0;
	if (err)
		goto out;
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sp_set_dir(sp, k->dir);
	if (index)
		xfrmnl_sp_set_index(sp, index);
	if (k->mark_v || k->mark_m)
		xfrmnl_sp_set_mark(sp, k->mark_v, k->mark_m);
	if (p) {
		xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
		xfrmnl_sp_set_priority(sp, p->priority ? p->priority : default_priority(&k->sel));
		err = set_infinite(sp);
		if (!err)
			err = add_tmpl(sp, p, k->sel.family);
		if (!err && xfrmnl_sp_build_add_request(sp, 0, out) < 0)
			err = -ENOMEM;
	} else if (xfrmnl_sp_build_delete_request(sp, 0, out) < 0) {
		err = -ENOMEM;
	}
	if (!err && k->if_id && nla_put_u32(*out, XFRMA_IF_ID, k->if_id) < 0) {
		nlmsg_free(*out);
		err = -EMSGSIZE;
	}
out:
	if (sel)
		xfrmnl_sel_put(sel);
	if (sp)
		xfrmnl_sp_put(sp);
	return err;
}

/* ---- ops ---------------------------------------------------------------------- */

static void policy_name(const struct kanmon_policy_id *id, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	snprintf(buf, len, "policy %s %s-%s -> %s-%s proto %u", dir_name(xfrm_dir(id->dir)),
		 kx_addr_str(&id->src_ts.from, a, sizeof(a)), kx_addr_str(&id->src_ts.to, b, sizeof(b)),
		 kx_addr_str(&id->dst_ts.from, c, sizeof(c)), kx_addr_str(&id->dst_ts.to, d, sizeof(d)),
		 id->src_ts.proto ? id->src_ts.proto : id->dst_ts.proto);
}

static int keys_of(const struct kanmon_policy_id *id, struct kx_pol_key **keys, size_t *n)
{
	struct kx_sel *sels;
	int err = kx_ts_split(&id->src_ts, &id->dst_ts, &sels, n);
	if (err)
		return err;
	struct kx_pol_key *k = calloc(*n, sizeof(*k));
	if (!k) {
		free(sels);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *n; i++) {
		k[i].sel = sels[i];
		k[i].dir = xfrm_dir(id->dir);
		k[i].mark_v = id->mark;
		k[i].mark_m = kx_mark_mask(id->mark, id->mark_mask);
		k[i].if_id = id->if_id;
	}
	free(sels);
	*keys = k;
	return 0;
}

/* Runs one request per key; frees the messages. */
static int run_batch(struct kx *kx, struct nl_msg **msgs, struct kx_req *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].msg = nlmsg_hdr(msgs[i]);
	}
	int err = kx_nl_run(&kx->nl, r, n);
	for (size_t i = 0; i < n; i++)
		nlmsg_free(msgs[i]);
	return err;
}

/* indexes: NULL, or the kernel's index per key (0: by selector) */
static int delete_keys(struct kx *kx, const struct kx_pol_key *keys, const uint32_t *indexes, size_t n, int *errs)
{
	struct nl_msg **msgs = calloc(n ? n : 1, sizeof(*msgs));
	struct kx_req *r = calloc(n ? n : 1, sizeof(*r));
	int err = !msgs || !r ? -ENOMEM : 0;
	size_t built = 0;
	while (!err && built < n) {
		err = build(&keys[built], NULL, indexes ? indexes[built] : 0, &msgs[built]);
		built += err ? 0 : 1;
	}
	if (err) {
		for (size_t i = 0; i < built; i++)
			nlmsg_free(msgs[i]);
		goto out;
	}
	err = run_batch(kx, msgs, r, n);
	for (size_t i = 0; i < n; i++)
		errs[i] = r[i].err;
out:
	free(msgs);
	free(r);
	return err;
}

int kx_add_policy(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p)
{
	struct kx *kx = be;
	const struct kanmon_host *h = kx->host;
	char name[256];
	struct kx_pol_key *keys = NULL;
	struct nl_msg **msgs = NULL;
	struct kx_req *r = NULL;
	size_t n = 0, built = 0;
	if (!p || p->size < offsetof(struct kanmon_policy_params, reserved) || !p->reqid ||
	    (p->mode != KANMON_SA_TUNNEL && p->mode != KANMON_SA_TRANSPORT))
		return -EINVAL;
	int err = keys_of(id, &keys, &n);
	/* the name is only needed for messages; made when one is written */
#define NAME() (policy_name(id, name, sizeof(name)), name)
	if (err) {
		h->log(h, KANMON_LOG_ERR, "cannot install %s: %s", NAME(),
		       err == -E2BIG ? "the ranges split into more than 4096 prefix pairs" :
		       err == -EINVAL ? "invalid traffic selectors (families or ranges)" : strerror(-err));
		return err;
	}
	for (size_t i = 0; i < n; i++) {
		if (kx_tab_find(&kx->pols, &keys[i])) {
			h->log(h, KANMON_LOG_ERR, "cannot install %s: it is already installed", NAME());
			err = -EEXIST;
			goto out;
		}
	}
	msgs = calloc(n, sizeof(*msgs));
	r = calloc(n, sizeof(*r));
	if (!msgs || !r) {
		err = -ENOMEM;
		goto out;
	}
	for (; built < n; built++) {
		if ((err = build(&keys[built], p, 0, &msgs[built]))) {
			h->log(h, KANMON_LOG_ERR, "cannot install %s: %s", NAME(),
			       err == -EINVAL ? "tunnel endpoints missing or not of one family" : strerror(-err));
			goto out;
		}
	}
	err = run_batch(kx, msgs, r, n);
	built = 0;	/* freed */
	int refused = err;
	size_t first_bad = n;
	for (size_t i = 0; i < n; i++) {
		if (r[i].err && first_bad == n) {
			first_bad = i;
			refused = r[i].err;
		}
	}
	if (refused) {
		h->log(h, KANMON_LOG_ERR, "kernel refused %s (%zu XFRM polic%s): %s%s%s", NAME(), n, n == 1 ? "y" : "ies",
		       strerror(-refused), kx->nl.errmsg[0] ? ": " : "", kx->nl.errmsg);
		/* all or nothing: take back the pieces the kernel accepted */
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!r[i].err)
				keys[m++] = keys[i];
		int *errs = calloc(m ? m : 1, sizeof(int));
		if (m && errs)
			delete_keys(kx, keys, NULL, m, errs);
		free(errs);
		err = refused;
		goto out;
	}
	bool default_route = false;
	for (size_t i = 0; i < n; i++) {
		struct kx_pol_rec *rec = calloc(1, sizeof(*rec));
		if (rec) {
			rec->k = keys[i];
			rec->reqid = p->reqid;
		}
		if (!rec || kx_tab_add(&kx->pols, &rec->node)) {
			/* the policy stays in the kernel untracked: say so, it will not be removed at stop */
			h->log(h, KANMON_LOG_ERR, "out of memory tracking %s: it will not be removed at stop", NAME());
			free(rec);
			continue;
		}
		/* after the policy: a route alone would carry the traffic in the clear */
		if (kx_route_applies(kx, &rec->k, p)) {
			default_route |= !rec->k.sel.plen_d;
			rec->routed = kx_route_hold(kx, &rec->k.sel, p);
		}
	}
	if (default_route)
		h->log(h, KANMON_LOG_NOTICE, "not routing the default route of %s: route its destinations yourself",
		       NAME());
	if (h->log_enabled(h, KANMON_LOG_DEBUG))
		h->log(h, KANMON_LOG_DEBUG, "installed %s reqid %u as %zu XFRM polic%s", NAME(), p->reqid, n,
		       n == 1 ? "y" : "ies");
out:
	for (size_t i = 0; i < built; i++)
		nlmsg_free(msgs[i]);
	free(msgs);
	free(r);
	free(keys);
	return err;
#undef NAME
}

int kx_del_policy(void *be, const struct kanmon_policy_id *id)
{
	struct kx *kx = be;
	const struct kanmon_host *h = kx->host;
	struct kx_pol_key *keys = NULL;
	size_t n = 0, m = 0;
	char name[256];
	policy_name(id, name, sizeof(name));
	int err = keys_of(id, &keys, &n);
	if (err)
		return err;
	/* only what we installed: a foreign policy with the same selector stays */
	for (size_t i = 0; i < n; i++)
		if (kx_tab_find(&kx->pols, &keys[i]))
			keys[m++] = keys[i];
	if (!m) {
		h->log(h, KANMON_LOG_DEBUG, "not removing %s: not installed by kanmon", name);
		free(keys);
		return -ENOENT;
	}
	/* routes before their policies: without the policy a route would carry
	 * the traffic in the clear (xfrm_route.c) */
	for (size_t i = 0; i < m; i++) {
		struct kx_pol_rec *rec = (struct kx_pol_rec *)(void *)kx_tab_find(&kx->pols, &keys[i]);
		if (rec->routed) {
			kx_route_release(kx, &rec->k.sel);
			rec->routed = false;
		}
	}
	int *errs = calloc(m, sizeof(int));
	err = errs ? delete_keys(kx, keys, NULL, m, errs) : -ENOMEM;
	int refused = 0;
	for (size_t i = 0; !err && i < m; i++) {
		/* gone already (-ENOENT): forget it all the same */
		if (errs[i] && errs[i] != -ENOENT && !refused)
			refused = errs[i];
		if (!errs[i] || errs[i] == -ENOENT) {
			struct kx_node *node = kx_tab_find(&kx->pols, &keys[i]);
			kx_tab_del(&kx->pols, node);
			free(node);
		}
	}
	if (err || refused)
		h->log(h, KANMON_LOG_ERR, "cannot remove %s: %s%s%s", name, strerror(-(err ? err : refused)),
		       kx->nl.errmsg[0] ? ": " : "", kx->nl.errmsg);
	free(errs);
	free(keys);
	return err ? err : refused;
}

/* A GETPOLICY dump: each of our policies learns the index the kernel gave it. */
static void dump_reply(struct kx_req *r, const struct nlmsghdr *h)
{
	struct kx *kx = r->arg;
	struct kx_pol_key k;
	uint32_t index, reqid;
	if (kx_msg_policy(h, h->nlmsg_len, &k, &index, &reqid))
		return;
	struct kx_pol_rec *rec = (struct kx_pol_rec *)(void *)kx_tab_find(&kx->pols, &k);
	if (rec)
		rec->index = index;
}

static int learn_indexes(struct kx *kx)
{
	struct xfrm_userpolicy_info any;
	memset(&any, 0, sizeof(any));
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_GETPOLICY, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	int err = nlmsg_append(msg, &any, sizeof(any), NLMSG_ALIGNTO) < 0 ? -EMSGSIZE : 0;
	struct kx_req r = { .msg = nlmsg_hdr(msg), .reply = dump_reply, .arg = kx };
	if (!err)
		err = kx_nl_run(&kx->nl, &r, 1);
	nlmsg_free(msg);
	return err ? err : r.err;
}

/*
 * Removes every policy we installed. Deleting by selector makes the kernel
 * prune its prefix trees each time (quadratic: 10,000 policies took seconds),
 * deleting by index does not; so one dump first tells each of ours its
 * index, matched by selector, direction, mark and if_id, and what the dump
 * does not show is gone already. Without a dump: by selector.
 */
size_t kx_policy_flush_owned(struct kx *kx)
{
	size_t n = kx->pols.n, removed = 0, i = 0;
	if (!n)
		return 0;
	struct kx_pol_key *keys = calloc(n, sizeof(*keys));
	uint32_t *idx = calloc(n, sizeof(*idx));
	int *errs = calloc(n, sizeof(int));
	struct kx_pol_rec **recs = calloc(n, sizeof(*recs));
	if (!keys || !idx || !errs || !recs)
		goto out;
	for (struct kx_node *node = kx_tab_next(&kx->pols, NULL); node; node = kx_tab_next(&kx->pols, node))
		((struct kx_pol_rec *)(void *)node)->index = 0;
	bool dumped = !learn_indexes(kx);
	for (struct kx_node *node = kx_tab_next(&kx->pols, NULL); node && i < n; node = kx_tab_next(&kx->pols, node)) {
		struct kx_pol_rec *rec = (struct kx_pol_rec *)(void *)node;
		if (dumped && !rec->index)
			continue;	/* not in the kernel any more */
		recs[i] = rec;
		keys[i] = rec->k;
		idx[i] = dumped ? rec->index : 0;
		i++;
	}
	if (delete_keys(kx, keys, idx, i, errs))
		goto out;
	for (size_t j = 0; j < i; j++) {
		if (errs[j] && errs[j] != -ENOENT)
			recs[j] = NULL;	/* still there */
		else
			removed++;
	}
	/* forget what was removed or gone; keep what the kernel refused to remove
	 * (UINT32_MAX marks: no kernel index has direction bits 7) */
	for (size_t j = 0; j < i; j++)
		if (recs[j])
			recs[j]->index = UINT32_MAX;
	for (struct kx_node *node = kx_tab_next(&kx->pols, NULL), *next; node; node = next) {
		next = kx_tab_next(&kx->pols, node);
		struct kx_pol_rec *rec = (struct kx_pol_rec *)(void *)node;
		if (rec->index == UINT32_MAX || (dumped && !rec->index)) {
			kx_tab_del(&kx->pols, node);
			free(rec);
		}
	}
out:
	if (kx->pols.n)
		kx->host->log(kx->host, KANMON_LOG_ERR, "%zu XFRM polic%s could not be removed (ip xfrm policy)",
			      kx->pols.n, kx->pols.n == 1 ? "y" : "ies");
	free(keys);
	free(idx);
	free(errs);
	free(recs);
	return removed;
}
