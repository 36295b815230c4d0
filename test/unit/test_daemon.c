/* SPDX-License-Identifier: MIT */
/*
 * test_daemon.c - the daemon in-process: configure, start with the sample
 * plugin on 127.0.0.1, answer over UDP, and reload: reloadable changes take
 * effect, broken or restart-only changes are refused and the running
 * configuration keeps serving.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>

#include "daemon.h"
#include "event.h"
#include "log.h"
#include "net.h"
#include "testutil.h"

static struct daemon dm;
static struct diag d;
static char *dir, *file;
static uint16_t port;

static void setup(void)
{
	memset(&dm, 0, sizeof(dm));
	memset(&d, 0, sizeof(d));
	file = NULL;
	dir = tu_tmpdir();
	port = tu_free_udp_port();
	tu_log_start();
}

static void teardown(void)
{
	daemon_free(&dm);
	diag_clear(&d);
	tu_log_stop();
	tu_rmrf(dir);
	free(dir);
	free(file);
}

/*
 * The configuration under test; `extra` is appended verbatim. Returns the line
 * number the first line of `extra` lands on. Everything the daemon writes
 * stays in the temporary directory (tu_sandbox_settings).
 */
static int write_conf(uint16_t p, const char *greeting, const char *extra)
{
	char *text = NULL;
	int r = asprintf(&text,
			 "# kanmon.conf for test_daemon\n"
			 "plugin_dir = \"%s\";\n"
			 "plugins = [\"sample\"];\n"
			 "listen = [\"127.0.0.1\"];\n"
			 "%s"
			 "log = { level = \"info\"; };\n"
			 "sample = {\n"
			 "  port = %u;\n"
			 "  greeting = %s;\n"
			 "};\n"
			 "%s",
			 tu_build_plugindir(), tu_sandbox_settings(dir), p, greeting,
			 extra ? extra : "");
	ck_assert_int_ge(r, 0);
	free(file);
	file = tu_write_file(dir, "kanmon.conf", text);
	int line = 1;
	for (const char *c = text; *c; c++)
		line += *c == '\n';
	if (extra)
		for (const char *c = extra; *c; c++)
			line -= *c == '\n';
	free(text);
	return line;
}

static void start(void)
{
	ck_assert_msg(daemon_configure(&dm, file, &d) == 0, "configure:%s", tu_diag_dump(&d));
	ck_assert_msg(daemon_start(&dm, &d) == 0, "start:%s\nlog:%s", tu_diag_dump(&d), tu_log_dump());
	ck_assert(dm.running);
}

/*
 * "hello NAME" to the sample's port from a new client socket (a new peer each
 * time); the answer, or "" after the deadline.
 */
static const char *ask(uint16_t p, const char *name)
{
	static char answer[512];
	char msg[128];
	int len = snprintf(msg, sizeof(msg), "hello %s", name);
	int client = tu_udp_client(NULL);
	answer[0] = '\0';
	ck_assert_int_eq(tu_udp_send(client, p, msg, (size_t)len), 0);
	uint16_t from = 0;
	ssize_t n = tu_loop_recv(dm.loop, client, answer, sizeof(answer) - 1, 3000, &from);
	close(client);
	if (n < 0)
		return "";
	answer[n] = '\0';
	ck_assert_uint_eq(from, p);
	return answer;
}

#define EXPECT_LOG(needle) \
	ck_assert_msg(tu_logged(needle), "not logged: %s\nlog:%s", needle, tu_log_dump())

/* ---- start ------------------------------------------------------------------- */

START_TEST(test_start_and_answer)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	EXPECT_LOG("ready in");
	EXPECT_LOG("1 plugin (sample)");
	ck_assert_str_eq(ask(port, "x"), "hi x");
	ck_assert_str_eq(ask(port, "second"), "hi second");
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(dm.net, port, &st), 0);
	ck_assert_uint_eq(st.rx, 2);
	ck_assert_uint_eq(st.tx, 2);
}
END_TEST

START_TEST(test_configure_error)
{
	file = tu_write_filef(dir, "bad.conf",
			      "plugin_dir = \"%s\";\nplugins = [\"sample\"];\n"
			      "sample = {\n  port = 70000;\n  greting = \"x\";\n};\n",
			      tu_build_plugindir());
	ck_assert_int_eq(daemon_configure(&dm, file, &d), -EINVAL);
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s:4: sample.port: 70000 is out of range 1..65535", file);
	ck_assert_msg(tu_diag_has_line(&d, exp), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	snprintf(exp, sizeof(exp), "%s:5: sample.greting: unknown setting (did you mean 'greeting'?)", file);
	ck_assert_msg(tu_diag_has_line(&d, exp), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 2);
	ck_assert_ptr_null(dm.conf);
}
END_TEST

/* what only the plugin can judge (its check hook): file and line of its group, the plugin's words */
START_TEST(test_configure_plugin_check)
{
	file = tu_write_filef(dir, "check.conf",
			      "plugin_dir = \"%s\";\nplugins = [\"kernel-user\", \"ikev2\"];\n"
			      "ikev2 = {\n  esp_proposals = [\"aes256-sha256\", \"aes256-shaX\"];\n};\n",
			      tu_build_plugindir());
	ck_assert_int_eq(daemon_configure(&dm, file, &d), -EINVAL);
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s:3: ikev2: esp_proposals: ", file);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_msg(tu_diag_find(&d, "shaX", NULL), "the bad word is not named:%s", tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_null(dm.conf);
}
END_TEST

START_TEST(test_configure_plugin_check_lifetimes)
{
	file = tu_write_filef(dir, "check.conf",
			      "plugin_dir = \"%s\";\nplugins = [\"kernel-user\", \"ikev2\"];\n"
			      "ikev2 = {\n  esp_proposals = [\"aes256-sha256\"];\n  child_rekey = 600;\n"
			      "  child_life = 500;\n};\n",
			      tu_build_plugindir());
	ck_assert_int_eq(daemon_configure(&dm, file, &d), -EINVAL);
	ck_assert_msg(tu_diag_find(&d, "child_life (500 s) must be longer than child_rekey (600 s)", NULL),
		      "got:%s", tu_diag_dump(&d));
}
END_TEST

START_TEST(test_start_port_in_use)
{
	int holder = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(holder, (struct sockaddr *)&sin, sizeof(sin)), 0);
	write_conf(port, "\"hi\"", NULL);
	ck_assert_int_eq(daemon_configure(&dm, file, &d), 0);
	ck_assert_int_eq(daemon_start(&dm, &d), -EADDRINUSE);
	ck_assert_msg(tu_diag_find(&d, "/sample.so refused: init failed: Address already in use", NULL),
		      "%s", tu_diag_dump(&d));
	EXPECT_LOG("cannot open udp port");
	ck_assert(!dm.running);
	close(holder);
}
END_TEST

/* ---- reload ------------------------------------------------------------------ */

START_TEST(test_reload_reloadable_greeting)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	ck_assert_str_eq(ask(port, "x"), "hi x");
	const struct conf *before = dm.conf;
	write_conf(port, "\"bonjour\"", NULL);
	ck_assert_msg(daemon_reload(&dm, &d) == 0, "%s", tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_ne(dm.conf, before);
	ck_assert_str_eq(conf_string(conf_group_of(dm.conf, "sample"), "greeting"), "bonjour");
	char exp[1024];
	snprintf(exp, sizeof(exp), "configuration reloaded from %s", file);
	EXPECT_LOG(exp);
	ck_assert_str_eq(ask(port, "x"), "bonjour x");
	/* and once more: every reload replaces the previous one */
	write_conf(port, "\"salut\"", NULL);
	ck_assert_int_eq(daemon_reload(&dm, &d), 0);
	ck_assert_str_eq(ask(port, "y"), "salut y");
}
END_TEST

START_TEST(test_reload_broken_file_keeps_running)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	ck_assert_str_eq(ask(port, "x"), "hi x");
	const struct conf *before = dm.conf;
	int line = write_conf(port, "\"bonjour\"", "extra = ;\n");
	ck_assert_int_ne(daemon_reload(&dm, &d), 0);
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s:%d: syntax error", file, line);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	EXPECT_LOG(exp);
	EXPECT_LOG("reload refused: keeping the running configuration");
	/* the running configuration, unchanged */
	ck_assert_ptr_eq(dm.conf, before);
	ck_assert_str_eq(conf_string(conf_group_of(dm.conf, "sample"), "greeting"), "hi");
	ck_assert_str_eq(ask(port, "x"), "hi x");
	/* fixing the file makes the next reload work */
	diag_clear(&d);
	write_conf(port, "\"again\"", NULL);
	ck_assert_msg(daemon_reload(&dm, &d) == 0, "%s", tu_diag_dump(&d));
	ck_assert_str_eq(ask(port, "x"), "again x");
}
END_TEST

START_TEST(test_reload_invalid_value_keeps_running)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	int end = write_conf(port, "5", NULL);
	ck_assert_int_eq(daemon_reload(&dm, &d), -EINVAL);
	char exp[1024];
	/* greeting is two lines above the end: "  greeting = 5;\n};\n" */
	snprintf(exp, sizeof(exp), "%s:%d: sample.greeting: expected a string", file, end - 2);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	EXPECT_LOG(exp);
	ck_assert_str_eq(ask(port, "x"), "hi x");
}
END_TEST

START_TEST(test_reload_refuses_restart_only_change)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	const struct conf *before = dm.conf;
	uint16_t other = tu_free_udp_port();
	while (other == port)
		other = tu_free_udp_port();
	/* a reloadable change in the same file is not applied either */
	write_conf(other, "\"bonjour\"", NULL);
	ck_assert_int_eq(daemon_reload(&dm, &d), -EINVAL);
	const char *l = tu_diag_find(&d, "sample.port", "restart", NULL);
	ck_assert_msg(l, "%s", tu_diag_dump(&d));
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s: sample.port: cannot change on reload: restart kanmond to apply it", file);
	ck_assert_str_eq(l, exp);
	ck_assert_msg(d.n == 1, "only sample.port differs:%s", tu_diag_dump(&d));
	EXPECT_LOG(exp);
	EXPECT_LOG("reload refused: keeping the running configuration");
	ck_assert_ptr_eq(dm.conf, before);
	ck_assert_str_eq(ask(port, "x"), "hi x");
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(dm.net, other, &st), -ENOENT);
}
END_TEST

/* ---- signals ----------------------------------------------------------------- */

static struct kanmon_timer *poll_timer;

static void raise_hup(void *arg)
{
	(void)arg;
	ck_assert_int_eq(raise(SIGHUP), 0);
}

static void until_reloaded(void *arg)
{
	(void)arg;
	if (tu_logged("configuration reloaded") || tu_logged("reload refused"))
		ev_stop(dm.loop);
	else
		ev_timer_arm(poll_timer, 5);
}

START_TEST(test_sighup_reloads)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	write_conf(port, "\"hup\"", NULL);
	struct kanmon_timer *t = ev_timer_new(dm.loop, raise_hup, NULL, NULL);
	poll_timer = ev_timer_new(dm.loop, until_reloaded, NULL, NULL);
	ev_timer_arm(t, 1);
	ev_timer_arm(poll_timer, 5);
	ck_assert_msg(tu_run_loop(dm.loop, 3000), "SIGHUP did not reload:%s", tu_log_dump());
	EXPECT_LOG("configuration reloaded");
	ck_assert_str_eq(ask(port, "x"), "hup x");
	ev_timer_free(t);
	ev_timer_free(poll_timer);
}
END_TEST

static bool guard_fired;

static void guard(void *arg)
{
	(void)arg;
	guard_fired = true;
	daemon_stop(&dm);
}

static void raise_term(void *arg)
{
	(void)arg;
	ck_assert_int_eq(raise(SIGTERM), 0);
}

START_TEST(test_sigterm_stops)
{
	write_conf(port, "\"hi\"", NULL);
	start();
	guard_fired = false;
	struct kanmon_timer *t = ev_timer_new(dm.loop, raise_term, NULL, NULL);
	struct kanmon_timer *g = ev_timer_new(dm.loop, guard, NULL, NULL);
	ev_timer_arm(t, 1);
	ev_timer_arm(g, 3000);
	ck_assert_int_eq(daemon_run(&dm), 0);
	ck_assert_msg(!guard_fired, "SIGTERM did not stop the loop");
	EXPECT_LOG("received: stopping");
	ev_timer_free(t);
	ev_timer_free(g);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("start");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_start_and_answer);
	tcase_add_test(tc, test_configure_error);
	tcase_add_test(tc, test_configure_plugin_check);
	tcase_add_test(tc, test_configure_plugin_check_lifetimes);
	tcase_add_test(tc, test_start_port_in_use);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reload_reloadable_greeting);
	tcase_add_test(tc, test_reload_broken_file_keeps_running);
	tcase_add_test(tc, test_reload_invalid_value_keeps_running);
	tcase_add_test(tc, test_reload_refuses_restart_only_change);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sighup_reloads);
	tcase_add_test(tc, test_sigterm_stops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	tu_require_env("KANMON_BUILD_PLUGINDIR");
	SRunner *sr = srunner_create(daemon_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
