/* SPDX-License-Identifier: MIT */
/*
 * kanmon/session.h - live client sessions as a plugin reports them to the
 * core's registry, which `kanmonctl status` lists and `kanmonctl kill ID`
 * acts on.
 */
#ifndef KANMON_SESSION_H
#define KANMON_SESSION_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define KANMON_SESSION_MAX_VIPS 4

/* What a plugin knows about a session; the core copies it. */
struct kanmon_session {
	uint32_t size;				/* sizeof(struct kanmon_session) */
	const char *identity;			/* authenticated client identity */
	struct sockaddr_storage peer;		/* client address and port (after NAT) */
	struct sockaddr_storage vips[KANMON_SESSION_MAX_VIPS];	/* virtual IPs, port 0 */
	unsigned n_vips;
	const char *state;			/* short word: "established", "rekeying", ... */
	const char *algorithms;			/* e.g. "aes256gcm16-prfsha256-ecp256"; NULL = none */
	time_t established;			/* 0 = now */
};

struct kanmon_session_counters {
	uint64_t bytes_in, bytes_out;		/* from the client / to the client */
	uint64_t packets_in, packets_out;
};

struct kanmon_session_ops {
	uint32_t size;				/* sizeof(struct kanmon_session_ops) */
	/* Fill the counters; called when the operator asks for status. */
	int (*counters)(void *arg, uint64_t id, struct kanmon_session_counters *c);
	/*
	 * Terminate the session (e.g. send DELETE) and call session_remove()
	 * when done, now or later. 0 or -errno.
	 */
	int (*kill)(void *arg, uint64_t id);
};

#endif
