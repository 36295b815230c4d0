/* SPDX-License-Identifier: MIT */
/* main.c - kanmond: arguments, background start-up, wiring (daemon.c does the work). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "settings.h"

#ifndef KANMON_SYSCONFDIR
#define KANMON_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF KANMON_SYSCONFDIR "/kanmon/kanmon.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kanmond [-f] [-d] [-c FILE] [-t]\n"
		"  -c FILE        configuration (default " DEFAULT_CONF ")\n"
		"  -t             check the configuration and plugins, then exit (0 ok, 1 errors)\n"
		"  -f             stay in the foreground and log to stderr\n"
		"  -d             debug logging for every subsystem\n"
		"  --help-config  print every setting of the core and of the plugins found\n"
		"                 in the plugin directory (-c selects plugin_dir)\n"
		"  -V             print the version\n");
}

static void print_diag(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->lines[i]);
}

static int help_config(const char *conf_path)
{
	const char *dir = NULL;
	for (size_t i = 0; core_settings[i].name; i++)
		if (!strcmp(core_settings[i].name, "plugin_dir"))
			dir = core_settings[i].def;
	struct conf *c = NULL;
	struct diag d = { 0 };
	if (conf_path && !conf_parse(conf_path, &c, &d) && conf_raw_string(c, "plugin_dir"))
		dir = conf_raw_string(c, "plugin_dir");
	printf("# kanmond " KANMON_VERSION " settings reference (libconfig syntax)\n\n# core\n");
	conf_print_help(stdout, NULL, core_settings);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);
		if (len > 3 && !strcmp(ents[i]->d_name + len - 3, ".so")) {
			char path[4096];
			struct plugin *p;
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (!plugin_open(path, &p, &d)) {
				printf("# plugin %s %s: %s\n", p->desc->name,
				       p->desc->version ? p->desc->version : "",
				       p->desc->description ? p->desc->description : "");
				conf_print_help(stdout, p->desc->name, p->desc->settings);
				plugin_close(p);
			}
		}
		free(ents[i]);
	}
	free(ents);
	if (n < 0)
		fprintf(stderr, "kanmond: cannot list plugin directory %s: %s\n", dir, strerror(errno));
	print_diag(&d);
	diag_clear(&d);
	conf_free(c);
	return 0;
}

/*
 * Background start: the parent waits until the child is ready (or failed)
 * so that `kanmond` returning 0 means the daemon serves, as init systems and
 * operators expect.
 */
static int daemonize(int *ready_fd)
{
	int p[2];
	if (pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		char status = 1;
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	if (setsid() < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	*ready_fd = p[1];
	return 0;
}

static void tell_parent(int fd, char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1) {
		/* parent gone: nothing left to tell */
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONF;
	bool check = false, foreground = false, debug = false, want_help_config = false;
	static const struct option longopts[] = {
		{ "help-config", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:tfdVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 't': check = true; break;
		case 'f': foreground = true; break;
		case 'd': debug = true; break;
		case 'H': want_help_config = true; break;
		case 'V': printf("kanmond " KANMON_VERSION "\n"); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (want_help_config)
		return help_config(conf_path);

	struct daemon dm = { .debug = debug };
	struct diag d = { 0 };
	int ready_fd = -1, rc = 1;
	log_open(LOG_TARGET_STDERR);
	if (daemon_configure(&dm, conf_path, &d)) {
		print_diag(&d);
		fprintf(stderr, "kanmond: %s: %zu error%s, not started\n", conf_path, d.n, d.n == 1 ? "" : "s");
		goto out;
	}
	if (check) {
		printf("%s: configuration OK (%zu plugin%s)\n", conf_path, dm.plugins.n,
		       dm.plugins.n == 1 ? "" : "s");
		rc = 0;
		goto out;
	}
	if (!foreground) {
		if (daemonize(&ready_fd)) {
			perror("kanmond: cannot go to the background");
			goto out;
		}
		log_open(LOG_TARGET_SYSLOG);
	}
	if (daemon_start(&dm, &d)) {
		for (size_t i = 0; i < d.n; i++)
			log_err("core", "%s", d.lines[i]);
		log_err("core", "start-up failed");
		if (!foreground)
			print_diag(&d);	/* stderr still reaches whoever started us */
		tell_parent(ready_fd, 1);
		goto out;
	}
	tell_parent(ready_fd, 0);
	if (!foreground) {
		/* detach from the starter's terminal only once it has heard from us */
		if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			log_warn("core", "cannot redirect standard streams to /dev/null");
	}
	rc = daemon_run(&dm) ? 1 : 0;
	log_notice("core", "stopped");
out:
	daemon_free(&dm);
	diag_clear(&d);
	log_close();
	return rc;
}
