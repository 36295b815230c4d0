/* SPDX-License-Identifier: MIT */
/*
 * ku_fakehost.h - a host table for kernel-user tests without a daemon:
 * records posts, SA events and net_deliver calls so tests run the data path
 * by hand (ku_input, ku_notes_drain) and assert what the core would see.
 */
#ifndef KU_FAKEHOST_H
#define KU_FAKEHOST_H

#include "ku.h"

struct fakehost {
	struct kanmon_host h;
	int posts;
	struct kanmon_sa_event events[64];
	int n_events;
	struct kanmon_pkt delivered[16];
	uint8_t delivered_data[16][2048];
	int n_delivered;
	int verbose;
};

extern struct fakehost fakehost;

void fakehost_reset(void);
/* A kanmon-user state with tables and a loop worker, no TUN and no sockets. */
struct ku *fake_ku_new(void);
void fake_ku_free(struct ku *ku);

#endif
