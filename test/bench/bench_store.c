/* SPDX-License-Identifier: MIT */
/*
 * bench_store - persisted lease changes per second through the SQLite store
 * (one transaction per change, as the pool makes them), on a real disk:
 *   NORMAL  WAL + synchronous=NORMAL (the default: survives kill -9);
 *   FULL    WAL + synchronous=FULL   (STORE_SYNC_FULL: survives power loss).
 * Each run saves N/2 distinct leases, then updates each once (N changes),
 * then times what a restart costs: open (quick_check) and a full foreach.
 * FULL stops early after a time budget, since it is bounded by fsync.
 * Prints figures only; never fails on timing.
 *   bench_store [CHANGES [FULL_CHANGES [DIR]]]   (defaults 10000 10000 /var/tmp)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

#define FULL_BUDGET_MS 20000.0	/* FULL on a slow disk: report what was done by then */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* statfs(2) f_type values of the file systems a state_dir is likely to live on */
static const char *fs_name(long type)
{
	static const struct {
		long magic;
		const char *name;
	} fs[] = {
		{ 0xEF53, "ext2/ext3/ext4" }, { 0x58465342, "xfs" }, { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs (NOT a real disk)" }, { 0x794C7630, "overlayfs" },
		{ 0x2FC12FC1, "zfs" }, { 0xF2F52010, "f2fs" }, { 0x6969, "nfs" }, { 0x65735546, "fuse" },
		{ 0x01021997, "9p" }, { 0x858458F6, "ramfs (NOT a real disk)" },
	};
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (fs[i].magic == type)
			return fs[i].name;
	return "unknown";
}

static void make_lease(int i, char *ident, size_t len, struct pool_lease_info *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(ident, len, "CN=client-%06d,O=bench", i);
	l->pool = i % 2 ? "v6" : "v4";
	l->identity = ident;
	l->state = LEASE_ONLINE;
	l->since = 1700000000 + i;
	if (i % 2) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l->addr;
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "fd00:6b6d::", &sin6->sin6_addr);
		sin6->sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		sin6->sin6_addr.s6_addr[15] = (uint8_t)i;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&l->addr;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(0x0a400000u + (uint32_t)i);
	}
}

static int count_cb(const struct pool_lease_info *l, void *arg)
{
	(void)l;
	(*(size_t *)arg)++;
	return 0;
}

static void report(const char *what, double *lat, int n, double total_ms)
{
	if (n == 0) {
		printf("  %-26s nothing done\n", what);
		return;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("  %-26s %6d changes in %8.1f ms = %9.0f changes/s   latency p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
	       what, n, total_ms, n / (total_ms / 1e3), lat[n / 2], lat[(n * 99) / 100], lat[n - 1]);
}

/* One phase: saves (update = false) or updates of leases [0, n); stops at the budget. */
static int phase(struct store *s, int n, bool update, double budget_ms, double *lat, double *total)
{
	char ident[64];
	struct pool_lease_info l;
	double t0 = now_ms();
	int done = 0;
	for (; done < n && now_ms() - t0 < budget_ms; done++) {
		make_lease(done, ident, sizeof(ident), &l);
		if (update) {
			l.state = LEASE_OFFLINE;
			l.since += 3600;
		}
		double t = now_ms();
		int err = store_lease_save(s, &l);
		lat[done] = now_ms() - t;
		if (err) {
			fprintf(stderr, "bench_store: save %d: %s\n", done, strerror(-err));
			return -1;
		}
	}
	*total = now_ms() - t0;
	return done;
}

static int run(const char *base, const char *label, unsigned flags, int changes, double budget_ms)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", base, label);
	struct diag d = { 0 };
	struct store *s = NULL;
	int half = changes / 2;
	double *lat = calloc((size_t)(half ? half : 1), sizeof(*lat));
	int ret = -1;
	if (!lat)
		return -1;
	if (store_open_sqlite(dir, flags, &s, &d)) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "bench_store: %s\n", d.lines[i]);
		goto out;
	}
	printf("%s (WAL, synchronous %s), one transaction per change:\n", label,
	       flags & STORE_SYNC_FULL ? "FULL" : "NORMAL");
	double t_ins = 0, t_upd = 0, t0 = now_ms();
	int ins = phase(s, half, false, budget_ms, lat, &t_ins);
	if (ins < 0)
		goto out;
	report("insert (distinct leases)", lat, ins, t_ins);
	int upd = phase(s, ins, true, budget_ms - (now_ms() - t0), lat, &t_upd);
	if (upd < 0)
		goto out;
	report("update (state change)", lat, upd, t_upd);
	if (ins + upd < 2 * half)
		printf("  (stopped after the %.0f s budget: %d of %d changes)\n", budget_ms / 1e3, ins + upd,
		       2 * half);
	if (ins + upd > 0)
		printf("  %-26s %6d changes         = %9.0f changes/s\n", "all", ins + upd,
		       (ins + upd) / ((t_ins + t_upd) / 1e3));
	store_close(s);
	s = NULL;

	/* what a restart pays before the pools are back */
	double t = now_ms();
	if (store_open_sqlite(dir, flags, &s, &d)) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "bench_store: %s\n", d.lines[i]);
		goto out;
	}
	double t_open = now_ms() - t;
	size_t n = 0;
	t = now_ms();
	store_lease_foreach(s, count_cb, &n);
	printf("  restart: open + quick_check %.2f ms, foreach of %zu leases %.2f ms\n", t_open, n,
	       now_ms() - t);
	ret = 0;
out:
	store_close(s);
	diag_clear(&d);
	free(lat);
	return ret;
}

static void cleanup(const char *base)
{
	static const char *const labels[] = { "normal", "full" };
	static const char *const files[] = { "kanmon.db", "kanmon.db-wal", "kanmon.db-shm" };
	char path[4200];
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < 3; j++) {
			snprintf(path, sizeof(path), "%s/%s/%s", base, labels[i], files[j]);
			unlink(path);
		}
		snprintf(path, sizeof(path), "%s/%s", base, labels[i]);
		rmdir(path);
	}
	rmdir(base);
}

int main(int argc, char **argv)
{
	int changes = argc > 1 ? atoi(argv[1]) : 10000;
	int full_changes = argc > 2 ? atoi(argv[2]) : 10000;
	const char *parent = argc > 3 ? argv[3] : "/var/tmp";
	char base[4096];
	snprintf(base, sizeof(base), "%s/kanmon-bench-XXXXXX", parent);
	if (changes < 2 || full_changes < 2 || !mkdtemp(base)) {
		fprintf(stderr, "usage: bench_store [CHANGES [FULL_CHANGES [DIR]]] (%s: %s)\n", base,
			strerror(errno));
		return 1;
	}
	/* figures only: the store's info lines would interleave with them */
	log_set_default_level(KANMON_LOG_WARNING);
	struct statfs sf;
	if (statfs(base, &sf) == 0)
		printf("bench_store: %s on %s (f_type 0x%lx), SQLite %s\n", base, fs_name((long)sf.f_type),
		       (unsigned long)sf.f_type, sqlite3_libversion());
	int err = run(base, "normal", 0, changes, 1e12);
	if (!err)
		err = run(base, "full", STORE_SYNC_FULL, full_changes, FULL_BUDGET_MS);
	cleanup(base);
	return err ? 1 : 0;
}
