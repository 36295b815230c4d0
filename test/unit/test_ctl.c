/* SPDX-License-Identifier: MIT */
/*
 * test_ctl.c - control socket: request splitting, answers "ok"/"error" and
 * body, file mode, refusing to steal a live daemon's socket, replacing a
 * stale one, over-long requests, and the lease table/JSON renderings.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>

#include "ctl.h"
#include "ctl_fmt.h"
#include "event.h"
#include "testutil.h"

static int echo_dispatch(void *ctx, int argc, char **argv, struct sbuf *out)
{
	int *calls = ctx;
	(*calls)++;
	if (!strcmp(argv[0], "fail")) {
		sbuf_printf(out, "it failed\n");
		return -EINVAL;
	}
	sbuf_printf(out, "argc=%d", argc);
	for (int i = 0; i < argc; i++)
		sbuf_printf(out, " [%s]", argv[i]);
	sbuf_printf(out, "\n");
	return 0;
}

struct client {
	int fd;
	struct ev_loop *loop;
	char buf[4096];
	size_t len;
	int done;
};

static void client_readable(int fd, unsigned events, void *arg)
{
	struct client *c = arg;
	(void)events;
	ssize_t n = recv(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, MSG_DONTWAIT);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		return;
	}
	if (n == 0) {	/* the daemon closes after answering */
		c->done = 1;
		ev_stop(c->loop);
	}
}

/* Sends `req` and runs the loop until the server closed; returns the answer. */
static const char *ask(struct ev_loop *loop, const char *path, const char *req, size_t req_len)
{
	static struct client c;
	memset(&c, 0, sizeof(c));
	c.loop = loop;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, path);
	c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c.fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(send(c.fd, req, req_len, 0), (ssize_t)req_len);
	struct kanmon_watch *w = ev_watch_new(loop, c.fd, KANMON_WATCH_READ, client_readable, &c, NULL);
	ck_assert(tu_run_loop(loop, 5000));
	ck_assert(c.done);
	ev_watch_free(w);
	close(c.fd);
	return c.buf;
}

START_TEST(split_words)
{
	char line[] = "  kill\t 42  --json\r\n";
	char *argv[CTL_MAX_ARGS];
	ck_assert_int_eq(ctl_split(line, argv, CTL_MAX_ARGS), 3);
	ck_assert_str_eq(argv[0], "kill");
	ck_assert_str_eq(argv[1], "42");
	ck_assert_str_eq(argv[2], "--json");
	char empty[] = " \n";
	ck_assert_int_eq(ctl_split(empty, argv, CTL_MAX_ARGS), 0);
}
END_TEST

START_TEST(serve_requests)
{
	char *dir = tu_tmpdir(), path[512];
	snprintf(path, sizeof(path), "%s/run/ctl.sock", dir);	/* run/ is created */
	struct ev_loop *loop = ev_loop_new();
	struct ctl *ctl;
	struct diag d = { 0 };
	int calls = 0;
	ck_assert_int_eq(ctl_open(loop, path, (gid_t)-1, echo_dispatch, &calls, &ctl, &d), 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);

	ck_assert_str_eq(ask(loop, path, "status --json\n", 14), "ok\nargc=2 [status] [--json]\n");
	ck_assert_str_eq(ask(loop, path, "fail\n", 5), "error\nit failed\n");
	ck_assert_str_eq(ask(loop, path, "\n", 1), "error\nempty request\n");
	ck_assert_int_eq(calls, 2);
	char big[CTL_MAX_LINE + 10];
	memset(big, 'a', sizeof(big));
	ck_assert_str_eq(ask(loop, path, big, sizeof(big)), "error\nrequest line too long\n");
	ck_assert_int_eq(calls, 2);

	/* a second daemon must not steal a live socket */
	struct ctl *other;
	ck_assert_int_eq(ctl_open(loop, path, (gid_t)-1, echo_dispatch, &calls, &other, &d), -EADDRINUSE);
	ck_assert_ptr_nonnull(tu_diag_find(&d, "another kanmond is running", path, NULL));
	ctl_close(ctl);
	ck_assert_int_ne(access(path, F_OK), 0);	/* removed on close */

	/* a stale socket file (daemon killed) is replaced */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(ctl_open(loop, path, (gid_t)-1, echo_dispatch, &calls, &ctl, &d), 0);
	ck_assert_str_eq(ask(loop, path, "x\n", 2), "ok\nargc=1 [x]\n");
	ctl_close(ctl);
	ev_loop_free(loop);
	diag_clear(&d);
	tu_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(lease_renderings)
{
	struct pool_lease_info l = { .pool = "clients", .identity = "a \"quoted\"\nname", .state = LEASE_OFFLINE,
				     .since = 1000, .is_static = true };
	struct sockaddr_in *sin = (struct sockaddr_in *)&l.addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xcb007105);	/* 203.0.113.5 */
	struct sbuf out = { 0 };
	struct lease_fmt f;
	lease_fmt_begin(&f, &out, true);
	lease_fmt_row(&l, &f);
	lease_fmt_end(&f);
	ck_assert_str_eq(out.data, "{\"leases\":[{\"pool\":\"clients\",\"address\":\"203.0.113.5\",\"state\":\"offline\","
				   "\"static\":true,\"since\":1000,\"identity\":\"a \\\"quoted\\\"\\u000aname\"}]}\n");
	sbuf_free(&out);
	lease_fmt_begin(&f, &out, false);
	lease_fmt_end(&f);
	ck_assert_ptr_nonnull(strstr(out.data, "(no leases)"));
	sbuf_free(&out);
	char age[32];
	fmt_age(age, sizeof(age), 90061);
	ck_assert_str_eq(age, "1d01h");
	fmt_age(age, sizeof(age), 61);
	ck_assert_str_eq(age, "1m01s");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");
	tcase_add_test(tc, split_words);
	tcase_add_test(tc, serve_requests);
	tcase_add_test(tc, lease_renderings);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
