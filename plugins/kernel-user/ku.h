/* SPDX-License-Identifier: MIT */
/*
 * ku.h - kernel-user's internal state, shared by its files.
 *
 * Threads: SAs and policies change only on the event loop (the SA ops); the
 * data path (the loop itself when threads = 0, else `threads` workers, each
 * with its own TUN queue) reads them under ku->lock taken for reading once
 * per batch, so a delete waits for batches in flight and never frees an SA
 * under a worker. One SA's ESP state (sequence number, replay window,
 * GnuTLS handles) is used under its own spinlock. Events and transport-mode
 * deliveries found by a worker are queued and handed to the loop with one
 * host->post, never called back from inside a batch.
 */
#ifndef KU_H
#define KU_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <kanmon/kanmon.h>

#include "ku_esp.h"

#define KU_BATCH 32			/* packets per recvmmsg/sendmmsg/TUN batch */
#define KU_SLOT 2048			/* one packet buffer: headroom + 1500 + tail */
#define KU_HEAD 128			/* headroom: outer headers are built in front */
#define KU_MAX_THREADS 16

/* An address in 17 bytes instead of a 128-byte sockaddr_storage. */
struct ku_addr {
	uint8_t family;			/* AF_INET, AF_INET6; 0 = none */
	uint8_t a[16];			/* IPv4 in the first 4 bytes */
};

/* An IKEv2 traffic selector, compact. family 0 = matches everything. */
struct ku_sel {
	uint8_t family, proto;
	uint8_t from[16], to[16];
	uint16_t pfrom, pto;
};

/* Intrusive hash node; the hash is kept so tables can grow without rehashing keys. */
struct ku_hnode {
	struct ku_hnode *next;
	uint32_t hash;
};

struct ku_htab {
	struct ku_hnode **b;
	size_t mask;			/* buckets - 1 */
	size_t n;
};

struct ku_sa {
	struct ku_hnode h_spi;		/* ku->by_spi (inbound and larval SAs) */
	struct ku_hnode h_id;		/* ku->by_id (every SA) */
	struct ku_hnode h_reqid;	/* ku->by_reqid (outbound) */
	pthread_spinlock_t lock;	/* esp, counters, lifetime flags */
	enum kanmon_sa_dir dir;
	enum kanmon_sa_mode mode;
	bool larval;			/* alloc_spi reservation, not yet an SA */
	atomic_bool dead;		/* hard expired: no more traffic */
	uint8_t proto;
	uint16_t enc_alg, integ_alg;
	uint32_t reqid, mark, mark_mask, if_id;
	struct ku_addr src, dst;	/* outer */
	uint16_t encap_sport, encap_dport;	/* host order; 0 = raw ESP */
	struct ku_sel lts, rts;
	struct kanmon_lifetime soft, hard;
	time_t added, last_use;
	uint64_t bytes, packets, replay_drops, icv_drops;
	bool soft_sent, hard_sent, mapping_sent;
	/* outbound: where packets go */
	struct sockaddr_in6 peer;	/* large enough for sockaddr_in too */
	socklen_t peer_len;
	int fd;				/* UDP (core's 4500) or raw socket */
	bool pktinfo;			/* fd is a wildcard socket: pick the source */
	size_t overhead;		/* outer bytes this SA adds to an inner packet */
	struct ku_esp esp;
	uint64_t bmp[];			/* inbound replay bitmap */
};

struct ku_pol {
	struct ku_hnode h_vip;		/* ku->pol_vip when dst is one address */
	struct ku_hnode h_key;		/* ku->pol_key: by (dir, selectors, mark, if_id) */
	struct ku_pol *next, *prev;	/* ku->pols: every policy, by priority */
	enum kanmon_sa_dir dir;
	enum kanmon_sa_mode mode;
	struct ku_sel src, dst;
	uint32_t mark, mark_mask, if_id, reqid, priority;
	struct ku_addr osrc, odst;
	bool vip;
	_Atomic int64_t last_acquire;	/* ms; ACQUIRE at most once a second per policy */
};

/* Counters of one data-path context, summed for the log. */
struct ku_stats {
	uint64_t drops[KU_DROP_N];
	uint64_t rx, tx, tun_rx, tun_tx, mss_clamped;
	uint64_t tso_segs, gro_merged, gso_sends;	/* offload work (ku_offload.c) */
};

struct ku;

/* One data-path context: the loop's, or a worker thread's. */
struct ku_worker {
	struct ku *ku;
	int idx;
	bool on_loop;
	int tun_fd;
	int stop_fd;			/* eventfd: wakes a worker to stop */
	pthread_t thread;
	bool started;
	uint8_t *slots;			/* KU_BATCH * KU_SLOT, reused for every batch */
	size_t slot_used;		/* slots handed out since the last full flush */
	uint8_t *rx_slots;		/* KU_BATCH * KU_SLOT for socket reads */
	size_t rx_used;
	uint8_t *big;			/* offload: one TUN super-packet (vnet header + 64 KiB) */
	uint8_t *gro;			/* offload: one coalesced packet for TUN */
	struct { const uint8_t *p; size_t len; } tq[KU_BATCH];	/* decrypted, waiting for TUN */
	size_t tq_n;
	/* pending sendmmsg batch to one fd */
	int out_fd;
	unsigned n_out;
	struct mmsghdr out[KU_BATCH];
	struct iovec out_iov[KU_BATCH];
	struct sockaddr_in6 out_peer[KU_BATCH];
	uint8_t out_cmsg[KU_BATCH][64];
	struct ku_stats st;
};

/* A queued event or transport-mode delivery for the loop (rare: malloc'ed). */
struct ku_note {
	struct ku_note *next;
	int kind;			/* 0: SA event; 1: transport payload */
	struct kanmon_sa_event ev;
	struct kanmon_pkt pkt;
	size_t len;
	uint8_t data[];
};

struct ku {
	const struct kanmon_host *host;
	/* settings */
	char tun_name[16];
	int mtu;
	bool mss_clamp;
	int threads;
	uint16_t natt_port;
	bool raw_esp;
	bool offload;			/* TUN vnet header: TSO in, GRO out */
	bool send_hook;			/* the core offers us net_send: transport mode is safe */
	bool routes;			/* route outbound tunnel policies' destinations into the TUN */
	bool udp_gso;			/* UDP_SEGMENT on ESP-in-UDP sends */
	struct kanmon_timer *tq_timer;	/* loop: TUN writes after the core's receive batch */
	bool tq_armed;
	/* tables (ku_table.c) */
	pthread_rwlock_t lock;
	struct ku_htab by_spi, by_id, by_reqid, pol_vip, pol_key;
	struct ku_pol *pols, *pols_tail;
	size_t n_sa, n_pol, n_range_pol;
	/* I/O */
	int tun_fds[KU_MAX_THREADS];
	int n_tun;
	int tun_ifindex;
	int raw4, raw6;
	int udp_fds[16];			/* the core's natt_port sockets */
	struct ku_addr udp_addr[16];		/* and what each is bound to (0s: wildcard) */
	int n_udp;
	struct kanmon_net_reg *reg;
	struct kanmon_watch *tun_watch, *raw4_watch, *raw6_watch;
	struct ku_worker *loopw;		/* the loop's context */
	struct ku_worker *workers[KU_MAX_THREADS];
	int n_workers;
	atomic_bool stopping;
	/* loop hand-over */
	pthread_mutex_t note_lock;
	struct ku_note *notes, **notes_tail;
	bool note_posted;
	struct kanmon_timer *tick;
	uint64_t drops_logged;
};

/* ku_table.c: hash tables and matching */
int ku_htab_init(struct ku_htab *t, size_t buckets);
void ku_htab_free(struct ku_htab *t);
int ku_htab_add(struct ku_htab *t, struct ku_hnode *n, uint32_t hash);	/* may grow: -ENOMEM */
void ku_htab_del(struct ku_htab *t, struct ku_hnode *n);
static inline struct ku_hnode *ku_htab_first(const struct ku_htab *t, uint32_t hash)
{
	return t->b[hash & t->mask];
}
uint32_t ku_hash32(uint32_t x);
uint32_t ku_hash_addr(int family, const uint8_t *a);
void ku_addr_from_ss(struct ku_addr *a, const struct sockaddr_storage *ss);
void ku_sel_from_ts(struct ku_sel *s, const struct kanmon_ts *ts);
bool ku_sel_match(const struct ku_sel *s, int family, const uint8_t *addr, uint8_t proto, uint16_t port);
bool ku_sel_single(const struct ku_sel *s);	/* one address: VIP table candidate */
struct ku_sa *ku_sa_by_spi(const struct ku *ku, uint32_t spi_net);
struct ku_sa *ku_sa_by_id(const struct ku *ku, const struct kanmon_sa_id *id);
struct ku_sa *ku_sa_by_reqid(const struct ku *ku, uint32_t reqid);
/* Outbound policy for a packet (family, src, dst, proto, ports); src NULL: source address unknown. */
struct ku_pol *ku_pol_lookup(const struct ku *ku, int family, const uint8_t *src, const uint8_t *dst,
			     uint8_t proto, uint16_t sport, uint16_t dport);
struct ku_pol *ku_pol_find(const struct ku *ku, const struct kanmon_policy_id *id);
int ku_pol_insert(struct ku *ku, struct ku_pol *p);
void ku_pol_remove(struct ku *ku, struct ku_pol *p);

/* ku_sad.c: the SA backend ops, lifetimes, events */
extern const struct kanmon_sa_ops ku_sa_ops;
void ku_sad_free_all(struct ku *ku);
/* Data path, SA lock held: account a packet, flag and queue expire events. */
void ku_sa_account(struct ku *ku, struct ku_sa *sa, size_t bytes);
void ku_sa_event(struct ku *ku, const struct ku_sa *sa, enum kanmon_sa_event_type type,
		 const struct sockaddr_storage *new_peer);
void ku_acquire(struct ku *ku, struct ku_pol *p);
void ku_tick(void *arg);

/* ku_net.c: outer sockets, input dispatch, output batching, workers */
int ku_net_open(struct ku *ku);
void ku_net_close(struct ku *ku);
int ku_sa_bind_output(struct ku *ku, struct ku_sa *sa);	/* fd, peer, overhead for an outbound SA */
int ku_input(struct ku_worker *w, uint8_t *buf, size_t off, size_t len, const struct ku_addr *osrc,
	     const struct ku_addr *odst, const struct sockaddr_storage *udp_peer);
int ku_output(struct ku_worker *w, struct ku_sa *sa, uint8_t *buf, size_t off, size_t len, uint8_t nh);
void ku_flush(struct ku_worker *w);
struct ku_worker *ku_worker_new(struct ku *ku, int idx, int tun_fd, bool on_loop);
void ku_worker_free(struct ku_worker *w);
int ku_workers_start(struct ku *ku);
void ku_workers_stop(struct ku *ku);
void ku_note_push(struct ku *ku, struct ku_note *n);
void ku_stats_sum(const struct ku *ku, struct ku_stats *out);

/* ku_tun.c: the TUN device and tunnel mode */
int ku_tun_open(struct ku *ku);
void ku_tun_close(struct ku *ku);
void ku_tun_batch(struct ku_worker *w);		/* read up to KU_BATCH packets, encrypt, send */
int ku_tun_deliver(struct ku_worker *w, struct ku_sa *sa, uint8_t *pkt, size_t len, uint8_t nh);
/* Clamp the MSS option of a TCP SYN in an IPv4/IPv6 packet to mss; 1 if changed. */
int ku_mss_clamp(uint8_t *pkt, size_t len, uint16_t mss);

/* ku_sad.c: runs queued notes (events, transport payloads) on the loop */
void ku_notes_drain(void *arg);

/* ku_offload.c: TSO/GRO through the TUN vnet header */
#define KU_BIG (65536 + 64)
int ku_tso_segment(struct ku_worker *w, const uint8_t *pkt, size_t len, size_t mss, bool v6,
		   void (*emit)(struct ku_worker *w, uint8_t *slot, size_t len, void *arg), void *arg);
void ku_csum_complete(uint8_t *pkt, size_t len, size_t start, size_t offset);
void ku_tun_flush(struct ku_worker *w);		/* write what ku_tun_deliver queued */
void ku_tq_timer(void *arg);			/* loop: ku_tun_flush after the core's batch */
uint8_t *ku_slot_next(struct ku_worker *w);	/* a free TX slot (flushes when all are pending) */

/* ku_route.c: routes into the TUN for outbound tunnel policies (loop thread) */
int ku_routes(struct ku *ku, const struct ku_pol *p, bool add);

/* ku_transport.c: transport mode */
int ku_transport_input(struct ku_worker *w, struct ku_sa *sa, uint8_t *payload, size_t len,
		       const struct ku_addr *osrc, const struct ku_addr *odst);
void ku_transport_deliver(struct ku *ku, struct ku_note *n);	/* loop: net_deliver */
int ku_transport_init(void);	/* the fixed pool of delivery buffers */
void ku_transport_fini(void);
/*
 * The proposed core hook (see README/issue note): called by the core's
 * net_send before it sends in the clear. 1: protected, encrypted and sent;
 * 0: no transport policy covers it, send in the clear; -errno: drop.
 */
int ku_transport_output(void *ku, uint16_t port, const struct sockaddr *local, const struct sockaddr *peer,
			const void *buf, size_t len, uint16_t pkt_flags);

static inline int64_t ku_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
