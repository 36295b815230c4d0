/* SPDX-License-Identifier: MIT */
/*
 * ku_sad.c - the SA and policy databases behind kanmon_sa_ops: add, update,
 * query and delete SAs and policies, lifetimes and the events the kernel
 * would send (acquire, soft/hard expire, NAT mapping).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ku.h"

#define LARVAL_SECONDS 180	/* an alloc_spi reservation lives this long without add_sa */

static const char *addr_str(const struct ku_addr *a, char *buf, size_t len)
{
	if (!a->family)
		return "any";
	return inet_ntop(a->family, a->a, buf, (socklen_t)len) ? buf : "?";
}

static void sel_to_ts(const struct ku_sel *s, struct kanmon_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	if (!s->family)
		return;
	ts->from.ss_family = ts->to.ss_family = s->family;
	if (s->family == AF_INET) {
		memcpy(&((struct sockaddr_in *)&ts->from)->sin_addr, s->from, 4);
		memcpy(&((struct sockaddr_in *)&ts->to)->sin_addr, s->to, 4);
	} else {
		memcpy(&((struct sockaddr_in6 *)&ts->from)->sin6_addr, s->from, 16);
		memcpy(&((struct sockaddr_in6 *)&ts->to)->sin6_addr, s->to, 16);
	}
	ts->proto = s->proto;
	ts->from_port = s->pfrom;
	ts->to_port = s->pto;
}

static void addr_to_ss(const struct ku_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = a->family;
	if (a->family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, a->a, 4);
	else if (a->family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, a->a, 16);
}

static void sa_to_id(const struct ku_sa *sa, struct kanmon_sa_id *id)
{
	memset(id, 0, sizeof(*id));
	addr_to_ss(&sa->src, &id->src);
	addr_to_ss(&sa->dst, &id->dst);
	id->spi = sa->esp.spi;
	id->proto = sa->proto;
	id->mark = sa->mark;
	id->mark_mask = sa->mark_mask;
	id->if_id = sa->if_id;
}

/* ---- loop hand-over -------------------------------------------------- */

void ku_note_push(struct ku *ku, struct ku_note *n)
{
	bool post;
	n->next = NULL;
	pthread_mutex_lock(&ku->note_lock);
	*ku->notes_tail = n;
	ku->notes_tail = &n->next;
	/* one post in flight at a time: a burst of notes wakes the loop once */
	post = !ku->note_posted;
	ku->note_posted = true;
	pthread_mutex_unlock(&ku->note_lock);
	if (post && ku->host->post(ku->host, ku_notes_drain, ku)) {
		pthread_mutex_lock(&ku->note_lock);
		ku->note_posted = false;	/* the next push tries again */
		pthread_mutex_unlock(&ku->note_lock);
	}
}

static void sa_unlink_free(struct ku *ku, struct ku_sa *sa);

void ku_notes_drain(void *arg)
{
	struct ku *ku = arg;
	pthread_mutex_lock(&ku->note_lock);
	struct ku_note *n = ku->notes;
	ku->notes = NULL;
	ku->notes_tail = &ku->notes;
	ku->note_posted = false;
	pthread_mutex_unlock(&ku->note_lock);
	while (n) {
		struct ku_note *next = n->next;
		if (n->kind == 1) {
			ku_transport_deliver(ku, n);
		} else {
			if (n->ev.type == KANMON_SA_HARD_EXPIRE) {
				/* like the kernel: the SA is gone when the event is heard */
				pthread_rwlock_wrlock(&ku->lock);
				struct ku_sa *sa = ku_sa_by_id(ku, &n->ev.sa);
				if (sa)
					sa_unlink_free(ku, sa);
				pthread_rwlock_unlock(&ku->lock);
			}
			ku->host->sa_event(ku->host, &n->ev);
			free(n);
		}
		n = next;
	}
}

void ku_sa_event(struct ku *ku, const struct ku_sa *sa, enum kanmon_sa_event_type type,
		 const struct sockaddr_storage *new_peer)
{
	struct ku_note *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->ev.size = sizeof(n->ev);
	n->ev.type = type;
	sa_to_id(sa, &n->ev.sa);
	n->ev.reqid = sa->reqid;
	if (new_peer)
		n->ev.new_peer = *new_peer;
	ku_note_push(ku, n);
}

void ku_acquire(struct ku *ku, struct ku_pol *p)
{
	int64_t now = ku_now_ms(), last = atomic_load(&p->last_acquire);
	/* the kernel's larval state does the same: one ACQUIRE, not one per packet */
	if (now - last < 1000 || !atomic_compare_exchange_strong(&p->last_acquire, &last, now))
		return;
	struct ku_note *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->ev.size = sizeof(n->ev);
	n->ev.type = KANMON_SA_ACQUIRE;
	n->ev.policy.dir = p->dir;
	sel_to_ts(&p->src, &n->ev.policy.src_ts);
	sel_to_ts(&p->dst, &n->ev.policy.dst_ts);
	n->ev.policy.mark = p->mark;
	n->ev.policy.mark_mask = p->mark_mask;
	n->ev.policy.if_id = p->if_id;
	n->ev.reqid = p->reqid;
	ku_note_push(ku, n);
}

void ku_sa_account(struct ku *ku, struct ku_sa *sa, size_t bytes)
{
	sa->bytes += bytes;
	sa->packets++;
	sa->last_use = time(NULL);
	if (!sa->hard_sent && ((sa->hard.bytes && sa->bytes >= sa->hard.bytes) ||
			       (sa->hard.packets && sa->packets >= sa->hard.packets))) {
		sa->hard_sent = true;
		atomic_store(&sa->dead, true);
		ku_sa_event(ku, sa, KANMON_SA_HARD_EXPIRE, NULL);
	} else if (!sa->soft_sent && ((sa->soft.bytes && sa->bytes >= sa->soft.bytes) ||
				      (sa->soft.packets && sa->packets >= sa->soft.packets))) {
		sa->soft_sent = true;
		ku_sa_event(ku, sa, KANMON_SA_SOFT_EXPIRE, NULL);
	}
}

/* ---- SAs --------------------------------------------------------------- */

static void sa_free(struct ku_sa *sa)
{
	if (!sa)
		return;
	ku_xform_free(&sa->esp.xf);
	pthread_spin_destroy(&sa->lock);
	/* the replay state and counters are no secret, but one wipe covers all */
	gnutls_memset(sa, 0, sizeof(*sa));
	free(sa);
}

static void sa_unlink_free(struct ku *ku, struct ku_sa *sa)
{
	if (sa->dir == KANMON_SA_IN || sa->larval)
		ku_htab_del(&ku->by_spi, &sa->h_spi);
	if (!sa->larval)
		ku_htab_del(&ku->by_id, &sa->h_id);
	if (sa->dir == KANMON_SA_OUT && !sa->larval)
		ku_htab_del(&ku->by_reqid, &sa->h_reqid);
	if (!sa->larval)
		ku->n_sa--;
	sa_free(sa);
}

static struct ku_sa *sa_alloc(size_t words)
{
	struct ku_sa *sa = calloc(1, sizeof(*sa) + words * sizeof(uint64_t));
	if (!sa)
		return NULL;
	pthread_spin_init(&sa->lock, PTHREAD_PROCESS_PRIVATE);
	sa->fd = -1;
	return sa;
}

static int ku_alloc_spi(void *be, const struct kanmon_sa_id *id, uint32_t *spi)
{
	struct ku *ku = be;
	(void)id;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;
		if (gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v)) < 0)
			return -EIO;
		/* 1-255 are reserved by IANA (RFC 4303 2.1), 0 is "no SA" */
		if (v < 256 || ku_sa_by_spi(ku, htonl(v)))
			continue;
		struct ku_sa *sa = sa_alloc(0);
		if (!sa)
			return -ENOMEM;
		sa->larval = true;
		sa->added = time(NULL);
		sa->dir = KANMON_SA_IN;
		sa->esp.spi = htonl(v);
		pthread_rwlock_wrlock(&ku->lock);
		int err = ku_htab_add(&ku->by_spi, &sa->h_spi, ku_hash32(sa->esp.spi));
		pthread_rwlock_unlock(&ku->lock);
		if (err) {
			sa_free(sa);
			return err;
		}
		*spi = htonl(v);
		return 0;
	}
	ku->host->log(ku->host, KANMON_LOG_ERR, "cannot find a free SPI after 64 tries");
	return -EAGAIN;
}

static int ku_add_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p)
{
	struct ku *ku = be;
	char a[64], b[64];
	if (!p || p->size < offsetof(struct kanmon_sa_params, reserved) || !id->spi ||
	    (id->proto && id->proto != KANMON_SA_PROTO_ESP) ||
	    (p->dir != KANMON_SA_IN && p->dir != KANMON_SA_OUT) ||
	    (p->mode != KANMON_SA_TUNNEL && p->mode != KANMON_SA_TRANSPORT))
		return -EINVAL;
	if (p->mode == KANMON_SA_TRANSPORT && !ku->send_hook) {
		/* a plugin's replies would bypass us and leave in the clear: refuse rather than leak */
		ku->host->log(ku->host, KANMON_LOG_ERR,
			      "cannot add transport-mode SA spi 0x%08x: this kanmond has no net_send hook (needs plugin ABI 1.1)",
			      ntohl(id->spi));
		return -ENOTSUP;
	}
	size_t words = p->dir == KANMON_SA_IN ? ku_replay_words(p->replay_window) : 0;
	struct ku_sa *sa = sa_alloc(words);
	if (!sa)
		return -ENOMEM;
	int err = ku_xform_init(&sa->esp.xf, p->enc_alg, p->enc_key, p->enc_key_len, p->integ_alg, p->integ_key,
				p->integ_key_len);
	if (err) {
		ku->host->log(ku->host, KANMON_LOG_ERR,
			      "cannot add SA spi 0x%08x: %s (encryption %u, %zu key bytes, integrity %u) %s",
			      ntohl(id->spi), err == -EINVAL ? "wrong key length for" : "unsupported algorithm",
			      p->enc_alg, p->enc_key_len, p->integ_alg,
			      "- kernel-user supports AES-GCM, AES-CBC and 3DES with HMAC-SHA1/SHA2");
		sa_free(sa);
		return err;
	}
	ku_esp_init(&sa->esp, id->spi, p->esn, p->replay_window, words ? sa->bmp : NULL);
	sa->dir = p->dir;
	sa->mode = p->mode;
	sa->proto = KANMON_SA_PROTO_ESP;
	sa->enc_alg = p->enc_alg;
	sa->integ_alg = p->integ_alg;
	sa->reqid = p->reqid;
	sa->mark = id->mark;
	sa->mark_mask = id->mark_mask;
	sa->if_id = id->if_id;
	ku_addr_from_ss(&sa->src, &id->src);
	ku_addr_from_ss(&sa->dst, &id->dst);
	sa->encap_sport = p->encap_sport;
	sa->encap_dport = p->encap_dport;
	ku_sel_from_ts(&sa->lts, &p->local_ts);
	ku_sel_from_ts(&sa->rts, &p->remote_ts);
	sa->soft = p->soft;
	sa->hard = p->hard;
	sa->added = time(NULL);
	if (!sa->src.family || sa->src.family != sa->dst.family) {
		sa_free(sa);
		return -EINVAL;
	}
	if ((err = ku_sa_bind_output(ku, sa))) {
		sa_free(sa);
		return err;
	}
	pthread_rwlock_wrlock(&ku->lock);
	if (ku_sa_by_id(ku, id)) {
		err = -EEXIST;
		goto unlock;
	}
	struct ku_sa *larval = NULL;
	if (sa->dir == KANMON_SA_IN) {
		struct ku_sa *old = ku_sa_by_spi(ku, id->spi);
		if (old && !old->larval) {
			/* inbound packets are matched by SPI alone: it must be unique */
			err = -EEXIST;
			goto unlock;
		}
		larval = old;
	}
	if ((err = ku_htab_add(&ku->by_id, &sa->h_id, ku_hash32(sa->esp.spi))))
		goto unlock;
	if (sa->dir == KANMON_SA_IN) {
		if (larval) {
			ku_htab_del(&ku->by_spi, &larval->h_spi);
			sa_free(larval);
		}
		err = ku_htab_add(&ku->by_spi, &sa->h_spi, ku_hash32(sa->esp.spi));
	} else {
		err = ku_htab_add(&ku->by_reqid, &sa->h_reqid, ku_hash32(sa->reqid));
	}
	if (err) {
		ku_htab_del(&ku->by_id, &sa->h_id);
		goto unlock;
	}
	ku->n_sa++;
unlock:
	pthread_rwlock_unlock(&ku->lock);
	if (err) {
		if (err == -EEXIST)
			ku->host->log(ku->host, KANMON_LOG_ERR, "cannot add SA spi 0x%08x: an SA with this SPI exists",
				      ntohl(id->spi));
		sa_free(sa);
		return err;
	}
	if (ku->host->log_enabled(ku->host, KANMON_LOG_INFO))
		ku->host->log(ku->host, KANMON_LOG_INFO, "SA %s spi 0x%08x reqid %u %s %s %s -> %s%s (%zu SAs)",
			      sa->dir == KANMON_SA_IN ? "in" : "out", ntohl(id->spi), sa->reqid,
			      ku_xform_name(p->enc_alg, p->enc_key_len, p->integ_alg),
			      sa->mode == KANMON_SA_TUNNEL ? "tunnel" : "transport", addr_str(&sa->src, a, sizeof(a)),
			      addr_str(&sa->dst, b, sizeof(b)), sa->encap_dport ? " udp-encap" : "", ku->n_sa);
	return 0;
}

static int ku_update_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id,
			uint16_t new_encap_sport, uint16_t new_encap_dport)
{
	struct ku *ku = be;
	int err = 0;
	pthread_rwlock_wrlock(&ku->lock);
	struct ku_sa *sa = ku_sa_by_id(ku, id);
	if (!sa) {
		err = -ESRCH;
		goto out;
	}
	/* keep ESP state (sequence numbers, replay window): only where packets go changes */
	struct ku_sa probe = *sa;
	ku_addr_from_ss(&probe.src, &new_id->src);
	ku_addr_from_ss(&probe.dst, &new_id->dst);
	probe.encap_sport = new_encap_sport;
	probe.encap_dport = new_encap_dport;
	if ((err = ku_sa_bind_output(ku, &probe)))
		goto out;
	ku_htab_del(&ku->by_id, &sa->h_id);
	pthread_spin_lock(&sa->lock);
	sa->src = probe.src;
	sa->dst = probe.dst;
	sa->encap_sport = probe.encap_sport;
	sa->encap_dport = probe.encap_dport;
	sa->peer = probe.peer;
	sa->peer_len = probe.peer_len;
	sa->fd = probe.fd;
	sa->pktinfo = probe.pktinfo;
	sa->overhead = probe.overhead;
	sa->mapping_sent = false;
	pthread_spin_unlock(&sa->lock);
	err = ku_htab_add(&ku->by_id, &sa->h_id, ku_hash32(sa->esp.spi));
out:
	pthread_rwlock_unlock(&ku->lock);
	return err;
}

static int ku_query_sa(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st)
{
	struct ku *ku = be;
	/* loop thread: tables change only here, a read needs no table lock */
	struct ku_sa *sa = ku_sa_by_id(ku, id);
	if (!sa)
		return -ESRCH;
	pthread_spin_lock(&sa->lock);
	st->bytes = sa->bytes;
	st->packets = sa->packets;
	st->last_use = sa->last_use;
	st->replay_drops = sa->replay_drops;
	st->integrity_drops = sa->icv_drops;
	pthread_spin_unlock(&sa->lock);
	return 0;
}

static int ku_del_sa(void *be, const struct kanmon_sa_id *id)
{
	struct ku *ku = be;
	pthread_rwlock_wrlock(&ku->lock);
	struct ku_sa *sa = ku_sa_by_id(ku, id);
	if (sa)
		sa_unlink_free(ku, sa);
	pthread_rwlock_unlock(&ku->lock);
	if (!sa)
		return -ESRCH;
	ku->host->log(ku->host, KANMON_LOG_DEBUG, "SA spi 0x%08x deleted (%zu SAs)", ntohl(id->spi), ku->n_sa);
	return 0;
}

/* ---- policies ---------------------------------------------------------- */

static int ku_add_policy(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p)
{
	struct ku *ku = be;
	if (!p || p->size < offsetof(struct kanmon_policy_params, reserved) ||
	    (id->dir != KANMON_SA_IN && id->dir != KANMON_SA_OUT && id->dir != KANMON_SA_FWD))
		return -EINVAL;
	struct ku_pol *pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	pol->dir = id->dir;
	pol->mode = p->mode;
	ku_sel_from_ts(&pol->src, &id->src_ts);
	ku_sel_from_ts(&pol->dst, &id->dst_ts);
	pol->mark = id->mark;
	pol->mark_mask = id->mark_mask;
	pol->if_id = id->if_id;
	pol->reqid = p->reqid;
	pol->priority = p->priority;
	ku_addr_from_ss(&pol->osrc, &p->src);
	ku_addr_from_ss(&pol->odst, &p->dst);
	int err = 0;
	pthread_rwlock_wrlock(&ku->lock);
	if (ku_pol_find(ku, id))
		err = -EEXIST;
	else
		err = ku_pol_insert(ku, pol);
	pthread_rwlock_unlock(&ku->lock);
	if (err)
		free(pol);
	else
		ku_routes(ku, pol, true);	/* a route that fails is logged; the policy stands */
	return err;
}

static int ku_del_policy(void *be, const struct kanmon_policy_id *id)
{
	struct ku *ku = be;
	pthread_rwlock_wrlock(&ku->lock);
	struct ku_pol *pol = ku_pol_find(ku, id);
	if (pol)
		ku_pol_remove(ku, pol);
	pthread_rwlock_unlock(&ku->lock);
	if (pol)
		ku_routes(ku, pol, false);
	free(pol);
	return pol ? 0 : -ENOENT;
}

const struct kanmon_sa_ops ku_sa_ops = {
	.size = sizeof(struct kanmon_sa_ops),
	.alloc_spi = ku_alloc_spi,
	.add_sa = ku_add_sa,
	.update_sa = ku_update_sa,
	.query_sa = ku_query_sa,
	.del_sa = ku_del_sa,
	.add_policy = ku_add_policy,
	.del_policy = ku_del_policy,
};

/* ---- time ---------------------------------------------------------------- */

static void log_drops(struct ku *ku)
{
	struct ku_stats st;
	ku_stats_sum(ku, &st);
	uint64_t total = 0;
	for (int i = 1; i < KU_DROP_N; i++)
		total += st.drops[i];
	if (total == ku->drops_logged)
		return;
	ku->drops_logged = total;
	char line[512];
	size_t off = 0;
	for (int i = 1; i < KU_DROP_N && off < sizeof(line); i++)
		if (st.drops[i])
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%llu", ku_verdict_name(i),
						(unsigned long long)st.drops[i]);
	ku->host->log(ku->host, KANMON_LOG_INFO, "drops:%s (esp in %llu, out %llu)", line,
		      (unsigned long long)st.rx, (unsigned long long)st.tx);
}

void ku_tick(void *arg)
{
	struct ku *ku = arg;
	time_t now = time(NULL);
	static unsigned ticks;
	/* seconds lifetimes: one pass a second over all SAs, no timer per SA */
	pthread_rwlock_wrlock(&ku->lock);
	for (size_t i = 0; i <= ku->by_spi.mask; i++) {
		struct ku_hnode *n = ku->by_spi.b[i], *next;
		for (; n; n = next) {
			next = n->next;
			struct ku_sa *sa = (struct ku_sa *)(void *)((char *)n - offsetof(struct ku_sa, h_spi));
			if (sa->larval && now - sa->added >= LARVAL_SECONDS)
				sa_unlink_free(ku, sa);
		}
	}
	for (size_t i = 0; i <= ku->by_id.mask; i++) {
		for (struct ku_hnode *n = ku->by_id.b[i]; n; n = n->next) {
			struct ku_sa *sa = (struct ku_sa *)(void *)((char *)n - offsetof(struct ku_sa, h_id));
			time_t age = now - sa->added;
			pthread_spin_lock(&sa->lock);
			if (!sa->hard_sent && sa->hard.seconds && (uint64_t)age >= sa->hard.seconds) {
				sa->hard_sent = true;
				atomic_store(&sa->dead, true);
				ku_sa_event(ku, sa, KANMON_SA_HARD_EXPIRE, NULL);
			} else if (!sa->soft_sent && sa->soft.seconds && (uint64_t)age >= sa->soft.seconds) {
				sa->soft_sent = true;
				ku_sa_event(ku, sa, KANMON_SA_SOFT_EXPIRE, NULL);
			}
			pthread_spin_unlock(&sa->lock);
		}
	}
	pthread_rwlock_unlock(&ku->lock);
	if (++ticks % 10 == 0)
		log_drops(ku);
	ku->host->timer_arm(ku->tick, 1000);
}

void ku_sad_free_all(struct ku *ku)
{
	log_drops(ku);
	for (size_t i = 0; ku->by_spi.b && i <= ku->by_spi.mask; i++)
		while (ku->by_spi.b[i]) {
			struct ku_sa *sa = (struct ku_sa *)(void *)((char *)ku->by_spi.b[i] -
								     offsetof(struct ku_sa, h_spi));
			sa_unlink_free(ku, sa);
		}
	for (size_t i = 0; ku->by_id.b && i <= ku->by_id.mask; i++)
		while (ku->by_id.b[i]) {
			struct ku_sa *sa = (struct ku_sa *)(void *)((char *)ku->by_id.b[i] -
								     offsetof(struct ku_sa, h_id));
			sa_unlink_free(ku, sa);
		}
	while (ku->pols) {
		struct ku_pol *p = ku->pols;
		ku_pol_remove(ku, p);
		free(p);
	}
	struct ku_note *n = ku->notes;
	while (n) {
		struct ku_note *next = n->next;
		if (n->kind != 1)	/* transport notes belong to their fixed pool */
			free(n);
		n = next;
	}
	ku->notes = NULL;
	ku->notes_tail = &ku->notes;
}
