/* SPDX-License-Identifier: MIT */
/*
 * ku_esp.h - RFC 4303 ESP on buffers: no sockets, no tables, no locks.
 *
 * struct ku_esp is one direction of one SA: SPI, the transform, the
 * outbound sequence counter or the inbound anti-replay window (RFC 4303
 * 3.4.3, bitmap in the style of RFC 6479: window sizes up to
 * KU_REPLAY_MAX packets, with ESN (RFC 4303 Appendix A) inference).
 * The caller serialises use of one ku_esp (the SA lock) and owns the
 * bitmap storage (ku_replay_words() words), so an SA is one allocation.
 *
 * Packets are worked on in place. Encapsulation needs KU_ESP_HEADROOM bytes
 * in front of the payload and KU_ESP_TAILROOM behind it; decapsulation
 * leaves the inner payload where it was decrypted.
 */
#ifndef KU_ESP_H
#define KU_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "ku_crypto.h"

#define KU_ESP_HEADROOM (8 + KU_MAX_IV)			/* SPI, seq, IV */
#define KU_ESP_TAILROOM (KU_MAX_IV + 1 + 2 + KU_MAX_ICV)	/* pad, pad length, NH, ICV */
#define KU_REPLAY_DEFAULT 1024
#define KU_REPLAY_MAX 32768

/* Why a packet was dropped: the per-reason counters are indexed by these. */
enum ku_verdict {
	KU_OK = 0,
	KU_DROP_SHORT,		/* too short or length not a block multiple */
	KU_DROP_SPI,		/* no inbound SA with this SPI */
	KU_DROP_REPLAY,		/* duplicate or older than the window */
	KU_DROP_ICV,		/* integrity check failed */
	KU_DROP_PAD,		/* pad length or padding bytes wrong */
	KU_DROP_POLICY,		/* inner packet outside the SA's selectors */
	KU_DROP_NOSA,		/* outbound: policy without SA, or no policy */
	KU_DROP_SEQ,		/* outbound: sequence number space exhausted */
	KU_DROP_EXPIRED,	/* SA reached a hard lifetime */
	KU_DROP_INNER,		/* not an IP packet we can handle */
	KU_DROP_IO,		/* send or write failed */
	KU_DROP_N
};
const char *ku_verdict_name(int v);

struct ku_esp {
	uint32_t spi;			/* network order */
	uint8_t esn;
	struct ku_xform xf;
	uint64_t seq;			/* out: last sent; in: highest authenticated */
	uint32_t window;		/* in: packets */
	uint32_t nblocks;		/* in: bitmap words, a power of two */
	uint64_t *bmp;
};

/* Bitmap words for a window (0: KU_REPLAY_DEFAULT); clamps to KU_REPLAY_MAX. */
size_t ku_replay_words(uint32_t window);
/* bmp: ku_replay_words(window) words, or NULL for an outbound SA. */
void ku_esp_init(struct ku_esp *e, uint32_t spi_net, int esn, uint32_t window, uint64_t *bmp);

/*
 * Encapsulate the payload buf[*off, *off + *len) (next header nh). On KU_OK
 * buf[*off, *off + *len) is the ESP packet from SPI to ICV and *seq the
 * sequence number used. KU_DROP_SEQ when the counter would wrap.
 */
int ku_esp_encap(struct ku_esp *e, uint8_t *buf, size_t cap, size_t *off, size_t *len, uint8_t nh,
		 uint64_t *seq);
/*
 * Decapsulate the ESP packet buf[*off, *off + *len) (SPI already matched).
 * On KU_OK buf[*off, *off + *len) is the payload, *nh its next header.
 */
int ku_esp_decap(struct ku_esp *e, uint8_t *buf, size_t *off, size_t *len, uint8_t *nh, uint64_t *seq);

/* Exposed for tests: ESN inference, window check and update. */
uint64_t ku_esn_infer(const struct ku_esp *e, uint32_t seq_lo);
int ku_replay_check(const struct ku_esp *e, uint64_t seq);	/* 0 ok, KU_DROP_REPLAY */
void ku_replay_update(struct ku_esp *e, uint64_t seq);

#endif
