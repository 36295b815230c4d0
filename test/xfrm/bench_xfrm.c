/* SPDX-License-Identifier: MIT */
/*
 * bench_xfrm - installs N SA pairs (AES-GCM-128, tunnel) and N policies
 * through the kernel-xfrm ops, then the same objects with `ip -batch`, each
 * in a fresh scratch network namespace of this process, and prints SAs/s
 * and policies/s for both and the ratio. Removal (the plugin's fini,
 * batched) is timed too. Run it inside UML pinned to one CPU
 * (test/xfrm/uml/bench.sh); elsewhere it needs root and kernel ESP.
 *   bench_xfrm [N]            (default 10000)
 *   bench_xfrm -p [N]         policies only: runs on kernels without ESP
 * Timings are printed, never judged: machines differ.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "testhost.h"
#include "xfrm.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void v4(struct sockaddr_storage *ss, uint32_t a)
{
	uint32_t n = htonl(a);
	kx_addr_make(AF_INET, (const uint8_t *)&n, 0, ss);
}

#define A_LOCAL 0xc0000201u	/* 192.0.2.1 */
#define A_PEER 0xc0000202u	/* 192.0.2.2 */

static const uint8_t key[20] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
				 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0xc0, 0xc1, 0xc2, 0xc3 };

/* policy i: 10.x.y.0/24 (i = x*256+y) local -> 10.128+.../24 remote */
static uint32_t local_net(unsigned i)
{
	return 0x0a000000u | (i << 8);
}

static uint32_t remote_net(unsigned i)
{
	return 0x0a800000u | (i << 8);
}

static int fresh_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare");
		return -1;
	}
	return system("ip link set lo up");
}

struct result {
	double sa, pol, del;
	long faults;	/* minor page faults while installing (each costs a trap in UML) */
};

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static bool policies_only;

static int run_plugin(unsigned n, struct result *res)
{
	struct ev_loop *loop = ev_loop_new();
	struct th *th = th_new(loop, "bench", false);
	th_set_level(th, KANMON_LOG_INFO);	/* as a daemon runs: no per-SA debug lines */
	struct kx_config cfg = { .natt_port = 4500, .replay_window = 32 };
	struct kx *kx;
	int err = kx_open(th_host(th), &cfg, &kx);
	if (err) {
		fprintf(stderr, "kx_open: %s\n", strerror(-err));
		return 1;
	}
	const struct kanmon_sa_ops *ops = kx_ops();
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .enc_alg = KANMON_ENCR_AES_GCM_16,
				      .enc_key = key, .enc_key_len = sizeof(key) };
	struct kanmon_sa_id out = { .proto = KANMON_SA_PROTO_ESP }, in = out;
	v4(&out.src, A_LOCAL);
	v4(&out.dst, A_PEER);
	v4(&in.src, A_PEER);
	v4(&in.dst, A_LOCAL);
	long f0 = minflt();
	double t0 = now();
	for (unsigned i = 0; i < n && !err && !policies_only; i++) {
		p.reqid = i + 1;
		p.dir = KANMON_SA_OUT;
		out.spi = htonl(0x10000000u + i);
		err = ops->add_sa(kx, &out, &p);
		p.dir = KANMON_SA_IN;
		in.spi = htonl(0x20000000u + i);
		if (!err)
			err = ops->add_sa(kx, &in, &p);
	}
	double t1 = now();
	struct kanmon_policy_params pp = { .size = sizeof(pp), .mode = KANMON_SA_TUNNEL };
	pp.src = out.src;
	pp.dst = out.dst;
	struct kanmon_policy_id id = { .dir = KANMON_SA_OUT };
	id.src_ts.to_port = id.dst_ts.to_port = 65535;
	for (unsigned i = 0; i < n && !err; i++) {
		v4(&id.src_ts.from, local_net(i));
		v4(&id.src_ts.to, local_net(i) | 0xff);
		v4(&id.dst_ts.from, remote_net(i));
		v4(&id.dst_ts.to, remote_net(i) | 0xff);
		pp.reqid = i + 1;
		err = ops->add_policy(kx, &id, &pp);
	}
	double t2 = now();
	res->faults = minflt() - f0;
	if (err) {
		fprintf(stderr, "install failed: %s\n%s", strerror(-err), th_log_dump(th));
		return 1;
	}
	kx_close(kx);
	double t3 = now();
	res->sa = t1 - t0;
	res->pol = t2 - t1;
	res->del = t3 - t2;
	th_free(th);
	ev_loop_free(loop);
	return 0;
}

static int run_ip(unsigned n, struct result *res, const char *dir)
{
	char sa_file[512], pol_file[512], cmd[1200];
	snprintf(sa_file, sizeof(sa_file), "%s/bench-sa.batch", dir);
	snprintf(pol_file, sizeof(pol_file), "%s/bench-policy.batch", dir);
	FILE *s = fopen(sa_file, "w"), *p = fopen(pol_file, "w");
	if (!s || !p) {
		perror("batch file");
		return 1;
	}
	static const char *aead = "aead rfc4106(gcm(aes)) 0x101112131415161718191a1b1c1d1e1fc0c1c2c3 128";
	for (unsigned i = 0; i < n; i++) {
		fprintf(s, "xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x%08x reqid %u mode tunnel "
			   "replay-window 32 flag af-unspec %s\n", 0x10000000u + i, i + 1, aead);
		fprintf(s, "xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x%08x reqid %u mode tunnel "
			   "replay-window 32 flag af-unspec %s\n", 0x20000000u + i, i + 1, aead);
		uint32_t l = local_net(i), r = remote_net(i);
		fprintf(p, "xfrm policy add src %u.%u.%u.0/24 dst %u.%u.%u.0/24 dir out tmpl src 192.0.2.1 "
			   "dst 192.0.2.2 proto esp reqid %u mode tunnel\n", l >> 24, (l >> 16) & 255, (l >> 8) & 255,
			r >> 24, (r >> 16) & 255, (r >> 8) & 255, i + 1);
	}
	fclose(s);
	fclose(p);
	snprintf(cmd, sizeof(cmd), "ip -batch %s", policies_only ? "/dev/null" : sa_file);
	double t0 = now();
	int rc = system(cmd);
	double t1 = now();
	snprintf(cmd, sizeof(cmd), "ip -batch %s", pol_file);
	rc |= system(cmd);
	double t2 = now();
	rc |= system("ip xfrm policy flush && ip xfrm state flush");
	double t3 = now();
	unlink(sa_file);
	unlink(pol_file);
	res->sa = t1 - t0;
	res->pol = t2 - t1;
	res->del = t3 - t2;
	return rc ? 1 : 0;
}

static void report(const char *who, unsigned n, const struct result *r)
{
	printf("%-12s %6u SAs in %6.3f s = %8.0f SAs/s | %6u policies in %6.3f s = %8.0f policies/s | "
	       "all %8.0f objects/s | removal %6.3f s\n",
	       who, 2 * n, r->sa, 2 * n / r->sa, n, r->pol, n / r->pol, 3 * n / (r->sa + r->pol), r->del);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "-p")) {
		policies_only = true;
		argv++, argc--;
	}
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 10000;
	if (n == 0 || n > 65536) {
		fprintf(stderr, "usage: bench_xfrm [N <= 65536]\n");
		return 2;
	}
	char why[512];
	if (!policies_only && kx_probe_esp(why, sizeof(why))) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
	struct result plug, ip;
	/* each run in its own empty namespace (the second unshare leaves the first behind) */
	if (fresh_netns() || run_plugin(n, &plug))
		return 1;
	if (fresh_netns() || run_ip(n, &ip, dir))
		return 1;
	printf("bench_xfrm: %u SA pairs (AES-GCM-128 tunnel) + %u policies, one CPU\n", n, n);
	report("kernel-xfrm", n, &plug);
	printf("%-12s %ld minor page faults while installing\n", "", plug.faults);
	report("ip -batch", n, &ip);
	printf("ratio kernel-xfrm / ip -batch: SAs %.2fx, policies %.2fx, all %.2fx\n", ip.sa / plug.sa,
	       ip.pol / plug.pol, (ip.sa + ip.pol) / (plug.sa + plug.pol));
	return 0;
}
