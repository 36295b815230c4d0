/* SPDX-License-Identifier: MIT */
/*
 * xfrm_drive - drives the kernel-xfrm backend from a scenario file, in
 * place of a protocol plugin (the scenarios in test/xfrm/uml, run inside UML).
 *
 *   xfrm_drive SCENARIO        exit 0 when every line passed, 1 at the first
 *                              failure (every instance is finalized either way)
 *
 * One plugin instance per network namespace: `instance` enters the
 * namespace, runs the plugin's real init (ESP probe, sockets, registration)
 * with a test host, and comes back; the instance's sockets stay bound to
 * that namespace, so one process drives both ends of a tunnel.
 *
 * Lines are a command and key=value words; # starts a comment. $NAME is
 * replaced by a variable (set by alloc_spi ... as=NAME, query_sa save=NAME).
 * Any op accepts expect=ERRNO (EEXIST, ESRCH, ... or a number): the op must
 * fail with exactly that.
 *
 *   instance NAME netns=NS [natt=PORT]   (natt: bind UDP PORT (IPv4 and IPv6) there for ESP-in-UDP)
 *   use NAME
 *   alloc_spi src= dst= [mark=V[/M]] as=VAR
 *   add_sa dir=in|out mode=tunnel|transport src= dst= spi= reqid= enc=ALG [integ=ALG]
 *          [esn=1] [replay=N] [encap=SPORT:DPORT] [mark=V[/M]] [if_id=N]
 *          [soft=BYTES:PACKETS:SECS] [hard=...] [lts=NET] [rts=NET] [tsproto=N] [lport=A[-B]] [rport=A[-B]]
 *        ALG: gcm16-128 gcm16-256 gcm12-128 gcm8-256 cbc128 cbc256 3des null chacha;
 *             sha1 sha256 sha384 sha512 md5. Keys are derived from the SPI, so
 *             both ends compute the same ones.
 *   update_sa src= dst= spi= [mark=] new_src= new_dst= [encap=SPORT:DPORT]
 *   query_sa src= dst= spi= [mark=] [min_bytes=N] [min_packets=N] [max_packets=N] [save=VAR] [gt=VAR]
 *   del_sa src= dst= spi= [mark=]
 *   add_policy dir=in|out|fwd src=NET dst=NET [proto=N] [sport=A[-B]] [dport=A[-B]] [mark=] [if_id=]
 *              mode=tunnel|transport [tsrc= tdst=] reqid= [prio=N]
 *   del_policy dir= src= dst= [proto= sport= dport= mark= if_id=]
 *   expect_event type=acquire|soft|hard|mapping [spi=] [reqid=] [port=N] [timeout=MS]
 *   no_event [type=...] timeout=MS
 *   udp from_ns=NS from=ADDR:PORT [mark=N] to_ns=NS to=ADDR:PORT count=N expect=N [timeout=MS]
 *        (IPv6: [ADDR]:PORT)
 *   run COMMAND...     (sh -c, must exit 0)      fail COMMAND...   (must not)
 *   logged TEXT...     (the current instance logged TEXT)
 *   sleep MS           (the event loop runs meanwhile)
 *   fini [NAME]
 *   NET: 10.1.0.0/24, 10.1.0.5-10.1.0.10 or an address
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "testhost.h"
#include "xfrm.h"

extern const struct kanmon_plugin kanmon_plugin;

#define MAX_INST 8
#define MAX_VARS 64
#define MAX_WORDS 48

struct inst {
	char name[32];
	char netns[64];
	struct th *th;
	void *state;
	int natt_fd[2];		/* IPv4 and IPv6 (v6only), like the core's listen = ["0.0.0.0", "::"] */
};

static struct ev_loop *loop;
static struct inst insts[MAX_INST];
static size_t n_inst;
static struct inst *cur;
static struct {
	char name[32], value[64];
} vars[MAX_VARS];
static size_t n_vars;
static int lineno;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fini_all(void)
{
	for (size_t i = 0; i < n_inst; i++) {
		if (insts[i].state)
			kanmon_plugin.fini(insts[i].state);
		insts[i].state = NULL;
		for (int k = 0; k < 2; k++) {
			if (insts[i].natt_fd[k] >= 0)
				close(insts[i].natt_fd[k]);
			insts[i].natt_fd[k] = -1;
		}
		th_free(insts[i].th);
		insts[i].th = NULL;
	}
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stdout, "FAIL (line %d): ", lineno);
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	if (cur && cur->th)
		fprintf(stdout, "--- log of %s:\n%s", cur->name, th_log_dump(cur->th));
	fflush(stdout);
	fini_all();
	exit(1);
}

/* ---- words ------------------------------------------------------------------ */

struct words {
	char *w[MAX_WORDS];
	int n;
};

static const char *opt(const struct words *ws, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 1; i < ws->n; i++)
		if (!strncmp(ws->w[i], key, kl) && ws->w[i][kl] == '=')
			return ws->w[i] + kl + 1;
	return NULL;
}

static const char *need(const struct words *ws, const char *key)
{
	const char *v = opt(ws, key);
	if (!v)
		fail("%s: missing %s=", ws->w[0], key);
	return v;
}

static unsigned long long num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		fail("not a number: %s", s);
	return v;
}

static unsigned long long num_or(const struct words *ws, const char *key, unsigned long long def)
{
	const char *v = opt(ws, key);
	return v ? num(v) : def;
}

static void set_var(const char *name, const char *value)
{
	for (size_t i = 0; i < n_vars; i++) {
		if (!strcmp(vars[i].name, name)) {
			snprintf(vars[i].value, sizeof(vars[i].value), "%s", value);
			return;
		}
	}
	if (n_vars == MAX_VARS)
		fail("too many variables");
	snprintf(vars[n_vars].name, sizeof(vars[n_vars].name), "%s", name);
	snprintf(vars[n_vars++].value, sizeof(vars[n_vars].value), "%s", value);
}

/* $NAME -> value, in place into out */
static void expand(const char *in, char *out, size_t len)
{
	size_t o = 0;
	while (*in && o + 1 < len) {
		if (*in != '$' || !(isalpha((unsigned char)in[1]) || in[1] == '_')) {
			out[o++] = *in++;
			continue;
		}
		const char *s = ++in;
		while (isalnum((unsigned char)*in) || *in == '_')
			in++;
		size_t nl = (size_t)(in - s);
		size_t i = 0;
		for (; i < n_vars; i++)
			if (strlen(vars[i].name) == nl && !strncmp(vars[i].name, s, nl))
				break;
		if (i == n_vars)
			fail("unknown variable $%.*s", (int)nl, s);
		for (const char *v = vars[i].value; *v && o + 1 < len; v++)
			out[o++] = *v;
	}
	out[o] = '\0';
}

/* ---- values ----------------------------------------------------------------- */

static int addr(const char *s, struct sockaddr_storage *ss)
{
	uint8_t b[16] = { 0 };
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, s, b) != 1)
		fail("not an address: %s", s);
	kx_addr_make(family, b, 0, ss);
	return family;
}

/* 192.0.2.1:1701 or [2001:db8::1]:1701 */
static void addr_port(const char *s, struct sockaddr_storage *ss)
{
	char a[64];
	const char *colon = strrchr(s, ':');
	bool v6 = s[0] == '[';
	if (!colon || (size_t)(colon - s) >= sizeof(a) || (v6 && colon[-1] != ']'))
		fail("not ADDR:PORT or [ADDR]:PORT: %s", s);
	snprintf(a, sizeof(a), "%.*s", (int)(colon - s) - (v6 ? 2 : 0), s + (v6 ? 1 : 0));
	int family = addr(a, ss);
	uint16_t port = htons((uint16_t)num(colon + 1));
	if (family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = port;
	else
		((struct sockaddr_in *)ss)->sin_port = port;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void net(const char *s, struct kanmon_ts *ts)
{
	char a[64];
	const char *dash = strchr(s, '-'), *slash = strchr(s, '/');
	if (dash) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - s), s);
		addr(a, &ts->from);
		addr(dash + 1, &ts->to);
		return;
	}
	if (!slash) {
		addr(s, &ts->from);
		ts->to = ts->from;
		return;
	}
	snprintf(a, sizeof(a), "%.*s", (int)(slash - s), s);
	unsigned plen = (unsigned)num(slash + 1);
	uint8_t lo[16], hi[16];
	int family = addr(a, &ts->from);
	kx_addr_bytes(&ts->from, lo);
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++) {
		unsigned bits = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		lo[i] &= mask;
		hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
	}
	kx_addr_make(family, lo, 0, &ts->from);
	kx_addr_make(family, hi, 0, &ts->to);
}

static void ports(const char *s, uint16_t *from, uint16_t *to)
{
	if (!s) {
		*from = 0;
		*to = 65535;
		return;
	}
	char a[16];
	const char *dash = strchr(s, '-');
	snprintf(a, sizeof(a), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	*from = (uint16_t)num(a);
	*to = dash ? (uint16_t)num(dash + 1) : *from;
}

static void mark(const struct words *ws, uint32_t *v, uint32_t *m)
{
	const char *s = opt(ws, "mark");
	*v = *m = 0;
	if (!s)
		return;
	char a[24];
	const char *slash = strchr(s, '/');
	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	*v = (uint32_t)num(a);
	*m = slash ? (uint32_t)num(slash + 1) : 0;
}

static void sa_id(const struct words *ws, struct kanmon_sa_id *id)
{
	memset(id, 0, sizeof(*id));
	addr(need(ws, "src"), &id->src);
	addr(need(ws, "dst"), &id->dst);
	const char *spi = opt(ws, "spi");
	id->spi = spi ? htonl((uint32_t)num(spi)) : 0;
	id->proto = KANMON_SA_PROTO_ESP;
	mark(ws, &id->mark, &id->mark_mask);
	id->if_id = (uint32_t)num_or(ws, "if_id", 0);
}

static const struct {
	const char *name;
	uint16_t id;
	size_t key;
} encs[] = {
	{ "gcm16-128", KANMON_ENCR_AES_GCM_16, 20 }, { "gcm16-256", KANMON_ENCR_AES_GCM_16, 36 },
	{ "gcm12-128", KANMON_ENCR_AES_GCM_12, 20 }, { "gcm8-256", KANMON_ENCR_AES_GCM_8, 36 },
	{ "cbc128", KANMON_ENCR_AES_CBC, 16 },	     { "cbc256", KANMON_ENCR_AES_CBC, 32 },
	{ "3des", KANMON_ENCR_3DES, 24 },	     { "null", KANMON_ENCR_NULL, 0 },
	{ "chacha", KANMON_ENCR_CHACHA20_POLY1305, 36 },
}, integs[] = {
	{ "sha1", KANMON_AUTH_HMAC_SHA1_96, 20 },	   { "sha256", KANMON_AUTH_HMAC_SHA2_256_128, 32 },
	{ "sha384", KANMON_AUTH_HMAC_SHA2_384_192, 48 }, { "sha512", KANMON_AUTH_HMAC_SHA2_512_256, 64 },
	{ "md5", KANMON_AUTH_HMAC_MD5_96, 16 },
};

/* both ends derive the same keys from the SPI */
static void derive(uint32_t spi, uint8_t salt, uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)((spi >> ((i % 4) * 8)) ^ (i * 31 + salt));
}

static int expected_err(const struct words *ws)
{
	const char *e = opt(ws, "expect");
	if (!e || !strcmp(ws->w[0], "udp"))
		return 0;
	static const struct {
		const char *n;
		int v;
	} names[] = { { "EEXIST", EEXIST }, { "ESRCH", ESRCH }, { "ENOENT", ENOENT }, { "EINVAL", EINVAL },
		      { "ENOTSUP", ENOTSUP }, { "E2BIG", E2BIG }, { "EPROTONOSUPPORT", EPROTONOSUPPORT },
		      { "ENOSYS", ENOSYS }, { "EAFNOSUPPORT", EAFNOSUPPORT } };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].n, e))
			return -names[i].v;
	return -(int)num(e);
}

static void check(const struct words *ws, int err)
{
	int want = expected_err(ws);
	if (err != want)
		fail("%s returned %d (%s), expected %d", ws->w[0], err, err ? strerror(-err) : "ok", want);
}

/* ---- commands --------------------------------------------------------------- */

static const struct kanmon_sa_ops *ops(void **be)
{
	const struct kanmon_sa_ops *o;
	if (!cur || th_backend(cur->th, &o, be))
		fail("no instance in use");
	return o;
}

static void setns_to(const char *netns)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		fail("cannot enter netns %s: %s", netns, strerror(errno));
	close(fd);
}

static int home_ns = -1;

static void go_home(void)
{
	if (setns(home_ns, CLONE_NEWNET) < 0)
		fail("cannot return to the first netns: %s", strerror(errno));
}

static void cmd_instance(const struct words *ws)
{
	if (ws->n < 2 || n_inst == MAX_INST)
		fail("instance NAME netns=NS");
	struct inst *in = &insts[n_inst++];
	snprintf(in->name, sizeof(in->name), "%s", ws->w[1]);
	snprintf(in->netns, sizeof(in->netns), "%s", need(ws, "netns"));
	in->natt_fd[0] = in->natt_fd[1] = -1;
	in->th = th_new(loop, in->name, getenv("XFRM_DRIVE_QUIET") == NULL);
	cur = in;
	setns_to(in->netns);
	unsigned long long port = num_or(ws, "natt", 0);
	if (port) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
		int one = 1;
		in->natt_fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		in->natt_fd[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (in->natt_fd[1] >= 0)
			setsockopt(in->natt_fd[1], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (in->natt_fd[0] < 0 || bind(in->natt_fd[0], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    in->natt_fd[1] < 0 || bind(in->natt_fd[1], (struct sockaddr *)&sa6, sizeof(sa6)) < 0)
			fail("cannot bind UDP %llu in %s: %s", port, in->netns, strerror(errno));
		th_set_fds(in->th, (uint16_t)port, in->natt_fd, 2);
		th_set_int(in->th, "natt_port", (int64_t)port);
	}
	th_set_int(in->th, "replay_window", (int64_t)num_or(ws, "replay_window", 32));
	int err = kanmon_plugin.init(th_host(in->th), th_conf(in->th), &in->state);
	go_home();
	check(ws, err);
}

static void cmd_use(const struct words *ws)
{
	for (size_t i = 0; ws->n == 2 && i < n_inst; i++) {
		if (!strcmp(insts[i].name, ws->w[1])) {
			cur = &insts[i];
			return;
		}
	}
	fail("no instance %s", ws->n == 2 ? ws->w[1] : "?");
}

static void cmd_alloc_spi(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_sa_id id;
	sa_id(ws, &id);
	uint32_t spi = 0;
	int err = o->alloc_spi(be, &id, &spi);
	check(ws, err);
	if (!err) {
		char v[16];
		snprintf(v, sizeof(v), "0x%08x", ntohl(spi));
		set_var(need(ws, "as"), v);
		printf("   %s = %s\n", need(ws, "as"), v);
	}
}

static void lifetime(const char *s, struct kanmon_lifetime *lt)
{
	unsigned long long b = 0, p = 0, t = 0;
	if (s && sscanf(s, "%llu:%llu:%llu", &b, &p, &t) != 3)
		fail("lifetime is BYTES:PACKETS:SECONDS: %s", s);
	lt->bytes = b;
	lt->packets = p;
	lt->seconds = t;
}

static void cmd_add_sa(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_sa_id id;
	sa_id(ws, &id);
	struct kanmon_sa_params p;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	const char *dir = need(ws, "dir"), *mode = need(ws, "mode"), *enc = need(ws, "enc"), *integ = opt(ws, "integ");
	p.dir = !strcmp(dir, "in") ? KANMON_SA_IN : KANMON_SA_OUT;
	p.mode = !strcmp(mode, "tunnel") ? KANMON_SA_TUNNEL : KANMON_SA_TRANSPORT;
	p.reqid = (uint32_t)num(need(ws, "reqid"));
	uint8_t ekey[64], ikey[64];
	size_t i;
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]) && strcmp(encs[i].name, enc); i++)
		;
	if (i == sizeof(encs) / sizeof(encs[0]))
		fail("unknown enc %s", enc);
	p.enc_alg = encs[i].id;
	p.enc_key_len = encs[i].key;
	derive(ntohl(id.spi), 1, ekey, p.enc_key_len);
	p.enc_key = ekey;
	if (integ) {
		for (i = 0; i < sizeof(integs) / sizeof(integs[0]) && strcmp(integs[i].name, integ); i++)
			;
		if (i == sizeof(integs) / sizeof(integs[0]))
			fail("unknown integ %s", integ);
		p.integ_alg = integs[i].id;
		p.integ_key_len = integs[i].key;
		derive(ntohl(id.spi), 2, ikey, p.integ_key_len);
		p.integ_key = ikey;
	}
	p.esn = num_or(ws, "esn", 0) != 0;
	p.replay_window = (uint32_t)num_or(ws, "replay", 0);
	const char *encap = opt(ws, "encap");
	if (encap) {
		unsigned sp, dp;
		if (sscanf(encap, "%u:%u", &sp, &dp) != 2)
			fail("encap=SPORT:DPORT");
		p.encap_sport = (uint16_t)sp;
		p.encap_dport = (uint16_t)dp;
	}
	lifetime(opt(ws, "soft"), &p.soft);
	lifetime(opt(ws, "hard"), &p.hard);
	if (opt(ws, "lts")) {
		net(opt(ws, "lts"), &p.local_ts);
		net(need(ws, "rts"), &p.remote_ts);
		p.local_ts.proto = p.remote_ts.proto = (uint8_t)num_or(ws, "tsproto", 0);
		ports(opt(ws, "lport"), &p.local_ts.from_port, &p.local_ts.to_port);
		ports(opt(ws, "rport"), &p.remote_ts.from_port, &p.remote_ts.to_port);
	}
	check(ws, o->add_sa(be, &id, &p));
}

static void cmd_update_sa(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_sa_id id, nid;
	sa_id(ws, &id);
	nid = id;
	addr(need(ws, "new_src"), &nid.src);
	addr(need(ws, "new_dst"), &nid.dst);
	unsigned sp = 0, dp = 0;
	const char *encap = opt(ws, "encap");
	if (encap && sscanf(encap, "%u:%u", &sp, &dp) != 2)
		fail("encap=SPORT:DPORT");
	check(ws, o->update_sa(be, &id, &nid, (uint16_t)sp, (uint16_t)dp));
}

static void cmd_query_sa(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_sa_id id;
	sa_id(ws, &id);
	struct kanmon_sa_stats st;
	int err = o->query_sa(be, &id, &st);
	check(ws, err);
	if (err)
		return;
	printf("   bytes %llu packets %llu last_use %lld replay_drops %llu integrity_drops %llu\n",
	       (unsigned long long)st.bytes, (unsigned long long)st.packets, (long long)st.last_use,
	       (unsigned long long)st.replay_drops, (unsigned long long)st.integrity_drops);
	if (st.bytes < num_or(ws, "min_bytes", 0) || st.packets < num_or(ws, "min_packets", 0) ||
	    st.packets > num_or(ws, "max_packets", ~0ULL))
		fail("counters out of the expected range");
	if (st.packets && !st.last_use)
		fail("traffic without a last-use time");
	if (opt(ws, "gt") && st.bytes <= num(opt(ws, "gt")))
		fail("bytes %llu not above %s", (unsigned long long)st.bytes, opt(ws, "gt"));
	if (opt(ws, "save")) {
		char v[32];
		snprintf(v, sizeof(v), "%llu", (unsigned long long)st.bytes);
		set_var(opt(ws, "save"), v);
	}
}

static void cmd_del_sa(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_sa_id id;
	sa_id(ws, &id);
	check(ws, o->del_sa(be, &id));
}

static enum kanmon_sa_dir dir_of(const char *s)
{
	return !strcmp(s, "in") ? KANMON_SA_IN : !strcmp(s, "fwd") ? KANMON_SA_FWD : KANMON_SA_OUT;
}

static void policy_id(const struct words *ws, struct kanmon_policy_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dir = dir_of(need(ws, "dir"));
	net(need(ws, "src"), &id->src_ts);
	net(need(ws, "dst"), &id->dst_ts);
	id->src_ts.proto = id->dst_ts.proto = (uint8_t)num_or(ws, "proto", 0);
	ports(opt(ws, "sport"), &id->src_ts.from_port, &id->src_ts.to_port);
	ports(opt(ws, "dport"), &id->dst_ts.from_port, &id->dst_ts.to_port);
	mark(ws, &id->mark, &id->mark_mask);
	id->if_id = (uint32_t)num_or(ws, "if_id", 0);
}

static void cmd_add_policy(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_policy_id id;
	policy_id(ws, &id);
	struct kanmon_policy_params p;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.mode = !strcmp(need(ws, "mode"), "tunnel") ? KANMON_SA_TUNNEL : KANMON_SA_TRANSPORT;
	if (p.mode == KANMON_SA_TUNNEL) {
		addr(need(ws, "tsrc"), &p.src);
		addr(need(ws, "tdst"), &p.dst);
	}
	p.reqid = (uint32_t)num(need(ws, "reqid"));
	p.priority = (uint32_t)num_or(ws, "prio", 0);
	check(ws, o->add_policy(be, &id, &p));
}

static void cmd_del_policy(const struct words *ws)
{
	void *be;
	const struct kanmon_sa_ops *o = ops(&be);
	struct kanmon_policy_id id;
	policy_id(ws, &id);
	check(ws, o->del_policy(be, &id));
}

static int type_of(const char *s)
{
	if (!s)
		return 0;
	return !strcmp(s, "acquire") ? KANMON_SA_ACQUIRE : !strcmp(s, "soft") ? KANMON_SA_SOFT_EXPIRE :
	       !strcmp(s, "hard") ? KANMON_SA_HARD_EXPIRE : !strcmp(s, "mapping") ? KANMON_SA_MAPPING : -1;
}

static void cmd_expect_event(const struct words *ws)
{
	if (!cur)
		fail("no instance in use");
	int type = type_of(need(ws, "type"));
	uint32_t spi = opt(ws, "spi") ? htonl((uint32_t)num(opt(ws, "spi"))) : 0;
	long i = th_wait_event(cur->th, type, spi, (unsigned)num_or(ws, "timeout", 10000));
	if (i < 0)
		fail("no %s event%s", need(ws, "type"), spi ? " for that SPI" : "");
	const struct kanmon_sa_event *ev = th_event(cur->th, (size_t)i);
	char a[64], b[64];
	printf("   event type %d spi 0x%08x reqid %u %s -> %s new_peer %s:%u\n", ev->type, ntohl(ev->sa.spi), ev->reqid,
	       kx_addr_str(&ev->sa.src, a, sizeof(a)), kx_addr_str(&ev->sa.dst, b, sizeof(b)),
	       ev->type == KANMON_SA_MAPPING ? kx_addr_str(&ev->new_peer, a, sizeof(a)) : "-",
	       ntohs(((const struct sockaddr_in *)&ev->new_peer)->sin_port));
	if (opt(ws, "reqid") && ev->reqid != num(opt(ws, "reqid")))
		fail("event reqid %u", ev->reqid);
	if (opt(ws, "port") && ntohs(((const struct sockaddr_in *)&ev->new_peer)->sin_port) != num(opt(ws, "port")))
		fail("mapping to another port");
	/* consumed: later expect_event lines look for new ones */
	th_events_clear(cur->th);
}

static void cmd_no_event(const struct words *ws)
{
	if (!cur)
		fail("no instance in use");
	int type = type_of(opt(ws, "type"));
	long i = th_wait_event(cur->th, type, 0, (unsigned)num(need(ws, "timeout")));
	if (i >= 0)
		fail("unexpected event type %d", th_event(cur->th, (size_t)i)->type);
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void cmd_udp(const struct words *ws)
{
	struct sockaddr_storage from, to;
	addr_port(need(ws, "from"), &from);
	addr_port(need(ws, "to"), &to);
	unsigned long long count = num(need(ws, "count")), expect = num(need(ws, "expect"));
	/* receiver: the to port on any address of the receiving namespace */
	setns_to(need(ws, "to_ns"));
	/* the receiver: the port on every address (IPv6 sockets here are IPv6 only) */
	struct sockaddr_storage any;
	memset(&any, 0, sizeof(any));
	any.ss_family = to.ss_family;
	if (to.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&any)->sin6_port = ((struct sockaddr_in6 *)&to)->sin6_port;
	else
		((struct sockaddr_in *)&any)->sin_port = ((struct sockaddr_in *)&to)->sin_port;
	int r = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (to.ss_family == AF_INET6)
		setsockopt(r, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (r < 0 || bind(r, (struct sockaddr *)&any, ss_len(&any)) < 0)
		fail("udp: cannot bind the receiver: %s", strerror(errno));
	setns_to(need(ws, "from_ns"));
	int s = socket(from.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int mk = (int)num_or(ws, "mark", 0);
	if (mk && setsockopt(s, SOL_SOCKET, SO_MARK, &mk, sizeof(mk)) < 0)
		fail("udp: SO_MARK: %s", strerror(errno));
	if (s < 0 || bind(s, (struct sockaddr *)&from, ss_len(&from)) < 0)
		fail("udp: cannot bind the sender to %s: %s", need(ws, "from"), strerror(errno));
	go_home();
	unsigned long long got = 0;
	long long deadline = now_ms() + (long long)num_or(ws, "timeout", 3000);
	char payload[256];
	memset(payload, 'k', sizeof(payload));
	for (unsigned long long i = 0; i < count; i++) {
		/* the first packets may meet a larval SA (acquire): resend what is lost */
		if (sendto(s, payload, 200, 0, (struct sockaddr *)&to, ss_len(&to)) < 0 && errno != EAGAIN)
			fail("udp: sendto: %s", strerror(errno));
		struct pollfd pfd = { .fd = r, .events = POLLIN };
		if (poll(&pfd, 1, 50) > 0 && recv(r, payload, sizeof(payload), 0) > 0)
			got++;
	}
	while (got < count && now_ms() < deadline) {
		struct pollfd pfd = { .fd = r, .events = POLLIN };
		if (poll(&pfd, 1, expect ? 100 : 300) > 0 && recv(r, payload, sizeof(payload), 0) > 0)
			got++;
		else if (!expect)
			break;
	}
	close(s);
	close(r);
	printf("   received %llu of %llu\n", got, count);
	if (got != expect)
		fail("udp: received %llu, expected %llu", got, expect);
}

static void cmd_shell(const struct words *ws, const char *rest, bool must_fail)
{
	int rc = system(rest);
	if (must_fail ? rc == 0 : rc != 0)
		fail("%s: %s exited %d", ws->w[0], rest, rc);
}

static void cmd_logged(const char *rest)
{
	if (!cur || !th_logged(cur->th, rest))
		fail("%s did not log \"%s\"", cur ? cur->name : "?", rest);
}

static void cmd_fini(const struct words *ws)
{
	if (ws->n > 1)
		cmd_use(ws);
	if (!cur || !cur->state)
		fail("fini: no running instance");
	kanmon_plugin.fini(cur->state);
	cur->state = NULL;
}

static void run_line(char *line)
{
	char buf[1024];
	line[strcspn(line, "\n")] = '\0';
	char *hash = strchr(line, '#');
	if (hash && (hash == line || isspace((unsigned char)hash[-1])))
		*hash = '\0';
	expand(line, buf, sizeof(buf));
	struct words ws = { .n = 0 };
	char *save = NULL, *rest = NULL;
	for (char *t = strtok_r(buf, " \t", &save); t && ws.n < MAX_WORDS; t = strtok_r(NULL, " \t", &save)) {
		ws.w[ws.n++] = t;
		if (ws.n == 1 && (!strcmp(t, "run") || !strcmp(t, "fail") || !strcmp(t, "logged"))) {
			rest = save;
			break;
		}
	}
	if (!ws.n)
		return;
	printf("%3d %s%s%s\n", lineno, ws.w[0], rest ? " " : "", rest ? rest : "");
	fflush(stdout);
	const char *c = ws.w[0];
	if (!strcmp(c, "instance"))
		cmd_instance(&ws);
	else if (!strcmp(c, "use"))
		cmd_use(&ws);
	else if (!strcmp(c, "alloc_spi"))
		cmd_alloc_spi(&ws);
	else if (!strcmp(c, "add_sa"))
		cmd_add_sa(&ws);
	else if (!strcmp(c, "update_sa"))
		cmd_update_sa(&ws);
	else if (!strcmp(c, "query_sa"))
		cmd_query_sa(&ws);
	else if (!strcmp(c, "del_sa"))
		cmd_del_sa(&ws);
	else if (!strcmp(c, "add_policy"))
		cmd_add_policy(&ws);
	else if (!strcmp(c, "del_policy"))
		cmd_del_policy(&ws);
	else if (!strcmp(c, "expect_event"))
		cmd_expect_event(&ws);
	else if (!strcmp(c, "no_event"))
		cmd_no_event(&ws);
	else if (!strcmp(c, "udp"))
		cmd_udp(&ws);
	else if (!strcmp(c, "run") || !strcmp(c, "fail"))
		cmd_shell(&ws, rest ? rest : "", c[0] == 'f');
	else if (!strcmp(c, "logged"))
		cmd_logged(rest ? rest : "");
	else if (!strcmp(c, "sleep") && cur)
		th_run_for(cur->th, (unsigned)num(ws.n > 1 ? ws.w[1] : "0"));
	else if (!strcmp(c, "fini"))
		cmd_fini(&ws);
	else
		fail("unknown command %s", c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: xfrm_drive SCENARIO\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	loop = ev_loop_new();
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		run_line(line);
	}
	fclose(f);
	fini_all();
	ev_loop_free(loop);
	printf("PASS %s\n", argv[1]);
	return 0;
}
