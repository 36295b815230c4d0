/* SPDX-License-Identifier: MIT */
/*
 * ikev2_ts.h - traffic selectors (RFC 7296 3.13) and the responder's
 * narrowing (RFC 7296 2.9). Pure: buffers in, structures out, no I/O.
 *
 * Selectors are struct kanmon_ts (kanmon/sa.h: inclusive address range,
 * IP protocol, inclusive port range; ports 0-65535 = any), the form the SA
 * backend takes them in, so what IKE agreed is installed unchanged.
 */
#ifndef KANMON_IKEV2_TS_H
#define KANMON_IKEV2_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <kanmon/sa.h>

#include "ikev2_gen.h"
#include "ikev2_parse.h"

#define IKEV2_MAX_TS		16	/* selectors in one TS payload we accept */
#define IKEV2_TS_IPV4_ADDR_RANGE 7
#define IKEV2_TS_IPV6_ADDR_RANGE 8

struct ikev2_ts_set {
	size_t n;
	struct kanmon_ts ts[IKEV2_MAX_TS];
};

/*
 * The body of a TSi/TSr payload. Selectors of unknown types are skipped
 * (RFC 7296 3.13.1 lets new types appear; we can only narrow what we know);
 * a start address above the end, or a start port above the end port, is
 * malformed. 0, -EBADMSG, -E2BIG (more than IKEV2_MAX_TS).
 */
int ikev2_parse_ts(const struct ikev2_payload *p, struct ikev2_ts_set *out);

/* Appends a TSi or TSr payload (type IKEV2_PL_TSI / IKEV2_PL_TSR) holding s. */
void ikev2_gen_ts(struct ikev2_gen *g, uint8_t type, const struct ikev2_ts_set *s);

/*
 * Responder narrowing: every non-empty intersection of an offered selector
 * with an allowed one (address ranges, protocol: 0 is any, port ranges),
 * in the offer's order, duplicates left out. Returns out->n; 0 means
 * TS_UNACCEPTABLE. A selector of another family never intersects.
 */
size_t ikev2_ts_narrow(const struct ikev2_ts_set *offered, const struct ikev2_ts_set *allowed,
		       struct ikev2_ts_set *out);

/*
 * A copy of s allocated for its s->n selectors only (what a CHILD SA keeps:
 * one or two, not IKEV2_MAX_TS): never copy the result by value. NULL on
 * -ENOMEM. free() it.
 */
struct ikev2_ts_set *ikev2_ts_dup(const struct ikev2_ts_set *s);

/* A selector covering prefix addr/plen (any protocol, any port). */
void ikev2_ts_from_prefix(struct kanmon_ts *ts, const struct sockaddr_storage *addr, unsigned plen);
/* A selector for a single address (any protocol, any port). */
void ikev2_ts_host(struct kanmon_ts *ts, const struct sockaddr_storage *addr);
/* Does ts cover every address of its family (0.0.0.0/0, ::/0) with any protocol and port? */
bool ikev2_ts_is_any(const struct kanmon_ts *ts);
/* If ts is exactly one prefix, its length (0..128); else -1. */
int ikev2_ts_prefix_len(const struct kanmon_ts *ts);

/*
 * For logs: "0.0.0.0/0", "203.0.113.5/32", "10.0.0.1-10.0.0.9",
 * "192.0.2.0/24[udp/1701]", "[tcp/80-443]", joined by ' '. Returns strlen(buf);
 * always terminated, truncated with "..." when it does not fit.
 */
size_t ikev2_ts_describe(const struct ikev2_ts_set *s, char *buf, size_t len);

#endif
