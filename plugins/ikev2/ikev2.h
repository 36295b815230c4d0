/* SPDX-License-Identifier: MIT */
/*
 * ikev2.h - the IKEv2 responder plugin's shared state: the plugin context,
 * IKE SAs, counters, and the functions the files offer each other.
 *
 * Files (one concern each):
 *   ikev2_plugin.c    descriptor, settings schema, init/fini, net registration
 *   ikev2_ctx.c       the context from plain settings (tests build it directly)
 *   ikev2_recv.c      receive path: parse, SA lookup, message-ID window,
 *                     decryption, reassembly, dispatch by exchange
 *   ikev2_send.c      responses: unprotected, protected (+ fragmentation),
 *                     retransmission of the cached response
 *   ikev2_sa_init.c   IKE_SA_INIT responder (proposals, KE, nonces, NAT-D,
 *                     fragmentation / signature hash notifies, cookies)
 *   ikev2_auth.c      IKE_AUTH: certificates, AUTH payloads, the answer
 *   ikev2_sig.c       AUTH signatures (RFC 7296 methods 1, 9-11; RFC 7427)
 *   ikev2_info.c      INFORMATIONAL: DELETE, MOBIKE updates, liveness
 *   ikev2_child.c     CHILD SA: ESP proposal, traffic selectors, keys,
 *                     installation through the SA backend, NAT rebinding
 *   ikev2_session.c   what an established IKE SA holds for the operator:
 *                     virtual IPs from the pool, the session in the core's
 *                     registry (status, kill, revocation)
 *   ikev2_sa.c        IKE SA table, states, timers, half-open accounting
 *   ikev2_log.c       refusal lines rate-limited per source, Windows codes
 *   ikev2_parse.c ikev2_gen.c ikev2_proposal.c ikev2_keys.c ikev2_sk.c
 *   ikev2_frag.c ikev2_names.c: pure protocol pieces (own headers)
 *
 * Everything runs on the event-loop thread: the scratch buffers in struct
 * ikev2 are shared by all messages, one at a time.
 */
#ifndef KANMON_IKEV2_H
#define KANMON_IKEV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <kanmon/kanmon.h>

#include "ikev2_frag.h"
#include "ikev2_gen.h"
#include "ikev2_keys.h"
#include "ikev2_parse.h"
#include "ikev2_proposal.h"
#include "ikev2_sk.h"
#include "ikev2_ts.h"

#define IKEV2_NONCE_LEN		32	/* ours: >= half the largest PRF key (RFC 7296 2.10) */
#define IKEV2_MAX_RESP_FRAGS	IKEV2_FRAG_MAX_COUNT
#define IKEV2_DEAD_LINGER_MS	10000	/* a closed SA still answers retransmits this long */
#define IKEV2_RL_SLOTS		256	/* sources remembered by the refusal rate limiter */

/* Windows error codes a refused client shows (CLIENTS.md, "failures speak") */
#define IKEV2_WIN_NO_POLICY		13868	/* no proposal chosen: "policy match error" */
#define IKEV2_WIN_CERT_EKU		13801	/* server certificate unacceptable */
#define IKEV2_WIN_NO_CERT		13806	/* no usable client certificate */
#define IKEV2_WIN_SIG			13838	/* signature not verifiable */

/* Counters: every refused or dropped datagram lands in exactly one. */
struct ikev2_stats {
	uint64_t rx;			/* datagrams claimed */
	uint64_t malformed;		/* header/chain/body refused by the parser */
	uint64_t oversized;		/* larger than IKEV2_MAX_MSG */
	uint64_t unsupported_critical;	/* answered UNSUPPORTED_CRITICAL_PAYLOAD */
	uint64_t responses;		/* responses (we never initiate yet): dropped */
	uint64_t bad_spi;		/* no IKE SA for these SPIs */
	uint64_t bad_msgid;		/* outside the message-ID window */
	uint64_t retransmits;		/* duplicate requests answered from the cache */
	uint64_t icv_failed;		/* SK/SKF integrity check failed */
	uint64_t frag_rx;		/* fragments accepted for reassembly */
	uint64_t frag_dropped;		/* duplicate, stale, malformed fragments */
	uint64_t frag_nobufs;		/* reassembly memory bound hit */
	uint64_t frag_reassembled;	/* messages completed from fragments */
	uint64_t sa_init;		/* IKE_SA_INIT answered with an SA */
	uint64_t no_proposal;		/* answered NO_PROPOSAL_CHOSEN */
	uint64_t invalid_ke;		/* answered INVALID_KE_PAYLOAD */
	uint64_t invalid_syntax;	/* answered INVALID_SYNTAX */
	uint64_t half_open_refused;	/* over half_open_max: dropped */
	uint64_t cookies_sent;		/* answered COOKIE */
	uint64_t cookies_bad;		/* a wrong or stale COOKIE */
	uint64_t auth_requests;		/* IKE_AUTH requests decrypted */
	uint64_t auth_failed;		/* answered AUTHENTICATION_FAILED */
	uint64_t established;		/* IKE SAs authenticated */
	uint64_t children;		/* CHILD SAs installed */
	uint64_t child_failed;		/* CHILD SAs refused or not installable */
	uint64_t cp_failed;		/* no virtual address could be given */
	uint64_t deletes;		/* DELETE requests answered */
	uint64_t requests;		/* requests of ours sent (DPD, DELETE, rekeys) */
	uint64_t req_retransmits;	/* ... and retransmitted */
	uint64_t dpd_sent;		/* liveness checks sent */
	uint64_t dpd_dead;		/* clients removed for not answering */
	uint64_t child_rekeys;		/* CHILD SAs rekeyed (either side) */
	uint64_t ike_rekeys;		/* IKE SAs rekeyed by clients */
	uint64_t rekey_collisions;	/* simultaneous CHILD SA rekeys settled */
	uint64_t replaced;		/* IKE SAs replaced by a new one of the same identity */
	uint64_t half_open_expired;	/* half-open SAs timed out */
	uint64_t tx, tx_errors, tx_fragments;
	uint64_t log_suppressed;	/* refusal lines held back by the rate limit */
};

enum ikev2_state {
	IKEV2_HALF_OPEN = 1,		/* IKE_SA_INIT answered, IKE_AUTH awaited */
	IKEV2_ESTABLISHED,
	IKEV2_DELETING,			/* our DELETE sent: awaiting its answer */
	IKEV2_DEAD,			/* closed: answers retransmits until it expires */
};

/* What our one outstanding request is for (ikev2_req.c). */
enum ikev2_req_kind {
	IKEV2_REQ_NONE = 0,
	IKEV2_REQ_DPD,			/* empty INFORMATIONAL: is the client alive? */
	IKEV2_REQ_DELETE_IKE,		/* DELETE of the IKE SA (kill, revocation, replaced) */
	IKEV2_REQ_DELETE_CHILD,		/* DELETE of a rekeyed CHILD SA */
	IKEV2_REQ_REKEY_CHILD,		/* CREATE_CHILD_SA rekeying the CHILD SA */
};

struct ikev2;

/* One CHILD SA in tunnel mode (CREATE_CHILD_SA and rekeying: issue 10). */
struct ikev2_child {
	struct ikev2_suite suite;		/* ESP */
	uint32_t spi_in, spi_out;		/* network order: ours (we receive), the client's */
	uint32_t reqid;
	struct ikev2_ts_set *tsi, *tsr;		/* narrowed: the client's side, ours; allocated
						 * for their n selectors only (ikev2_ts_dup) */
	struct sockaddr_storage local, peer;	/* outer addresses as installed */
	uint16_t encap_port;			/* the client's UDP port, 0 = raw ESP */
	bool in_installed, out_installed;
	uint16_t pfs_group;			/* the DH group our rekeys offer (0: none) */
	uint64_t created_ms;
};

struct ikev2_sa {
	struct ikev2_sa *next_r, *next_i;	/* hash chains by SPIr, by (SPIi, peer) */
	struct ikev2_sa *next_id;		/* chain by identity (established SAs) */
	struct ikev2 *ctx;
	uint8_t spi_i[8], spi_r[8];
	struct sockaddr_storage peer;		/* where the last request came from */
	struct sockaddr_storage local;		/* the address it was sent to */
	uint16_t port;				/* local port of the last request */
	uint16_t pkt_flags;			/* KANMON_PKT_NON_ESP_MARKER on 4500 */
	enum ikev2_state state;
	uint64_t created_ms;
	struct kanmon_timer *timer;

	struct ikev2_suite suite;
	struct ikev2_keys keys;
	uint64_t iv_seq;			/* GCM IVs of our messages */
	uint32_t next_msgid;			/* the request we expect next */
	uint8_t last_exchange;			/* exchange type of request next_msgid - 1 */
	struct ikev2_buf *resp;			/* cached response to next_msgid - 1 */
	size_t n_resp;
	uint8_t req_hash[32];			/* of that request (IKE_SA_INIT retransmits) */

	/* for IKE_AUTH (RFC 7296 2.15): both IKE_SA_INIT messages and nonces */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	uint8_t ni[256], nr[IKEV2_NONCE_LEN];
	size_t ni_len;

	bool nat_peer;				/* the peer is behind a NAT */
	bool nat_local;				/* we are (or the peer pretends so) */
	bool frag;				/* RFC 7383 negotiated */
	uint8_t sig_hashes;			/* bit n: RFC 7427 hash n offered by the peer */
	uint16_t peer_frag_max;			/* largest IP datagram of a peer fragment */
	struct ikev2_reasm reasm;
	char peer_str[64];			/* "198.51.100.2[4500]" */

	/* our own requests (ikev2_req.c): one at a time, retransmitted */
	uint32_t my_msgid;			/* ID of our next request */
	enum ikev2_req_kind req_kind;		/* outstanding, or NONE */
	unsigned req_tries;
	uint64_t req_first_ms;
	struct ikev2_buf *req;			/* as sent (fragments) */
	size_t n_req;
	struct kanmon_timer *rtx;
	uint64_t last_rx_ms;			/* last authenticated request or response */
	struct ikev2_rekey *rekey;		/* our CREATE_CHILD_SA in flight */
	bool rekey_pending;			/* a soft expiry came while a request was out */

	/* once authenticated (ikev2_session.c, ikev2_child.c) */
	char *identity;				/* the client's IKE ID as text */
	char *lease_id;				/* the pool key: identity, or identity#n (duplicates = keep) */
	bool id_linked;				/* in the identity index */
	uint64_t session_id;			/* in the core's registry, 0 = none */
	bool has_vip4, has_vip6;
	struct sockaddr_storage vip4, vip6;
	struct ikev2_child *child;		/* the current CHILD SA */
	struct ikev2_child *child_old;		/* rekeyed, until its DELETE */
	uint32_t reqid;				/* of the policies, shared by rekeyed CHILD SAs */
	size_t n_pol;
	struct kanmon_policy_id *pol;		/* installed policies, removed in reverse */
	uint64_t established_ms;
	struct kanmon_timer *keepalive;		/* NAT keepalives when we are behind a NAT */
	bool mobike;				/* the client announced MOBIKE_SUPPORTED */
};

struct ikev2_sa_table {
	struct ikev2_sa **by_r, **by_i;
	size_t buckets;				/* a power of two */
	size_t count, half_open;
	uint8_t key[16];			/* SipHash key for (SPIi, peer) and identities */
	struct ikev2_sa **by_id;		/* established SAs by identity */
	size_t id_buckets, id_count;
};

struct ikev2_rl_slot {
	uint8_t addr[16];
	uint8_t family;
	uint32_t suppressed;
	uint64_t last_ms;
};

/* a rate limiter: recent sources, plus a cap on lines per second in total */
struct ikev2_rl {
	struct ikev2_rl_slot slot[IKEV2_RL_SLOTS];
	uint64_t window_ms;
	unsigned window_lines;
};

struct ikev2 {
	const struct kanmon_host *host;
	struct kanmon_net_reg *reg, *reg_natt;
	uint16_t port, natt_port;

	/* settings */
	struct ikev2_proposal *ike_conf;	/* modern, then legacy */
	size_t n_ike, ike_legacy_from;
	struct ikev2_proposal *esp_conf;
	size_t n_esp;
	bool fragmentation;
	unsigned fragment_size;			/* IP datagram bytes of our fragments */
	unsigned half_open_max, cookie_threshold;
	uint64_t half_open_timeout_ms;
	uint64_t log_interval_ms;
	unsigned dpd;
	bool sha1_signatures;
	enum ikev2_dup { IKEV2_DUP_REPLACE, IKEV2_DUP_KEEP, IKEV2_DUP_REFUSE } duplicates;
	struct kanmon_lifetime child_soft, child_hard;	/* seconds; soft gets jitter per SA */
	unsigned child_jitter;
	char server_id[256], certificate[256], pool[64];
	struct ikev2_ts_set split;		/* split_include: what clients may reach (TSr) */
	size_t n_domains;
	char **domains;				/* dns_domains (INTERNAL_DNS_DOMAIN) */
	const struct kanmon_sa_ops *sa_ops;	/* the SA backend, NULL when none is loaded */
	void *sa_be;
	uint32_t next_reqid;

	/* state */
	struct ikev2_sa_table sas;
	struct ikev2_frag_budget frag_budget;
	struct ikev2_rl rl_refuse;		/* refusal lines */
	struct ikev2_rl rl_drop;		/* debug lines about drops: apart, so they
						 * never hold a refusal back */
	uint8_t rl_key[16];
	uint8_t cookie_secret[32];
	struct ikev2_stats st;
	uint64_t (*now_ms)(void);		/* monotonic clock; tests replace it */

	/* scratch, one message at a time */
	struct ikev2_msg msg;
	struct ikev2_chain inner;
	struct ikev2_offer offer;
	uint8_t plain[IKEV2_MAX_MSG];
	uint8_t out[IKEV2_MAX_MSG];
};

/* ---- ikev2_ctx.c ---- */
/*
 * Defaults (CLIENTS.md 1a): iOS/macOS aes256-sha256 with ecp256/modp2048;
 * Android 11+ AES-GCM or AES-CBC + SHA-2 with modp2048..4096/curve25519 (no
 * SHA-1, no modp1024); the strongSwan app AEAD with curve25519/ecp384. The
 * server's order: AEAD first, ecp256 (cheapest, what iOS sends first) before
 * curve25519 and the MODP groups. Windows' modp1024/3des/sha1 is legacy and
 * off unless legacy_proposals names it.
 */
#define IKEV2_DEF_IKE_AEAD "aes256gcm16-aes128gcm16-prfsha256-prfsha384-prfsha512-ecp256-curve25519-ecp384-modp2048-modp3072-modp4096"
#define IKEV2_DEF_IKE_CBC "aes256-aes128-sha256-sha384-sha512-ecp256-curve25519-ecp384-modp2048-modp3072-modp4096"
#define IKEV2_DEF_ESP_AEAD "aes256gcm16-aes128gcm16-modpnone-ecp256-curve25519-modp2048"
#define IKEV2_DEF_ESP_CBC "aes256-aes128-sha256-sha384-sha512-sha1-modpnone-ecp256-curve25519-modp2048"

#define IKEV2_MAX_CONF_PROPOSALS 32

/* The settings as plain data (the plugin reads them from its schema; tests fill them). */
struct ikev2_config {
	const char *server_id, *certificate, *pool;
	unsigned port, natt_port;
	const char *proposals[IKEV2_MAX_CONF_PROPOSALS];
	size_t n_proposals;
	const char *legacy_proposals[IKEV2_MAX_CONF_PROPOSALS];
	size_t n_legacy_proposals;
	const char *esp_proposals[IKEV2_MAX_CONF_PROPOSALS];
	size_t n_esp_proposals;
	const char *split_include[IKEV2_MAX_TS];
	size_t n_split_include;
	const char *dns_domains[IKEV2_MAX_CONF_PROPOSALS];
	size_t n_dns_domains;
	bool sha1_signatures;
	const char *duplicates;			/* "replace", "keep", "refuse" */
	unsigned child_rekey, child_life, child_jitter;	/* seconds */
	bool fragmentation;
	unsigned fragment_size, fragment_memory_kib, dpd;
	unsigned half_open_max, cookie_threshold, half_open_timeout, log_interval;
};

/* The schema defaults. */
void ikev2_config_defaults(struct ikev2_config *cfg);
/* What the schema cannot check (proposal strings, prefixes, lifetimes): 0 or -EINVAL with err. */
int ikev2_config_check(const struct ikev2_config *cfg, char *err, size_t len);
/* A context (no sockets): 0, -EINVAL (a setting is wrong: logged), -ENOMEM. */
int ikev2_ctx_new(const struct kanmon_host *h, const struct ikev2_config *cfg, struct ikev2 **out);
void ikev2_ctx_free(struct ikev2 *ctx);

/* ---- ikev2_recv.c ---- */
bool ikev2_classify(const uint8_t *buf, size_t len, uint16_t pkt_flags, void *arg);
bool ikev2_classify_natt(const uint8_t *buf, size_t len, uint16_t pkt_flags, void *arg);
void ikev2_receive(const struct kanmon_pkt *pkt, void *arg);

/* ---- ikev2_send.c ---- */
/* Stateless unprotected answer (IKE_SA_INIT errors, cookies): HDR + notify. */
void ikev2_send_notify(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *req,
		       uint16_t type, const void *data, size_t len);
/* Sends an unprotected message as the SA's response and caches it. */
int ikev2_send_plain(struct ikev2 *ctx, struct ikev2_sa *sa, const uint8_t *msg, size_t len);
/*
 * Protects the inner payloads built in `inner` as the response to request
 * `msgid` of `exchange`, fragmenting when negotiated and needed, caches and
 * sends it. 0 or -errno.
 */
int ikev2_send_protected(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, uint32_t msgid,
			 struct ikev2_gen *inner);
/*
 * Protects the inner payloads built in `inner` as message `msgid` of
 * `exchange` with header flags `flags`, fragmented when negotiated and
 * needed, into new buffers (*bufs, *n: the caller owns them). 0 or -errno.
 */
int ikev2_seal(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, uint8_t flags, uint32_t msgid,
	       struct ikev2_gen *inner, struct ikev2_buf **bufs, size_t *n);
/* Sends buffers to the SA's peer, from where its last request arrived. */
void ikev2_send_bufs(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_buf *bufs, size_t n);
/* Answers request m of the SA with one (error) notify, protected. */
void ikev2_send_error(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m, uint16_t type,
		      const void *data, size_t len);
/* Sends the cached response again. */
void ikev2_resend(struct ikev2 *ctx, struct ikev2_sa *sa);
/* The largest IKE message that fits one datagram of `ip_size` bytes to the SA's peer. */
size_t ikev2_max_msg(const struct ikev2_sa *sa, unsigned ip_size);

/* ---- ikev2_sa_init.c ---- */
void ikev2_sa_init_request(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m);
/* NAT_DETECTION hash: SHA-1(SPIi | SPIr | IP | port) (RFC 7296 2.23). */
void ikev2_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct sockaddr_storage *a,
		     uint8_t out[20]);

/* ---- ikev2_auth.c ---- */
void ikev2_auth_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req);
/* Adds the CERTREQ of the IKE_SA_INIT response. */
void ikev2_auth_certreq(struct ikev2 *ctx, struct ikev2_gen *g);
/*
 * The octets an AUTH payload covers (RFC 7296 2.15): the sender's
 * IKE_SA_INIT message | the other side's nonce | prf(SK_p, ID body).
 * from_initiator picks the initiator's (client's) octets. *len in: cap.
 */
int ikev2_auth_octets(const struct ikev2_sa *sa, bool from_initiator, const uint8_t *id_body, size_t id_len,
		      uint8_t *out, size_t *len);

/* ---- ikev2_info.c ---- */
/* INFORMATIONAL requests: DELETE (IKE or ESP), MOBIKE address updates, liveness checks. */
void ikev2_info_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
			const struct ikev2_chain *req);

/* ---- ikev2_req.c ---- */
/* Sends a request of ours (one at a time: -EBUSY) and retransmits it until answered. */
int ikev2_request(struct ikev2 *ctx, struct ikev2_sa *sa, uint8_t exchange, enum ikev2_req_kind kind,
		  struct ikev2_gen *inner);
/* A response datagram (to one of our requests). */
void ikev2_response(struct ikev2 *ctx, const struct kanmon_pkt *pkt, const struct ikev2_msg *m);
/* Ends everything of the SA now and tells the client with a DELETE; the SA goes when answered. */
void ikev2_delete_ike(struct ikev2 *ctx, struct ikev2_sa *sa, const char *why);
/* The established SA's timer: a liveness check when the client was silent for `dpd` seconds. */
void ikev2_liveness(struct ikev2 *ctx, struct ikev2_sa *sa);
void ikev2_req_free(struct ikev2 *ctx, struct ikev2_sa *sa);

/* ---- ikev2_rekey.c ---- */
struct ikev2_rekey;
void ikev2_create_child_request(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_msg *m,
				const struct ikev2_chain *req);
/* We rekey the SA's CHILD SA (soft expiry). 0, -EBUSY (a request is out), -EALREADY. */
int ikev2_rekey_child_start(struct ikev2 *ctx, struct ikev2_sa *sa);
void ikev2_rekey_answered(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_chain *c);
/*
 * The client's DELETE names `spi` (our outbound SPI of one of its CHILD SAs)
 * while our rekey is out: a CHILD SA that rekey holds goes (*our_spi: what
 * to answer). false: not one of those.
 */
bool ikev2_rekey_client_deleted(struct ikev2 *ctx, struct ikev2_sa *sa, uint32_t spi, uint32_t *our_spi);
void ikev2_rekey_next(struct ikev2 *ctx, struct ikev2_sa *sa);
void ikev2_rekey_free(struct ikev2 *ctx, struct ikev2_sa *sa);
/* SA backend events: soft expiry -> rekey, hard expiry -> the CHILD SA is gone. */
void ikev2_sa_event(const struct kanmon_sa_event *ev, void *arg);

/* ---- ikev2_child.c ---- */
#define IKEV2_MAX_GIR 512	/* g^ir of modp4096 */

/* What keys a CHILD SA: the nonces of its exchange and, with PFS, the new g^ir. */
struct ikev2_child_nonces {
	const uint8_t *ni, *nr, *gir;
	size_t ni_len, nr_len, gir_len;
	uint16_t dh_group;			/* CREATE_CHILD_SA with a KE: its group; 0 = none */
};

/*
 * A CHILD SA from the SA, TSi and TSr payloads of `req` (IKE_AUTH, or a
 * CREATE_CHILD_SA request): ESP proposal, narrowed selectors, keys, SAs
 * installed, and the policies when the IKE SA has none yet (a rekeyed CHILD
 * SA shares them: same reqid). The answer's SA, TSi, TSr are appended to g.
 * On failure nothing is installed, *notify holds the error to answer and
 * *why the reason for the log. 0 or -errno.
 */
int ikev2_child_create(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_chain *req,
		       const struct ikev2_child_nonces *nonces, struct ikev2_gen *g, uint16_t *notify, const char **why,
		       struct ikev2_child **out);
/*
 * Installs the CHILD SA of a rekey WE initiated: `suite` as the client
 * chose it (its SPI there is spi_out), our spi_in, selectors, endpoints and
 * reqid of `like`. 0 or -errno (nothing installed).
 */
int ikev2_child_adopt(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_child *like,
		      const struct ikev2_suite *suite, uint32_t spi_in, uint32_t spi_out,
		      const struct ikev2_child_nonces *nonces, struct ikev2_child **out);
/* What names the CHILD SA's inbound (in) or outbound SA in the backend: outer addresses without ports, SPI. */
void ikev2_child_sa_id(const struct ikev2_child *c, bool in, struct kanmon_sa_id *id);
/* Removes a CHILD SA's SAs from the backend and frees it (NULL is fine). */
void ikev2_child_free(struct ikev2 *ctx, struct ikev2_child *c);
/* Removes the IKE SA's policies. */
void ikev2_policies_delete(struct ikev2 *ctx, struct ikev2_sa *sa);
/* Removes all CHILD SAs of the IKE SA and its policies. */
void ikev2_child_delete(struct ikev2 *ctx, struct ikev2_sa *sa);
/* The client moved (NAT rebinding, MOBIKE): the CHILD SA follows. */
void ikev2_child_update(struct ikev2 *ctx, struct ikev2_sa *sa);
/* "aes256gcm16" + in/out SPIs for logs and status */
size_t ikev2_child_describe(const struct ikev2_child *c, char *buf, size_t len);

/* ---- ikev2_session.c ---- */
/*
 * Virtual IPs for the CP request (sticky per identity). The CFG_REPLY is
 * filled into r. 0, -ENOENT (no pool configured), -ENOSPC, -EIO.
 */
struct ikev2_cp_request;
struct ikev2_cp_reply;
int ikev2_session_addresses(struct ikev2 *ctx, struct ikev2_sa *sa, const struct ikev2_cp_request *cpr,
			    struct ikev2_cp_reply *r);
/* Registers the established SA with the core (status, kill, revocation). */
void ikev2_session_register(struct ikev2 *ctx, struct ikev2_sa *sa, const struct kanmon_cert_result *cert);
/* Everything an authenticated SA holds: CHILD SA, session, leases (offline). */
void ikev2_session_end(struct ikev2 *ctx, struct ikev2_sa *sa, const char *why);

/* ---- ikev2_sa.c ---- */
int ikev2_sa_table_init(struct ikev2_sa_table *t, size_t buckets);
void ikev2_sa_table_free(struct ikev2 *ctx);
/* A new half-open SA with a fresh unique SPIr. NULL on -ENOMEM. */
struct ikev2_sa *ikev2_sa_new(struct ikev2 *ctx, const uint8_t spi_i[8], const struct kanmon_pkt *pkt);
struct ikev2_sa *ikev2_sa_by_r(struct ikev2 *ctx, const uint8_t spi_r[8]);
struct ikev2_sa *ikev2_sa_by_i(struct ikev2 *ctx, const uint8_t spi_i[8], const struct sockaddr_storage *peer);
void ikev2_sa_free(struct ikev2 *ctx, struct ikev2_sa *sa);
void ikev2_sa_set_state(struct ikev2 *ctx, struct ikev2_sa *sa, enum ikev2_state st);
/* (Re)arms the SA's timer: it expires (is freed) after ms unless re-armed. */
void ikev2_sa_arm(struct ikev2_sa *sa, uint64_t ms);
/* Replaces the cached response (takes the buffers). */
void ikev2_sa_cache(struct ikev2_sa *sa, struct ikev2_buf *bufs, size_t n);
/* A fresh unique SPIr. 0 or -EIO. */
int ikev2_sa_new_spi(struct ikev2 *ctx, uint8_t spi_r[8]);
/*
 * IKE SA rekey: `sa` (with its client state) takes the new SPIs; a husk is
 * left under the old ones, with the old keys and message-ID state, to
 * answer the request (and its retransmits) and the client's DELETE of it.
 * Returns the husk, NULL on -ENOMEM (nothing changed).
 */
struct ikev2_sa *ikev2_sa_split(struct ikev2 *ctx, struct ikev2_sa *sa, const uint8_t new_spi_i[8],
				const uint8_t new_spi_r[8]);
/* The identity index (duplicate identities, INITIAL_CONTACT): sa->identity must be set. */
void ikev2_sa_id_link(struct ikev2 *ctx, struct ikev2_sa *sa);
void ikev2_sa_id_unlink(struct ikev2 *ctx, struct ikev2_sa *sa);
/* Established SAs of `identity` other than `except`, at most max, into out. Returns the count. */
size_t ikev2_sa_by_identity(struct ikev2 *ctx, const char *identity, const struct ikev2_sa *except,
			    struct ikev2_sa **out, size_t max);
/* Records where the request came from (NAT-T float, NAT rebinding). */
void ikev2_sa_endpoint(struct ikev2_sa *sa, const struct kanmon_pkt *pkt);
/*
 * RFC 3948 4: the side behind a NAT keeps its mapping alive. When NAT
 * detection said we are (nat_local), a one-byte keepalive goes to the
 * client every IKEV2_KEEPALIVE_MS while the SA is established.
 */
#define IKEV2_KEEPALIVE_MS 20000
void ikev2_sa_keepalive_start(struct ikev2 *ctx, struct ikev2_sa *sa);
/* Timer callback: the SA expired. */
void ikev2_sa_expired(void *arg);
uint64_t ikev2_siphash(const uint8_t key[16], const void *data, size_t len);

/* ---- ikev2_log.c ---- */
/* "198.51.100.2[4500]" */
void ikev2_addr_str(const struct sockaddr_storage *a, char *buf, size_t len);
/*
 * One line for a refused client, at most one per source per log interval
 * (and a global cap per second); the next line says how many were held
 * back. win_err 0 = no Windows code applies. identity may be NULL.
 */
void ikev2_refuse(struct ikev2 *ctx, const struct sockaddr_storage *peer, const char *identity, unsigned win_err,
		  const char *fmt, ...) KANMON_PRINTF(5, 6);
/* Debug lines about dropped datagrams, rate-limited the same way. */
void ikev2_drop(struct ikev2 *ctx, const struct sockaddr_storage *peer, const char *fmt, ...) KANMON_PRINTF(3, 4);
/* The identity of an ID payload as text ("alice@example.com", "C=US, O=Lab, CN=x"). */
void ikev2_id_str(const struct ikev2_id *id, char *buf, size_t len);

#endif
