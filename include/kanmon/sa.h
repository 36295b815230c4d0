/* SPDX-License-Identifier: MIT */
/*
 * kanmon/sa.h - the SA backend ABI: how protocol plugins install IPsec SAs
 * and policies without talking to the kernel themselves.
 *
 * Exactly one enabled plugin provides "sa-backend" and registers its ops with
 * host->sa_register_backend() in init (kernel-xfrm: Linux XFRM through
 * netlink; kernel-user: userspace ESP over TUN). Protocol plugins require
 * "sa-backend" and reach it with host->sa_backend(). Shaped like strongSwan's
 * kernel_ipsec interface: an id that names an SA plus a params struct that
 * describes it, each with a size field so the ABI can grow by appending.
 *
 * Conventions:
 *  - Algorithms are IANA IKEv2 transform IDs (RFC 7296 3.3.2 and the IANA
 *    registry), so IKE code passes what it negotiated unchanged.
 *  - AES-GCM keys are key || 4-byte salt (RFC 4106), as Linux's rfc4106 wants.
 *  - Selectors are IKEv2-style ranges (address range, IP protocol, port
 *    range); a backend that needs prefixes (XFRM) splits ranges itself.
 *  - mark/mark_mask (XFRMA_MARK) or if_id keep SAs and policies of several
 *    transport-mode clients behind one NAT apart: chosen per client by the
 *    protocol plugin, matched by the L2TP socket's SO_MARK.
 *  - Addresses are sockaddr_storage (AF_INET/AF_INET6), ports ignored except
 *    in the encapsulation fields.
 *  - Every op returns 0 or -errno; failures are also logged by the backend in
 *    words an operator understands.
 *
 * Events (acquire, soft/hard expire, NAT mapping change) go from the backend
 * to the core with host->sa_event() on the event-loop thread (a backend's own
 * threads use host->post first); the core hands them to every plugin that
 * subscribed with host->sa_subscribe().
 */
#ifndef KANMON_SA_H
#define KANMON_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* IKEv2 encryption transform IDs (IANA "Transform Type 1") */
#define KANMON_ENCR_3DES		3
#define KANMON_ENCR_NULL		11
#define KANMON_ENCR_AES_CBC		12
#define KANMON_ENCR_AES_CTR		13
#define KANMON_ENCR_AES_GCM_8		18
#define KANMON_ENCR_AES_GCM_12		19
#define KANMON_ENCR_AES_GCM_16		20
#define KANMON_ENCR_CHACHA20_POLY1305	28

/* IKEv2 integrity transform IDs (IANA "Transform Type 3") */
#define KANMON_AUTH_NONE		0
#define KANMON_AUTH_HMAC_MD5_96		1
#define KANMON_AUTH_HMAC_SHA1_96	2
#define KANMON_AUTH_HMAC_SHA2_256_128	12
#define KANMON_AUTH_HMAC_SHA2_384_192	13
#define KANMON_AUTH_HMAC_SHA2_512_256	14

#define KANMON_SA_PROTO_ESP 50

enum kanmon_sa_mode { KANMON_SA_TUNNEL = 1, KANMON_SA_TRANSPORT = 2 };
enum kanmon_sa_dir { KANMON_SA_IN = 1, KANMON_SA_OUT = 2, KANMON_SA_FWD = 3 };

/* What names one SA: the kernel's (dst, spi, proto) plus src and the mark. */
struct kanmon_sa_id {
	struct sockaddr_storage src, dst;	/* outer addresses */
	uint32_t spi;				/* network byte order */
	uint8_t proto;				/* KANMON_SA_PROTO_ESP */
	uint32_t mark, mark_mask;		/* 0/0: none */
	uint32_t if_id;				/* XFRM interface id, 0: none */
};

/* An IKEv2 traffic selector (RFC 7296 3.13.1). proto 0 = any. */
struct kanmon_ts {
	struct sockaddr_storage from, to;	/* inclusive address range */
	uint8_t proto;
	uint16_t from_port, to_port;		/* host order; 0-65535 = any */
};

/* Limits; 0 = none. Soft limits raise SOFT_EXPIRE, hard ones HARD_EXPIRE. */
struct kanmon_lifetime {
	uint64_t bytes, packets, seconds;
};

struct kanmon_sa_params {
	uint32_t size;				/* sizeof(struct kanmon_sa_params) */
	enum kanmon_sa_mode mode;
	enum kanmon_sa_dir dir;			/* IN or OUT */
	uint16_t enc_alg, integ_alg;		/* KANMON_ENCR_* / KANMON_AUTH_* */
	const uint8_t *enc_key, *integ_key;	/* copied; wiped by the backend after use */
	size_t enc_key_len, integ_key_len;	/* bytes; GCM: key + 4 salt bytes */
	uint32_t replay_window;			/* packets; 0 = backend default (>= 32) */
	bool esn;				/* 64-bit extended sequence numbers */
	uint16_t encap_sport, encap_dport;	/* ESP-in-UDP (RFC 3948), host order; 0 = none */
	struct kanmon_ts local_ts, remote_ts;	/* selectors (also used for tunnel policies) */
	struct kanmon_lifetime soft, hard;
	uint32_t reqid;				/* ties SAs to policies; != 0 */
	void *reserved[4];
};

struct kanmon_sa_stats {
	uint64_t bytes, packets;
	time_t last_use;			/* 0: never used */
	uint64_t replay_drops, integrity_drops;	/* when the backend knows them */
};

/* A policy: traffic matching src_ts -> dst_ts in direction dir. */
struct kanmon_policy_id {
	enum kanmon_sa_dir dir;
	struct kanmon_ts src_ts, dst_ts;
	uint32_t mark, mark_mask;
	uint32_t if_id;
};

struct kanmon_policy_params {
	uint32_t size;				/* sizeof(struct kanmon_policy_params) */
	enum kanmon_sa_mode mode;
	struct sockaddr_storage src, dst;	/* tunnel endpoints (template), outer */
	uint32_t reqid;
	uint32_t priority;			/* 0: backend default */
	void *reserved[4];
};

struct kanmon_sa_ops {
	uint32_t size;				/* sizeof(struct kanmon_sa_ops) */
	/* Reserve an unused inbound SPI for (src -> dst). */
	int (*alloc_spi)(void *be, const struct kanmon_sa_id *id, uint32_t *spi);
	int (*add_sa)(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_params *p);
	/* New outer addresses/ports (NAT rebinding, MOBIKE) keeping replay/ESN state. */
	int (*update_sa)(void *be, const struct kanmon_sa_id *id, const struct kanmon_sa_id *new_id,
			 uint16_t new_encap_sport, uint16_t new_encap_dport);
	int (*query_sa)(void *be, const struct kanmon_sa_id *id, struct kanmon_sa_stats *st);
	int (*del_sa)(void *be, const struct kanmon_sa_id *id);
	int (*add_policy)(void *be, const struct kanmon_policy_id *id, const struct kanmon_policy_params *p);
	int (*del_policy)(void *be, const struct kanmon_policy_id *id);
	void *reserved[8];
};

enum kanmon_sa_event_type {
	KANMON_SA_ACQUIRE = 1,		/* traffic hit a policy without SA (policy, reqid) */
	KANMON_SA_SOFT_EXPIRE,		/* rekey now (sa, reqid) */
	KANMON_SA_HARD_EXPIRE,		/* the SA is gone (sa, reqid) */
	KANMON_SA_MAPPING,		/* peer's NAT mapping changed (sa, new_peer) */
};

struct kanmon_sa_event {
	uint32_t size;
	enum kanmon_sa_event_type type;
	struct kanmon_sa_id sa;
	struct kanmon_policy_id policy;
	uint32_t reqid;
	struct sockaddr_storage new_peer;	/* MAPPING: new address and port */
};

#endif
