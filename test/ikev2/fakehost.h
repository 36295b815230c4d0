/* SPDX-License-Identifier: MIT */
/*
 * fakehost.h - a kanmon_host for the ikev2 tests: records log lines and
 * sent datagrams, keeps timers for the test to fire, and a clock the test
 * moves. Single-threaded, one instance.
 */
#ifndef KANMON_TEST_IKEV2_FAKEHOST_H
#define KANMON_TEST_IKEV2_FAKEHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
