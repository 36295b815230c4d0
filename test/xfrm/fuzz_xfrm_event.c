/* SPDX-License-Identifier: MIT */
/*
 * fuzz_xfrm_event.c - libFuzzer target for the kernel-xfrm netlink parsers:
 * whatever arrives on the event socket (kx_msg_events), and the request
 * socket's parsers (ACKs, GETSA answers, ALLOCSPI answers, the re-add
 * transform) on the same bytes. Replayed over test/xfrm/corpus by ctest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>

#include "xfrm.h"
#include "xfrm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(const struct kanmon_sa_event *ev, void *arg)
{
	/* touch what a subscriber would read */
	*(size_t *)arg += ev->type + ev->reqid + ev->sa.spi + ev->policy.src_ts.from_port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a netlink receive buffer is aligned; so is this copy */
	uint64_t *buf = malloc(size + 8);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	size_t acc = 0;
	kx_msg_events((const uint8_t *)buf, size, sink, &acc);
	if (size >= NLMSG_HDRLEN) {
		struct kanmon_sa_event ev;
		struct kanmon_sa_stats st;
		uint32_t spi;
		int err;
		char text[64];
		if (!kx_msg_event(h, size, &ev))
			sink(&ev, &acc);
		kx_msg_ack(h, size, &err, text, sizeof(text));
		kx_msg_sa_stats(h, size, &st);
		kx_msg_allocspi_reply(h, size, &spi);
		struct kx_pol_key k;
		uint32_t index, reqid;
		kx_msg_policy(h, size, &k, &index, &reqid);
		struct kx_sa_move mv = { .type = XFRM_MSG_NEWSA, .family = 2, .encap = true, .sport = 4500,
					 .dport = 4500 };
		struct nl_msg *m = NULL;
		if (!kx_msg_sa_move(h, size, &mv, &m)) {
			kx_msg_wipe(m);
			nlmsg_free(m);
		}
	}
	free(buf);
	return (int)(acc & 0);
}
