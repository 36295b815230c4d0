/* SPDX-License-Identifier: MIT */
/* xfrm_msg.c - pure XFRM message builders and parsers (xfrm_msg.h). */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "xfrm.h"
#include "xfrm_msg.h"

/*
 * Minimum payload sizes of the attributes we read: libnl's nla_parse()
 * rejects a message whose attribute is shorter, so a later memcpy of that
 * many bytes never reads past the attribute.
 */
static struct nla_policy kx_attr_policy[XFRMA_MAX + 1] = {
	[XFRMA_MARK] = { .minlen = sizeof(struct xfrm_mark) },
	[XFRMA_IF_ID] = { .type = NLA_U32 },
	[XFRMA_TMPL] = { .minlen = sizeof(struct xfrm_user_tmpl) },
	[XFRMA_LASTUSED] = { .type = NLA_U64 },
	[XFRMA_ENCAP] = { .minlen = sizeof(struct xfrm_encap_tmpl) },
	[XFRMA_REPLAY_ESN_VAL] = { .minlen = sizeof(struct xfrm_replay_state_esn) },
};

/* The message is whole: header readable, nlmsg_len within len, payload >= size. */
static int msg_fixed(const struct nlmsghdr *h, size_t len, void *out, size_t size)
{
	if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(size))
		return -EBADMSG;
	memcpy(out, NLMSG_DATA(h), size);
	return 0;
}

static int msg_attrs(const struct nlmsghdr *h, size_t hdrlen, struct nlattr **tb)
{
	/* libnl's parser takes a non-const header but only reads it */
	if (nlmsg_parse((struct nlmsghdr *)h, (int)hdrlen, tb, XFRMA_MAX, kx_attr_policy) < 0)
		return -EBADMSG;
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

static void put_mark_ifid(struct nl_msg *msg, uint32_t mark_v, uint32_t mark_m, uint32_t if_id, int *err)
{
	if (mark_v || mark_m) {
		struct xfrm_mark m = { .v = mark_v, .m = mark_m };
		if (nla_put(msg, XFRMA_MARK, sizeof(m), &m) < 0)
			*err = -EMSGSIZE;
	}
	if (if_id && nla_put_u32(msg, XFRMA_IF_ID, if_id) < 0)
		*err = -EMSGSIZE;
}

/* ---- ALLOCSPI ------------------------------------------------------------ */

int kx_msg_allocspi(const struct kx_spi_req *r, struct nl_msg **out)
{
	size_t alen = addr_len(r->family);
	if (!alen || r->min > r->max)
		return -EINVAL;
	struct xfrm_userspi_info u;
	memset(&u, 0, sizeof(u));
	u.info.family = (uint16_t)r->family;
	memcpy(&u.info.id.daddr, r->dst, alen);
	memcpy(&u.info.saddr, r->src, alen);
	u.info.id.proto = r->proto;
	u.info.reqid = r->reqid;
	/* the larval SA the kernel creates needs a selector family */
	u.info.sel.family = (uint16_t)r->family;
	u.min = r->min;
	u.max = r->max;
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	int err = nlmsg_append(msg, &u, sizeof(u), NLMSG_ALIGNTO) < 0 ? -EMSGSIZE : 0;
	put_mark_ifid(msg, r->mark_v, r->mark_m, r->if_id, &err);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	*out = msg;
	return 0;
}

int kx_msg_allocspi_reply(const struct nlmsghdr *h, size_t len, uint32_t *spi)
{
	struct xfrm_usersa_info sa;
	if (len < NLMSG_HDRLEN || h->nlmsg_type != XFRM_MSG_NEWSA || msg_fixed(h, len, &sa, sizeof(sa)))
		return -EBADMSG;
	if (!sa.id.spi)
		return -EBADMSG;
	*spi = sa.id.spi;
	return 0;
}

/* ---- ACKs ----------------------------------------------------------------- */

int kx_msg_ack(const struct nlmsghdr *h, size_t len, int *err, char *text, size_t text_len)
{
	if (text_len)
		text[0] = '\0';
	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	if (h->nlmsg_type != NLMSG_ERROR)
		return -ENOMSG;
	struct nlmsgerr e;
	if (h->nlmsg_len > len || h->nlmsg_len < NLMSG_LENGTH(sizeof(int)))
		return -EBADMSG;
	memset(&e, 0, sizeof(e));
	memcpy(&e.error, NLMSG_DATA(h), sizeof(int));
	*err = e.error > 0 ? -e.error : e.error;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || !text_len)
		return 0;
	/* TLVs follow the echoed request: its header only when capped */
	size_t skip = sizeof(struct nlmsgerr);
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return 0;
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
		skip = sizeof(int) + NLMSG_ALIGN(e.msg.nlmsg_len);
	}
	if (NLMSG_LENGTH(skip) > h->nlmsg_len)
		return 0;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlattr *head = (struct nlattr *)((uint8_t *)NLMSG_DATA(h) + skip);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, head, (int)(h->nlmsg_len - NLMSG_LENGTH(skip)), NULL) < 0)
		return 0;
	if (tb[NLMSGERR_ATTR_MSG]) {
		size_t n = (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]);
		const char *s = nla_data(tb[NLMSGERR_ATTR_MSG]);
		size_t i = 0;
		for (; i < n && i + 1 < text_len && s[i]; i++)
			text[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
		text[i] = '\0';
	}
	return 0;
}

/* ---- GETSA replies -------------------------------------------------------- */

int kx_msg_sa_stats(const struct nlmsghdr *h, size_t len, struct kanmon_sa_stats *st)
{
	struct xfrm_usersa_info sa;
	struct nlattr *tb[XFRMA_MAX + 1];
	if (len < NLMSG_HDRLEN || h->nlmsg_type != XFRM_MSG_NEWSA || msg_fixed(h, len, &sa, sizeof(sa)) ||
	    msg_attrs(h, sizeof(sa), tb))
		return -EBADMSG;
	memset(st, 0, sizeof(*st));
	st->bytes = sa.curlft.bytes;
	st->packets = sa.curlft.packets;
	/* curlft.use_time is the first use; XFRMA_LASTUSED the latest */
	st->last_use = (time_t)sa.curlft.use_time;
	if (tb[XFRMA_LASTUSED]) {
		uint64_t t;
		memcpy(&t, nla_data(tb[XFRMA_LASTUSED]), sizeof(t));
		if (t)
			st->last_use = (time_t)t;
	}
	st->replay_drops = sa.stats.replay;
	st->integrity_drops = sa.stats.integrity_failed;
	return 0;
}

static bool host_match(const xfrm_address_t *a, uint8_t plen, int family, const xfrm_address_t *b)
{
	size_t n = addr_len(family);
	return n && plen == n * 8 && !memcmp(a, b, n);
}

int kx_msg_sa_move(const struct nlmsghdr *h, size_t len, const struct kx_sa_move *mv, struct nl_msg **out)
{
	struct xfrm_usersa_info sa;
	struct nlattr *tb[XFRMA_MAX + 1];
	size_t alen = addr_len(mv->family);
	if (!alen || (mv->type != XFRM_MSG_NEWSA && mv->type != XFRM_MSG_UPDSA))
		return -EINVAL;
	if (len < NLMSG_HDRLEN || h->nlmsg_type != XFRM_MSG_NEWSA || msg_fixed(h, len, &sa, sizeof(sa)) ||
	    msg_attrs(h, sizeof(sa), tb))
		return -EBADMSG;
	xfrm_address_t old_src = sa.saddr, old_dst = sa.id.daddr;
	int old_family = sa.family;
	memset(&sa.saddr, 0, sizeof(sa.saddr));
	memset(&sa.id.daddr, 0, sizeof(sa.id.daddr));
	memcpy(&sa.saddr, mv->src, alen);
	memcpy(&sa.id.daddr, mv->dst, alen);
	sa.family = (uint16_t)mv->family;
	/* a transport-mode selector names the hosts themselves: it moves with them */
	/* (larval SAs carry their host selector with family 0) */
	if ((sa.sel.family == old_family || !sa.sel.family) && mv->family == old_family) {
		if (host_match(&sa.sel.saddr, sa.sel.prefixlen_s, old_family, &old_src))
			memcpy(&sa.sel.saddr, mv->src, alen);
		if (host_match(&sa.sel.daddr, sa.sel.prefixlen_d, old_family, &old_dst))
			memcpy(&sa.sel.daddr, mv->dst, alen);
	}
	/* the kernel refuses a legacy window next to XFRMA_REPLAY_ESN_VAL */
	if (tb[XFRMA_REPLAY_ESN_VAL])
		sa.replay_window = 0;
	/* counters and add time carry over (lifetimes keep running) through XFRMA_LTIME_VAL */
	struct xfrm_lifetime_cur cur = sa.curlft;
	memset(&sa.curlft, 0, sizeof(sa.curlft));
	memset(&sa.stats, 0, sizeof(sa.stats));

	struct xfrm_encap_tmpl enc;
	memset(&enc, 0, sizeof(enc));
	enc.encap_type = UDP_ENCAP_ESPINUDP;
	if (tb[XFRMA_ENCAP])
		memcpy(&enc, nla_data(tb[XFRMA_ENCAP]), sizeof(enc));
	enc.encap_sport = htons(mv->sport);
	enc.encap_dport = htons(mv->dport);

	struct nl_msg *msg = nlmsg_alloc_size(h->nlmsg_len + 256);
	if (!msg)
		return -ENOMEM;
	int err = 0;
	struct nlmsghdr *nh = nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, mv->type, 0, NLM_F_REQUEST);
	if (!nh || nlmsg_append(msg, &sa, sizeof(sa), NLMSG_ALIGNTO) < 0)
		err = -EMSGSIZE;
	struct nlattr *a;
	int rem;
	nlmsg_for_each_attr(a, (struct nlmsghdr *)h, sizeof(sa), rem) {
		int type = nla_type(a);
		/* dropped: replaced below, read-only in dumps, or tied to the old path */
		if ((type == XFRMA_ENCAP && !mv->keep_encap) || type == XFRMA_LASTUSED || type == XFRMA_PAD ||
		    type == XFRMA_OFFLOAD_DEV)
			continue;
		if (!err && nla_put(msg, type, nla_len(a), nla_data(a)) < 0)
			err = -EMSGSIZE;
	}
	if (!err && !tb[XFRMA_LTIME_VAL] && nla_put(msg, XFRMA_LTIME_VAL, sizeof(cur), &cur) < 0)
		err = -EMSGSIZE;
	if (!err && mv->encap && !mv->keep_encap && nla_put(msg, XFRMA_ENCAP, sizeof(enc), &enc) < 0)
		err = -EMSGSIZE;
	kx_wipe(&sa, sizeof(sa));
	if (err) {
		kx_msg_wipe(msg);
		nlmsg_free(msg);
		return err;
	}
	*out = msg;
	return 0;
}

/* ---- keys ------------------------------------------------------------------ */

int kx_msg_put_key(struct nlmsghdr *h, size_t hdrlen, int attr, const uint8_t *key, size_t len)
{
	size_t off;
	switch (attr) {
	case XFRMA_ALG_CRYPT:
	case XFRMA_ALG_AUTH:
		off = offsetof(struct xfrm_algo, alg_key);
		break;
	case XFRMA_ALG_AEAD:
		off = offsetof(struct xfrm_algo_aead, alg_key);
		break;
	case XFRMA_ALG_AUTH_TRUNC:
		off = offsetof(struct xfrm_algo_auth, alg_key);
		break;
	default:
		return -EINVAL;
	}
	struct nlattr *a;
	int rem;
	nlmsg_for_each_attr(a, h, (int)hdrlen, rem) {
		if (nla_type(a) != attr)
			continue;
		/* alg_key_len (bits) sits right after the 64-byte name in all three */
		unsigned int bits;
		if ((size_t)nla_len(a) < off + len)
			return -EINVAL;
		memcpy(&bits, (uint8_t *)nla_data(a) + 64, sizeof(bits));
		if (bits != len * 8)
			return -EINVAL;
		memcpy((uint8_t *)nla_data(a) + off, key, len);
		return 0;
	}
	return -ENOENT;
}

void kx_msg_wipe(struct nl_msg *msg)
{
	if (msg)
		kx_wipe(nlmsg_hdr(msg), nlmsg_get_max_size(msg));
}

/* ---- events ----------------------------------------------------------------- */

static enum kanmon_sa_dir dir_from_xfrm(uint8_t dir)
{
	return dir == XFRM_POLICY_IN ? KANMON_SA_IN : dir == XFRM_POLICY_FWD ? KANMON_SA_FWD : KANMON_SA_OUT;
}

static void mark_ifid(struct nlattr **tb, uint32_t *v, uint32_t *m, uint32_t *if_id)
{
	if (tb[XFRMA_MARK]) {
		struct xfrm_mark mk;
		memcpy(&mk, nla_data(tb[XFRMA_MARK]), sizeof(mk));
		*v = mk.v;
		*m = mk.m;
	}
	if (tb[XFRMA_IF_ID])
		*if_id = nla_get_u32(tb[XFRMA_IF_ID]);
}

static struct kx_sel sel_from_xfrm(const struct xfrm_selector *s)
{
	struct kx_sel k;
	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)s->family;
	memcpy(k.saddr, &s->saddr, 16);
	memcpy(k.daddr, &s->daddr, 16);
	k.plen_s = s->prefixlen_s;
	k.plen_d = s->prefixlen_d;
	k.sport = ntohs(s->sport);
	k.sport_mask = ntohs(s->sport_mask);
	k.dport = ntohs(s->dport);
	k.dport_mask = ntohs(s->dport_mask);
	k.proto = s->proto;
	return k;
}

int kx_msg_policy(const struct nlmsghdr *h, size_t len, struct kx_pol_key *k, uint32_t *index, uint32_t *reqid)
{
	struct xfrm_userpolicy_info p;
	struct nlattr *tb[XFRMA_MAX + 1];
	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return -ENOMSG;
	if (msg_fixed(h, len, &p, sizeof(p)) || msg_attrs(h, sizeof(p), tb))
		return -EBADMSG;
	if (tb[XFRMA_POLICY_TYPE]) {
		struct xfrm_userpolicy_type t;
		if (nla_len(tb[XFRMA_POLICY_TYPE]) < (int)sizeof(t))
			return -EBADMSG;
		memcpy(&t, nla_data(tb[XFRMA_POLICY_TYPE]), sizeof(t));
		if (t.type != XFRM_POLICY_TYPE_MAIN)
			return -ENOMSG;
	}
	memset(k, 0, sizeof(*k));
	k->sel = sel_from_xfrm(&p.sel);
	k->dir = p.dir;
	mark_ifid(tb, &k->mark_v, &k->mark_m, &k->if_id);
	*index = p.index;
	*reqid = 0;
	if (tb[XFRMA_TMPL]) {
		struct xfrm_user_tmpl t;
		memcpy(&t, nla_data(tb[XFRMA_TMPL]), sizeof(t));
		*reqid = t.reqid;
	}
	return 0;
}

static int ev_acquire(const struct nlmsghdr *h, size_t len, struct kanmon_sa_event *ev)
{
	struct xfrm_user_acquire a;
	struct nlattr *tb[XFRMA_MAX + 1];
	if (msg_fixed(h, len, &a, sizeof(a)) || msg_attrs(h, sizeof(a), tb))
		return -EBADMSG;
	int family = a.policy.sel.family;
	if (tb[XFRMA_TMPL]) {
		struct xfrm_user_tmpl t;
		memcpy(&t, nla_data(tb[XFRMA_TMPL]), sizeof(t));
		ev->reqid = t.reqid;
		if (t.family)
			family = t.family;
	}
	if (!addr_len(family) || !addr_len(a.policy.sel.family))
		return -EBADMSG;
	ev->type = KANMON_SA_ACQUIRE;
	kx_addr_make(family, (const uint8_t *)&a.saddr, 0, &ev->sa.src);
	kx_addr_make(family, (const uint8_t *)&a.id.daddr, 0, &ev->sa.dst);
	ev->sa.proto = a.id.proto;
	ev->policy.dir = dir_from_xfrm(a.policy.dir);
	struct kx_sel sel = sel_from_xfrm(&a.policy.sel);
	kx_sel_to_ts(&sel, &ev->policy.src_ts, &ev->policy.dst_ts);
	mark_ifid(tb, &ev->policy.mark, &ev->policy.mark_mask, &ev->policy.if_id);
	ev->sa.mark = ev->policy.mark;
	ev->sa.mark_mask = ev->policy.mark_mask;
	ev->sa.if_id = ev->policy.if_id;
	return 0;
}

static int ev_expire(const struct nlmsghdr *h, size_t len, struct kanmon_sa_event *ev)
{
	struct xfrm_user_expire x;
	struct nlattr *tb[XFRMA_MAX + 1];
	if (msg_fixed(h, len, &x, sizeof(x)) || msg_attrs(h, sizeof(x), tb) || !addr_len(x.state.family))
		return -EBADMSG;
	ev->type = x.hard ? KANMON_SA_HARD_EXPIRE : KANMON_SA_SOFT_EXPIRE;
	kx_addr_make(x.state.family, (const uint8_t *)&x.state.saddr, 0, &ev->sa.src);
	kx_addr_make(x.state.family, (const uint8_t *)&x.state.id.daddr, 0, &ev->sa.dst);
	ev->sa.spi = x.state.id.spi;
	ev->sa.proto = x.state.id.proto;
	ev->reqid = x.state.reqid;
	mark_ifid(tb, &ev->sa.mark, &ev->sa.mark_mask, &ev->sa.if_id);
	return 0;
}

static int ev_mapping(const struct nlmsghdr *h, size_t len, struct kanmon_sa_event *ev)
{
	struct xfrm_user_mapping m;
	if (msg_fixed(h, len, &m, sizeof(m)) || !addr_len(m.id.family))
		return -EBADMSG;
	ev->type = KANMON_SA_MAPPING;
	kx_addr_make(m.id.family, (const uint8_t *)&m.old_saddr, ntohs(m.old_sport), &ev->sa.src);
	kx_addr_make(m.id.family, (const uint8_t *)&m.id.daddr, 0, &ev->sa.dst);
	kx_addr_make(m.id.family, (const uint8_t *)&m.new_saddr, ntohs(m.new_sport), &ev->new_peer);
	ev->sa.spi = m.id.spi;
	ev->sa.proto = m.id.proto;
	ev->reqid = m.reqid;
	return 0;
}

int kx_msg_event(const struct nlmsghdr *h, size_t len, struct kanmon_sa_event *ev)
{
	if (len < NLMSG_HDRLEN || h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len)
		return -EBADMSG;
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	switch (h->nlmsg_type) {
	case XFRM_MSG_ACQUIRE:
		return ev_acquire(h, len, ev);
	case XFRM_MSG_EXPIRE:
		return ev_expire(h, len, ev);
	case XFRM_MSG_MAPPING:
		return ev_mapping(h, len, ev);
	default:
		return -ENOMSG;
	}
}

int kx_msg_events(const uint8_t *buf, size_t len, void (*cb)(const struct kanmon_sa_event *ev, void *arg),
		  void *arg)
{
	int n = 0;
	size_t off = 0;
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			return -EBADMSG;
		struct kanmon_sa_event ev;
		if (!kx_msg_event(h, h->nlmsg_len, &ev)) {
			cb(&ev, arg);
			n++;
		}
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		if (step >= len - off)
			break;
		off += step;
	}
	return n;
}
