/* SPDX-License-Identifier: MIT */
/*
 * kanmonctl - the operator's tool. Online commands go to the running
 * daemon's control socket; offline commands work on the state directory
 * (--dir, default: the daemon's state_dir) and need no daemon.
 *
 *   kanmonctl [-c CONF] [-s SOCKET] [--dir DIR] COMMAND [ARGS] [--json]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "ctl.h"
#include "ctl_fmt.h"
#include "log.h"
#include "settings.h"
#include "store.h"

#ifndef KANMON_SYSCONFDIR
#define KANMON_SYSCONFDIR "/etc"
#endif

struct ctl_opts {
	const char *socket;
	const char *dir;
	bool json;
};

static const char *core_default(const char *name)
{
	for (size_t i = 0; core_settings[i].name; i++)
		if (!strcmp(core_settings[i].name, name))
			return core_settings[i].def;
	return NULL;
}

/* Sends argv as one line; prints the body; 0 ok, 1 error, 1 not running. */
static int online(const struct ctl_opts *o, int argc, char **argv)
{
	char line[CTL_MAX_LINE + 1];
	size_t off = 0;
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);
		if (off + len + 2 > sizeof(line) || strpbrk(argv[i], " \t\r\n")) {
			fprintf(stderr, "kanmonctl: argument '%s' is too long or contains spaces\n", argv[i]);
			return 2;
		}
		memcpy(line + off, argv[i], len);
		off += len;
		line[off++] = i + 1 < argc ? ' ' : '\n';
	}
	if (o->json && off + 8 < sizeof(line)) {
		memcpy(line + off - 1, " --json\n", 8);
		off += 7;
	}
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", o->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "kanmonctl: kanmond is not running (no answer on %s)\n", o->socket);
		else
			fprintf(stderr, "kanmonctl: cannot reach kanmond on %s: %s\n", o->socket, strerror(e));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, line, off, MSG_NOSIGNAL) != (ssize_t)off) {
		fprintf(stderr, "kanmonctl: sending to kanmond failed: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	/* first line ok|error, then the body to stdout (ok) or stderr (error) */
	char buf[8192];
	ssize_t n;
	int status = -1;
	size_t head_len = 0;
	char head[16];
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		char *p = buf;
		size_t len = (size_t)n;
		while (status < 0 && len) {
			char ch = *p++;
			len--;
			if (ch == '\n') {
				head[head_len] = '\0';
				status = strcmp(head, "ok") ? 1 : 0;
			} else if (head_len < sizeof(head) - 1) {
				head[head_len++] = ch;
			}
		}
		if (len)
			fwrite(p, 1, len, status ? stderr : stdout);
	}
	close(fd);
	if (status < 0) {
		fprintf(stderr, "kanmonctl: kanmond closed the connection without an answer%s\n",
			n < 0 ? " (timed out)" : "");
		return 1;
	}
	return status;
}

static int offline_leases(const struct ctl_opts *o)
{
	struct store *st;
	struct diag d = { 0 };
	int rc = 1;
	if (access(o->dir, F_OK)) {
		fprintf(stderr, "kanmonctl: state directory %s does not exist\n", o->dir);
		return 1;
	}
	if (store_open_sqlite(o->dir, 0, &st, &d)) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "kanmonctl: %s\n", d.lines[i]);
		goto out;
	}
	struct sbuf out = { 0 };
	struct lease_fmt f;
	lease_fmt_begin(&f, &out, o->json);
	rc = store_lease_foreach(st, lease_fmt_row, &f) ? 1 : 0;
	lease_fmt_end(&f);
	if (out.data)
		fputs(out.data, stdout);
	sbuf_free(&out);
	store_close(st);
out:
	diag_clear(&d);
	return rc;
}

/* ca, cert, crl, client: argv[0] is the group; options anywhere after it. */
static int offline_group(struct ctl_opts *o, const char *conf_path, int argc, char **argv)
{
	struct conf *c = NULL;
	struct diag d = { 0 };
	if (!access(conf_path, R_OK))
		conf_parse(conf_path, &c, &d);
	diag_clear(&d);
	struct ctl_ctx ctx = { .json = o->json, .conf = c };
	/* the store's "open" notes are for the daemon's log, not the operator's terminal */
	log_set_default_level(KANMON_LOG_WARNING);
	ctx.socket = o->socket ? o->socket
			       : (c && conf_raw_string(c, "control_socket")) ? conf_raw_string(c, "control_socket")
									      : core_default("control_socket");
	ctx.dir = o->dir ? o->dir : (c && conf_raw_string(c, "state_dir")) ? conf_raw_string(c, "state_dir")
									   : core_default("state_dir");
	ctx.user = (c && conf_raw_string(c, "user")) ? conf_raw_string(c, "user") : core_default("user");
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			ctx.json = true;
		else
			argv[n++] = argv[i];
	}
	int rc = !strcmp(argv[0], "client") ? ctl_client_main(&ctx, n, argv) : ctl_cert_main(&ctx, n, argv);
	conf_free(c);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kanmonctl [-c CONF] [-s SOCKET] [--dir DIR] [--json] COMMAND [ARGS]\n"
		"daemon commands (over the control socket):\n"
		"  status            live sessions: id, plugin, identity, peer, virtual IP, state, bytes\n"
		"  leases            address leases of every pool (online / offline, identity)\n"
		"  plugins           loaded plugins\n"
		"  reload            re-read the configuration; errors are printed, the old one stays\n"
		"  stop              stop kanmond\n"
		"  kill ID           terminate session ID\n"
		"  certs [reload]    the certificate store; reload re-reads it now\n"
		"offline commands (on the state directory, no daemon needed):\n"
		"  leases --offline  leases as stored in DIR/kanmon.db\n"
		"certificates (offline; kanmond is told about revocations at once):\n"
		"  ca create --cn CN [--days 3650] [--key rsa2048|rsa3072|ecdsa-p256] [--country CC]\n"
		"            [--org ORG] [--crl-host FQDN] [--passphrase-file F]\n"
		"  cert issue server NAME --cn FQDN|ADDR [--san dns:X|ip:X]... [--days N] [--key K]\n"
		"            [--country CC] [--org ORG] [--ca-passphrase-file F]\n"
		"  cert issue client NAME --cn USER@DOMAIN [--san email:X|dns:X]... [same options]\n"
		"  cert list [--json] | cert show NAME [--json] | cert revoke NAME [--reason R]\n"
		"  cert check FILE [--role server|client] [--id ID] [--passphrase-file F]\n"
		"  cert export NAME --format pem|der|p12 [--passphrase-file F] --out FILE\n"
		"  cert import NAME FILE [--key FILE] [--passphrase-file F] [--role ca|server|client]\n"
		"  crl export --out FILE [--format pem|der] [--days 30] [--ca-passphrase-file F]\n"
		"  client add NAME --server FQDN [--out DIR] [--ike P]... [--esp P]... [--dns ADDR]...\n"
		"            writes NAME.p12, ca.crt, NAME.mobileconfig, NAME.sswan, NAME-windows.ps1,\n"
		"            README.txt; the .p12 passphrase is printed once\n"
		"  client list [--json] | client revoke NAME [--reason R]\n"
		"options:\n"
		"  -c CONF           read control_socket and state_dir from CONF (default %s)\n"
		"  -s SOCKET         control socket (default from CONF, else %s)\n"
		"  --dir DIR         state directory (default from CONF, else %s)\n"
		"  --json            machine-readable output (schema in the README)\n"
		"exit status: 0 done, 1 failed or kanmond not running, 2 usage\n",
		KANMON_SYSCONFDIR "/kanmon/kanmon.conf", core_default("control_socket"), core_default("state_dir"));
}

int main(int argc, char **argv)
{
	struct ctl_opts o = { 0 };
	const char *conf_path = KANMON_SYSCONFDIR "/kanmon/kanmon.conf";
	bool offline = false;
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+c:s:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 's': o.socket = optarg; break;
		case 'D': o.dir = optarg; break;
		case 'j': o.json = true; break;
		case 'o': offline = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc && ctl_is_offline_group(argv[optind]))
		return offline_group(&o, conf_path, argc - optind, argv + optind);
	/* options may also follow the command: kanmonctl status --json */
	int n = 0;
	char *args[CTL_MAX_ARGS];
	for (int i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (!strcmp(argv[i], "--offline"))
			offline = true;
		else if (n < CTL_MAX_ARGS - 1)
			args[n++] = argv[i];
	}
	if (!n) {
		usage(stderr);
		return 2;
	}
	/* defaults follow the daemon's configuration when it is readable */
	struct conf *c = NULL;
	struct diag d = { 0 };
	if (!access(conf_path, R_OK))
		conf_parse(conf_path, &c, &d);
	diag_clear(&d);
	if (!o.socket)
		o.socket = (c && conf_raw_string(c, "control_socket")) ? conf_raw_string(c, "control_socket")
								   : core_default("control_socket");
	if (!o.dir)
		o.dir = (c && conf_raw_string(c, "state_dir")) ? conf_raw_string(c, "state_dir")
							       : core_default("state_dir");
	int rc;
	if (offline && !strcmp(args[0], "leases"))
		rc = offline_leases(&o);
	else if (offline) {
		fprintf(stderr, "kanmonctl: '%s' has no offline form\n", args[0]);
		rc = 2;
	} else
		rc = online(&o, n, args);
	conf_free(c);
	return rc;
}
