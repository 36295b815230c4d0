/* SPDX-License-Identifier: MIT */
/*
 * ikev2_loadgen - a bounded IKEv2 initiator for responder benchmarks
 * (issue 10, "Benchmarks"; ikev2_load.h lists the files).
 *
 *   ikev2_loadgen pki --dir D [--clients N] [--server-id ID] [--ca-key rsa|ec]
 *   ikev2_loadgen run --dir D --server ADDR [--first I] [--count N]
 *                     [--window W] [--rate R] [--timeout-ms T] [--tries K]
 *                     [--pid PID] [--port-base P] [--verify] [--delete]
 *                     [--no-fake-nat] [--label L]
 *   ikev2_loadgen crypto --dir D [--server-key rsa|ec] [--seconds S]
 *
 * `run` drives handshakes for clients I..I+N-1 of D/clients.bin, each from
 * its own UDP socket bound to port P+index (distinct source ports, so a
 * responder sees N distinct peers), at most W in flight; with --rate, one
 * starts every 1/R s (still at most W in flight). A request unanswered for
 * T ms is sent again (T doubles), K times in all, then the handshake fails.
 * With --pid, the responder's CPU time (utime + stime of /proc/PID/stat)
 * and memory (smaps_rollup Rss/Pss) are read before the first handshake and
 * after the last, once its CPU time stops moving (bounded), so deferred
 * work is counted. The last line is machine-readable ("RESULT k=v ...").
 * Exit status: 0 when all handshakes completed, 3 when some failed, 1 on
 * errors, 2 on usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "ikev2_load.h"

#define MAX_REASONS 8

struct opts {
	const char *cmd, *dir, *server_id, *ca_key, *server_key, *label;
	size_t clients, first, count, window;
	double rate, seconds;
	unsigned timeout_ms, tries, port_base;
	int pid;
	struct load_ini_opts ini;
};

struct slot {
	struct load_hs h;
	int fd;
	size_t idx;			/* client index */
	unsigned tries;
	double t0, deadline, timeout;
};

struct reason {
	char why[160];
	size_t n;
};

struct run {
	struct slot *slots;
	size_t n_slots, in_flight, next, started, ok, failed, retransmits;
	double *lat;			/* ms per completed handshake */
	struct reason reasons[MAX_REASONS];
	size_t n_reasons;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ikev2_loadgen pki --dir D [--clients N] [--server-id ID] [--ca-key rsa|ec]\n"
		"       ikev2_loadgen run --dir D --server ADDR [--first I] [--count N] [--window W] [--rate R]\n"
		"                     [--timeout-ms T] [--tries K] [--pid PID] [--port-base P] [--verify] [--delete]\n"
		"                     [--no-fake-nat] [--label L]\n"
		"       ikev2_loadgen crypto --dir D [--server-key rsa|ec] [--seconds S]\n");
	exit(2);
}

static size_t num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s)
		usage();
	return (size_t)v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .server_id = "vpn.example.com", .ca_key = "rsa", .server_key = "rsa", .label = "run",
			    .clients = 1000, .count = 1, .window = 64, .seconds = 1, .timeout_ms = 1000, .tries = 4,
			    .port_base = 10000, .ini.fake_nat = true };
	if (argc < 2)
		usage();
	o->cmd = argv[1];
	o->ini.server.sin_family = AF_INET;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool flag = true;
		if (!strcmp(a, "--verify"))
			o->ini.verify = true;
		else if (!strcmp(a, "--delete"))
			o->ini.delete = true;
		else if (!strcmp(a, "--no-fake-nat"))
			o->ini.fake_nat = false;
		else
			flag = false;
		if (flag)
			continue;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--dir"))
			o->dir = v;
		else if (!strcmp(a, "--server-id"))
			o->server_id = v;
		else if (!strcmp(a, "--ca-key"))
			o->ca_key = v;
		else if (!strcmp(a, "--server-key"))
			o->server_key = v;
		else if (!strcmp(a, "--label"))
			o->label = v;
		else if (!strcmp(a, "--clients"))
			o->clients = num(v);
		else if (!strcmp(a, "--first"))
			o->first = num(v);
		else if (!strcmp(a, "--count"))
			o->count = num(v);
		else if (!strcmp(a, "--window"))
			o->window = num(v);
		else if (!strcmp(a, "--timeout-ms"))
			o->timeout_ms = (unsigned)num(v);
		else if (!strcmp(a, "--tries"))
			o->tries = (unsigned)num(v);
		else if (!strcmp(a, "--port-base"))
			o->port_base = (unsigned)num(v);
		else if (!strcmp(a, "--pid"))
			o->pid = (int)num(v);
		else if (!strcmp(a, "--rate"))
			o->rate = strtod(v, NULL);
		else if (!strcmp(a, "--seconds"))
			o->seconds = strtod(v, NULL);
		else if (!strcmp(a, "--server")) {
			if (inet_pton(AF_INET, v, &o->ini.server.sin_addr) != 1)
				usage();
		} else
			usage();
	}
	if (!o->dir || !o->window || !o->tries || (strcmp(o->ca_key, "rsa") && strcmp(o->ca_key, "ec")) ||
	    (strcmp(o->server_key, "rsa") && strcmp(o->server_key, "ec")))
		usage();
}

/* ---- the responder seen through /proc ------------------------------------ */

struct proc_snap {
	double cpu_s;
	long rss_kib, pss_kib;
};

static int proc_read(int pid, struct proc_snap *s)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm (field 2) may hold blanks: count fields after its ')' */
	char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	s->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	s->rss_kib = s->pss_kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if ((f = fopen(path, "re"))) {
		while (fgets(buf, sizeof(buf), f)) {
			long v;
			if (sscanf(buf, "Rss: %ld kB", &v) == 1)
				s->rss_kib = v;
			else if (sscanf(buf, "Pss: %ld kB", &v) == 1)
				s->pss_kib = v;
		}
		fclose(f);
	}
	return 0;
}

/* after the run: wait (at most 2 s) until the responder's CPU time stands still */
static int proc_settle(int pid, struct proc_snap *s)
{
	struct proc_snap prev;
	int err = proc_read(pid, &prev);
	for (int i = 0; !err && i < 20; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if ((err = proc_read(pid, s)))
			break;
		if (s->cpu_s == prev.cpu_s)
			return 0;
		prev = *s;
	}
	*s = prev;
	return err;
}

/* ---- the event loop -------------------------------------------------------- */

static int send_req(const struct opts *o, struct slot *s)
{
	static const uint8_t marker[4];
	struct sockaddr_in to = o->ini.server;
	to.sin_port = htons(s->h.natt ? 4500 : 500);
	struct iovec iov[2] = { { (void *)marker, sizeof(marker) }, { s->h.req, s->h.req_len } };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = s->h.natt ? iov : iov + 1,
			     .msg_iovlen = s->h.natt ? 2 : 1 };
	if (sendmsg(s->fd, &mh, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
		return -errno;
	return 0;
}

static void note_reason(struct run *r, const char *why)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strcmp(r->reasons[i].why, why)) {
			r->reasons[i].n++;
			return;
		}
	if (r->n_reasons < MAX_REASONS) {
		snprintf(r->reasons[r->n_reasons].why, sizeof(r->reasons[0].why), "%s", why);
		r->reasons[r->n_reasons++].n = 1;
	}
}

static void finish(struct run *r, int ep, struct slot *s, double now)
{
	if (s->h.state == HS_DONE)
		r->lat[r->ok++] = (now - s->t0) * 1e3;
	else {
		r->failed++;
		note_reason(r, s->h.why[0] ? s->h.why : "failed");
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	load_hs_clear(&s->h);
	r->in_flight--;
}

static int start(const struct opts *o, const struct load_clients *cl, struct run *r, int ep, struct slot *s,
		 double now)
{
	s->idx = o->first + r->next++;
	r->started++;
	s->h.sport = (uint16_t)(o->port_base ? o->port_base + s->idx : 0);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = o->ini.local, .sin_port = htons(s->h.sport) };
	int one = 1;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&me, sizeof(me))) {
		int err = -errno;
		fprintf(stderr, "ikev2_loadgen: bind to port %u: %s\n", s->h.sport, strerror(errno));
		close(s->fd);
		s->fd = -1;
		return err;
	}
	socklen_t ml = sizeof(me);
	getsockname(s->fd, (struct sockaddr *)&me, &ml);
	s->h.sport = ntohs(me.sin_port);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
	r->in_flight++;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) || load_hs_start(&s->h, &o->ini, &cl->c[s->idx])) {
		s->h.state = HS_FAILED;
		if (!s->h.why[0])
			snprintf(s->h.why, sizeof(s->h.why), "could not start");
		finish(r, ep, s, now);
		return 0;
	}
	s->t0 = now;
	s->tries = 1;
	s->timeout = o->timeout_ms / 1e3;
	s->deadline = now + s->timeout;
	return send_req(o, s);
}

static void on_readable(const struct opts *o, struct run *r, int ep, struct slot *s)
{
	static uint8_t buf[65536];
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;	/* EAGAIN, or an ICMP error queued: the retransmission timer decides */
		const uint8_t *p = buf;
		size_t len = (size_t)n;
		if (ntohs(from.sin_port) == 4500) {
			/* RFC 3948: IKE on 4500 after four zero bytes; anything else is ESP */
			if (len < 4 || memcmp(p, "\0\0\0\0", 4))
				continue;
			p += 4;
			len -= 4;
		}
		int rc = load_hs_input(&s->h, &o->ini, p, len);
		if (rc == -EAGAIN)
			continue;
		double now = now_s();
		if (rc == 1) {
			s->tries = 1;
			s->timeout = o->timeout_ms / 1e3;
			s->deadline = now + s->timeout;
			if (send_req(o, s)) {
				s->h.state = HS_FAILED;
				snprintf(s->h.why, sizeof(s->h.why), "send failed");
			}
		}
		if (s->h.state == HS_DONE || s->h.state == HS_FAILED) {
			finish(r, ep, s, now);
			return;
		}
	}
}

static void on_timeouts(const struct opts *o, struct run *r, int ep, double now)
{
	static const char *const what[] = { [HS_INIT_SENT] = "IKE_SA_INIT", [HS_AUTH_SENT] = "IKE_AUTH",
					    [HS_DELETE_SENT] = "INFORMATIONAL (DELETE)" };
	for (size_t i = 0; i < r->n_slots; i++) {
		struct slot *s = &r->slots[i];
		if (s->fd < 0 || now < s->deadline)
			continue;
		if (s->tries >= o->tries) {
			snprintf(s->h.why, sizeof(s->h.why), "no answer to %s after %u tries", what[s->h.state], s->tries);
			s->h.state = HS_FAILED;
			finish(r, ep, s, now);
			continue;
		}
		s->tries++;
		r->retransmits++;
		s->timeout *= 2;
		s->deadline = now + s->timeout;
		send_req(o, s);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	return n ? v[(size_t)fmin((double)n - 1, p * (double)n)] : 0;
}

/* our source address toward the server (the NAT-D hashes need it) */
static int local_addr(struct opts *o)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = o->ini.server, me;
	socklen_t ml = sizeof(me);
	to.sin_port = htons(500);
	if (fd < 0)
		return -errno;
	int err = connect(fd, (struct sockaddr *)&to, sizeof(to)) || getsockname(fd, (struct sockaddr *)&me, &ml)
			  ? -errno : 0;
	close(fd);
	if (!err)
		o->ini.local = me.sin_addr;
	return err;
}

static double cpu_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmd_run(struct opts *o)
{
	struct load_clients cl;
	struct run r = { 0 };
	int ep = -1, err = load_clients_read(o->dir, &cl);
	if (err)
		return 1;
	if (o->first + o->count > cl.n) {
		fprintf(stderr, "ikev2_loadgen: clients %zu..%zu asked, %s holds %zu\n", o->first,
			o->first + o->count - 1, o->dir, cl.n);
		goto cleanup;
	}
	if (o->port_base && o->port_base + o->first + o->count > 65536) {
		fprintf(stderr, "ikev2_loadgen: ports %u+%zu exceed 65535 (--port-base 0: ephemeral ports)\n",
			o->port_base, o->first + o->count);
		goto cleanup;
	}
	if ((err = local_addr(o))) {
		fprintf(stderr, "ikev2_loadgen: no route to the server: %s\n", strerror(-err));
		goto cleanup;
	}
	r.n_slots = o->window < o->count ? o->window : o->count;
	r.slots = calloc(r.n_slots, sizeof(*r.slots));
	r.lat = calloc(o->count ? o->count : 1, sizeof(*r.lat));
	if (!r.slots || !r.lat || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fprintf(stderr, "ikev2_loadgen: out of memory or epoll\n");
		goto cleanup;
	}
	for (size_t i = 0; i < r.n_slots; i++)
		r.slots[i].fd = -1;

	struct proc_snap before = { 0 }, after = { 0 };
	if (o->pid && proc_read(o->pid, &before)) {
		fprintf(stderr, "ikev2_loadgen: cannot read /proc/%d\n", o->pid);
		goto cleanup;
	}
	double cpu0 = cpu_self(), t0 = now_s(), next_start = t0, interval = o->rate > 0 ? 1.0 / o->rate : 0;
	while (r.ok + r.failed < o->count) {
		double now = now_s();
		/* start what the window (and the pace) allows */
		for (size_t i = 0; i < r.n_slots && r.next < o->count && (!interval || now >= next_start); i++) {
			if (r.slots[i].fd >= 0)
				continue;
			if ((err = start(o, &cl, &r, ep, &r.slots[i], now))) {
				fprintf(stderr, "ikev2_loadgen: %s\n", strerror(-err));
				goto cleanup;
			}
			next_start += interval;
		}
		double wake = now + 0.05;
		for (size_t i = 0; i < r.n_slots; i++)
			if (r.slots[i].fd >= 0 && r.slots[i].deadline < wake)
				wake = r.slots[i].deadline;
		if (interval && r.next < o->count && r.in_flight < r.n_slots && next_start < wake)
			wake = next_start;
		int ms = (int)ceil((wake - now) * 1e3);
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, ms > 0 ? ms : 0);
		for (int i = 0; i < n; i++)
			on_readable(o, &r, ep, evs[i].data.ptr);
		on_timeouts(o, &r, ep, now_s());
	}
	double wall = now_s() - t0, gen_cpu = cpu_self() - cpu0;
	if (o->pid && proc_settle(o->pid, &after)) {
		fprintf(stderr, "ikev2_loadgen: the responder (pid %d) is gone\n", o->pid);
		goto cleanup;
	}

	qsort(r.lat, r.ok, sizeof(*r.lat), cmp_double);
	double srv = after.cpu_s - before.cpu_s;
	printf("%s: %zu handshakes, %zu completed, %zu failed, %zu retransmissions in %.2f s (%.0f/s); "
	       "latency p50 %.1f ms, p99 %.1f ms; generator CPU %.2f s\n",
	       o->label, o->count, r.ok, r.failed, r.retransmits, wall, (double)r.ok / wall, pct(r.lat, r.ok, 0.5),
	       pct(r.lat, r.ok, 0.99), gen_cpu);
	for (size_t i = 0; i < r.n_reasons; i++)
		printf("  failed %zu x: %s\n", r.reasons[i].n, r.reasons[i].why);
	if (o->pid)
		printf("  responder: %.2f CPU-s, %.3f ms per handshake, %.0f handshakes per CPU-second; "
		       "RSS %ld -> %ld KiB, PSS %ld -> %ld KiB\n",
		       srv, r.ok ? srv * 1e3 / (double)r.ok : 0, srv > 0 ? (double)r.ok / srv : 0, before.rss_kib,
		       after.rss_kib, before.pss_kib, after.pss_kib);
	printf("RESULT label=%s count=%zu ok=%zu failed=%zu retransmits=%zu wall_s=%.3f rate=%.1f p50_ms=%.2f "
	       "p99_ms=%.2f gen_cpu_s=%.3f srv_cpu_s=%.3f rss0_kib=%ld rss1_kib=%ld pss0_kib=%ld pss1_kib=%ld\n",
	       o->label, o->count, r.ok, r.failed, r.retransmits, wall, (double)r.ok / wall, pct(r.lat, r.ok, 0.5),
	       pct(r.lat, r.ok, 0.99), gen_cpu, srv, before.rss_kib, after.rss_kib, before.pss_kib, after.pss_kib);
	fflush(stdout);
	err = r.failed ? 3 : 0;
	goto done;
cleanup:
	err = 1;
done:
	for (size_t i = 0; r.slots && i < r.n_slots; i++)
		if (r.slots[i].fd >= 0) {
			close(r.slots[i].fd);
			load_hs_clear(&r.slots[i].h);
		}
	if (ep >= 0)
		close(ep);
	free(r.slots);
	free(r.lat);
	load_clients_free(&cl);
	return err;
}

int main(int argc, char **argv)
{
	struct opts o;
	parse(argc, argv, &o);
	if (gnutls_global_init() < 0) {
		fprintf(stderr, "ikev2_loadgen: gnutls_global_init failed\n");
		return 1;
	}
	int rc;
	if (!strcmp(o.cmd, "pki")) {
		double t0 = now_s();
		rc = load_pki_generate(o.dir, o.server_id, o.ca_key, o.clients) ? 1 : 0;
		if (!rc)
			printf("pki: CA (%s), 2 server and %zu client certificates in %.1f s\n", o.ca_key, o.clients,
			       now_s() - t0);
	} else if (!strcmp(o.cmd, "run")) {
		rc = cmd_run(&o);
	} else if (!strcmp(o.cmd, "crypto")) {
		rc = load_crypto_bench(o.dir, o.server_key, o.seconds) ? 1 : 0;
	} else {
		usage();
	}
	gnutls_global_deinit();
	return rc;
}
