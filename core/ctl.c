/* SPDX-License-Identifier: MIT */
/* ctl.c - control socket server (see ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "event.h"
#include "list.h"
#include "log.h"

#define CTL_MAX_CLIENTS 16
#define CTL_IDLE_MS 5000

struct ctl_client {
	struct list_node node;
	struct ctl *ctl;
	int fd;
	struct kanmon_watch *watch;
	struct kanmon_timer *idle;
	size_t len;
	char line[CTL_MAX_LINE + 1];
};

struct ctl {
	struct ev_loop *loop;
	int fd;
	char *path;
	struct kanmon_watch *watch;
	ctl_dispatch_fn fn;
	void *ctx;
	struct list_node clients;
	size_t n_clients;
};

int ctl_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *save = NULL;
	for (char *w = strtok_r(line, " \t\r\n", &save); w && argc < max; w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	return argc;
}

static void client_close(struct ctl_client *cl)
{
	ev_watch_free(cl->watch);
	ev_timer_free(cl->idle);
	close(cl->fd);
	list_del(&cl->node);
	cl->ctl->n_clients--;
	free(cl);
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;	/* the client went away or is stuck past SO_SNDTIMEO */
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void client_answer(struct ctl_client *cl)
{
	char *argv[CTL_MAX_ARGS];
	struct sbuf out = { 0 };
	int argc = ctl_split(cl->line, argv, CTL_MAX_ARGS);
	int rc;
	if (!argc) {
		sbuf_printf(&out, "empty request\n");
		rc = -EINVAL;
	} else {
		log_debug("ctl", "request: %s", argv[0]);
		rc = cl->ctl->fn(cl->ctl->ctx, argc, argv, &out);
	}
	const char *head = rc ? "error\n" : "ok\n";
	/* bounded blocking write: answers are small and the peer is local */
	int flags = fcntl(cl->fd, F_GETFL);
	fcntl(cl->fd, F_SETFL, flags & ~O_NONBLOCK);
	send_all(cl->fd, head, strlen(head));
	if (out.failed)
		send_all(cl->fd, "out of memory\n", 14);
	else if (out.len)
		send_all(cl->fd, out.data, out.len);
	sbuf_free(&out);
}

static void client_readable(int fd, unsigned events, void *arg)
{
	struct ctl_client *cl = arg;
	(void)events;
	ssize_t n = recv(fd, cl->line + cl->len, CTL_MAX_LINE - cl->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->line[cl->len] = '\0';
	if (memchr(cl->line, '\n', cl->len)) {
		client_answer(cl);	/* may stop the loop: closing is still fine */
		client_close(cl);
	} else if (cl->len == CTL_MAX_LINE) {
		send_all(fd, "error\nrequest line too long\n", 28);
		client_close(cl);
	}
}

static void client_idle(void *arg)
{
	client_close(arg);
}

static void ctl_accept(int fd, unsigned events, void *arg)
{
	struct ctl *c = arg;
	(void)events;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (c->n_clients >= CTL_MAX_CLIENTS) {
		close(cfd);
		return;
	}
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct ctl_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->ctl = c;
	cl->fd = cfd;
	cl->watch = ev_watch_new(c->loop, cfd, KANMON_WATCH_READ, client_readable, cl, c);
	cl->idle = ev_timer_new(c->loop, client_idle, cl, c);
	if (!cl->watch || !cl->idle) {
		ev_watch_free(cl->watch);
		ev_timer_free(cl->idle);
		close(cfd);
		free(cl);
		return;
	}
	ev_timer_arm(cl->idle, CTL_IDLE_MS);
	list_add(&c->clients, &cl->node);
	c->n_clients++;
}

static int make_dir(const char *path, gid_t gid, struct diag *d)
{
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *dir = dirname(copy);
	int err = 0;
	struct stat st;
	if (stat(dir, &st) < 0) {
		if (mkdir(dir, 0750) < 0) {
			err = -errno;
			diag_add(d, "cannot create the control socket's directory %s: %s", dir, strerror(errno));
		} else if (gid != (gid_t)-1 && chown(dir, 0, gid) < 0 && geteuid() == 0) {
			err = -errno;
			diag_add(d, "cannot give %s to group %u: %s", dir, (unsigned)gid, strerror(errno));
		}
	}
	free(copy);
	return err;
}

int ctl_open(struct ev_loop *loop, const char *path, gid_t gid, ctl_dispatch_fn fn, void *ctx,
	     struct ctl **out, struct diag *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		diag_add(d, "control_socket %s: path too long (at most %zu bytes)", path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	int err = make_dir(path, gid, d);
	if (err)
		return err;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* somebody answering there is a running kanmond: never steal its socket */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		close(fd);
		diag_add(d, "another kanmond is running: its control socket %s answers", path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);	/* stale: left by a daemon that was killed */
	mode_t old = umask(0117);	/* socket file born 0660 */
	int r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		err = -errno;
		diag_add(d, "cannot listen on control socket %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	if (gid != (gid_t)-1 && geteuid() == 0 && chown(path, 0, gid) < 0)
		log_warn("ctl", "cannot give %s to group %u: %s", path, (unsigned)gid, strerror(errno));
	struct ctl *c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->loop = loop;
	c->fd = fd;
	c->fn = fn;
	c->ctx = ctx;
	list_init(&c->clients);
	c->watch = ev_watch_new(loop, fd, KANMON_WATCH_READ, ctl_accept, c, c);
	if (!c->watch) {
		ctl_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	while (!list_empty(&c->clients))
		client_close(list_entry(c->clients.next, struct ctl_client, node));
	ev_watch_free(c->watch);
	close(c->fd);
	/* best effort: after dropping privileges the directory may not be ours */
	unlink(c->path);
	free(c->path);
	free(c);
}
