/* SPDX-License-Identifier: MIT */
/*
 * fuzz_esp.c - libFuzzer target for kernel-user's inbound path: the input is
 * an ESP packet as it comes off the wire, fed to ku_input() with SAs of
 * every algorithm installed (SPI 0x1000 + i: tunnel mode for even i,
 * transport mode for odd i, ESN for the second half), so SPI lookup, replay
 * check, ICV, decryption and padding see it. Replay state is reset for every
 * input. An input starting with 0xE5 is instead [0xE5, SA index, next
 * header, payload...]: the payload is sealed with that SA's key first, so
 * mutations reach what lies behind the ICV (inner parsing, selectors, MSS
 * clamping, transport delivery) instead of dying at the integrity check.
 *
 * KU_FUZZ_GEN=DIR writes the seed corpus (valid packets of every SA and a
 * few mangled ones) into DIR on the first call.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ku_fakehost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint16_t enc;
	size_t ekl;
	uint16_t integ;
	size_t ikl;
} algs[] = {
	{ KANMON_ENCR_AES_GCM_16, 20, 0, 0 },
	{ KANMON_ENCR_AES_GCM_16, 36, 0, 0 },
	{ KANMON_ENCR_AES_GCM_8, 36, 0, 0 },
	{ KANMON_ENCR_AES_CBC, 16, KANMON_AUTH_HMAC_SHA1_96, 20 },
	{ KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_256_128, 32 },
	{ KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_384_192, 48 },
	{ KANMON_ENCR_AES_CBC, 32, KANMON_AUTH_HMAC_SHA2_512_256, 64 },
	{ KANMON_ENCR_3DES, 24, KANMON_AUTH_HMAC_SHA1_96, 20 },
};
#define N_ALGS (sizeof(algs) / sizeof(algs[0]))
#define N_SA (2 * N_ALGS)

static const uint8_t key[64] = "fuzz-key-material-fuzz-key-material-fuzz-key-material-fuzz-key";
static struct ku *ku;

static void ts(struct kanmon_ts *t, const char *from, const char *to)
{
	memset(t, 0, sizeof(*t));
	t->from.ss_family = t->to.ss_family = AF_INET;
	inet_pton(AF_INET, from, &((struct sockaddr_in *)&t->from)->sin_addr);
	inet_pton(AF_INET, to, &((struct sockaddr_in *)&t->to)->sin_addr);
	t->to_port = 65535;
}

static void setup(void)
{
	fakehost_reset();
	ku = fake_ku_new();
	if (!ku)
		abort();
	ku->loopw->tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (unsigned i = 0; i < N_SA; i++) {
		unsigned a = i % N_ALGS;
		struct kanmon_sa_id id = { .spi = htonl(0x1000 + i), .proto = KANMON_SA_PROTO_ESP };
		id.src.ss_family = id.dst.ss_family = AF_INET;
		inet_pton(AF_INET, "198.51.100.2", &((struct sockaddr_in *)&id.src)->sin_addr);
		inet_pton(AF_INET, "198.51.100.1", &((struct sockaddr_in *)&id.dst)->sin_addr);
		struct kanmon_sa_params p = {
			.size = sizeof(p), .mode = i & 1 ? KANMON_SA_TRANSPORT : KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
			.enc_alg = algs[a].enc, .enc_key = key, .enc_key_len = algs[a].ekl, .integ_alg = algs[a].integ,
			.integ_key = key + 1, .integ_key_len = algs[a].ikl, .reqid = i + 1, .esn = i >= N_ALGS,
		};
		if (!(i & 1)) {
			ts(&p.local_ts, "203.0.113.0", "203.0.113.255");
			ts(&p.remote_ts, "0.0.0.0", "255.255.255.255");
		}
		if (ku_sa_ops.add_sa(ku, &id, &p))
			abort();
	}
}

/* The sender of SA i: seals payload (next header nh) into out; returns the length. */
static size_t seal(unsigned i, uint64_t seq, const uint8_t *payload, size_t len, uint8_t nh, uint8_t *out)
{
	unsigned a = i % N_ALGS;
	struct ku_esp e;
	uint8_t buf[KU_SLOT];
	if (ku_xform_init(&e.xf, algs[a].enc, key, algs[a].ekl, algs[a].integ, key + 1, algs[a].ikl))
		abort();
	ku_esp_init(&e, htonl(0x1000 + i), i >= N_ALGS, 0, NULL);
	e.seq = seq - 1;
	size_t off = KU_HEAD;
	memcpy(buf + off, payload, len);
	uint64_t s;
	if (ku_esp_encap(&e, buf, sizeof(buf), &off, &len, nh, &s))
		abort();
	memcpy(out, buf + off, len);
	ku_xform_free(&e.xf);
	return len;
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(p, 1, len, f);
		fclose(f);
	}
}

static void generate(const char *dir)
{
	uint8_t ip[60] = { 0x45, 0, 0, 60, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 9, 203, 0, 113, 1 };
	uint8_t *tcp = ip + 20;	/* SYN with an MSS option to clamp */
	tcp[12] = 0xa0, tcp[13] = 0x02, tcp[20] = 2, tcp[21] = 4, tcp[22] = 0x05, tcp[23] = 0xb4;
	uint8_t ip6[48] = { 0x60, 0, 0, 0, 0, 8, 17, 64 };
	uint8_t udp[20] = { 0x06, 0xa5, 0x06, 0xa5, 0, 20, 0, 0, 'l', '2', 't', 'p' };
	uint8_t pkt[KU_SLOT];
	char name[64];
	for (unsigned i = 0; i < N_SA; i++) {
		size_t n = i & 1 ? seal(i, 1, udp, sizeof(udp), IPPROTO_UDP, pkt) : seal(i, 1, ip, sizeof(ip), 4, pkt);
		snprintf(name, sizeof(name), "sa%02u-valid", i);
		put(dir, name, pkt, n);
		if (!(i & 1) && i < 4) {
			n = seal(i, 0x100000001ULL, ip6, sizeof(ip6), 41, pkt);
			snprintf(name, sizeof(name), "sa%02u-ipv6", i);
			put(dir, name, pkt, n);
		}
		n = seal(i, 7, ip, 20, 59, pkt);
		snprintf(name, sizeof(name), "sa%02u-dummy", i);
		put(dir, name, pkt, n);
		n = seal(i, 3, ip, sizeof(ip), 4, pkt);
		pkt[n - 1] ^= 0x80;
		snprintf(name, sizeof(name), "sa%02u-badicv", i);
		put(dir, name, pkt, n);
	}
	/* sealed-payload seeds: tunnel IPv4 TCP SYN, IPv6, transport UDP */
	uint8_t sp[3 + 60];
	sp[0] = 0xE5, sp[1] = 0, sp[2] = 4;
	memcpy(sp + 3, ip, 60);
	put(dir, "sealed-tunnel-syn", sp, 63);
	sp[1] = 2, sp[2] = 41;
	memcpy(sp + 3, ip6, 48);
	put(dir, "sealed-tunnel-ipv6", sp, 51);
	sp[1] = 1, sp[2] = 17;
	memcpy(sp + 3, udp, 20);
	put(dir, "sealed-transport-udp", sp, 23);
	put(dir, "short", (const uint8_t *)"\0\0\x10\0\0\0\0", 7);
	put(dir, "unknown-spi", (const uint8_t *)"\xde\xad\xbe\xef\0\0\0\1abcdefghijklmnopqrstuvwxyz", 34);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ku) {
		setup();
		if (getenv("KU_FUZZ_GEN"))
			generate(getenv("KU_FUZZ_GEN"));
	}
	if (size > KU_SLOT - KU_HEAD)
		return 0;
	/* every input starts from fresh SAs: deterministic, as libFuzzer wants */
	for (unsigned i = 0; i < N_SA; i++) {
		struct ku_sa *sa = ku_sa_by_spi(ku, htonl(0x1000 + i));
		sa->esp.seq = 0;
		memset(sa->bmp, 0, sa->esp.nblocks * sizeof(uint64_t));
	}
	uint8_t *buf = ku->loopw->rx_slots;
	size_t len = size;
	if (size >= 3 && data[0] == 0xE5 && size - 3 <= 1500)
		len = seal(data[1] % N_SA, 1, data + 3, size - 3, data[2], buf + KU_HEAD);
	else
		memcpy(buf + KU_HEAD, data, size);
	struct ku_addr src = { AF_INET, { 198, 51, 100, 2 } }, dst = { AF_INET, { 198, 51, 100, 1 } };
	pthread_rwlock_rdlock(&ku->lock);
	ku_input(ku->loopw, buf, KU_HEAD, len, &src, &dst, NULL);
	pthread_rwlock_unlock(&ku->lock);
	ku_notes_drain(ku);
	fakehost.n_delivered = 0;
	fakehost.n_events = 0;
	/* the MSS clamp parser on raw bytes too */
	memcpy(buf + KU_HEAD, data, size);
	ku_mss_clamp(buf + KU_HEAD, size, 1200);
	return 0;
}
