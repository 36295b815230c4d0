/* SPDX-License-Identifier: MIT */
/*
 * test_xfrm_netns.c - kernel-xfrm against the host kernel, each test in a
 * scratch network namespace of its own (Check forks every test; the fixture
 * unshares). The host has XFRM but no ESP: policies, SPI allocation, events
 * and ownership work here; SAs cannot be added, which makes the host the
 * "no ESP" case for the refusal messages. Routes for outbound tunnel
 * policies (xfrm_route.c) need no ESP either. Needs root; exits 77 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "event.h"
#include "testhost.h"
#include "xfrm.h"

extern const struct kanmon_plugin kanmon_plugin;

static struct ev_loop *loop;
static struct th *th;
static struct kx *kx;
static const struct kanmon_sa_ops *ops;

static void sh(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* occurrences of needle in the output of cmd */
static int count(const char *cmd, const char *needle)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		for (const char *p = line; (p = strstr(p, needle)); p++)
			n++;
	pclose(f);
	return n;
}

static void setup(void)
{
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	sh("ip link set lo up");
	loop = ev_loop_new();
	th = th_new(loop, "xfrm", getenv("KX_TEST_VERBOSE") != NULL);
	struct kx_config cfg = { .natt_port = 4500, .replay_window = 32 };
	ck_assert_int_eq(kx_open(th_host(th), &cfg, &kx), 0);
	ops = kx_ops();
}

static void teardown(void)
{
	kx_close(kx);
	kx = NULL;
	th_free(th);
	ev_loop_free(loop);
}

static void addr(struct sockaddr_storage *ss, const char *s)
{
	uint8_t b[16] = { 0 };
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(family, s, b), 1);
	kx_addr_make(family, b, 0, ss);
}

static void ts(struct kanmon_ts *t, const char *from, const char *to, uint8_t proto, uint16_t pf, uint16_t pt)
{
	memset(t, 0, sizeof(*t));
	addr(&t->from, from);
	addr(&t->to, to);
	t->proto = proto;
	t->from_port = pf;
	t->to_port = pt;
}

static void policy(struct kanmon_policy_id *id, struct kanmon_policy_params *p, enum kanmon_sa_dir dir,
		   const char *sf, const char *st, const char *df, const char *dt, uint32_t reqid)
{
	memset(id, 0, sizeof(*id));
	memset(p, 0, sizeof(*p));
	id->dir = dir;
	ts(&id->src_ts, sf, st, 0, 0, 65535);
	ts(&id->dst_ts, df, dt, 0, 0, 65535);
	p->size = sizeof(*p);
	p->mode = KANMON_SA_TUNNEL;
	addr(&p->src, "192.0.2.1");
	addr(&p->dst, "192.0.2.2");
	p->reqid = reqid;
}

START_TEST(policies_installed_and_removed)
{
	struct kanmon_policy_id id;
	struct kanmon_policy_params p;
	policy(&id, &p, KANMON_SA_OUT, "10.1.0.5", "10.1.0.10", "10.9.0.0", "10.9.255.255", 7);
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), 0);
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 4);
	ck_assert_int_eq(count("ip xfrm policy", "src 10.1.0.6/31 dst 10.9.0.0/16"), 1);
	ck_assert_int_eq(count("ip xfrm policy", "reqid 7 mode tunnel"), 4);
	/* the same again: refused before the kernel is asked */
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), -EEXIST);
	struct kanmon_policy_id in = id;
	in.dir = KANMON_SA_IN;
	in.src_ts = id.dst_ts;
	in.dst_ts = id.src_ts;
	in.mark = 0x2a;
	in.mark_mask = 0xff;
	in.if_id = 0x11;
	ck_assert_int_eq(ops->add_policy(kx, &in, &p), 0);
	ck_assert_int_eq(count("ip xfrm policy", "dir in"), 4);
	ck_assert_int_eq(count("ip xfrm policy", "mark 0x2a/0xff"), 4);
	ck_assert_int_eq(count("ip xfrm policy", "if_id 0x11"), 4);
	ck_assert_int_eq(ops->del_policy(kx, &id), 0);
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 0);
	ck_assert_int_eq(ops->del_policy(kx, &id), -ENOENT);
	/* transport mode, L2TP selectors: template without addresses */
	struct kanmon_policy_id l2tp;
	struct kanmon_policy_params tp;
	policy(&l2tp, &tp, KANMON_SA_OUT, "192.0.2.1", "192.0.2.1", "203.0.113.9", "203.0.113.9", 8);
	l2tp.src_ts.proto = l2tp.dst_ts.proto = 17;
	l2tp.src_ts.from_port = l2tp.src_ts.to_port = 1701;
	tp.mode = KANMON_SA_TRANSPORT;
	ck_assert_int_eq(ops->add_policy(kx, &l2tp, &tp), 0);
	ck_assert_int_eq(count("ip xfrm policy", "proto udp sport 1701"), 1);
	ck_assert_int_eq(count("ip xfrm policy", "reqid 8 mode transport"), 1);
	/* close removes the rest */
	kx_close(kx);
	kx = NULL;
	ck_assert_int_eq(count("ip xfrm policy", "dir"), 0);
	ck_assert(th_logged(th, "removed 0 SA(s) and 5 XFRM policies installed by kanmon"));
}
END_TEST

START_TEST(foreign_policies_and_sas_untouched)
{
	/* someone else's: a policy with our reqid, one with a selector we also use (other mark), an SA */
	sh("ip xfrm policy add src 10.1.0.0/24 dst 10.8.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.2 "
	   "proto esp reqid 7 mode tunnel");
	sh("ip xfrm policy add src 10.1.0.0/24 dst 10.9.0.0/16 dir out mark 0x5 mask 0xff tmpl src 192.0.2.1 "
	   "dst 192.0.2.2 proto esp reqid 7 mode tunnel");
	sh("ip xfrm state allocspi src 192.0.2.1 dst 192.0.2.2 proto esp min 0xc1000000 max 0xc1000000 >/dev/null");
	struct kanmon_policy_id id;
	struct kanmon_policy_params p;
	policy(&id, &p, KANMON_SA_OUT, "10.1.0.0", "10.1.0.255", "10.9.0.0", "10.9.255.255", 7);
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), 0);
	struct kanmon_sa_id sa = { .proto = 50 };
	addr(&sa.src, "192.0.2.1");
	addr(&sa.dst, "192.0.2.2");
	uint32_t spi = 0;
	ck_assert_int_eq(ops->alloc_spi(kx, &sa, &spi), 0);
	ck_assert_uint_ne(spi, htonl(0xc1000000));
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 3);
	ck_assert_int_eq(count("ip xfrm state", "proto esp"), 2);
	/* asked to delete foreign ones: refused, untouched */
	struct kanmon_policy_id foreign = id;
	ts(&foreign.dst_ts, "10.8.0.0", "10.8.255.255", 0, 0, 65535);
	ck_assert_int_eq(ops->del_policy(kx, &foreign), -ENOENT);
	struct kanmon_sa_id fsa = sa;
	fsa.spi = htonl(0xc1000000);
	ck_assert_int_eq(ops->del_sa(kx, &fsa), -ESRCH);
	kx_close(kx);
	kx = NULL;
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 2);
	ck_assert_int_eq(count("ip xfrm policy", "10.8.0.0/16"), 1);
	ck_assert_int_eq(count("ip xfrm policy", "mark 0x5/0xff"), 1);
	ck_assert_int_eq(count("ip xfrm state", "spi 0xc1000000"), 1);
	ck_assert_int_eq(count("ip xfrm state", "proto esp"), 1);
	ck_assert(th_logged(th, "removed 1 SA(s) and 1 XFRM policy installed by kanmon"));
}
END_TEST

START_TEST(policy_all_or_nothing)
{
	/* a foreign policy holds one of the four pieces: the whole add fails, nothing of ours stays */
	sh("ip xfrm policy add src 10.1.0.8/31 dst 10.9.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.2 "
	   "proto esp reqid 99 mode tunnel");
	struct kanmon_policy_id id;
	struct kanmon_policy_params p;
	policy(&id, &p, KANMON_SA_OUT, "10.1.0.5", "10.1.0.10", "10.9.0.0", "10.9.255.255", 7);
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), -EEXIST);
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 1);
	ck_assert_int_eq(count("ip xfrm policy", "reqid 99"), 1);
	ck_assert(th_logged(th, "kernel refused policy out 10.1.0.5-10.1.0.10 -> 10.9.0.0-10.9.255.255 proto 0 "
				"(4 XFRM policies): File exists"));
	/* a range that splits too far is refused in words */
	policy(&id, &p, KANMON_SA_OUT, "0.0.0.1", "255.255.255.254", "0.0.0.1", "255.255.255.254", 7);
	id.src_ts.proto = id.dst_ts.proto = 6;
	id.src_ts.from_port = 1;
	id.src_ts.to_port = 65534;
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), -E2BIG);
	ck_assert(th_logged(th, "more than 4096 prefix pairs"));
}
END_TEST

/* kx again, with the routes setting */
static void reopen(bool routes)
{
	kx_close(kx);
	struct kx_config cfg = { .natt_port = 4500, .replay_window = 32, .routes = routes };
	ck_assert_int_eq(kx_open(th_host(th), &cfg, &kx), 0);
}

/* the outer path: v0 192.0.2.1/24 on link with the peer 192.0.2.2, 198.51.100.0/24 via a gateway */
static void outer_link(void)
{
	sh("ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && "
	   "ip addr add 192.0.2.1/24 dev v0 && ip route add 198.51.100.0/24 via 192.0.2.254 dev v0");
}

#define ROUTES4 "ip -4 route show proto 75"
#define ROUTES6 "ip -6 route show proto 75"

START_TEST(routes_follow_the_outer_path)
{
	outer_link();
	struct kanmon_policy_id id, in, fwd, id2, gw, split, v6, def;
	struct kanmon_policy_params p, p2, pgw;
	/* the setting off (the test default here): policies only */
	policy(&id, &p, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "203.0.113.7", "203.0.113.7", 7);
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), 0);
	ck_assert_int_eq(count(ROUTES4, "dev"), 0);
	reopen(true);
	ck_assert_int_eq(count("ip xfrm policy", "dir"), 0);
	/* a client's VIP: on-link towards the (NATed) peer, whatever the source selector */
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), 0);
	ck_assert_int_eq(count(ROUTES4, "203.0.113.7 dev v0 scope link"), 1);
	/* in and fwd policies get none */
	policy(&in, &p2, KANMON_SA_IN, "203.0.113.7", "203.0.113.7", "0.0.0.0", "255.255.255.255", 7);
	ck_assert_int_eq(ops->add_policy(kx, &in, &p2), 0);
	fwd = in;
	fwd.dir = KANMON_SA_FWD;
	ck_assert_int_eq(ops->add_policy(kx, &fwd, &p2), 0);
	ck_assert_int_eq(count(ROUTES4, "dev"), 1);
	/* a second policy to the same VIP shares the route; it goes with the last one */
	policy(&id2, &p2, KANMON_SA_OUT, "10.1.0.0", "10.1.0.255", "203.0.113.7", "203.0.113.7", 8);
	ck_assert_int_eq(ops->add_policy(kx, &id2, &p2), 0);
	ck_assert_int_eq(count(ROUTES4, "dev"), 1);
	ck_assert_int_eq(ops->del_policy(kx, &id), 0);
	ck_assert_int_eq(count(ROUTES4, "203.0.113.7 dev v0"), 1);
	ck_assert_int_eq(ops->del_policy(kx, &id2), 0);
	ck_assert_int_eq(count(ROUTES4, "dev"), 0);
	/* a peer behind a gateway: the route goes via that gateway */
	policy(&gw, &pgw, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "10.9.0.0", "10.9.255.255", 9);
	addr(&pgw.dst, "198.51.100.7");
	ck_assert_int_eq(ops->add_policy(kx, &gw, &pgw), 0);
	ck_assert_int_eq(count(ROUTES4, "10.9.0.0/16 via 192.0.2.254 dev v0"), 1);
	/* a range: one route per prefix, as the policies */
	policy(&split, &p2, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "10.1.0.5", "10.1.0.10", 10);
	ck_assert_int_eq(ops->add_policy(kx, &split, &p2), 0);
	ck_assert_int_eq(count(ROUTES4, "10.1.0.6/31 dev v0"), 1);
	ck_assert_int_eq(count(ROUTES4, "10.1.0."), 4);
	/* IPv6 inside an IPv4 tunnel: on-link through the outer interface (no v4 next hop) */
	policy(&v6, &p2, KANMON_SA_OUT, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:113::5",
	       "2001:db8:113::5", 11);
	ck_assert_int_eq(ops->add_policy(kx, &v6, &p2), 0);
	ck_assert_int_eq(count(ROUTES6, "2001:db8:113::5 dev v0"), 1);
	/* never a default route */
	policy(&def, &p2, KANMON_SA_OUT, "10.1.0.0", "10.1.0.255", "0.0.0.0", "255.255.255.255", 12);
	ck_assert_int_eq(ops->add_policy(kx, &def, &p2), 0);
	ck_assert_int_eq(count(ROUTES4, "default"), 0);
	ck_assert(th_logged(th, "not routing the default route of policy out 10.1.0.0-10.1.0.255 -> "
				"0.0.0.0-255.255.255.255"));
	ck_assert_int_eq(count(ROUTES4, "dev"), 5);
	/* del_policy takes its routes; close the rest */
	ck_assert_int_eq(ops->del_policy(kx, &split), 0);
	ck_assert_int_eq(count(ROUTES4, "dev"), 1);
	kx_close(kx);
	kx = NULL;
	ck_assert_int_eq(count(ROUTES4, "dev"), 0);
	ck_assert_int_eq(count(ROUTES6, "dev"), 0);
	ck_assert_msg(th_logged(th, "removed 2 routes installed by kanmon"), "%s", th_log_dump(th));
	/* the topology's own routes are untouched */
	ck_assert_int_eq(count("ip -4 route", "198.51.100.0/24 via 192.0.2.254"), 1);
}
END_TEST

START_TEST(routes_foreign_stale_unreachable)
{
	outer_link();
	/* someone else's route to a VIP, and a stale one of ours (a killed kanmond) */
	sh("ip route add 203.0.113.9/32 dev v0 && ip route add 203.0.113.10/32 via 192.0.2.254 dev v0 proto 75");
	reopen(true);
	struct kanmon_policy_id a, b, c;
	struct kanmon_policy_params p;
	policy(&a, &p, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "203.0.113.9", "203.0.113.9", 7);
	ck_assert_int_eq(ops->add_policy(kx, &a, &p), 0);
	ck_assert(th_logged(th, "not routing 203.0.113.9/32 dev v0: a route to it exists already (not kanmon's)"));
	policy(&b, &p, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "203.0.113.10", "203.0.113.10", 8);
	ck_assert_int_eq(ops->add_policy(kx, &b, &p), 0);
	ck_assert_int_eq(count(ROUTES4, "203.0.113.10 dev v0"), 1);
	ck_assert_int_eq(count(ROUTES4, "via"), 0);
	/* a peer without a route: the policy stays, the route is a warning */
	policy(&c, &p, KANMON_SA_OUT, "0.0.0.0", "255.255.255.255", "203.0.113.11", "203.0.113.11", 9);
	addr(&p.dst, "100.64.0.1");
	ck_assert_int_eq(ops->add_policy(kx, &c, &p), 0);
	ck_assert(th_logged(th, "no route for 203.0.113.11/32: the tunnel's peer 100.64.0.1 is unreachable"));
	ck_assert_int_eq(count("ip xfrm policy", "dir out"), 3);
	ck_assert_int_eq(ops->del_policy(kx, &a), 0);
	ck_assert_int_eq(ops->del_policy(kx, &b), 0);
	ck_assert_int_eq(ops->del_policy(kx, &c), 0);
	/* the foreign route stays, ours is gone */
	ck_assert_int_eq(count("ip -4 route", "203.0.113.9 dev v0"), 1);
	ck_assert_int_eq(count("ip -4 route", "203.0.113.10"), 0);
}
END_TEST

static bool kernel_has_esp(void)
{
	char why[512];
	return kx_probe_esp(why, sizeof(why)) == 0;
}

START_TEST(no_esp_refusal_message)
{
	if (kernel_has_esp())
		return;	/* this kernel can do ESP: the UML tests cover the other side */
	static const uint8_t key[32];
	struct kanmon_sa_id id = { .spi = htonl(0xc0000001), .proto = 50 };
	addr(&id.src, "192.0.2.1");
	addr(&id.dst, "192.0.2.2");
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_OUT,
				      .enc_alg = KANMON_ENCR_AES_CBC, .enc_key = key, .enc_key_len = 16,
				      .integ_alg = KANMON_AUTH_HMAC_SHA2_256_128, .integ_key = key, .integ_key_len = 32,
				      .reqid = 1 };
	ck_assert_int_eq(ops->add_sa(kx, &id, &p), -EPROTONOSUPPORT);
	ck_assert_msg(th_logged(th, "kernel refused SA 0xc0000001 192.0.2.1 -> 192.0.2.2: Protocol not supported: "
				    "Requested type not found (is esp4 loaded?)"),
		      "%s", th_log_dump(th));
	/* nothing was recorded, nothing to remove */
	ck_assert_int_eq(ops->del_sa(kx, &id), -ESRCH);
}
END_TEST

START_TEST(probe_and_init_refuse_without_esp)
{
	char why[512];
	int err = kx_probe_esp(why, sizeof(why));
	if (!err)
		return;
	ck_assert_int_eq(err, -EPROTONOSUPPORT);
	ck_assert_msg(strstr(why, "kernel has no ESP support") && strstr(why, "load esp4") &&
			      strstr(why, "kernel-user"),
		      "%s", why);
	/* the plugin's init says the same and registers nothing */
	struct th *t2 = th_new(loop, "init", false);
	void *state = NULL;
	ck_assert_int_eq(kanmon_plugin.init(th_host(t2), th_conf(t2), &state), -EPROTONOSUPPORT);
	ck_assert(th_logged(t2, "kernel has no ESP support (Requested type not found): load esp4, or use kernel-user"));
	const struct kanmon_sa_ops *o;
	void *be;
	ck_assert_int_eq(th_backend(t2, &o, &be), -ENOENT);
	th_free(t2);
}
END_TEST

START_TEST(descriptor)
{
	ck_assert_str_eq(kanmon_plugin.name, "kernel-xfrm");
	ck_assert_str_eq(kanmon_plugin.provides[0], "sa-backend");
	ck_assert_ptr_null(kanmon_plugin.provides[1]);
	ck_assert_str_eq(kanmon_plugin.settings[0].name, "natt_port");
	ck_assert_str_eq(kanmon_plugin.settings[0].def, "4500");
	ck_assert_str_eq(kanmon_plugin.settings[2].name, "routes");
	ck_assert_str_eq(kanmon_plugin.settings[2].def, "true");
}
END_TEST

static void send_udp(const char *dst, int mark)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(u, 0);
	if (mark)
		ck_assert_int_eq(setsockopt(u, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)), 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(1701) };
	inet_pton(AF_INET, dst, &to.sin_addr);
	sendto(u, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	close(u);
}

START_TEST(acquire_only_for_own_policies)
{
	sh("ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && "
	   "ip addr add 10.1.0.1/24 dev v0 && ip route add 10.8.0.0/16 dev v0 && ip route add 10.9.0.0/16 dev v0");
	/* (another tunnel endpoint: the kernel would reuse one larval SA for both otherwise) */
	sh("ip xfrm policy add src 10.1.0.0/24 dst 10.8.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.3 "
	   "proto esp reqid 7 mode tunnel");
	struct kanmon_policy_id id;
	struct kanmon_policy_params p;
	policy(&id, &p, KANMON_SA_OUT, "10.1.0.0", "10.1.0.255", "10.9.0.0", "10.9.255.255", 7);
	id.mark = 0x2a;
	ck_assert_int_eq(ops->add_policy(kx, &id, &p), 0);
	send_udp("10.8.8.8", 0);	/* foreign policy */
	send_udp("10.9.9.9", 0);	/* ours, but unmarked: no match */
	send_udp("10.9.9.9", 0x2a);	/* ours */
	long i = th_wait_event(th, KANMON_SA_ACQUIRE, 0, 3000);
	ck_assert_int_ge(i, 0);
	th_run_for(th, 300);
	ck_assert_uint_eq(th_event_count(th), 1);
	const struct kanmon_sa_event *ev = th_event(th, (size_t)i);
	ck_assert_uint_eq(ev->reqid, 7);
	ck_assert_int_eq(ev->policy.dir, KANMON_SA_OUT);
	ck_assert_uint_eq(ev->policy.mark, 0x2a);
	ck_assert_uint_eq(ev->policy.mark_mask, 0xffffffff);
	char b[64];
	ck_assert_str_eq(kx_addr_str(&ev->policy.dst_ts.from, b, sizeof(b)), "10.9.0.0");
	ck_assert_str_eq(kx_addr_str(&ev->sa.dst, b, sizeof(b)), "192.0.2.2");
}
END_TEST

START_TEST(larval_expiry_is_quiet)
{
	sh("sysctl -qw net.core.xfrm_acq_expires=1");
	struct kanmon_sa_id sa = { .proto = 50, .mark = 3 };
	addr(&sa.src, "192.0.2.1");
	addr(&sa.dst, "192.0.2.2");
	uint32_t spi = 0;
	ck_assert_int_eq(ops->alloc_spi(kx, &sa, &spi), 0);
	ck_assert_int_eq(count("ip xfrm state", "mark 0x3/0xffffffff"), 1);
	ck_assert_uint_eq(kx->sas.n, 1);
	th_run_for(th, 2500);
	/* the kernel dropped it; we forget it without telling anyone */
	ck_assert_int_eq(count("ip xfrm state", "proto esp"), 0);
	ck_assert_uint_eq(th_event_count(th), 0);
	ck_assert_uint_eq(kx->sas.n, 0);
}
END_TEST

START_TEST(query_larval)
{
	struct kanmon_sa_id sa = { .proto = 50 };
	addr(&sa.src, "192.0.2.1");
	addr(&sa.dst, "192.0.2.2");
	ck_assert_int_eq(ops->alloc_spi(kx, &sa, &sa.spi), 0);
	struct kanmon_sa_stats st = { .bytes = 9 };
	ck_assert_int_eq(ops->query_sa(kx, &sa, &st), 0);
	ck_assert_uint_eq(st.bytes, 0);
	sa.spi = htonl(0x1234);
	ck_assert_int_eq(ops->query_sa(kx, &sa, &st), -ESRCH);
	/* update needs an installed SA */
	ck_assert_int_eq(ops->update_sa(kx, &sa, &sa, 4500, 4500), -ESRCH);
}
END_TEST

int main(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		printf("SKIP: needs root (network namespaces)\n");
		return 77;
	}
	Suite *s = suite_create("xfrm_netns");
	TCase *tc = tcase_create("host");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, policies_installed_and_removed);
	tcase_add_test(tc, foreign_policies_and_sas_untouched);
	tcase_add_test(tc, policy_all_or_nothing);
	tcase_add_test(tc, routes_follow_the_outer_path);
	tcase_add_test(tc, routes_foreign_stale_unreachable);
	tcase_add_test(tc, no_esp_refusal_message);
	tcase_add_test(tc, probe_and_init_refuse_without_esp);
	tcase_add_test(tc, descriptor);
	tcase_add_test(tc, acquire_only_for_own_policies);
	tcase_add_test(tc, larval_expiry_is_quiet);
	tcase_add_test(tc, query_larval);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
