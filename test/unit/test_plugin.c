/* SPDX-License-Identifier: MIT */
/*
 * test_plugin.c - the plugin loader: every refusal is one diag line naming
 * the file and the reason, refused plugins never take the process down,
 * init/fini follow the dependency order, init failures unwind, and the
 * daemon reports refusals with the configuration's FILE:LINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "daemon.h"
#include "event.h"
#include "log.h"
#include "net.h"
#include "plugin.h"
#include "settings.h"
#include "testutil.h"

static struct plugin_set ps;
static struct diag d;
static char *dir, *file;
static const char *pdir;
static struct conf *c;
static struct conf_group_schema *schemas;

static void setup(void)
{
	memset(&ps, 0, sizeof(ps));
	memset(&d, 0, sizeof(d));
	c = NULL;
	schemas = NULL;
	file = NULL;
	pdir = tu_test_plugindir();
	ck_assert_ptr_nonnull(pdir);
	dir = tu_tmpdir();
	tu_log_start();
}

static void teardown(void)
{
	plugins_fini(&ps);
	net_free(ps.net);
	ev_loop_free(ps.loop);
	plugins_unload(&ps);
	free(schemas);
	conf_free(c);
	diag_clear(&d);
	tu_log_stop();
	tu_rmrf(dir);
	free(dir);
	free(file);
}

/* "{dir}" in fmt stands for the test plugin directory. */
static const char *expand(const char *fmt)
{
	static char out[2048];
	size_t off = 0;
	for (const char *p = fmt; *p && off < sizeof(out) - 1;) {
		if (!strncmp(p, "{dir}", 5)) {
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s", pdir);
			p += 5;
		} else {
			out[off++] = *p++;
		}
	}
	out[off < sizeof(out) ? off : sizeof(out) - 1] = '\0';
	return out;
}

#define EXPECT_DIAG(fmt)                                                                       \
	do {                                                                                   \
		const char *exp_ = expand(fmt);                                                \
		ck_assert_msg(tu_diag_find(&d, exp_, NULL), "no diag line contains\n  %s\ngot:%s", \
			      exp_, tu_diag_dump(&d));                                         \
	} while (0)

#define EXPECT_LOG(needle) \
	ck_assert_msg(tu_logged(needle), "not logged: %s\nlog:%s", needle, tu_log_dump())

static int load(const char *const *names, size_t n)
{
	return plugins_load(&ps, pdir, names, NULL, n, &d);
}

/* Validate `text` against the core and the loaded plugins' schemas, then init. */
static int start(const char *text)
{
	free(file);
	file = tu_write_file(dir, "k.conf", text);
	ck_assert_int_eq(conf_parse(file, &c, &d), 0);
	schemas = plugins_schemas(&ps);
	ck_assert_ptr_nonnull(schemas);
	ck_assert_msg(conf_validate(c, core_settings, schemas, ps.n, &d) == 0, "%s", tu_diag_dump(&d));
	ps.loop = ev_loop_new();
	ck_assert_ptr_nonnull(ps.loop);
	const char *listen[] = { "127.0.0.1" };
	ps.net = net_new(ps.loop, listen, 1);
	ck_assert_ptr_nonnull(ps.net);
	return plugins_init(&ps, c, &d);
}

static void assert_one_line_each(void)
{
	for (size_t i = 0; i < d.n; i++) {
		ck_assert_ptr_null(strchr(d.lines[i], '\n'));
		ck_assert_msg(strstr(d.lines[i], "refused: "), "not a refusal: %s", d.lines[i]);
	}
}

/* ---- refusals ------------------------------------------------------------------ */

struct refusal {
	const char *names[3];
	size_t n;
	size_t lines;			/* refusal lines expected */
	size_t loaded;			/* plugins that stay loaded */
	const char *msg[2];
};

static const struct refusal refusals[] = {
	{ { "tp_nodesc" }, 1, 1, 0,
	  { "plugin {dir}/tp_nodesc.so refused: no 'kanmon_plugin' descriptor exported (not a kanmon plugin, or built without KANMON_PLUGIN())" } },
	{ { "tp_good", "tp_dup" }, 2, 1, 1,
	  { "plugin {dir}/tp_dup.so refused: its name 'tp_good' duplicates the plugin loaded from {dir}/tp_good.so" } },
	{ { "tp_needs" }, 1, 1, 1,
	  { "plugin {dir}/tp_needs.so refused: requires 'sa-backend', which no enabled plugin provides: add a plugin that provides it to 'plugins'" } },
	{ { "tp_user" }, 1, 1, 1,
	  { "plugin {dir}/tp_user.so refused: requires 'thing', which no enabled plugin provides" } },
	{ { "nosuch" }, 1, 1, 0,
	  { "plugin 'nosuch' refused: unknown plugin, there is no {dir}/nosuch.so" } },
	{ { "tp_garbage" }, 1, 1, 0, { "plugin {dir}/tp_garbage.so refused: cannot load: " } },
	{ { "../x" }, 1, 1, 0, { "plugin '../x' refused: a plugin name is made of [a-z0-9_-] only" } },
	{ { "/etc/passwd" }, 1, 1, 0, { "plugin '/etc/passwd' refused: a plugin name is made of" } },
	{ { "TP_GOOD" }, 1, 1, 0, { "plugin 'TP_GOOD' refused: a plugin name is made of" } },
	{ { "" }, 1, 1, 0, { "plugin '' refused: a plugin name is made of" } },
	{ { "tp_good", "tp_good" }, 2, 1, 1, { "plugin {dir}/tp_good.so refused: listed twice" } },
	{ { "tp_cycle_a", "tp_cycle_b" }, 2, 2, 2,
	  { "plugin {dir}/tp_cycle_a.so refused: its requirements form a cycle",
	    "plugin {dir}/tp_cycle_b.so refused: its requirements form a cycle" } },
};

START_TEST(test_refusal)
{
	const struct refusal *rf = &refusals[_i];
	ck_assert_int_eq(load(rf->names, rf->n), -EINVAL);
	for (size_t i = 0; i < 2 && rf->msg[i]; i++)
		EXPECT_DIAG(rf->msg[i]);
	ck_assert_msg(d.n == rf->lines, "case %d:%s", _i, tu_diag_dump(&d));
	assert_one_line_each();
	ck_assert_uint_eq(ps.n, rf->loaded);
}
END_TEST

START_TEST(test_refuse_abi_major)
{
	char exp[512];
	const char *names[] = { "tp_major" };
	ck_assert_int_eq(load(names, 1), -EINVAL);
	snprintf(exp, sizeof(exp),
		 "plugin %s/tp_major.so refused: built for plugin ABI %d.%d but this kanmond speaks ABI %d.%d: rebuild the plugin against this kanmon's headers",
		 pdir, KANMON_ABI_MAJOR + 1, KANMON_ABI_MINOR, KANMON_ABI_MAJOR, KANMON_ABI_MINOR);
	ck_assert_msg(tu_diag_has_line(&d, exp), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(ps.n, 0);
}
END_TEST

START_TEST(test_refuse_abi_newer_minor)
{
	char exp[512];
	const char *names[] = { "tp_minor" };
	ck_assert_int_eq(load(names, 1), -EINVAL);
	snprintf(exp, sizeof(exp),
		 "plugin %s/tp_minor.so refused: built for plugin ABI %d.%d, newer than this kanmond's %d.%d: upgrade kanmond",
		 pdir, KANMON_ABI_MAJOR, KANMON_ABI_MINOR + 1, KANMON_ABI_MAJOR, KANMON_ABI_MINOR);
	ck_assert_msg(tu_diag_has_line(&d, exp), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

START_TEST(test_refusals_do_not_stop_the_rest)
{
	const char *names[] = { "tp_good", "tp_nodesc", "tp_major", "tp_minor", "tp_dup",
				"nosuch", "tp_garbage", "../x", "tp_good" };
	ck_assert_int_eq(load(names, 9), -EINVAL);
	ck_assert_msg(d.n == 8, "%s", tu_diag_dump(&d));
	assert_one_line_each();
	/* every refused file is named */
	static const char *const named[] = { "tp_nodesc.so", "tp_major.so", "tp_minor.so", "tp_dup.so",
					     "nosuch.so", "tp_garbage.so", "'../x'", "listed twice" };
	for (size_t i = 0; i < 8; i++)
		ck_assert_msg(tu_diag_find(&d, named[i], NULL), "%s missing:%s", named[i], tu_diag_dump(&d));
	ck_assert_uint_eq(ps.n, 1);
	ck_assert_ptr_nonnull(plugins_find(&ps, "tp_good"));
	/* the process goes on: unload and load a good set */
	plugins_unload(&ps);
	diag_clear(&d);
	const char *good[] = { "tp_user", "tp_good" };
	ck_assert_int_eq(load(good, 2), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(ps.n, 2);
}
END_TEST

START_TEST(test_refusal_where_prefix)
{
	const char *names[] = { "nosuch", "../x", "tp_good", "tp_good" };
	const char *where[] = { "a.conf:3", "a.conf:4", "a.conf:5", "a.conf:6" };
	ck_assert_int_eq(plugins_load(&ps, pdir, names, where, 4, &d), -EINVAL);
	EXPECT_DIAG("a.conf:3: plugins: plugin 'nosuch' refused: unknown plugin, there is no {dir}/nosuch.so");
	EXPECT_DIAG("a.conf:4: plugins: plugin '../x' refused: a plugin name is made of [a-z0-9_-] only");
	EXPECT_DIAG("a.conf:6: plugins: plugin {dir}/tp_good.so refused: listed twice");
	ck_assert_uint_eq(d.n, 3);
}
END_TEST

START_TEST(test_plugin_dir_missing)
{
	const char *names[] = { "tp_good" };
	char missing[512];
	snprintf(missing, sizeof(missing), "%s/nowhere", dir);
	ck_assert_int_eq(plugins_load(&ps, missing, names, NULL, 1, &d), -EINVAL);
	ck_assert_msg(tu_diag_find(&d, "plugin 'tp_good' refused: unknown plugin, there is no ", missing, NULL),
		      "%s", tu_diag_dump(&d));
}
END_TEST

START_TEST(test_plugin_open)
{
	char path[1024];
	struct plugin *p = NULL;
	snprintf(path, sizeof(path), "%s/tp_good.so", pdir);
	ck_assert_int_eq(plugin_open(path, &p, &d), 0);
	ck_assert_str_eq(p->desc->name, "tp_good");
	ck_assert_str_eq(p->desc->provides[0], "thing");
	ck_assert_str_eq(p->host.plugin_name, "tp_good");
	ck_assert_uint_eq(p->host.size, sizeof(struct kanmon_host));
	ck_assert_uint_eq(p->host.abi_major, KANMON_ABI_MAJOR);
	plugin_close(p);
	snprintf(path, sizeof(path), "%s/tp_garbage.so", pdir);
	p = NULL;
	ck_assert_int_eq(plugin_open(path, &p, &d), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(d.n, 1);
	plugin_close(NULL);
}
END_TEST

/* ---- order, init, fini ----------------------------------------------------------- */

START_TEST(test_dependency_order)
{
	const char *names[] = { "tp_user", "tp_good" };
	ck_assert_int_eq(load(names, 2), 0);
	ck_assert_str_eq(ps.v[0]->desc->name, "tp_good");
	ck_assert_str_eq(ps.v[1]->desc->name, "tp_user");
	ck_assert_int_eq(start("plugins = [\"tp_user\", \"tp_good\"];\ntp_good = { value = 7; };\n"), 0);
	long ig = tu_log_find("init tp_good value=7", 0), iu = tu_log_find("init tp_user value=1", 0);
	ck_assert_msg(ig >= 0 && iu > ig, "init order wrong:%s", tu_log_dump());
	ck_assert_str_eq(tu_log_subsys((size_t)ig), "tp_good");
	ck_assert_str_eq(tu_log_subsys((size_t)iu), "tp_user");
	ck_assert(ps.v[0]->initialized && ps.v[1]->initialized);
	plugins_fini(&ps);
	long fu = tu_log_find("fini tp_user", 0), fg = tu_log_find("fini tp_good", 0);
	ck_assert_msg(fu > iu && fg > fu, "fini order wrong:%s", tu_log_dump());
	ck_assert(!ps.v[0]->initialized && !ps.v[1]->initialized);
	/* a second fini does nothing */
	size_t lines = tu_log_count();
	plugins_fini(&ps);
	ck_assert_uint_eq(tu_log_count(), lines);
}
END_TEST

START_TEST(test_reload_passes_new_group)
{
	const char *names[] = { "tp_good" };
	ck_assert_int_eq(load(names, 1), 0);
	ck_assert_int_eq(start("plugins = [\"tp_good\"];\n"), 0);
	EXPECT_LOG("init tp_good value=1");
	char *f2 = tu_write_file(dir, "k2.conf", "plugins = [\"tp_good\"];\ntp_good = { value = 9; };\n");
	struct conf *c2 = NULL;
	ck_assert_int_eq(conf_parse(f2, &c2, &d), 0);
	ck_assert_int_eq(conf_validate(c2, core_settings, schemas, ps.n, &d), 0);
	ck_assert_int_eq(plugins_reload(&ps, c2), 0);
	EXPECT_LOG("reload tp_good value=9");
	/* the plugin holds the new configuration: dropping ours keeps it alive */
	conf_free(c2);
	ck_assert_int_eq(conf_int(conf_group_of(ps.v[0]->conf, "tp_good"), "value"), 9);
	free(f2);
}
END_TEST

START_TEST(test_init_failure_unwinds)
{
	const char *names[] = { "tp_good", "tp_initfail", "tp_user" };
	ck_assert_int_eq(load(names, 3), 0);
	ck_assert_int_eq(start("plugins = [\"tp_good\", \"tp_initfail\", \"tp_user\"];\n"), -EADDRINUSE);
	EXPECT_DIAG("plugin {dir}/tp_initfail.so refused: init failed: Address already in use");
	ck_assert_uint_eq(d.n, 1);
	long ig = tu_log_find("init tp_good", 0), ii = tu_log_find("init tp_initfail", 0);
	long fg = tu_log_find("fini tp_good", 0);
	ck_assert_msg(ig >= 0 && ii > ig && fg > ii, "unwind order wrong:%s", tu_log_dump());
	/* the failed plugin's fini is not called, later plugins never start */
	ck_assert(!tu_logged("fini tp_initfail"));
	ck_assert(!tu_logged("init tp_user"));
	for (size_t i = 0; i < ps.n; i++) {
		ck_assert(!ps.v[i]->initialized);
		ck_assert_ptr_null(ps.v[i]->conf);
	}
}
END_TEST

static void never(void *arg)
{
	(void)arg;
	ck_abort_msg("a reclaimed timer fired");
}

static void never_fd(int fd, unsigned ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

static void never_rx(const struct kanmon_pkt *pkt, void *arg)
{
	(void)pkt;
	(void)arg;
}

START_TEST(test_host_table_and_reclaim)
{
	const char *names[] = { "tp_good" };
	ck_assert_int_eq(load(names, 1), 0);
	ck_assert_int_eq(start("plugins = [\"tp_good\"];\n"), 0);
	const struct kanmon_host *h = &ps.v[0]->host;
	/* logging goes under the plugin's name and honours its level */
	tu_log_clear();
	h->log(h, KANMON_LOG_NOTICE, "hello %d", 42);
	ck_assert_uint_eq(tu_log_count(), 1);
	ck_assert_str_eq(tu_log_subsys(0), "tp_good");
	ck_assert_str_eq(tu_log_line(0), "hello 42");
	ck_assert_int_eq(log_set_level("tp_good", KANMON_LOG_ERR), 0);
	ck_assert(!h->log_enabled(h, KANMON_LOG_NOTICE));
	h->log(h, KANMON_LOG_NOTICE, "filtered");
	ck_assert(!tu_logged("filtered"));
	log_reset_levels();
	/* a sloppy plugin: a timer, a watch and a socket left behind */
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	struct kanmon_timer *t = h->timer_new(h, never, NULL);
	ck_assert_ptr_nonnull(t);
	h->timer_arm(t, 1);
	ck_assert_ptr_nonnull(h->watch_new(h, fds[0], KANMON_WATCH_READ, never_fd, NULL));
	uint16_t port = tu_free_udp_port();
	struct kanmon_net_handler nh = { .size = sizeof(nh), .port = port, .receive = never_rx };
	struct kanmon_net_reg *reg = NULL;
	ck_assert_int_eq(h->net_register(h, &nh, &reg), 0);
	struct net_stats st;
	ck_assert_int_eq(net_port_stats(ps.net, port, &st), 0);
	plugins_fini(&ps);
	EXPECT_LOG("tp_good left 3 timer(s), watch(es) or socket registration(s) behind; released them");
	ck_assert_int_eq(net_port_stats(ps.net, port, &st), -ENOENT);
	/* nothing of it runs any more (the timer would abort the test) */
	ck_assert(!tu_run_loop(ps.loop, 30));
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* ---- through the daemon: refusals carry the configuration's FILE:LINE ---------- */

START_TEST(test_daemon_reports_refusals)
{
	struct daemon dm = { 0 };
	file = tu_write_filef(dir, "kanmon.conf",
			      "plugin_dir = \"%s\";\n"		/* 1 */
			      "listen = [\"127.0.0.1\"];\n"	/* 2 */
			      "plugins = [\n"			/* 3 */
			      "  \"tp_good\",\n"		/* 4 */
			      "  \"nosuch\",\n"			/* 5 */
			      "  \"tp_major\",\n"		/* 6 */
			      "  \"Bad/Name\" ];\n"		/* 7 */
			      "tp_good = { value = 99; };\n"	/* 8 */
			      "nosuch = { whatever = 1; };\n",	/* 9 */
			      pdir);
	ck_assert_int_ne(daemon_configure(&dm, file, &d), 0);
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s:5: plugins: plugin 'nosuch' refused: unknown plugin, there is no %s/nosuch.so",
		 file, pdir);
	ck_assert_msg(tu_diag_has_line(&d, exp), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	snprintf(exp, sizeof(exp), "%s:7: plugins: plugin 'Bad/Name' refused: a plugin name is made of", file);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	EXPECT_DIAG("plugin {dir}/tp_major.so refused: built for plugin ABI");
	/* the rest of the file is still checked; refused plugins' groups are not */
	snprintf(exp, sizeof(exp), "%s:8: tp_good.value: 99 is out of range 0..10", file);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_ptr_null(tu_diag_find(&d, "whatever", NULL));
	ck_assert_msg(d.n == 4, "%s", tu_diag_dump(&d));
	ck_assert_ptr_null(dm.conf);
	daemon_free(&dm);
}
END_TEST

START_TEST(test_daemon_starts_in_order)
{
	struct daemon dm = { 0 };
	file = tu_write_filef(dir, "kanmon.conf",
			      "plugin_dir = \"%s\";\nlisten = [\"127.0.0.1\"];\n"
			      "plugins = [\"tp_user\", \"tp_good\"];\n%s"
			      "log = { subsystems = { tp_user = \"debug\"; net = \"info\"; }; };\n"
			      "tp_user = { value = 3; };\n",
			      pdir, tu_sandbox_settings(dir));
	ck_assert_msg(daemon_configure(&dm, file, &d) == 0, "%s", tu_diag_dump(&d));
	ck_assert_msg(daemon_start(&dm, &d) == 0, "%s", tu_diag_dump(&d));
	long ig = tu_log_find("init tp_good value=1", 0), iu = tu_log_find("init tp_user value=3", 0);
	ck_assert_msg(ig >= 0 && iu > ig, "%s", tu_log_dump());
	EXPECT_LOG("2 plugins (tp_good, tp_user)");
	daemon_free(&dm);
	long fu = tu_log_find("fini tp_user", 0), fg = tu_log_find("fini tp_good", 0);
	ck_assert_msg(fu > iu && fg > fu, "%s", tu_log_dump());
}
END_TEST

START_TEST(test_daemon_unknown_subsystem)
{
	struct daemon dm = { 0 };
	file = tu_write_filef(dir, "kanmon.conf",
			      "plugin_dir = \"%s\";\nplugins = [\"tp_good\"];\n"
			      "log = {\n  subsystems = {\n    tp_good = \"debug\";\n    tp_gone = \"info\";\n  };\n};\n",
			      pdir);
	ck_assert_int_eq(daemon_configure(&dm, file, &d), -EINVAL);
	char exp[1024];
	snprintf(exp, sizeof(exp), "%s:6: log.subsystems.tp_gone: unknown subsystem", file);
	ck_assert_msg(tu_diag_find(&d, exp, NULL), "want %s\ngot:%s", exp, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 1);
	daemon_free(&dm);
}
END_TEST

static Suite *plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refusal, 0, (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, test_refuse_abi_major);
	tcase_add_test(tc, test_refuse_abi_newer_minor);
	tcase_add_test(tc, test_refusals_do_not_stop_the_rest);
	tcase_add_test(tc, test_refusal_where_prefix);
	tcase_add_test(tc, test_plugin_dir_missing);
	tcase_add_test(tc, test_plugin_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dependency_order);
	tcase_add_test(tc, test_reload_passes_new_group);
	tcase_add_test(tc, test_init_failure_unwinds);
	tcase_add_test(tc, test_host_table_and_reclaim);
	suite_add_tcase(s, tc);

	tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_daemon_reports_refusals);
	tcase_add_test(tc, test_daemon_starts_in_order);
	tcase_add_test(tc, test_daemon_unknown_subsystem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	tu_require_env("KANMON_TEST_PLUGINDIR");
	SRunner *sr = srunner_create(plugin_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
