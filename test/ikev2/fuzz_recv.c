/* SPDX-License-Identifier: MIT */
/*
 * fuzz_recv.c - fuzz target of the whole receive path (ikev2_receive)
 * with a fake host: the input is a sequence of datagrams,
 *   [port: bit 0 = NAT-T port] [length: 2 bytes] [length bytes]
 * from one client address. Without the keys a fuzzer reaches everything up
 * to the IKE SA: parsing, IKE_SA_INIT (proposal selection, KE checks and
 * Diffie-Hellman, notifies, cookies), the SA lookup and window, ICV checks.
 * The context is freed at the end: sanitizers see every leak.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakehost.h"
#include "ikev2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ikev2_config cfg;
	struct ikev2 *ctx;
	ikev2_config_defaults(&cfg);
	cfg.legacy_proposals[cfg.n_legacy_proposals++] = "aes256-3des-sha1-modp1024";
	cfg.half_open_max = 4;
	cfg.cookie_threshold = 2;
	fh_reset();
	if (ikev2_ctx_new(&fh.h, &cfg, &ctx))
		abort();
	ctx->now_ms = fh_now;
	size_t off = 0;
	while (size - off >= 3) {
		uint16_t port = (data[off] & 1) ? 4500 : 500;
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		struct kanmon_pkt pkt = { .data = data + off, .len = len, .port = port };
		struct sockaddr_in *p = (struct sockaddr_in *)&pkt.peer, *l = (struct sockaddr_in *)&pkt.local;
		p->sin_family = l->sin_family = AF_INET;
		p->sin_port = htons(port);
		l->sin_port = htons(port);
		inet_pton(AF_INET, "198.51.100.2", &p->sin_addr);
		inet_pton(AF_INET, "198.51.100.1", &l->sin_addr);
		if (port == 4500)
			pkt.flags = KANMON_PKT_NON_ESP_MARKER;
		if (port == 500 ? ikev2_classify(pkt.data, len, 0, ctx) : ikev2_classify_natt(pkt.data, len, pkt.flags, ctx))
			ikev2_receive(&pkt, ctx);
		off += len;
		fh.now += 1000;
		fh_run_timers();
	}
	ikev2_ctx_free(ctx);
	return 0;
}
