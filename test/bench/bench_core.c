/* SPDX-License-Identifier: MIT */
/*
 * bench_core - kanmond start-up to ready, and reload, measured from outside
 * the way an operator sees them:
 *   start-up: fork/exec `kanmond -f` with the sample plugin until the first
 *             UDP answer arrives (polled every 0.2 ms);
 *   reload:   rewrite the greeting, SIGHUP, until answers carry the new one.
 * Prints medians and 90th percentiles; goals (not gates): start-up < 50 ms,
 * reload < 10 ms.
 *   bench_core KANMOND PLUGIN_DIR [RUNS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void write_conf(const char *path, const char *dir, unsigned port, int gen)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		exit(1);
	}
	char state[600];
	snprintf(state, sizeof(state), "%s", path);
	*strrchr(state, '/') = '\0';
	fprintf(f, "plugins = [\"sample\"];\nplugin_dir = \"%s\";\nlisten = [\"127.0.0.1\"];\n"
		   "state_dir = \"%s/state\";\ncontrol_socket = \"%s/kanmon.sock\";\nuser = \"\";\n"
		   "log = { level = \"warning\"; };\nsample = { port = %u; greeting = \"g%d\"; };\n",
		dir, state, state, port, gen);
	fclose(f);
	rename(tmp, path);	/* the daemon never reads a half-written file */
}

/* Poll until the answer starts with `want` or 5 s pass; returns ms waited or -1. */
static double wait_answer(int fd, const char *want)
{
	double t0 = now_ms();
	char buf[256];
	while (now_ms() - t0 < 5000) {
		if (send(fd, "hello bench", 11, 0) < 0) {
			usleep(200);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				if (!strncmp(buf, want, strlen(want)))
					return now_ms() - t0;
			}
		}
	}
	return -1;
}

static void report(const char *what, double *v, int n, double goal)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-22s runs=%d median=%.2f ms p90=%.2f ms min=%.2f ms (goal < %.0f ms)\n", what, n,
	       v[n / 2], v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[0], goal);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_core KANMOND PLUGIN_DIR [RUNS]\n");
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 20;
	if (runs < 1 || runs > 1000)
		runs = 20;
	char dir[] = "/tmp/kanmon-bench.XXXXXX", conf[600];
	if (!mkdtemp(dir))
		return 1;
	snprintf(conf, sizeof(conf), "%s/kanmon.conf", dir);

	/* a free port on loopback */
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	bind(probe, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(probe, (struct sockaddr *)&sin, &sl);
	unsigned port = ntohs(sin.sin_port);
	close(probe);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	double *start = calloc((size_t)runs, sizeof(double)), *reload = calloc((size_t)runs, sizeof(double));
	int rc = 0, gen = 0;
	for (int i = 0; i < runs && !rc; i++) {
		write_conf(conf, argv[2], port, gen);
		char want[32];
		snprintf(want, sizeof(want), "g%d ", gen);
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid == 0) {
			execl(argv[1], "kanmond", "-f", "-c", conf, (char *)NULL);
			_exit(127);
		}
		double waited = wait_answer(fd, want);
		if (waited < 0) {
			fprintf(stderr, "bench_core: kanmond never answered\n");
			rc = 1;
		}
		start[i] = now_ms() - t0;
		/* reload: new greeting, SIGHUP, first answer carrying it */
		write_conf(conf, argv[2], port, ++gen);
		snprintf(want, sizeof(want), "g%d ", gen);
		double r0 = now_ms();
		kill(pid, SIGHUP);
		if (!rc && wait_answer(fd, want) < 0) {
			fprintf(stderr, "bench_core: reload never took effect\n");
			rc = 1;
		}
		reload[i] = now_ms() - r0;
		kill(pid, SIGTERM);
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bench_core: kanmond exited with status %d\n", st);
			rc = 1;
		}
		gen++;
	}
	if (!rc) {
		report("start-up to ready", start, runs, 50);
		report("reload (SIGHUP)", reload, runs, 10);
	}
	char cleanup[700];
	snprintf(cleanup, sizeof(cleanup), "rm -rf '%s'", dir);
	if (system(cleanup))
		fprintf(stderr, "bench_core: could not remove %s\n", dir);
	free(start);
	free(reload);
	close(fd);
	return rc;
}
