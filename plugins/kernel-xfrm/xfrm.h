/* SPDX-License-Identifier: MIT */
/*
 * xfrm.h - internals of the kernel-xfrm SA backend, shared by its files:
 *
 *   xfrm_plugin.c  descriptor, settings, ESP probe, kx_open/kx_close, ops table
 *   xfrm_sa.c      SA ops (libnl-xfrm xfrmnl_sa_*), NAT-T socket option
 *   xfrm_policy.c  policy ops (libnl-xfrm xfrmnl_sp_*), range -> prefix split
 *   xfrm_msg.c     pure builders/parsers of messages libnl-xfrm lacks (xfrm_msg.h)
 *   xfrm_events.c  multicast socket on the loop -> host->sa_event()
 *   xfrm_nl.c      netlink transport: batched send, ACK collection, error text
 *   xfrm_own.c     tables of what this backend installed (the only things it
 *                  ever deletes)
 *   xfrm_alg.c     IANA IKEv2 transform IDs -> Linux crypto names
 *   xfrm_route.c   routes (rtnetlink, proto 75) for outbound tunnel policies'
 *                  destinations, along the path to the tunnel's outer peer
 *
 * Everything runs on the event-loop thread; nothing here is thread-safe.
 * Ownership: struct kx owns its sockets, watch and tables; kx_close() removes
 * every route, SA and policy recorded in the tables, and nothing else.
 */
#ifndef KANMON_XFRM_H
#define KANMON_XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kanmon/kanmon.h>

struct nl_msg;
struct nlmsghdr;

/* ---- algorithms (xfrm_alg.c) ------------------------------------------- */

struct kx_alg {
	uint16_t iana;		/* KANMON_ENCR_* or KANMON_AUTH_* */
	bool aead;		/* encryption: combined mode (no integrity transform) */
	const char *name;	/* Linux crypto API name */
	uint16_t bits;		/* AEAD ICV / integrity truncation length, bits */
	uint8_t key_len[3];	/* accepted key lengths in bytes (0: unused slot) */
	uint8_t salt;		/* bytes appended to the key (RFC 4106: 4) */
};

/* Looks up and checks key lengths; -ENOTSUP unknown ID, -EINVAL bad length. */
int kx_alg_enc(uint16_t id, size_t key_len, const struct kx_alg **out);
int kx_alg_integ(uint16_t id, size_t key_len, const struct kx_alg **out);

/* ---- selectors and ranges (xfrm_policy.c) ------------------------------- */

/* An XFRM selector in the form the kernel wants it (addresses in network order). */
struct kx_sel {
	uint8_t saddr[16], daddr[16];
	uint16_t sport, sport_mask, dport, dport_mask;	/* host order */
	uint8_t family, plen_s, plen_d, proto;
};

struct kx_prefix {
	uint8_t addr[16];
	uint8_t plen;
};

struct kx_portmask {
	uint16_t port, mask;
};

/*
 * Splits the inclusive range from..to (addresses of `family`, network order)
 * into the fewest prefixes that cover exactly it. Returns the count (which
 * may exceed max: only max are written), or -EINVAL when from > to.
 */
int kx_range_prefixes(int family, const uint8_t *from, const uint8_t *to, struct kx_prefix *out,
		      size_t max);
/* The same for a port range (ports host order): (port, mask) pairs. */
int kx_port_masks(uint16_t from, uint16_t to, struct kx_portmask *out, size_t max);
/* Every selector of src_ts x dst_ts; *out is malloc'd. -EINVAL, -E2BIG (> KX_MAX_SELECTORS). */
#define KX_MAX_SELECTORS 4096
int kx_ts_split(const struct kanmon_ts *src, const struct kanmon_ts *dst, struct kx_sel **out,
		size_t *n);
/* Prefix (or port/mask) back to an IKEv2-style range, for events. */
void kx_sel_to_ts(const struct kx_sel *sel, struct kanmon_ts *src, struct kanmon_ts *dst);

/* ---- ownership (xfrm_own.c) --------------------------------------------- */

struct kx_node {
	struct kx_node *next;
	uint32_t hash;
};

/* A hash table of records that embed a kx_node and a fixed-size key. */
struct kx_tab {
	struct kx_node **b;
	size_t nb, n;
	size_t key_off, key_len;	/* key position inside the record, from the node */
};

/* Identity of an SA in the kernel (its lookup key) plus the mark. */
struct kx_sa_key {
	uint8_t dst[16];
	uint32_t spi;		/* network order */
	uint32_t mark_v, mark_m;
	uint8_t family, proto, pad[2];
};

struct kx_sa_rec {
	struct kx_node node;
	struct kx_sa_key k;
	uint8_t src[16];
	uint32_t reqid, if_id;
	uint8_t dir;		/* enum kanmon_sa_dir; 0 while larval */
	bool larval;		/* reserved by alloc_spi, not yet installed */
	bool encap;
};

struct kx_pol_key {
	struct kx_sel sel;
	uint32_t mark_v, mark_m, if_id;
	uint8_t dir, pad[3];	/* XFRM_POLICY_IN/OUT/FWD */
};

struct kx_pol_rec {
	struct kx_node node;
	struct kx_pol_key k;
	uint32_t reqid;
	uint32_t index;		/* the kernel's, learnt from a dump at close; 0: unknown */
	bool routed;		/* holds a reference on the route to k.sel's destination */
};

/* A route of ours (xfrm_route.c): destination prefix, shared by policies. */
struct kx_rt_key {
	uint8_t dst[16];
	uint8_t family, plen, pad[2];
};

struct kx_rt_rec {
	struct kx_node node;
	struct kx_rt_key k;
	uint32_t refs;		/* policy selectors routed through it */
	int oif;
	int gw_family;		/* 0: on-link */
	uint8_t gw[16];
};

void kx_tab_init(struct kx_tab *t, size_t key_off, size_t key_len);
void kx_tab_free(struct kx_tab *t);	/* frees the bucket array, not the records */
struct kx_node *kx_tab_find(const struct kx_tab *t, const void *key);
int kx_tab_add(struct kx_tab *t, struct kx_node *node);	/* 0 or -ENOMEM */
void kx_tab_del(struct kx_tab *t, struct kx_node *node);
/* Removes and returns any record (NULL: empty): for draining at close. */
struct kx_node *kx_tab_pop(struct kx_tab *t);
/* Iteration: pass NULL for the first record. Do not modify while iterating. */
struct kx_node *kx_tab_next(const struct kx_tab *t, const struct kx_node *prev);

#define KX_SA_TAB_INIT(t) kx_tab_init((t), offsetof(struct kx_sa_rec, k) - offsetof(struct kx_sa_rec, node), \
				      sizeof(struct kx_sa_key))
#define KX_RT_TAB_INIT(t) kx_tab_init((t), offsetof(struct kx_rt_rec, k) - offsetof(struct kx_rt_rec, node), \
				      sizeof(struct kx_rt_key))
#define KX_POL_TAB_INIT(t) kx_tab_init((t), offsetof(struct kx_pol_rec, k) - offsetof(struct kx_pol_rec, node), \
				       sizeof(struct kx_pol_key))

/* A mark value without a mask means an exact match (as in ip-xfrm and strongSwan). */
static inline uint32_t kx_mark_mask(uint32_t v, uint32_t m)
{
	return v && !m ? 0xffffffffu : m;
}

/* Fills an SA key from an ABI id (dst, spi, proto, mark). -EAFNOSUPPORT. */
int kx_sa_key_from_id(const struct kanmon_sa_id *id, struct kx_sa_key *k);

/* ---- netlink transport (xfrm_nl.c) -------------------------------------- */

/* One request of a batch. */
struct kx_req {
	/* complete request; seq and ACK flag are set by kx_nl_run. A dump
	 * (NLM_F_DUMP) ends with NLMSG_DONE instead of an ACK. */
	struct nlmsghdr *msg;
	int err;		/* out: 0 or -errno from the kernel's ACK */
	/* optional: a data reply (GETSA, ALLOCSPI) arrives before the ACK */
	void (*reply)(struct kx_req *r, const struct nlmsghdr *h);
	void *arg;
};

struct kx_nl {
	int fd;
	uint32_t seq;
	uint8_t *buf;		/* receive buffer */
	size_t buf_len, buf_dirty;	/* dirty: bytes to wipe (may hold keys) */
	char errmsg[256];	/* kernel's extended ACK text of the first failure */
};

int kx_nl_open(struct kx_nl *nl);
void kx_nl_close(struct kx_nl *nl);
/*
 * Sends all n requests (many per sendmsg) and collects every ACK. Returns 0
 * when the exchange worked (each r->err tells the kernel's verdict) or the
 * -errno of the transport (then r->err of unanswered requests is that too).
 */
int kx_nl_run(struct kx_nl *nl, struct kx_req *r, size_t n);
/* Wipes the receive buffer (it may have held key material). */
void kx_nl_wipe(struct kx_nl *nl);

/* ---- the backend -------------------------------------------------------- */

struct kx_config {
	uint16_t natt_port;		/* the core's NAT-T socket port (UDP_ENCAP_ESPINUDP) */
	uint32_t replay_window;		/* used when params say 0 */
	bool routes;			/* route outbound tunnel policies' destinations */
};

struct kx {
	const struct kanmon_host *host;
	struct kx_config cfg;
	struct kx_nl nl;
	struct kx_tab sas, pols, routes;
	int rt_fd;			/* NETLINK_ROUTE; -1 without routes */
	uint32_t rt_seq;
	int ev_fd;
	struct kanmon_watch *ev_watch;
	bool natt_done;			/* UDP_ENCAP set on the core's sockets */
	uint64_t events_lost;
};

int kx_open(const struct kanmon_host *host, const struct kx_config *cfg, struct kx **out);
/* Removes every SA and policy in the tables, then frees. NULL is fine. */
void kx_close(struct kx *kx);
/* The ops registered with the core (be = struct kx *). */
const struct kanmon_sa_ops *kx_ops(void);
/*
 * Can this kernel do ESP? 0 yes; otherwise -errno and a sentence in why.
 * Adds and deletes a probe SA in a scratch network namespace (forked child).
 */
int kx_probe_esp(char *why, size_t len);

/* xfrm_sa.c */
int kx_alloc_spi(void *be, const struct kanmon_sa_id *id, uint32_t *spi);
int kx_add_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p);
int kx_update_sa(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id,
		 uint16_t sport, uint16_t dport);
int kx_query_sa(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st);
int kx_del_sa(void *be, const struct kanmon_sa_id *id);
/*
 * Message builders behind the ops (also used by the ESP probe and tests):
 * a NEWSA (or UPDSA) request with the keys in place - wipe it after use -
 * and a DELSA request. Parameters are not validated beyond the algorithms.
 */
int kx_sa_msg(const struct kanmon_sa_id *id, const struct kanmon_sa_params *p, uint32_t replay, bool update,
	      struct nl_msg **out);
int kx_sa_del_msg(const struct kanmon_sa_id *id, struct nl_msg **out);
/* Deletes every owned SA (batched); returns how many were removed. */
size_t kx_sa_flush_owned(struct kx *kx);
/* "SA 0x%08x 192.0.2.1 -> 192.0.2.2" for messages. */
void kx_sa_name(const struct kanmon_sa_id *id, char *buf, size_t len);

/* xfrm_policy.c */
int kx_add_policy(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p);
int kx_del_policy(void *be, const struct kanmon_policy_id *id);
size_t kx_policy_flush_owned(struct kx *kx);

/* xfrm_route.c */
/* Opens the rtnetlink socket when cfg.routes (else rt_fd = -1). 0 or -errno. */
int kx_route_open(struct kx *kx);
/* Removes every route of ours, closes the socket; returns how many were removed. */
size_t kx_route_close(struct kx *kx);
/* Does an installed policy (key k, params p) get a route? out, tunnel, no if_id, routes on */
bool kx_route_applies(const struct kx *kx, const struct kx_pol_key *k, const struct kanmon_policy_params *p);
/*
 * A reference on the route to sel's destination prefix, added along the path
 * to p->dst when it is the first; true when held (then release it once).
 * Problems are logged (warning) and answer false: the policy stays.
 */
bool kx_route_hold(struct kx *kx, const struct kx_sel *sel, const struct kanmon_policy_params *p);
void kx_route_release(struct kx *kx, const struct kx_sel *sel);

/* xfrm_events.c */
int kx_events_open(struct kx *kx);
void kx_events_close(struct kx *kx);
/* Handles one buffer of received messages (exposed for tests). */
void kx_events_input(struct kx *kx, const uint8_t *buf, size_t len);

/* helpers shared by the op files */
int kx_addr_bytes(const struct sockaddr_storage *ss, uint8_t out[16]);	/* family or -EAFNOSUPPORT */
void kx_addr_make(int family, const uint8_t *bytes, uint16_t port, struct sockaddr_storage *ss);
const char *kx_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);
void kx_wipe(void *p, size_t len);

#endif
