/* SPDX-License-Identifier: MIT */
/*
 * kernel-xfrm - the SA backend that programs Linux XFRM (kernel IPsec)
 * through netlink with libnl-3 / libnl-xfrm. Provides "sa-backend".
 *
 * init: probes whether the kernel can do ESP at all (a probe SA in a
 * scratch network namespace) and refuses to start when it cannot, naming
 * both ways out: load esp4, or use the userspace backend kernel-user. A
 * backend that accepts SAs it cannot install would only fail later, per
 * client, in words further from the cause.
 *
 * fini: removes exactly the SAs and policies this instance installed
 * (xfrm_own.c); whatever else is in the kernel stays.
 *
 * Settings (group kernel-xfrm { ... }):
 *   natt_port      UDP port of the core's NAT-T socket (4500). ESP-in-UDP
 *                  decapsulation is switched on for that socket lazily, at
 *                  the first SA with encapsulation: the socket exists only
 *                  when a protocol plugin registered the port, and those
 *                  start after the backend.
 *   replay_window  default anti-replay window (32 packets)
 *   routes         route outbound tunnel policies' destinations (clients'
 *                  virtual IPs) along the path to the tunnel's peer (true):
 *                  the XFRM output policy is consulted only for packets
 *                  that found a route (xfrm_route.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/xfrm.h>
#include <netlink/msg.h>

#include "xfrm.h"
#include "xfrm_msg.h"

static const struct kanmon_setting kx_settings[] = {
	{ .name = "natt_port", .type = KANMON_CONF_INT, .def = "4500", .min = 1, .max = 65535,
	  .help = "UDP port of the core's NAT-T socket: ESP-in-UDP decapsulation (UDP_ENCAP_ESPINUDP) is "
		  "enabled on it at the first SA with UDP encapsulation; a protocol plugin must listen on it." },
	{ .name = "replay_window", .type = KANMON_CONF_INT, .def = "32", .min = 32, .max = 4096,
	  .help = "Anti-replay window in packets when a protocol plugin asks for the default; above 32 the "
		  "kernel's bitmap form (XFRMA_REPLAY_ESN_VAL) is used." },
	{ .name = "routes", .type = KANMON_CONF_BOOL, .def = "true",
	  .help = "Route the destinations of outbound tunnel policies (clients' virtual IPs) the way the tunnel's "
		  "outer packets leave (main table, proto 75), so that traffic to them reaches the XFRM policy; "
		  "never a default route." },
	KANMON_SETTINGS_END,
};

/* ---- ESP probe ---------------------------------------------------------------- */

struct probe_result {
	char stage;		/* 'S' netlink socket, 'L' SPI allocation, 'A' ESP SA */
	char where;		/* 'n' scratch netns, 'u' scratch user+net ns, 'o' our own netns */
	int err;		/* positive errno, 0: ESP works */
	char text[200];		/* the kernel's extended ACK message */
};

static void spi_reply(struct kx_req *r, const struct nlmsghdr *h)
{
	kx_msg_allocspi_reply(h, h->nlmsg_len, r->arg);
}

static int probe_run(struct kx_nl *nl, struct nl_msg *msg, struct kx_req *r, struct probe_result *res)
{
	r->msg = nlmsg_hdr(msg);
	int err = kx_nl_run(nl, r, 1);
	err = err ? err : r->err;
	if (err && nl->errmsg[0] && !res->text[0])
		snprintf(res->text, sizeof(res->text), "%s", nl->errmsg);
	return err;
}

/*
 * In the child: reserve an SPI (the kernel picks one nobody uses, so the
 * probe cannot collide even in our own namespace), turn it into an
 * AES-CBC/HMAC-SHA-256 ESP SA (the kernel looks up the ESP type there),
 * delete it.
 */
static void probe_child(struct probe_result *res)
{
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };	/* RFC 5737 */
	static const uint8_t key[32] = { 1 };
	struct kx_nl nl;
	res->stage = 'S';
	int err = kx_nl_open(&nl);
	if (err) {
		res->err = -err;
		return;
	}
	res->stage = 'L';
	struct kx_spi_req q = { .family = AF_INET, .proto = KANMON_SA_PROTO_ESP, .min = 0xc0000000u,
				.max = 0xcfffffffu };
	memcpy(q.src, a, 4);
	memcpy(q.dst, b, 4);
	struct kanmon_sa_id id;
	memset(&id, 0, sizeof(id));
	kx_addr_make(AF_INET, a, 0, &id.src);
	kx_addr_make(AF_INET, b, 0, &id.dst);
	id.proto = KANMON_SA_PROTO_ESP;
	struct nl_msg *msg = NULL;
	struct kx_req r = { .reply = spi_reply, .arg = &id.spi };
	err = kx_msg_allocspi(&q, &msg);
	if (!err) {
		err = probe_run(&nl, msg, &r, res);
		nlmsg_free(msg);
	}
	if (!err && !id.spi)
		err = -EBADMSG;
	if (!err) {
		res->stage = 'A';
		struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TUNNEL, .dir = KANMON_SA_IN,
					      .enc_alg = KANMON_ENCR_AES_CBC, .enc_key = key, .enc_key_len = 16,
					      .integ_alg = KANMON_AUTH_HMAC_SHA2_256_128, .integ_key = key,
					      .integ_key_len = 32, .reqid = 1 };
		err = kx_sa_msg(&id, &p, 32, true, &msg);
		if (!err) {
			struct kx_req u = { 0 };
			err = probe_run(&nl, msg, &u, res);
			kx_msg_wipe(msg);
			nlmsg_free(msg);
		}
		/* the probe SA, or the larval one the SPI reservation left */
		if (!kx_sa_del_msg(&id, &msg)) {
			struct kx_req d = { 0 };
			struct probe_result ignored = { 0 };
			probe_run(&nl, msg, &d, &ignored);
			nlmsg_free(msg);
		}
	}
	res->err = -err;
	kx_nl_close(&nl);
}

static void probe_explain(const struct probe_result *res, char *why, size_t len)
{
	const char *k = res->text[0] ? res->text : strerror(res->err);
	if (res->stage == 'S')
		snprintf(why, len, "kernel has no XFRM netlink interface (%s): load xfrm_user, or use kernel-user "
			 "(userspace ESP) instead of kernel-xfrm", strerror(res->err));
	else if (res->stage == 'A' && (res->err == EPROTONOSUPPORT || res->err == ENOENT))
		snprintf(why, len, "kernel has no ESP support (%s): load esp4, or use kernel-user (userspace ESP) "
			 "instead of kernel-xfrm", k);
	else if (res->stage == 'A' && res->err == ENOSYS)
		snprintf(why, len, "kernel has no cbc(aes)/hmac(sha256) for ESP (%s): load the crypto modules, or use "
			 "kernel-user (userspace ESP) instead of kernel-xfrm", k);
	else if (res->err == EPERM || res->err == EACCES)
		snprintf(why, len, "not allowed to program kernel IPsec (%s): kanmond needs CAP_NET_ADMIN", k);
	else
		snprintf(why, len, "kernel ESP probe failed at %s: %s; use kernel-user (userspace ESP) if the kernel "
			 "cannot do IPsec", res->stage == 'L' ? "SPI allocation" : "adding a probe SA", k);
}

int kx_probe_esp(char *why, size_t len)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, len, "kernel ESP probe: pipe: %s", strerror(errno));
		return -errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(pfd[0]);
		close(pfd[1]);
		snprintf(why, len, "kernel ESP probe: fork: %s", strerror(err));
		return -err;
	}
	if (pid == 0) {
		struct probe_result res;
		memset(&res, 0, sizeof(res));
		close(pfd[0]);
		/* a scratch namespace: nothing the probe does is ever visible outside;
		 * unprivileged (user + net) when the daemon already dropped CAP_SYS_ADMIN */
		res.where = 'n';
		if (unshare(CLONE_NEWNET) < 0) {
			res.where = 'u';
			if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
				res.where = 'o';
		}
		probe_child(&res);
		ssize_t w = write(pfd[1], &res, sizeof(res));
		_exit(w == (ssize_t)sizeof(res) ? 0 : 1);
	}
	close(pfd[1]);
	struct probe_result res;
	memset(&res, 0, sizeof(res));
	ssize_t got;
	do
		got = read(pfd[0], &res, sizeof(res));
	while (got < 0 && errno == EINTR);
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(res)) {
		snprintf(why, len, "kernel ESP probe: the probe process died");
		return -EIO;
	}
	res.text[sizeof(res.text) - 1] = '\0';
	if (!res.err) {
		snprintf(why, len, "kernel ESP available (probed in %s)",
			 res.where == 'n' ? "a scratch network namespace" :
			 res.where == 'u' ? "a scratch user+network namespace" : "our own network namespace, SPI reserved by the kernel");
		return 0;
	}
	probe_explain(&res, why, len);
	return -res.err;
}

/* ---- open/close ------------------------------------------------------------------ */

static const struct kanmon_sa_ops kx_sa_ops = {
	.size = sizeof(struct kanmon_sa_ops),
	.alloc_spi = kx_alloc_spi,
	.add_sa = kx_add_sa,
	.update_sa = kx_update_sa,
	.query_sa = kx_query_sa,
	.del_sa = kx_del_sa,
	.add_policy = kx_add_policy,
	.del_policy = kx_del_policy,
};

const struct kanmon_sa_ops *kx_ops(void)
{
	return &kx_sa_ops;
}

int kx_open(const struct kanmon_host *host, const struct kx_config *cfg, struct kx **out)
{
	struct kx *kx = calloc(1, sizeof(*kx));
	if (!kx)
		return -ENOMEM;
	kx->host = host;
	kx->cfg = *cfg;
	kx->ev_fd = -1;
	KX_SA_TAB_INIT(&kx->sas);
	KX_POL_TAB_INIT(&kx->pols);
	int err = kx_route_open(kx);
	if (err) {
		host->log(host, KANMON_LOG_ERR, "cannot open a routing netlink socket: %s", strerror(-err));
		free(kx);
		return err;
	}
	err = kx_nl_open(&kx->nl);
	if (err) {
		kx_route_close(kx);
		host->log(host, KANMON_LOG_ERR, "cannot open an XFRM netlink socket: %s%s", strerror(-err),
			  err == -EPROTONOSUPPORT ? " (kernel without CONFIG_XFRM_USER: load xfrm_user)" : "");
		free(kx);
		return err;
	}
	if ((err = kx_events_open(kx))) {
		host->log(host, KANMON_LOG_ERR, "cannot listen to XFRM events: %s", strerror(-err));
		kx_nl_close(&kx->nl);
		kx_route_close(kx);
		free(kx);
		return err;
	}
	*out = kx;
	return 0;
}

void kx_close(struct kx *kx)
{
	if (!kx)
		return;
	kx_events_close(kx);
	/* routes first: a route without its policy would send the clients'
	 * traffic in the clear; then policies: no packet may meet a policy
	 * whose SA is already gone */
	size_t nr = kx_route_close(kx);
	size_t np = kx_policy_flush_owned(kx);
	size_t ns = kx_sa_flush_owned(kx);
	if (np || ns)
		kx->host->log(kx->host, KANMON_LOG_INFO, "removed %zu SA(s) and %zu XFRM polic%s installed by kanmon", ns,
			      np, np == 1 ? "y" : "ies");
	if (nr)
		kx->host->log(kx->host, KANMON_LOG_INFO, "removed %zu route%s installed by kanmon", nr, nr == 1 ? "" : "s");
	/* whatever could not be removed is forgotten, never retried blindly */
	struct kx_node *n;
	while ((n = kx_tab_pop(&kx->pols)))
		free(n);
	while ((n = kx_tab_pop(&kx->sas)))
		free(n);
	kx_tab_free(&kx->pols);
	kx_tab_free(&kx->sas);
	kx_nl_close(&kx->nl);
	free(kx);
}

/* ---- plugin ------------------------------------------------------------------------ */

static int kx_init(const struct kanmon_host *host, const struct kanmon_conf *conf, void **state)
{
	char why[512];
	int err = kx_probe_esp(why, sizeof(why));
	if (err) {
		host->log(host, KANMON_LOG_ERR, "%s", why);
		return err;
	}
	host->log(host, KANMON_LOG_DEBUG, "%s", why);
	struct kx_config cfg = {
		.natt_port = (uint16_t)host->conf_int(conf, "natt_port"),
		.replay_window = (uint32_t)host->conf_int(conf, "replay_window"),
		.routes = host->conf_bool(conf, "routes"),
	};
	struct kx *kx;
	if ((err = kx_open(host, &cfg, &kx)))
		return err;
	if ((err = host->sa_register_backend(host, kx_ops(), kx))) {
		kx_close(kx);
		return err;
	}
	host->log(host, KANMON_LOG_INFO, "kernel ESP available; ESP-in-UDP on the port %u socket", cfg.natt_port);
	*state = kx;
	return 0;
}

static void kx_fini(void *state)
{
	kx_close(state);
}

static const char *const kx_provides[] = { "sa-backend", NULL };

KANMON_PLUGIN(.name = "kernel-xfrm", .version = "1.0", .description = "Linux kernel IPsec (XFRM) SA backend",
	      .provides = kx_provides, .settings = kx_settings, .init = kx_init, .fini = kx_fini);
