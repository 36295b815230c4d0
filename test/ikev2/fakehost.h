/* SPDX-License-Identifier: MIT */
/*
 * fakehost.h - a kanmon_host for the ikev2 tests: records log lines and
 * sent datagrams, keeps timers for the test to fire, and a clock the test
 * moves. Single-threaded, one instance.
 *
 * fh_auth_on() adds what IKE_AUTH needs (off after fh_reset, so the tests
 * of the first half see a host without them): a certificate store that
 * trusts one CA the test made, signs with the test's server key and hands
 * out its certificate; a pool with a DNS list; a session registry; an SA
 * backend that records SAs with their keys, and policies. Everything it is
 * asked is recorded for the test to check.
 */
#ifndef KANMON_TEST_IKEV2_FAKEHOST_H
#define KANMON_TEST_IKEV2_FAKEHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <kanmon/kanmon.h>

#define FH_MAX_SENT 256
#define FH_MAX_LOG 256
#define FH_MAX_TIMERS 4096

struct fh_sent {
	uint8_t data[4096];
	size_t len;
	uint16_t port, flags;
	struct sockaddr_storage peer;
};

struct kanmon_timer {
	void (*cb)(void *);
	void *arg;
	bool armed, freed;
	uint64_t due_ms;
};

#define FH_MAX_LEASES 8
#define FH_MAX_SESSIONS 8
#define FH_MAX_SAS 16
#define FH_MAX_POLICIES 32

struct fh_lease {
	char identity[256];
	struct sockaddr_storage addr;
	bool online;
};

struct fh_session {
	uint64_t id;
	bool present;
	char identity[256], algorithms[200];
	struct sockaddr_storage peer, vips[KANMON_SESSION_MAX_VIPS];
	unsigned n_vips;
	const struct kanmon_session_ops *ops;
	void *arg;
	char cert_serial[41];		/* session_cert: the certificate's serial, "" none */
};

struct fh_sa {
	bool present;
	struct kanmon_sa_id id;
	struct kanmon_sa_params p;	/* key pointers cleared: see enc_key/integ_key */
	uint8_t enc_key[64], integ_key[64];
	time_t last_use;		/* what query_sa reports (fh_set_last_use), 0 = never used */
};

struct fh_policy {
	bool present;
	struct kanmon_policy_id id;
	struct kanmon_policy_params p;
};

/* The test's PKI and pool, set by the test after fh_auth_on(). */
struct fh_auth_conf {
	gnutls_x509_crt_t ca;			/* the CA client chains must come from */
	const char *server_name;		/* store name of the server certificate */
	gnutls_privkey_t server_key;
	const uint8_t *server_cert, *server_issuer;
	size_t server_cert_len, server_issuer_len;
	uint8_t key_type;			/* KANMON_KEY_* */
	uint16_t key_bits;
	const char *pool;			/* the pool's name */
	const char *pool4_prefix;		/* "10.10.0.": leases get .10, .11, ... */
	const char *dns[4];			/* the pool's dns list */
	size_t n_dns;
};

struct fakehost {
	struct kanmon_host h;
	struct fh_sent sent[FH_MAX_SENT];
	size_t n_sent;			/* wraps: only the last FH_MAX_SENT are kept */
	size_t total_sent;
	char log[FH_MAX_LOG][1024];
	int log_level[FH_MAX_LOG];
	size_t n_log;
	size_t total_log;
	struct kanmon_timer timers[FH_MAX_TIMERS];
	size_t n_timers;
	uint64_t now;
	bool verbose;

	/* ---- fh_auth_on() ---- */
	struct fh_auth_conf auth;
	/* certificates */
	size_t n_cert_verify, n_cert_sign, n_cert_lookup, n_session_cert;
	int verify_role;
	unsigned sign_hash, sign_flags;		/* of the last cert_sign */
	/* pool */
	struct fh_lease leases[FH_MAX_LEASES];
	size_t n_leases, n_acquire, n_release;
	/* sessions */
	struct fh_session sessions[FH_MAX_SESSIONS];
	size_t n_sessions, n_session_remove;
	/* SA backend */
	struct fh_sa sas[FH_MAX_SAS];
	struct fh_policy policies[FH_MAX_POLICIES];
	size_t n_sas, n_policies;		/* slots used (including removed ones) */
	size_t n_alloc_spi, n_add_sa, n_del_sa, n_update_sa, n_add_policy, n_del_policy;
	uint32_t next_spi;			/* host order: the next alloc_spi answer */
};

extern struct fakehost fh;

void fh_reset(void);
uint64_t fh_now(void);			/* for ctx->now_ms */
/* the i-th datagram sent since the last fh_clear_sent() */
const struct fh_sent *fh_sent_at(size_t i);
void fh_clear_sent(void);
void fh_clear_log(void);
/* number of log lines containing `needle` */
size_t fh_log_count(const char *needle);
/* fire every armed timer due at fh.now or earlier */
void fh_run_timers(void);
/*
 * Moves the clock forward by ms, firing the timers that fall due on the
 * way in the order of their due times, with fh.now set to each one's due
 * time as it fires (timers armed by a callback fire too if due in time).
 */
void fh_advance(uint64_t ms);

/* Installs the IKE_AUTH services on fh.h (after fh_reset, before ikev2_ctx_new). */
void fh_auth_on(void);
/* SAs / policies currently installed */
size_t fh_sas_present(void);
size_t fh_policies_present(void);
/* the installed SA with this SPI (network order), NULL if none */
const struct fh_sa *fh_sa_by_spi(uint32_t spi);
/* the last_use query_sa reports for the installed SA with this SPI (network order) */
void fh_set_last_use(uint32_t spi, time_t t);
/* the lease of identity, NULL if none */
const struct fh_lease *fh_lease_of(const char *identity);

#endif
