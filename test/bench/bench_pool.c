/* SPDX-License-Identifier: MIT */
/*
 * bench_pool - in-memory address pool speed and footprint:
 *   1,000,000 distinct identities ("user%u@example.com") acquire from a /12,
 *   then lookups by address and by identity (in a scattered order, as
 *   packets and control requests arrive), then release, expire and
 *   re-acquire (the freed-address path).
 * Prints ops/s and heap bytes per held lease: the mallinfo2() delta of
 * in-use arena bytes plus mmapped blocks (the big hash tables are mmapped,
 * uordblks alone would not see them). Goal (not a gate): <= 128 B/lease.
 * Fails only when the pool gives wrong answers, never on timing.
 *   bench_pool [LEASES]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

#define ID_LEN 32

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	return (long long)(mi.uordblks + mi.hblkhd);
#else
	return -1;
#endif
}

static void rate(const char *what, size_t n, double secs)
{
	printf("%-26s %9zu ops in %7.3f s  %12.0f ops/s  %7.1f ns/op\n", what, n, secs,
	       (double)n / secs, secs * 1e9 / (double)n);
}

/* A scattered but complete visiting order: i * prime mod n. */
static size_t scatter(size_t i, size_t n)
{
	return (size_t)(((unsigned long long)i * 2654435761ULL) % n);
}

static void sa4(uint32_t a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	if (n == 0 || n > 1048574) {
		fprintf(stderr, "bench_pool: LEASES must be 1..1048574 (a /12)\n");
		return 2;
	}
	int ret = 1;
	char *ids = malloc(n * ID_LEN);
	uint32_t *addrs = malloc(n * sizeof(*addrs));
	struct pool_set *set = NULL;
	if (!ids || !addrs)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		snprintf(ids + i * ID_LEN, ID_LEN, "user%zu@example.com", i);

	long long base = heap_in_use();
	set = pool_set_new(NULL);
	const char *const ranges[] = { "10.16.0.0/12" };
	struct pool_config cfg = { .name = "bench", .ranges = ranges, .n_ranges = 1,
				   .lease_time = 3600 };
	struct diag d = { 0 };
	if (!set || pool_add(set, &cfg, &d)) {
		fprintf(stderr, "bench_pool: pool_add failed: %s\n", d.n ? d.lines[0] : "no memory");
		diag_clear(&d);
		goto cleanup;
	}
	struct pool *p = pool_find(set, "bench");
	time_t t = 1000000;
	struct sockaddr_storage ss;

	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		int r = pool_acquire(p, ids + i * ID_LEN, AF_INET, t, &ss);
		if (r) {
			fprintf(stderr, "bench_pool: acquire %zu: %s\n", i, strerror(-r));
			goto cleanup;
		}
		addrs[i] = ((struct sockaddr_in *)&ss)->sin_addr.s_addr;
	}
	double t_acq = now_s() - t0;
	long long held = heap_in_use();

	struct pool_lease_info li;
	struct sockaddr_in sin;
	size_t bad = 0;
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		size_t k = scatter(i, n);
		sa4(addrs[k], &sin);
		bad += pool_lookup_addr(p, (struct sockaddr *)&sin, &li) != 0 ||
		       li.identity[4] != ids[k * ID_LEN + 4];
	}
	double t_la = now_s() - t0;
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		size_t k = scatter(i, n);
		bad += pool_lookup_identity(p, ids + k * ID_LEN, AF_INET, &li) != 0 ||
		       ((struct sockaddr_in *)&li.addr)->sin_addr.s_addr != addrs[k];
	}
	double t_li = now_s() - t0;

	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		sa4(addrs[i], &sin);
		bad += pool_release(p, ids + i * ID_LEN, (struct sockaddr *)&sin, t + 1) != 0;
	}
	double t_rel = now_s() - t0;

	t0 = now_s();
	size_t expired = pool_expire(set, t + 1 + 3600);
	double t_exp = now_s() - t0;
	bad += expired != n;

	/* everything free again: the freed-address ring serves these */
	t0 = now_s();
	for (size_t i = 0; i < n; i++)
		bad += pool_acquire(p, ids + scatter(i, n) * ID_LEN, AF_INET, t + 7200, &ss) != 0;
	double t_reacq = now_s() - t0;

	if (bad) {
		fprintf(stderr, "bench_pool: %zu wrong answers\n", bad);
		goto cleanup;
	}
	printf("bench_pool: %zu leases, identities like \"%s\", range %s\n", n,
	       ids + (n - 1) * ID_LEN, ranges[0]);
	rate("acquire (new)", n, t_acq);
	rate("lookup by address", n, t_la);
	rate("lookup by identity", n, t_li);
	rate("release", n, t_rel);
	rate("expire", n, t_exp);
	rate("acquire (freed addresses)", n, t_reacq);
	if (base >= 0 && held > base)
		printf("memory: %.1f bytes per lease with %zu held (goal <= 128)\n",
		       (double)(held - base) / (double)n, n);
	else
		printf("memory: not measurable here (mallinfo2 missing or a sanitizer allocator)\n");
	ret = 0;
cleanup:
	pool_set_free(set);
	free(addrs);
	free(ids);
	return ret;
}
