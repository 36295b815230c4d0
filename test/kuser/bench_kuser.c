/* SPDX-License-Identifier: MIT */
/*
 * bench_kuser - kernel-user's per-packet cost without I/O, and its memory
 * per SA. Prints figures from one run; never a pass/fail on timing.
 *
 *   bench_kuser [PACKETS]
 *
 * Per packet: outbound policy lookup by destination VIP, SA by reqid,
 * AES-256-GCM encapsulation of a 1400-byte inner packet, then the receiver's
 * SPI lookup and decapsulation: what the data path does between its
 * syscalls. Measured with 1 and with 10,000 installed SA pairs, traffic
 * spread over 1 SA and over all of them (cache-cold tables). Memory per SA:
 * heap growth (mallinfo2) over 10,000 inbound + 10,000 outbound SAs,
 * GnuTLS cipher state included.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ku_fakehost.h"

static const uint8_t key[36] = "0123456789abcdef0123456789abcdef012";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void vip(unsigned i, uint8_t a[4])
{
	a[0] = 100, a[1] = (uint8_t)(64 + (i >> 16)), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
}

static void add_pair(struct ku *ku, unsigned i, uint16_t enc, size_t ekl, uint16_t integ, size_t ikl)
{
	struct kanmon_sa_id id = { .proto = KANMON_SA_PROTO_ESP };
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .enc_alg = enc, .enc_key = key,
				      .enc_key_len = ekl, .integ_alg = integ, .integ_key = key, .integ_key_len = ikl,
				      .reqid = i + 1 };
	id.src.ss_family = id.dst.ss_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.1", &((struct sockaddr_in *)&id.src)->sin_addr);
	inet_pton(AF_INET, "198.51.100.2", &((struct sockaddr_in *)&id.dst)->sin_addr);
	for (int dir = 0; dir < 2; dir++) {
		id.spi = htonl(0x10000000u + i * 2 + (unsigned)dir);
		p.dir = dir ? KANMON_SA_OUT : KANMON_SA_IN;
		p.encap_sport = p.encap_dport = 4500;
		if (ku_sa_ops.add_sa(ku, &id, &p))
			abort();
	}
	struct kanmon_policy_id pid = { .dir = KANMON_SA_OUT };
	struct kanmon_policy_params pp = { .size = sizeof(pp), .mode = KANMON_SA_TUNNEL, .reqid = i + 1 };
	uint8_t a[4];
	vip(i, a);
	pid.dst_ts.from.ss_family = pid.dst_ts.to.ss_family = AF_INET;
	memcpy(&((struct sockaddr_in *)&pid.dst_ts.from)->sin_addr, a, 4);
	memcpy(&((struct sockaddr_in *)&pid.dst_ts.to)->sin_addr, a, 4);
	pid.dst_ts.to_port = 65535;
	if (ku_sa_ops.add_policy(ku, &pid, &pp))
		abort();
}

static struct ku *setup(unsigned n)
{
	fakehost_reset();
	struct ku *ku = fake_ku_new();
	/* the core's 4500 socket as ku_sa_bind_output wants one; nothing is sent */
	ku->n_udp = 1;
	ku->udp_fds[0] = 1;
	ku->udp_addr[0].family = AF_INET;
	for (unsigned i = 0; i < n; i++)
		add_pair(ku, i, KANMON_ENCR_AES_GCM_16, 36, 0, 0);
	return ku;
}

/* ns per packet: lookup + encrypt + SPI lookup + decrypt, spread over `spread` SAs */
static double run(struct ku *ku, unsigned spread, unsigned packets)
{
	uint8_t *buf = ku->loopw->slots, src[4] = { 203, 0, 113, 1 };
	double t0 = now();
	for (unsigned k = 0; k < packets; k++) {
		unsigned i = spread > 1 ? (k * 2654435761u) % spread : 0;
		uint8_t dst[4];
		vip(i, dst);
		struct ku_pol *p = ku_pol_lookup(ku, AF_INET, src, dst, IPPROTO_UDP, 1000, 5201);
		struct ku_sa *out = p ? ku_sa_by_reqid(ku, p->reqid) : NULL;
		if (!out)
			abort();
		size_t off = KU_HEAD, len = 1400;
		uint64_t seq;
		memset(buf + off, (int)k, 20);
		pthread_spin_lock(&out->lock);
		if (ku_esp_encap(&out->esp, buf, KU_SLOT, &off, &len, 4, &seq))
			abort();
		ku_sa_account(ku, out, 1400);
		pthread_spin_unlock(&out->lock);
		/* the peer: the outbound SA's SPI is our inbound SA with SPI - 1 */
		uint32_t spi;
		memcpy(&spi, buf + off, 4);
		spi = htonl(ntohl(spi) - 1);
		memcpy(buf + off, &spi, 4);
		struct ku_sa *in = ku_sa_by_spi(ku, spi);
		uint8_t nh;
		in->esp.seq = seq - 1;	/* same key both ways here: keep the receiver's window in step */
		memset(in->bmp, 0, in->esp.nblocks * sizeof(uint64_t));
		pthread_spin_lock(&in->lock);
		int r = ku_esp_decap(&in->esp, buf, &off, &len, &nh, &seq);
		pthread_spin_unlock(&in->lock);
		if (r != KU_DROP_ICV && r != KU_OK)	/* the SPI was rewritten: the ICV must fail */
			abort();
	}
	return (now() - t0) / packets * 1e9;
}

int main(int argc, char **argv)
{
	unsigned packets = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
	/* memory per SA */
	struct mallinfo2 m0 = mallinfo2();
	struct ku *ku = setup(10000);
	struct mallinfo2 m1 = mallinfo2();
	printf("memory per SA (AES-256-GCM, GnuTLS handle, replay window 1024 on inbound): %.0f bytes "
	       "(%.2f MiB for 10,000 pairs incl. tables)\n",
	       (double)(m1.uordblks - m0.uordblks) / 20000, (double)(m1.uordblks - m0.uordblks) / 1048576);
	fake_ku_free(ku);
	m0 = mallinfo2();
	ku = fake_ku_new();
	ku->n_udp = 1;
	ku->udp_fds[0] = 1;
	ku->udp_addr[0].family = AF_INET;
	for (unsigned i = 0; i < 1000; i++)
		add_pair(ku, i, KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_256_128, 32);
	m1 = mallinfo2();
	printf("memory per SA (AES-256-CBC + HMAC-SHA-256): %.0f bytes\n", (double)(m1.uordblks - m0.uordblks) / 2000);
	fake_ku_free(ku);

	/* per-packet cost */
	ku = setup(1);
	run(ku, 1, packets / 10);	/* warm up */
	double one = run(ku, 1, packets);
	fake_ku_free(ku);
	ku = setup(10000);
	run(ku, 1, packets / 10);
	double many_one = run(ku, 1, packets);
	double many_all = run(ku, 10000, packets);
	fake_ku_free(ku);
	printf("per packet (policy+SA lookup, AES-256-GCM encap 1400 B, SPI lookup, decap):\n");
	printf("  1 SA pair installed:            %.0f ns\n", one);
	printf("  10,000 SA pairs, traffic on 1:   %.0f ns (%+.1f%%)\n", many_one, (many_one / one - 1) * 100);
	printf("  10,000 SA pairs, traffic on all: %.0f ns (%+.1f%%)\n", many_all, (many_all / one - 1) * 100);
	return 0;
}
