/* SPDX-License-Identifier: MIT */
/*
 * test_net.c - the core's UDP sockets and demultiplexer on 127.0.0.1:
 * classification by IKE version, unclaimed counting, RFC 3948 non-ESP marker
 * handling on NAT-T ports, replies through net_send, registration rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "event.h"
#include "log.h"
#include "net.h"
#include "testutil.h"

static struct ev_loop *loop;
static struct net *net;
static uint16_t port;
static int client = -1;
static uint16_t client_port;

/* What a handler saw: the last datagram, copied. */
struct seen {
	const char *name;
	int count;
	uint8_t data[256];
	size_t len;
	uint16_t flags, port;
	struct sockaddr_storage peer, local;
	bool stop;		/* ev_stop the loop when a datagram arrives */
	bool reply;		/* answer "re:" + payload through net_send */
	uint16_t reply_flags;
	int reply_err;
};

static struct seen v1, v2, esp, any;

static void setup(void)
{
	tu_log_start();
	loop = ev_loop_new();
	ck_assert_ptr_nonnull(loop);
	const char *listen[] = { "127.0.0.1" };
	net = net_new(loop, listen, 1);
	ck_assert_ptr_nonnull(net);
	port = tu_free_udp_port();
	client = tu_udp_client(&client_port);
	memset(&v1, 0, sizeof(v1));
	memset(&v2, 0, sizeof(v2));
	memset(&esp, 0, sizeof(esp));
	memset(&any, 0, sizeof(any));
	v1.name = "v1";
	v2.name = "v2";
	esp.name = "esp";
	any.name = "any";
}

static void teardown(void)
{
	close(client);
	net_free(net);
	ev_loop_free(loop);
	tu_log_stop();
}

static bool is_ikev1(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)flags;
	(void)arg;
	return kanmon_ike_major_version(buf, len) == 1;
}

static bool is_ikev2(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)flags;
	(void)arg;
	return kanmon_ike_major_version(buf, len) == 2;
}

/* ESP: no marker, at least SPI + sequence number */
static bool is_esp(const uint8_t *buf, size_t len, uint16_t flags, void *arg)
{
	(void)buf;
	(void)arg;
	return !(flags & KANMON_PKT_NON_ESP_MARKER) && len >= 8;
}

static void record(const struct kanmon_pkt *pkt, void *arg)
{
	struct seen *s = arg;
	s->count++;
	s->len = pkt->len;
	memcpy(s->data, pkt->data, pkt->len < sizeof(s->data) ? pkt->len : sizeof(s->data));
	s->flags = pkt->flags;
	s->port = pkt->port;
	s->peer = pkt->peer;
	s->local = pkt->local;
	if (s->reply) {
		uint8_t out[300] = "re:";
		memcpy(out + 3, pkt->data, pkt->len < 256 ? pkt->len : 256);
		s->reply_err = net_send(net, pkt->port, (const struct sockaddr *)&pkt->local,
					(const struct sockaddr *)&pkt->peer, out, 3 + pkt->len, s->reply_flags);
	}
	if (s->stop)
		ev_stop(loop);
}

static struct kanmon_net_reg *reg_on(uint16_t p, uint16_t flags,
				     bool (*cls)(const uint8_t *, size_t, uint16_t, void *), struct seen *s,
				     const void *owner)
{
	struct kanmon_net_handler h = {
		.size = sizeof(h), .port = p, .flags = flags, .classify = cls, .receive = record, .arg = s,
	};
	struct kanmon_net_reg *r = NULL;
	int err = net_register(net, &h, owner, s->name, &r);
	ck_assert_msg(err == 0, "register %s on %u: %s%s", s->name, p, strerror(-err), tu_log_dump());
	ck_assert_ptr_nonnull(r);
	return r;
}

/* A 28-byte IKE header of the given major version (RFC 7296 3.1). */
static size_t ike_header(uint8_t *buf, int major, uint8_t tag)
{
	memset(buf, 0, 28);
	memset(buf, tag, 8);		/* initiator SPI */
	buf[16] = 33;			/* next payload: SA */
	buf[17] = (uint8_t)(major << 4);
	buf[18] = 34;			/* IKE_SA_INIT */
	buf[27] = 28;			/* length */
	return 28;
}

static int deliver(uint16_t p, const void *data, size_t len)
{
	struct kanmon_pkt pkt = { .data = data, .len = len, .port = p };
	return net_deliver(net, &pkt);
}

static struct net_stats stats(uint16_t p)
{
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, p, &st), 0);
	return st;
}

/* ---- pure demux through net_deliver ---------------------------------------------- */

START_TEST(test_demux_by_ike_version)
{
	reg_on(port, 0, is_ikev1, &v1, NULL);
	reg_on(port, 0, is_ikev2, &v2, NULL);
	uint8_t b[64];
	ck_assert_int_eq(deliver(port, b, ike_header(b, 2, 0xaa)), 1);
	ck_assert_int_eq(v2.count, 1);
	ck_assert_int_eq(v1.count, 0);
	ck_assert_uint_eq(v2.len, 28);
	ck_assert_uint_eq(v2.port, port);
	ck_assert_mem_eq(v2.data, b, 28);
	ck_assert_int_eq(deliver(port, b, ike_header(b, 1, 0xbb)), 1);
	ck_assert_int_eq(v1.count, 1);
	ck_assert_int_eq(v2.count, 1);
	ck_assert_uint_eq(v1.data[0], 0xbb);
	/* too short to be IKE, and an unknown version: nobody claims them */
	ck_assert_int_eq(deliver(port, b, 27), 0);
	ike_header(b, 3, 0xcc);
	ck_assert_int_eq(deliver(port, b, 28), 0);
	ck_assert_int_eq(v1.count + v2.count, 2);
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.rx, 2);
	ck_assert_uint_eq(st.rx_unclaimed, 2);
	ck_assert_uint_eq(st.rx_keepalive, 0);
	/* a port nobody registered */
	ck_assert_int_eq(deliver((uint16_t)(port ^ 1), b, 28), 0);
	ck_assert_int_eq(net_port_stats(net, (uint16_t)(port ^ 1), &st), -ENOENT);
}
END_TEST

START_TEST(test_first_claim_wins)
{
	reg_on(port, 0, is_ikev2, &v2, NULL);
	reg_on(port, 0, NULL, &any, NULL);	/* claims everything the others leave */
	reg_on(port, 0, is_ikev1, &v1, NULL);	/* never reached */
	uint8_t b[64];
	ck_assert_int_eq(deliver(port, b, ike_header(b, 2, 1)), 1);
	ck_assert_int_eq(deliver(port, b, ike_header(b, 1, 1)), 1);
	ck_assert_int_eq(deliver(port, "x", 1), 1);
	ck_assert_int_eq(v2.count, 1);
	ck_assert_int_eq(any.count, 2);
	ck_assert_int_eq(v1.count, 0);
	ck_assert_uint_eq(stats(port).rx_unclaimed, 0);
}
END_TEST

START_TEST(test_natt_marker_demux)
{
	reg_on(port, KANMON_NET_NATT, is_ikev2, &v2, NULL);
	reg_on(port, KANMON_NET_NATT, is_esp, &esp, NULL);
	uint8_t b[128], ike[28];
	ike_header(ike, 2, 0x11);
	/* IKE behind the four-zero-byte marker: stripped, flagged */
	memset(b, 0, 4);
	memcpy(b + 4, ike, 28);
	ck_assert_int_eq(deliver(port, b, 32), 1);
	ck_assert_int_eq(v2.count, 1);
	ck_assert_uint_eq(v2.len, 28);
	ck_assert_mem_eq(v2.data, ike, 28);
	ck_assert_uint_eq(v2.flags & KANMON_PKT_NON_ESP_MARKER, KANMON_PKT_NON_ESP_MARKER);
	/* ESP: a non-zero SPI first, offered unchanged */
	for (size_t i = 0; i < 40; i++)
		b[i] = (uint8_t)(i + 1);
	ck_assert_int_eq(deliver(port, b, 40), 1);
	ck_assert_int_eq(esp.count, 1);
	ck_assert_uint_eq(esp.len, 40);
	ck_assert_mem_eq(esp.data, b, 40);
	ck_assert_uint_eq(esp.flags & KANMON_PKT_NON_ESP_MARKER, 0);
	/* NAT keepalive: counted, dropped, nobody sees it */
	uint8_t ka = 0xff;
	ck_assert_int_eq(deliver(port, &ka, 1), 0);
	ck_assert_int_eq(v2.count + esp.count, 2);
	/* a marker followed by something that is not IKEv2: unclaimed */
	memset(b, 0, 12);
	ck_assert_int_eq(deliver(port, b, 12), 0);
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.rx, 2);
	ck_assert_uint_eq(st.rx_keepalive, 1);
	ck_assert_uint_eq(st.rx_unclaimed, 1);
}
END_TEST

START_TEST(test_no_marker_handling_without_natt)
{
	reg_on(port, 0, NULL, &any, NULL);
	uint8_t b[32] = { 0 }, ka = 0xff;
	ike_header(b + 4, 2, 0x22);
	ck_assert_int_eq(deliver(port, b, 32), 1);
	ck_assert_uint_eq(any.len, 32);		/* zeros kept */
	ck_assert_uint_eq(any.flags, 0);
	ck_assert_int_eq(deliver(port, &ka, 1), 1);	/* an ordinary datagram here */
	ck_assert_uint_eq(any.len, 1);
	ck_assert_uint_eq(stats(port).rx_keepalive, 0);
}
END_TEST

/* ---- real sockets ---------------------------------------------------------------- */

static void assert_loopback(const struct sockaddr_storage *ss, uint16_t p)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_uint_eq(ntohs(sin->sin_port), p);
}

START_TEST(test_socket_round_trip)
{
	reg_on(port, 0, is_ikev1, &v1, NULL);
	reg_on(port, 0, is_ikev2, &v2, NULL);
	v2.stop = v2.reply = true;
	uint8_t b[64], got[512];
	ike_header(b, 2, 0x42);
	ck_assert_int_eq(tu_udp_send(client, port, b, 28), 0);
	ck_assert_msg(tu_run_loop(loop, 3000), "the IKEv2 handler never got the datagram");
	ck_assert_int_eq(v2.count, 1);
	ck_assert_int_eq(v1.count, 0);
	ck_assert_mem_eq(v2.data, b, 28);
	ck_assert_uint_eq(v2.port, port);
	assert_loopback(&v2.peer, client_port);
	assert_loopback(&v2.local, port);
	ck_assert_int_eq(v2.reply_err, 0);
	uint16_t from = 0;
	ssize_t n = tu_loop_recv(loop, client, got, sizeof(got), 3000, &from);
	ck_assert_int_eq(n, 31);
	ck_assert_mem_eq(got, "re:", 3);
	ck_assert_mem_eq(got + 3, b, 28);
	ck_assert_uint_eq(from, port);		/* the reply leaves from the port asked */
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.rx, 1);
	ck_assert_uint_eq(st.tx, 1);
}
END_TEST

START_TEST(test_socket_unclaimed_counted)
{
	reg_on(port, 0, is_ikev2, &v2, NULL);
	v2.stop = true;
	uint8_t b[64];
	/* the loop reads in order: the junk is counted before the IKE message arrives */
	ck_assert_int_eq(tu_udp_send(client, port, "junk", 4), 0);
	ck_assert_int_eq(tu_udp_send(client, port, b, ike_header(b, 2, 7)), 0);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(v2.count, 1);
	ck_assert_uint_eq(stats(port).rx_unclaimed, 1);
}
END_TEST

START_TEST(test_socket_natt)
{
	reg_on(port, KANMON_NET_NATT, is_ikev2, &v2, NULL);
	reg_on(port, KANMON_NET_NATT, is_esp, &esp, NULL);
	v2.stop = v2.reply = true;
	v2.reply_flags = KANMON_PKT_NON_ESP_MARKER;
	uint8_t b[64], got[512], ka = 0xff, espb[16] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1 };
	memset(b, 0, 4);
	ike_header(b + 4, 2, 0x33);
	ck_assert_int_eq(tu_udp_send(client, port, &ka, 1), 0);
	ck_assert_int_eq(tu_udp_send(client, port, espb, sizeof(espb)), 0);
	ck_assert_int_eq(tu_udp_send(client, port, b, 32), 0);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(v2.count, 1);
	ck_assert_uint_eq(v2.len, 28);
	ck_assert_mem_eq(v2.data, b + 4, 28);
	ck_assert(v2.flags & KANMON_PKT_NON_ESP_MARKER);
	ck_assert_int_eq(esp.count, 1);
	ck_assert_uint_eq(esp.len, sizeof(espb));
	ck_assert_mem_eq(esp.data, espb, sizeof(espb));
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.rx_keepalive, 1);
	ck_assert_uint_eq(st.rx, 2);
	/* the reply gets the marker back in front */
	ssize_t n = tu_loop_recv(loop, client, got, sizeof(got), 3000, NULL);
	ck_assert_int_eq(n, 4 + 3 + 28);
	ck_assert_mem_eq(got, "\0\0\0\0re:", 7);
	ck_assert_mem_eq(got + 7, b + 4, 28);
}
END_TEST

START_TEST(test_send_marker_only_on_natt)
{
	reg_on(port, 0, NULL, &any, NULL);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(client_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to, "abc", 3,
				  KANMON_PKT_NON_ESP_MARKER), 0);
	uint8_t got[64];
	ck_assert_int_eq(tu_loop_recv(loop, client, got, sizeof(got), 3000, NULL), 3);
	ck_assert_mem_eq(got, "abc", 3);
	/* no socket for the port, no socket of the family */
	ck_assert_int_eq(net_send(net, (uint16_t)(port ^ 1), NULL, (struct sockaddr *)&to, "x", 1, 0),
			 -ENOENT);
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(client_port),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to6, "x", 1, 0), -EAFNOSUPPORT);
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.tx, 1);
	ck_assert_uint_eq(st.tx_errors, 1);
}
END_TEST

/* ---- the output hook a userspace SA backend uses for transport-mode replies -------- */

static int hook_calls;
static int hook_consume(void *arg, uint16_t p, const struct sockaddr *local, const struct sockaddr *peer,
			const void *buf, size_t len, uint16_t flags)
{
	(void)p;
	(void)local;
	(void)peer;
	(void)flags;
	hook_calls++;
	/* "secret" would be encrypted by the backend: consumed; anything else passes */
	return len == 6 && !memcmp(buf, "secret", 6) ? 1 : *(int *)arg;
}

START_TEST(test_send_hook)
{
	int pass = 0, other_owner = 0, fail = -EHOSTUNREACH;
	hook_calls = 0;
	reg_on(port, 0, NULL, &any, NULL);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(client_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(net_set_send_hook(net, hook_consume, &pass, &v1), 0);
	ck_assert_int_eq(net_set_send_hook(net, hook_consume, &pass, &other_owner), -EBUSY);
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to, "secret", 6, 0), 0);
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to, "clear", 5, 0), 0);
	uint8_t got[64];
	/* only the datagram the hook let pass reached the wire */
	ck_assert_int_eq(tu_loop_recv(loop, client, got, sizeof(got), 3000, NULL), 5);
	ck_assert_mem_eq(got, "clear", 5);
	ck_assert_int_eq(hook_calls, 2);
	ck_assert_int_eq(net_set_send_hook(net, hook_consume, &fail, &v1), 0);
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to, "x", 1, 0), -EHOSTUNREACH);
	struct net_stats st = stats(port);
	ck_assert_uint_eq(st.tx, 2);
	ck_assert_uint_eq(st.tx_errors, 1);
	/* the owner leaving removes its hook */
	net_unregister_owned(net, &v1);
	reg_on(port, 0, NULL, &any, NULL);
	ck_assert_int_eq(net_send(net, port, NULL, (struct sockaddr *)&to, "secret", 6, 0), 0);
	ck_assert_int_eq(tu_loop_recv(loop, client, got, sizeof(got), 3000, NULL), 6);
	ck_assert_int_eq(hook_calls, 3);
}
END_TEST

/* ---- registration rules ---------------------------------------------------------- */

START_TEST(test_conflicting_flags)
{
	reg_on(port, 0, is_ikev2, &v2, NULL);
	struct kanmon_net_handler h = { .size = sizeof(h), .port = port, .flags = KANMON_NET_NATT,
					.classify = is_esp, .receive = record, .arg = &esp };
	struct kanmon_net_reg *r = NULL;
	ck_assert_int_eq(net_register(net, &h, NULL, "esp", &r), -EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_msg(tu_logged("esp: udp port"), "%s", tu_log_dump());
	ck_assert(tu_logged("is already registered with other flags"));
	/* the first registration is untouched */
	uint8_t b[64];
	ck_assert_int_eq(deliver(port, b, ike_header(b, 2, 1)), 1);
	ck_assert_int_eq(v2.count, 1);
}
END_TEST

START_TEST(test_invalid_handlers)
{
	struct kanmon_net_handler h = { .size = sizeof(h), .port = port, .receive = record, .arg = &any };
	struct kanmon_net_handler bad = h;
	bad.size = sizeof(h) - 1;
	ck_assert_int_eq(net_register(net, &bad, NULL, "x", NULL), -EINVAL);
	bad = h;
	bad.port = 0;
	ck_assert_int_eq(net_register(net, &bad, NULL, "x", NULL), -EINVAL);
	bad = h;
	bad.receive = NULL;
	ck_assert_int_eq(net_register(net, &bad, NULL, "x", NULL), -EINVAL);
	ck_assert_int_eq(net_register(net, NULL, NULL, "x", NULL), -EINVAL);
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, port, &st), -ENOENT);
}
END_TEST

START_TEST(test_port_in_use)
{
	/* someone else holds the port: registration fails, nothing stays behind */
	int holder = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(holder, (struct sockaddr *)&sin, sizeof(sin)), 0);
	struct kanmon_net_handler h = { .size = sizeof(h), .port = port, .receive = record, .arg = &any };
	ck_assert_int_eq(net_register(net, &h, NULL, "busy", NULL), -EADDRINUSE);
	ck_assert(tu_logged("busy: cannot open udp port"));
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, port, &st), -ENOENT);
	close(holder);
}
END_TEST

static bool port_bindable(uint16_t p)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(p),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

START_TEST(test_last_unregister_closes_port)
{
	struct kanmon_net_reg *a = reg_on(port, 0, is_ikev1, &v1, NULL);
	struct kanmon_net_reg *b = reg_on(port, 0, is_ikev2, &v2, NULL);
	ck_assert(!port_bindable(port));
	net_unregister(a);
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, port, &st), 0);
	ck_assert(!port_bindable(port));
	uint8_t buf[64];
	ck_assert_int_eq(deliver(port, buf, ike_header(buf, 1, 1)), 0);	/* v1 handler gone */
	ck_assert_int_eq(v1.count, 0);
	net_unregister(b);
	ck_assert_int_eq(net_port_stats(net, port, &st), -ENOENT);
	ck_assert(port_bindable(port));
	net_unregister(NULL);
	/* the port can be registered again, with other flags this time */
	reg_on(port, KANMON_NET_NATT, is_esp, &esp, NULL);
	ck_assert(!port_bindable(port));
}
END_TEST

START_TEST(test_unregister_owned)
{
	static const char owner_a, owner_b, owner_c;
	uint16_t port2 = tu_free_udp_port();
	while (port2 == port)
		port2 = tu_free_udp_port();
	reg_on(port, 0, is_ikev1, &v1, &owner_a);
	reg_on(port, 0, is_ikev2, &v2, &owner_b);
	reg_on(port, 0, NULL, &any, &owner_a);
	reg_on(port2, 0, is_esp, &esp, &owner_a);
	reg_on(port2, 0, NULL, &any, &owner_a);
	ck_assert_uint_eq(net_unregister_owned(net, &owner_c), 0);
	ck_assert_uint_eq(net_unregister_owned(net, &owner_a), 4);
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, port2, &st), -ENOENT);
	ck_assert(port_bindable(port2));
	/* B's handler still works on the shared port */
	uint8_t b[64];
	ck_assert_int_eq(deliver(port, b, ike_header(b, 2, 1)), 1);
	ck_assert_int_eq(deliver(port, b, ike_header(b, 1, 1)), 0);
	ck_assert_int_eq(v2.count, 1);
	ck_assert_int_eq(v1.count + any.count, 0);
	ck_assert_uint_eq(net_unregister_owned(net, &owner_b), 1);
	ck_assert_int_eq(net_port_stats(net, port, &st), -ENOENT);
	ck_assert_uint_eq(net_unregister_owned(net, &owner_a), 0);
}
END_TEST

static struct kanmon_net_reg *self_reg;

static void unregister_self(const struct kanmon_pkt *pkt, void *arg)
{
	(void)pkt;
	(void)arg;
	net_unregister(self_reg);
	self_reg = NULL;
	ev_stop(loop);
}

START_TEST(test_handler_unregisters_itself)
{
	/* the last handler leaves from its receive callback while a batch is read */
	struct kanmon_net_handler h = { .size = sizeof(h), .port = port, .receive = unregister_self };
	ck_assert_int_eq(net_register(net, &h, NULL, "self", &self_reg), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(tu_udp_send(client, port, "bye", 3), 0);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_ptr_null(self_reg);
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(net, port, &st), -ENOENT);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("demux");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_demux_by_ike_version);
	tcase_add_test(tc, test_first_claim_wins);
	tcase_add_test(tc, test_natt_marker_demux);
	tcase_add_test(tc, test_no_marker_handling_without_natt);
	suite_add_tcase(s, tc);

	tc = tcase_create("sockets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_socket_round_trip);
	tcase_add_test(tc, test_socket_unclaimed_counted);
	tcase_add_test(tc, test_socket_natt);
	tcase_add_test(tc, test_send_marker_only_on_natt);
	tcase_add_test(tc, test_send_hook);
	tcase_add_test(tc, test_handler_unregisters_itself);
	suite_add_tcase(s, tc);

	tc = tcase_create("registration");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conflicting_flags);
	tcase_add_test(tc, test_invalid_handlers);
	tcase_add_test(tc, test_port_in_use);
	tcase_add_test(tc, test_last_unregister_closes_port);
	tcase_add_test(tc, test_unregister_owned);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(net_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
