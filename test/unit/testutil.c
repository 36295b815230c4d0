/* SPDX-License-Identifier: MIT */
/* testutil.c - see testutil.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "event.h"
#include "log.h"
#include "settings.h"
#include "testutil.h"

/* ---- files ------------------------------------------------------------- */

char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/kanmon-unit-XXXXXX";
	if (!mkdtemp(tmpl))
		ck_abort_msg("mkdtemp: %s", strerror(errno));
	char *dir = strdup(tmpl);
	ck_assert_ptr_nonnull(dir);
	return dir;
}

char *tu_write_file(const char *dir, const char *name, const char *content)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	FILE *f = fopen(path, "w");
	if (!f)
		ck_abort_msg("cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

char *tu_write_filef(const char *dir, const char *name, const char *fmt, ...)
{
	char *content = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&content, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(r, 0);
	char *path = tu_write_file(dir, name, content);
	free(content);
	return path;
}

int tu_rmrf(const char *path)
{
	struct stat st;
	if (!path)
		return 0;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		DIR *dh = opendir(path);
		if (!dh)
			return -errno;
		struct dirent *e;
		while ((e = readdir(dh))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *sub = NULL;
			if (asprintf(&sub, "%s/%s", path, e->d_name) < 0) {
				closedir(dh);
				return -ENOMEM;
			}
			tu_rmrf(sub);
			free(sub);
		}
		closedir(dh);
		return rmdir(path) < 0 ? -errno : 0;
	}
	return unlink(path) < 0 ? -errno : 0;
}

/* ---- log capture ------------------------------------------------------- */

struct tu_log_entry {
	char *subsys;
	char *line;
	int level;
};

static struct {
	struct tu_log_entry *v;
	size_t n;
} captured;

static void tu_sink(const char *subsys, int level, const char *line, void *arg)
{
	(void)arg;
	struct tu_log_entry *v = realloc(captured.v, (captured.n + 1) * sizeof(*v));
	if (!v)
		return;
	captured.v = v;
	v[captured.n].subsys = strdup(subsys);
	v[captured.n].line = strdup(line);
	v[captured.n].level = level;
	captured.n++;
}

void tu_log_start(void)
{
	tu_log_clear();
	log_set_sink(tu_sink, NULL);
}

void tu_log_clear(void)
{
	for (size_t i = 0; i < captured.n; i++) {
		free(captured.v[i].subsys);
		free(captured.v[i].line);
	}
	free(captured.v);
	captured.v = NULL;
	captured.n = 0;
}

void tu_log_stop(void)
{
	log_set_sink(NULL, NULL);
	tu_log_clear();
}

size_t tu_log_count(void)
{
	return captured.n;
}

const char *tu_log_line(size_t i)
{
	return i < captured.n && captured.v[i].line ? captured.v[i].line : "";
}

const char *tu_log_subsys(size_t i)
{
	return i < captured.n && captured.v[i].subsys ? captured.v[i].subsys : "";
}

int tu_log_level(size_t i)
{
	return i < captured.n ? captured.v[i].level : -1;
}

long tu_log_find(const char *needle, size_t from)
{
	for (size_t i = from; i < captured.n; i++)
		if (captured.v[i].line && strstr(captured.v[i].line, needle))
			return (long)i;
	return -1;
}

bool tu_logged(const char *needle)
{
	return tu_log_find(needle, 0) >= 0;
}

static char dump_buf[16384];

static void dump_append(size_t *off, const char *a, const char *b)
{
	if (*off >= sizeof(dump_buf))
		return;
	int r = snprintf(dump_buf + *off, sizeof(dump_buf) - *off, "\n  %s%s", a, b);
	if (r > 0)
		*off += (size_t)r;
}

const char *tu_log_dump(void)
{
	size_t off = 0;
	dump_buf[0] = '\0';
	for (size_t i = 0; i < captured.n; i++) {
		char pre[80];
		snprintf(pre, sizeof(pre), "[%s] ", tu_log_subsys(i));
		dump_append(&off, pre, tu_log_line(i));
	}
	if (!captured.n)
		snprintf(dump_buf, sizeof(dump_buf), " (nothing logged)");
	return dump_buf;
}

/* ---- diag -------------------------------------------------------------- */

const char *tu_diag_find(const struct diag *d, ...)
{
	for (size_t i = 0; i < d->n; i++) {
		va_list ap;
		bool all = true;
		va_start(ap, d);
		for (const char *needle; all && (needle = va_arg(ap, const char *));)
			all = strstr(d->lines[i], needle) != NULL;
		va_end(ap);
		if (all)
			return d->lines[i];
	}
	return NULL;
}

bool tu_diag_has_line(const struct diag *d, const char *line)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->lines[i], line))
			return true;
	return false;
}

const char *tu_diag_dump(const struct diag *d)
{
	size_t off = 0;
	dump_buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		dump_append(&off, "", d->lines[i]);
	if (!d->n)
		snprintf(dump_buf, sizeof(dump_buf), " (no diagnostics)");
	return dump_buf;
}

/* ---- environment ------------------------------------------------------- */

static const char *env_dir(const char *name)
{
	const char *v = getenv(name);
	return v && v[0] ? v : NULL;
}

const char *tu_test_plugindir(void)
{
	return env_dir("KANMON_TEST_PLUGINDIR");
}

const char *tu_build_plugindir(void)
{
	return env_dir("KANMON_BUILD_PLUGINDIR");
}

void tu_require_env(const char *name)
{
	if (!env_dir(name)) {
		fprintf(stderr, "%s is not set: skipping (run through ctest)\n", name);
		exit(77);
	}
}

const char *tu_sandbox_settings(const char *dir)
{
	static char buf[2048];
	bool has_user = false;
	for (size_t i = 0; core_settings[i].name; i++)
		has_user |= !strcmp(core_settings[i].name, "user");
	snprintf(buf, sizeof(buf), "state_dir = \"%s/state\";\ncontrol_socket = \"%s/kanmon.sock\";\n%s", dir,
		 dir, has_user ? "user = \"\";\n" : "");
	return buf;
}

/* ---- sockets and loops ------------------------------------------------- */

static int bind_loopback(int fd, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static uint16_t sock_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		return 0;
	return ntohs(sin.sin_port);
}

uint16_t tu_free_udp_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind_loopback(fd, 0), 0);
	uint16_t port = sock_port(fd);
	close(fd);
	ck_assert_uint_ne(port, 0);
	return port;
}

int tu_udp_client(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind_loopback(fd, 0), 0);
	if (port)
		*port = sock_port(fd);
	return fd;
}

int tu_udp_send(int fd, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	ssize_t r = sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EMSGSIZE;
}

struct tu_guard {
	struct ev_loop *loop;
	bool expired;
};

static void guard_fire(void *arg)
{
	struct tu_guard *g = arg;
	g->expired = true;
	ev_stop(g->loop);
}

bool tu_run_loop(struct ev_loop *loop, unsigned timeout_ms)
{
	struct tu_guard g = { .loop = loop };
	struct kanmon_timer *t = ev_timer_new(loop, guard_fire, &g, &g);
	ck_assert_ptr_nonnull(t);
	ev_timer_arm(t, timeout_ms);
	ck_assert_int_eq(ev_run(loop), 0);
	ev_timer_free(t);
	return !g.expired;
}

struct tu_readable {
	struct ev_loop *loop;
	bool ready;
};

static void readable_fire(int fd, unsigned events, void *arg)
{
	struct tu_readable *r = arg;
	(void)fd;
	if (events & KANMON_WATCH_READ) {
		r->ready = true;
		ev_stop(r->loop);
	}
}

ssize_t tu_loop_recv(struct ev_loop *loop, int fd, void *buf, size_t len, unsigned timeout_ms,
		     uint16_t *from_port)
{
	struct tu_readable r = { .loop = loop };
	struct kanmon_watch *w = ev_watch_new(loop, fd, KANMON_WATCH_READ, readable_fire, &r, &r);
	ck_assert_ptr_nonnull(w);
	/* the loop may also be stopped by someone else: keep going until ready */
	struct tu_guard g = { .loop = loop };
	struct kanmon_timer *t = ev_timer_new(loop, guard_fire, &g, &g);
	ck_assert_ptr_nonnull(t);
	ev_timer_arm(t, timeout_ms);
	while (!r.ready && !g.expired)
		ck_assert_int_eq(ev_run(loop), 0);
	ev_timer_free(t);
	ev_watch_free(w);
	if (!r.ready)
		return -1;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n >= 0 && from_port)
		*from_port = ntohs(from.sin_port);
	return n;
}
