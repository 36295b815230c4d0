/* SPDX-License-Identifier: MIT */
/*
 * kernel-user - userspace ESP (RFC 4303) over a TUN device: kanmon's SA
 * backend for hosts and containers without kernel ESP. Provides
 * "sa-backend" with the same ABI as kernel-xfrm (kanmon/sa.h).
 *
 * Files: ku_plugin.c (this: settings, init, fini), ku_sad.c (SA/policy ops,
 * lifetimes, events), ku_table.c (hash tables), ku_esp.c (RFC 4303 on
 * buffers), ku_crypto.c (GnuTLS transforms), ku_net.c (outer sockets,
 * workers), ku_tun.c (tunnel mode), ku_transport.c (transport mode).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ku.h"

static const struct kanmon_setting ku_settings[] = {
	{ .name = "tun", .type = KANMON_CONF_STRING, .def = "kanmon0",
	  .help = "TUN device carrying tunnel-mode traffic (created if missing)." },
	{ .name = "mtu", .type = KANMON_CONF_INT, .def = "1400", .min = 576, .max = 9000,
	  .help = "MTU of the TUN device: inner packets up to this size are encrypted whole." },
	{ .name = "mss_clamp", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "Lower the MSS of tunnelled TCP SYNs so segments fit the path after ESP." },
	{ .name = "threads", .type = KANMON_CONF_INT, .def = "0", .min = 0, .max = KU_MAX_THREADS,
	  .help = "Data-path threads, one TUN queue each; 0 runs the data path on the event loop." },
	{ .name = "natt_port", .type = KANMON_CONF_INT, .def = "4500", .min = 1, .max = 65535,
	  .help = "UDP port of ESP-in-UDP (RFC 3948), shared with IKE." },
	{ .name = "offload", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "TUN offloads (TCP segmentation in, coalescing out) and UDP GSO: far fewer syscalls per packet." },
	{ .name = "routes", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "Route the destinations of outbound tunnel policies (clients' virtual IPs) into the TUN device." },
	{ .name = "raw_esp", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "Open the IP protocol 50 socket for SAs without UDP encapsulation (needs CAP_NET_RAW at start)." },
	KANMON_SETTINGS_END,
};

static const char *const ku_provides[] = { "sa-backend", NULL };

static void ku_tun_ready(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	ku_tun_batch(arg);
}

static void ku_fini(void *state)
{
	struct ku *ku = state;
	if (!ku)
		return;
	const struct kanmon_host *h = ku->host;
	ku_workers_stop(ku);
	h->watch_free(ku->tun_watch);
	ku->tun_watch = NULL;
	ku_net_close(ku);
	ku_tun_close(ku);
	h->timer_free(ku->tick);
	h->timer_free(ku->tq_timer);
	ku_sad_free_all(ku);
	ku_htab_free(&ku->by_spi);
	ku_htab_free(&ku->by_id);
	ku_htab_free(&ku->by_reqid);
	ku_htab_free(&ku->pol_vip);
	ku_htab_free(&ku->pol_key);
	ku_worker_free(ku->loopw);
	ku_transport_fini();
	pthread_rwlock_destroy(&ku->lock);
	pthread_mutex_destroy(&ku->note_lock);
	free(ku);
}

static int ku_init(const struct kanmon_host *h, const struct kanmon_conf *conf, void **state)
{
	struct ku *ku = calloc(1, sizeof(*ku));
	if (!ku)
		return -ENOMEM;
	int err = -ENOMEM;
	ku->host = h;
	ku->raw4 = ku->raw6 = -1;
	snprintf(ku->tun_name, sizeof(ku->tun_name), "%s", h->conf_string(conf, "tun"));
	ku->mtu = (int)h->conf_int(conf, "mtu");
	ku->mss_clamp = h->conf_bool(conf, "mss_clamp");
	ku->threads = (int)h->conf_int(conf, "threads");
	ku->natt_port = (uint16_t)h->conf_int(conf, "natt_port");
	ku->raw_esp = h->conf_bool(conf, "raw_esp");
	ku->offload = ku->udp_gso = h->conf_bool(conf, "offload");
	ku->routes = h->conf_bool(conf, "routes");
	pthread_rwlock_init(&ku->lock, NULL);
	pthread_mutex_init(&ku->note_lock, NULL);
	ku->notes_tail = &ku->notes;
	if (ku_htab_init(&ku->by_spi, 64) || ku_htab_init(&ku->by_id, 64) || ku_htab_init(&ku->by_reqid, 64) ||
	    ku_htab_init(&ku->pol_vip, 64) || ku_htab_init(&ku->pol_key, 64) || ku_transport_init())
		goto fail;
	if (!(ku->loopw = ku_worker_new(ku, 0, -1, true)))
		goto fail;
	if ((err = ku_tun_open(ku)))
		goto fail;
	ku->loopw->tun_fd = ku->tun_fds[0];
	if ((err = ku_net_open(ku)))
		goto fail;
	err = -ENOMEM;
	if (!ku->threads) {
		if (!(ku->tun_watch = h->watch_new(h, ku->tun_fds[0], KANMON_WATCH_READ, ku_tun_ready, ku->loopw)))
			goto fail;
	} else if ((err = ku_workers_start(ku))) {
		h->log(h, KANMON_LOG_ERR, "cannot start %d data-path threads: %s", ku->threads, strerror(-err));
		goto fail;
	}
	if (!(ku->tick = h->timer_new(h, ku_tick, ku)) || !(ku->tq_timer = h->timer_new(h, ku_tq_timer, ku)))
		goto fail;
	h->timer_arm(ku->tick, 1000);
	if ((err = h->sa_register_backend(h, &ku_sa_ops, ku)))
		goto fail;
#ifdef KANMON_HOST_NET_SEND_HOOK
	/* transport mode replies: see every net_send before it leaves in the clear */
	if (h->size > offsetof(struct kanmon_host, net_send_hook)) {
		if ((err = h->net_send_hook(h, ku_transport_output, ku)))
			goto fail;
		ku->send_hook = true;
	}
#endif
	if (!ku->send_hook)
		h->log(h, KANMON_LOG_WARNING,
		       "this kanmond offers no net_send hook: transport-mode SAs are refused (their replies would leave unencrypted); tunnel mode works");
	h->log(h, KANMON_LOG_NOTICE, "userspace ESP on %s (mtu %d%s), ESP-in-UDP on port %u%s, %s", ku->tun_name,
	       ku->mtu, ku->offload ? ", offloads" : "", ku->natt_port, ku->raw4 >= 0 ? ", raw ESP" : "",
	       ku->threads ? "data path on worker threads" : "data path on the event loop");
	*state = ku;
	return 0;
fail:
	ku_fini(ku);
	return err;
}

KANMON_PLUGIN(.name = "kernel-user", .version = "1.0",
	      .description = "userspace ESP over TUN (SA backend without kernel IPsec)",
	      .provides = ku_provides, .settings = ku_settings, .init = ku_init, .fini = ku_fini);
