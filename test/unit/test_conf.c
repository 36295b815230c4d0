/* SPDX-License-Identifier: MIT */
/*
 * test_conf.c - strict configuration: every mistake class is reported as one
 * diag line "FILE:LINE: PATH: message", defaults, accessors, reload checks,
 * schema checks and the --help-config reference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "log.h"
#include "settings.h"
#include "testutil.h"

/* ---- a schema exercising every type and flag ----------------------------- */

static const char *const modes[] = { "fast", "slow", NULL };

static const struct kanmon_setting retransmit_s[] = {
	{ .name = "delay", .type = KANMON_CONF_INT, .def = "500", .min = 10, .max = 10000,
	  .flags = KANMON_CONF_RELOAD, .help = "First retransmission after this many ms." },
	{ .name = "factor", .type = KANMON_CONF_FLOAT, .def = "1.5", .min = 1, .max = 4,
	  .help = "Back-off factor." },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting peer_s[] = {
	{ .name = "address", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_REQUIRED },
	{ .name = "weight", .type = KANMON_CONF_INT, .def = "1", .min = 1, .max = 100 },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting tag_s[] = {
	{ .name = "value", .type = KANMON_CONF_STRING },
	KANMON_SETTINGS_END,
};

static const struct kanmon_setting schema[] = {
	{ .name = "enabled", .type = KANMON_CONF_BOOL, .def = "true", .help = "Switch it on." },
	{ .name = "verbose", .type = KANMON_CONF_BOOL },
	{ .name = "count", .type = KANMON_CONF_INT, .def = "3", .min = 1, .max = 10,
	  .help = "How many things." },
	{ .name = "ratio", .type = KANMON_CONF_FLOAT, .def = "0.25", .min = 0, .max = 1 },
	{ .name = "label", .type = KANMON_CONF_STRING, .def = "kanmon" },
	{ .name = "mode", .type = KANMON_CONF_STRING, .def = "fast", .choices = modes,
	  .flags = KANMON_CONF_RELOAD },
	{ .name = "gateway", .type = KANMON_CONF_ADDR, .def = "192.0.2.1" },
	{ .name = "subnet", .type = KANMON_CONF_PREFIX, .def = "192.0.2.0/24" },
	{ .name = "pool", .type = KANMON_CONF_RANGE, .def = "192.0.2.10-192.0.2.99" },
	{ .name = "servers", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_LIST,
	  .def = "192.0.2.53, 2001:db8::53", .min = 1, .max = 3 },
	{ .name = "names", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST },
	{ .name = "retransmit", .type = KANMON_CONF_GROUP, .children = retransmit_s,
	  .help = "Retransmission timing." },
	{ .name = "peers", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_LIST, .children = peer_s },
	{ .name = "tags", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_MAP | KANMON_CONF_RELOAD,
	  .children = tag_s },
	KANMON_SETTINGS_END,
};

/* ---- fixture ---------------------------------------------------------------- */

static char *dir, *file;
static struct diag d;
static struct conf *c, *c2;

static void setup(void)
{
	dir = tu_tmpdir();
	memset(&d, 0, sizeof(d));
	c = c2 = NULL;
	file = NULL;
	tu_log_start();
}

static void teardown(void)
{
	tu_log_stop();
	conf_free(c);
	conf_free(c2);
	diag_clear(&d);
	tu_rmrf(dir);
	free(dir);
	free(file);
}

/* Writes dir/name, parses and validates it against `s` (plus groups). */
static int load_as(const char *name, const char *text, const struct kanmon_setting *s,
		   const struct conf_group_schema *groups, size_t n_groups, struct conf **out)
{
	free(file);
	file = tu_write_file(dir, name, text);
	int r = conf_parse(file, out, &d);
	if (r)
		return r;
	return conf_validate(*out, s, groups, n_groups, &d);
}

static int load(const char *text)
{
	return load_as("t.conf", text, schema, NULL, 0, &c);
}

/* A diag line containing the formatted text must exist. */
#define EXPECT_DIAG(...)                                                                  \
	do {                                                                              \
		char exp_[1024];                                                          \
		snprintf(exp_, sizeof(exp_), __VA_ARGS__);                                \
		ck_assert_msg(tu_diag_find(&d, exp_, NULL), "no diag line contains\n  %s\ngot:%s", \
			      exp_, tu_diag_dump(&d));                                    \
	} while (0)

/* ---- syntax and I/O ------------------------------------------------------------ */

START_TEST(test_syntax_error)
{
	ck_assert_int_eq(load("count = 3;\nlabel = ;\n"), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.n, 1);
	EXPECT_DIAG("%s:2: syntax error", file);
}
END_TEST

START_TEST(test_unreadable_file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	ck_assert_int_eq(conf_parse(path, &c, &d), -EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.n, 1);
	EXPECT_DIAG("%s: cannot read configuration file", path);
}
END_TEST

/* ---- one mistake, one line: FILE:LINE: PATH: message --------------------------- */

struct bad_case {
	const char *text;
	int line;
	const char *path;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	/* unknown settings */
	{ "cuont = 3;", 1, "cuont", "unknown setting (did you mean 'count'?)" },
	{ "count = 3;\nfrobnicator = 1;", 2, "frobnicator",
	  "unknown setting (a plugin's group? plugins that are not in 'plugins' cannot be configured)" },
	{ "\n\nretransmit = {\n  dleay = 20;\n};", 4, "retransmit.dleay",
	  "unknown setting (did you mean 'delay'?)" },
	{ "retransmit = {\n  jitter_percent = 1;\n};", 2, "retransmit.jitter_percent", "unknown setting" },
	{ "peers = (\n  { address = \"192.0.2.1\"; wieght = 2; }\n);", 2, "peers[0].wieght",
	  "unknown setting (did you mean 'weight'?)" },
	/* wrong types */
	{ "enabled = 1;", 1, "enabled", "expected a boolean (true or false)" },
	{ "count = \"3\";", 1, "count", "expected an integer" },
	{ "count = 2.5;", 1, "count", "expected an integer" },
	{ "ratio = \"half\";", 1, "ratio", "expected a number" },
	{ "ratio = false;", 1, "ratio", "expected a number" },
	{ "label = 5;", 1, "label", "expected a string" },
	{ "retransmit = 5;", 1, "retransmit", "expected a group { ... }" },
	{ "retransmit = [ 1, 2 ];", 1, "retransmit", "expected a group { ... }" },
	{ "servers = 5;", 1, "servers", "expected a list [ ... ] of an IP address string" },
	{ "peers = { address = \"192.0.2.1\"; };", 1, "peers",
	  "expected a list of groups ( { ... }, ... )" },
	{ "gateway = 7;", 1, "gateway", "expected an IP address string" },
	{ "subnet = 24;", 1, "subnet", "expected a prefix string like \"192.0.2.0/24\"" },
	{ "names = [ 1 ];", 1, "names[0]", "expected a string" },
	{ "tags = {\n  a = \"x\";\n  b = 5;\n};", 3, "tags.b", "expected a string" },
	{ "tags = 1;", 1, "tags", "expected a group { ... }" },
	/* ranges of numbers and list lengths */
	{ "count = 42;", 1, "count", "42 is out of range 1..10" },
	{ "count = 0;", 1, "count", "0 is out of range 1..10" },
	{ "count = 8589934592L;", 1, "count", "8589934592 is out of range 1..10" },
	{ "ratio = 1.5;", 1, "ratio", "1.5 is out of range 0..1" },
	{ "ratio = -1;", 1, "ratio", "-1 is out of range 0..1" },
	{ "retransmit = {\n  delay = 5;\n};", 2, "retransmit.delay", "5 is out of range 10..10000" },
	{ "retransmit = {\n  factor = 4.5;\n};", 2, "retransmit.factor", "4.5 is out of range 1..4" },
	{ "peers = ( { address = \"192.0.2.1\"; weight = 0; } );", 1, "peers[0].weight",
	  "0 is out of range 1..100" },
	{ "servers = [];", 1, "servers", "has 0 entries, expected 1..3" },
	{ "servers = [\"192.0.2.1\", \"192.0.2.2\", \"192.0.2.3\", \"192.0.2.4\"];", 1, "servers",
	  "has 4 entries, expected 1..3" },
	/* choices */
	{ "mode = \"medium\";", 1, "mode", "\"medium\" is not one of \"fast\", \"slow\"" },
	{ "mode = \"FAST\";", 1, "mode", "\"FAST\" is not one of \"fast\", \"slow\"" },
	/* addresses */
	{ "gateway = \"192.0.2.300\";", 1, "gateway", "\"192.0.2.300\" is not an IPv4 or IPv6 address" },
	{ "gateway = \"192.0.2\";", 1, "gateway", "\"192.0.2\" is not an IPv4 or IPv6 address" },
	{ "gateway = \"2001:db8:::1\";", 1, "gateway", "\"2001:db8:::1\" is not an IPv4 or IPv6 address" },
	{ "gateway = \"192.0.2.1/32\";", 1, "gateway", "\"192.0.2.1/32\" is not an IPv4 or IPv6 address" },
	{ "servers = [\"192.0.2.53\",\n  \"fe80::zz\"];", 2, "servers[1]",
	  "\"fe80::zz\" is not an IPv4 or IPv6 address" },
	{ "peers = (\n  { address = \"localhost\"; }\n);", 2, "peers[0].address",
	  "\"localhost\" is not an IPv4 or IPv6 address" },
	/* prefixes */
	{ "subnet = \"192.0.2.0/33\";", 1, "subnet",
	  "\"192.0.2.0/33\" is not a prefix like \"192.0.2.0/24\" or \"2001:db8::/64\"" },
	{ "subnet = \"192.0.2.0\";", 1, "subnet", "\"192.0.2.0\" is not a prefix like" },
	{ "subnet = \"192.0.2.0/\";", 1, "subnet", "\"192.0.2.0/\" is not a prefix like" },
	{ "subnet = \"192.0.2.0/-1\";", 1, "subnet", "\"192.0.2.0/-1\" is not a prefix like" },
	{ "subnet = \"2001:db8::/129\";", 1, "subnet", "\"2001:db8::/129\" is not a prefix like" },
	{ "subnet = \"example.net/24\";", 1, "subnet", "\"example.net/24\" is not a prefix like" },
	{ "subnet = \"192.0.2.1/24\";", 1, "subnet",
	  "\"192.0.2.1/24\" has host bits set below the prefix length" },
	{ "subnet = \"2001:db8::1/64\";", 1, "subnet",
	  "\"2001:db8::1/64\" has host bits set below the prefix length" },
	/* ranges */
	{ "pool = \"192.0.2.99-192.0.2.10\";", 1, "pool",
	  "\"192.0.2.99-192.0.2.10\" is not a range \"FIRST-LAST\" (same family, FIRST <= LAST) or a prefix" },
	{ "pool = \"2001:db8::ff-2001:db8::1\";", 1, "pool", "\"2001:db8::ff-2001:db8::1\" is not a range" },
	{ "pool = \"192.0.2.1-2001:db8::1\";", 1, "pool", "\"192.0.2.1-2001:db8::1\" is not a range" },
	{ "pool = \"banana\";", 1, "pool", "\"banana\" is not a range" },
	{ "pool = \"192.0.2.1-\";", 1, "pool", "\"192.0.2.1-\" is not a range" },
	{ "pool = \"192.0.2.1/24\";", 1, "pool", "\"192.0.2.1/24\" has host bits set below the prefix length" },
	/* lists of groups */
	{ "peers = (\n  { address = \"192.0.2.1\"; },\n  5 );", 3, "peers[1]", "expected a group { ... }" },
	{ "peers = (\n  { address = \"192.0.2.1\"; },\n  \"x\" );", 3, "peers[1]",
	  "expected a group { ... }" },
	/* required inside a list element: located at the element */
	{ "peers = (\n  { address = \"192.0.2.1\"; },\n  { weight = 2; }\n);", 3, "peers[1].address",
	  "required setting is missing" },
};

START_TEST(test_bad_value)
{
	const struct bad_case *bc = &bad_cases[_i];
	ck_assert_msg(load(bc->text) == -EINVAL, "accepted:\n%s", bc->text);
	EXPECT_DIAG("%s:%d: %s: %s", file, bc->line, bc->path, bc->msg);
	/* exactly one complaint, on one line */
	ck_assert_msg(d.n == 1, "%zu lines for\n%s\n:%s", d.n, bc->text, tu_diag_dump(&d));
	ck_assert_ptr_null(strchr(d.lines[0], '\n'));
	/* a plain "unknown setting" carries no made-up hint */
	if (!strcmp(bc->msg, "unknown setting"))
		ck_assert_ptr_null(strchr(d.lines[0], '('));
	/* parsed, but no value tree for a file that did not validate */
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(conf_root(c));
}
END_TEST

START_TEST(test_valid_edge_values)
{
	static const char *const ok[] = {
		"count = 1;", "count = 10;", "ratio = 0;", "ratio = 1;", "ratio = 0.999;",
		"mode = \"slow\";", "gateway = \"2001:db8::1\";", "gateway = \"::\";",
		"subnet = \"0.0.0.0/0\";", "subnet = \"192.0.2.1/32\";", "subnet = \"2001:db8::/32\";",
		"pool = \"192.0.2.1-192.0.2.1\";", "pool = \"2001:db8::/64\";",
		"pool = \"2001:db8::1-2001:db8::ff\";", "servers = [\"::1\"];",
		"servers = (\"192.0.2.1\", \"192.0.2.2\", \"::1\");", "names = [];",
		"peers = ();", "tags = {};", "retransmit = {};", "count = 0x5;",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct conf *x = NULL;
		int r = load_as("ok.conf", ok[i], schema, NULL, 0, &x);
		ck_assert_msg(r == 0, "rejected %s:%s", ok[i], tu_diag_dump(&d));
		conf_free(x);
	}
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_required_missing_top_level)
{
	ck_assert_int_eq(load_as("t.conf", "listen = [\"127.0.0.1\"];\n", core_settings, NULL, 0, &c),
			 -EINVAL);
	/* a missing setting has no line of its own: the file names it */
	EXPECT_DIAG("%s: plugins: required setting is missing", file);
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

START_TEST(test_several_errors_at_once)
{
	const char *text =
		"count = 42;\n"			/* 1 */
		"mode = \"medium\";\n"		/* 2 */
		"gateway = \"192.0.2.256\";\n"	/* 3 */
		"retransmit = {\n"		/* 4 */
		"  dleay = 1;\n"		/* 5 */
		"  factor = \"x\";\n"		/* 6 */
		"};\n"
		"subnet = \"10.0.0.1/8\";\n"	/* 8 */
		"peers = ( { weight = 200; } );\n"; /* 9 */
	ck_assert_int_eq(load(text), -EINVAL);
	EXPECT_DIAG("%s:1: count: 42 is out of range", file);
	EXPECT_DIAG("%s:2: mode: \"medium\" is not one of", file);
	EXPECT_DIAG("%s:3: gateway: \"192.0.2.256\" is not an IPv4", file);
	EXPECT_DIAG("%s:5: retransmit.dleay: unknown setting (did you mean 'delay'?)", file);
	EXPECT_DIAG("%s:6: retransmit.factor: expected a number", file);
	EXPECT_DIAG("%s:8: subnet: \"10.0.0.1/8\" has host bits", file);
	EXPECT_DIAG("%s:9: peers[0].weight: 200 is out of range 1..100", file);
	EXPECT_DIAG("%s:9: peers[0].address: required setting is missing", file);
	ck_assert_uint_eq(d.n, 8);
}
END_TEST

START_TEST(test_include_names_included_file)
{
	free(tu_write_file(dir, "inc.conf", "# included\nratio = 7.5;\n"));
	ck_assert_int_eq(load("count = 2;\n@include \"inc.conf\"\nlabel = 5;\n"), -EINVAL);
	/* libconfig names the included file as the @include wrote it */
	const char *l = tu_diag_find(&d, "inc.conf:2: ratio: 7.5 is out of range 0..1", NULL);
	ck_assert_msg(l, "%s", tu_diag_dump(&d));
	ck_assert_ptr_null(strstr(l, "t.conf"));
	/* lines after the @include still count in the including file */
	EXPECT_DIAG("%s:3: label: expected a string", file);
	ck_assert_uint_eq(d.n, 2);
}
END_TEST

START_TEST(test_include_syntax_error)
{
	free(tu_write_file(dir, "inc.conf", "# included\n\nratio = ;\n"));
	ck_assert_int_eq(load("count = 2;\n@include \"inc.conf\"\n"), -EINVAL);
	ck_assert_uint_eq(d.n, 1);
	EXPECT_DIAG("inc.conf:3: syntax error");
	ck_assert_ptr_null(tu_diag_find(&d, "t.conf", NULL));
}
END_TEST

START_TEST(test_plugin_groups)
{
	static const struct kanmon_setting plug_s[] = {
		{ .name = "port", .type = KANMON_CONF_INT, .def = "7", .min = 1, .max = 9 },
		KANMON_SETTINGS_END,
	};
	const struct conf_group_schema groups[] = {
		{ .name = "plug", .settings = plug_s },
		{ .name = "refused", .unchecked = true },
	};
	const char *text = "plugins = [\"plug\", \"refused\"];\n"
			   "plug = {\n  port = 10;\n};\n"
			   "refused = { anything = [1, 2]; goes = true; };\n"
			   "plgu = {};\n";
	ck_assert_int_eq(load_as("t.conf", text, core_settings, groups, 2, &c), -EINVAL);
	EXPECT_DIAG("%s:3: plug.port: 10 is out of range 1..9", file);
	EXPECT_DIAG("%s:6: plgu: unknown setting (did you mean 'plug'?)", file);
	ck_assert_uint_eq(d.n, 2);
	/* a plugin named like a core setting */
	struct conf *x = NULL;
	const struct conf_group_schema clash[] = { { .name = "listen" } };
	diag_clear(&d);
	ck_assert_int_eq(load_as("x.conf", "plugins = [];\n", core_settings, clash, 1, &x), -EINVAL);
	EXPECT_DIAG("plugin 'listen' has the name of a core setting");
	conf_free(x);
}
END_TEST

/* ---- defaults and accessors ----------------------------------------------------- */

START_TEST(test_defaults)
{
	ck_assert_int_eq(load("# nothing set\n"), 0);
	const struct kanmon_conf *r = conf_root(c);
	ck_assert_ptr_nonnull(r);
	ck_assert(conf_bool(r, "enabled"));
	ck_assert(!conf_bool(r, "verbose"));
	ck_assert_int_eq(conf_int(r, "count"), 3);
	ck_assert_double_eq_tol(conf_float(r, "ratio"), 0.25, 1e-12);
	ck_assert_str_eq(conf_string(r, "label"), "kanmon");
	ck_assert_str_eq(conf_string(r, "mode"), "fast");
	ck_assert_str_eq(conf_string(r, "gateway"), "192.0.2.1");
	ck_assert_str_eq(conf_string(r, "subnet"), "192.0.2.0/24");
	ck_assert_str_eq(conf_string(r, "pool"), "192.0.2.10-192.0.2.99");
	/* dotted paths into an absent group still give its defaults */
	ck_assert_int_eq(conf_int(r, "retransmit.delay"), 500);
	ck_assert_double_eq_tol(conf_float(r, "retransmit.factor"), 1.5, 1e-12);
	ck_assert_ptr_nonnull(conf_group(r, "retransmit"));
	ck_assert_int_eq(conf_int(conf_group(r, "retransmit"), "delay"), 500);
	/* list default "a, b" */
	ck_assert_uint_eq(conf_count(r, "servers"), 2);
	ck_assert_str_eq(conf_string_at(r, "servers", 0), "192.0.2.53");
	ck_assert_str_eq(conf_string_at(r, "servers", 1), "2001:db8::53");
	ck_assert_ptr_null(conf_string_at(r, "servers", 2));
	ck_assert_uint_eq(conf_count(r, "names"), 0);
	ck_assert_ptr_null(conf_string_at(r, "names", 0));
	ck_assert_uint_eq(conf_count(r, "peers"), 0);
	ck_assert_ptr_null(conf_group_at(r, "peers", 0));
	ck_assert_uint_eq(conf_count(r, "tags"), 0);
}
END_TEST

START_TEST(test_values_override_defaults)
{
	ck_assert_int_eq(load("enabled = false;\nverbose = true;\ncount = 7;\nratio = 1;\n"
			      "label = \"x\";\nmode = \"slow\";\nservers = [\"::1\"];\n"
			      "names = [\"a\", \"b\", \"c\"];\nretransmit = { delay = 20; };\n"),
			 0);
	const struct kanmon_conf *r = conf_root(c);
	ck_assert(!conf_bool(r, "enabled"));
	ck_assert(conf_bool(r, "verbose"));
	ck_assert_int_eq(conf_int(r, "count"), 7);
	ck_assert_double_eq_tol(conf_float(r, "ratio"), 1.0, 1e-12);	/* integer accepted */
	ck_assert_str_eq(conf_string(r, "label"), "x");
	ck_assert_str_eq(conf_string(r, "mode"), "slow");
	ck_assert_uint_eq(conf_count(r, "servers"), 1);
	ck_assert_str_eq(conf_string_at(r, "servers", 0), "::1");
	ck_assert_uint_eq(conf_count(r, "names"), 3);
	ck_assert_str_eq(conf_string_at(r, "names", 2), "c");
	ck_assert_int_eq(conf_int(r, "retransmit.delay"), 20);
	ck_assert_double_eq_tol(conf_float(r, "retransmit.factor"), 1.5, 1e-12);
}
END_TEST

START_TEST(test_core_defaults)
{
	ck_assert_int_eq(load_as("t.conf", "plugins = [];\n", core_settings, NULL, 0, &c), 0);
	const struct kanmon_conf *r = conf_root(c);
	ck_assert_uint_eq(conf_count(r, "listen"), 2);
	ck_assert_str_eq(conf_string_at(r, "listen", 0), "0.0.0.0");
	ck_assert_str_eq(conf_string_at(r, "listen", 1), "::");
	ck_assert_str_eq(conf_string(r, "log.level"), "info");
	ck_assert_str_eq(conf_string(r, "state_dir"), "/var/lib/kanmon");
	ck_assert_ptr_nonnull(conf_string(r, "plugin_dir"));
	ck_assert_uint_eq(conf_count(r, "plugins"), 0);
	ck_assert_uint_eq(conf_count(r, "log.subsystems"), 0);
	/* the same through a group handle */
	ck_assert_str_eq(conf_string(conf_group(r, "log"), "level"), "info");
}
END_TEST

START_TEST(test_group_list)
{
	ck_assert_int_eq(load("peers = (\n"
			      "  { address = \"192.0.2.1\"; },\n"
			      "  { address = \"2001:db8::1\"; weight = 7; }\n"
			      ");\n"),
			 0);
	const struct kanmon_conf *r = conf_root(c);
	ck_assert_uint_eq(conf_count(r, "peers"), 2);
	const struct kanmon_conf *p0 = conf_group_at(r, "peers", 0), *p1 = conf_group_at(r, "peers", 1);
	ck_assert_ptr_nonnull(p0);
	ck_assert_ptr_nonnull(p1);
	ck_assert_str_eq(conf_string(p0, "address"), "192.0.2.1");
	ck_assert_int_eq(conf_int(p0, "weight"), 1);
	ck_assert_str_eq(conf_string(p1, "address"), "2001:db8::1");
	ck_assert_int_eq(conf_int(p1, "weight"), 7);
	ck_assert_ptr_null(conf_group_at(r, "peers", 2));
	/* a list of groups is not a group, and a group is not a list */
	ck_assert_ptr_null(conf_group(r, "peers"));
	ck_assert_ptr_null(conf_group_at(r, "retransmit", 0));
}
END_TEST

START_TEST(test_map)
{
	ck_assert_int_eq(load("tags = {\n  colour = \"blue\";\n  size = \"xl\";\n};\n"), 0);
	const struct kanmon_conf *r = conf_root(c);
	const char *value = NULL;
	ck_assert_uint_eq(conf_count(r, "tags"), 2);
	ck_assert_str_eq(conf_map_at(r, "tags", 0, &value), "colour");
	ck_assert_str_eq(value, "blue");
	ck_assert_str_eq(conf_map_at(r, "tags", 1, &value), "size");
	ck_assert_str_eq(value, "xl");
	ck_assert_ptr_null(conf_map_at(r, "tags", 2, &value));
	/* not a map */
	ck_assert_ptr_null(conf_map_at(r, "retransmit", 0, &value));
}
END_TEST

START_TEST(test_accessor_misuse_is_logged)
{
	ck_assert_int_eq(load("count = 4;\n"), 0);
	const struct kanmon_conf *r = conf_root(c);
	ck_assert_int_eq(conf_int(r, "nope"), 0);
	ck_assert(tu_logged("no setting 'nope'"));
	tu_log_clear();
	ck_assert_ptr_null(conf_string(r, "count"));	/* wrong type */
	ck_assert(tu_logged("no setting 'count' of the requested type"));
	tu_log_clear();
	ck_assert(!conf_bool(r, "count"));
	ck_assert_double_eq(conf_float(r, "count"), 0);
	ck_assert_int_eq(conf_int(r, "retransmit.nope"), 0);
	ck_assert_int_eq(conf_int(r, "count.sub"), 0);	/* a scalar has no members */
	ck_assert_uint_eq(tu_log_count(), 4);
	ck_assert_str_eq(tu_log_subsys(0), "conf");
	ck_assert_int_eq(tu_log_level(0), KANMON_LOG_ERR);
	/* a list is not a scalar string, a scalar is not a list */
	ck_assert_ptr_null(conf_string(r, "servers"));
	ck_assert_ptr_null(conf_string_at(r, "label", 0));
	ck_assert_uint_eq(conf_count(r, "label"), 0);
}
END_TEST

START_TEST(test_plugins_and_where)
{
	ck_assert_int_eq(load_as("t.conf", "plugin_dir = \"/x\";\nplugins = [\n  \"a\",\n  \"b\" ];\n",
				 core_settings, NULL, 0, &c),
			 0);
	const char *names[4];
	ck_assert_uint_eq(conf_plugins(c, names, 4), 2);
	ck_assert_str_eq(names[0], "a");
	ck_assert_str_eq(names[1], "b");
	ck_assert_uint_eq(conf_plugins(c, names, 1), 1);
	char where[512], exp[512];
	conf_where(c, "plugins.[1]", where, sizeof(where));
	snprintf(exp, sizeof(exp), "%s:4", file);
	ck_assert_str_eq(where, exp);
	ck_assert_str_eq(conf_raw_string(c, "plugin_dir"), "/x");
	ck_assert_ptr_null(conf_raw_string(c, "plugins"));
	ck_assert_str_eq(conf_path(c), file);
	/* references: the last conf_free releases (ASan checks the rest) */
	ck_assert_ptr_eq(conf_ref(c), c);
	conf_free(c);
	ck_assert_str_eq(conf_path(c), file);
}
END_TEST

/* ---- reload checks ------------------------------------------------------------------- */

static size_t reload_diff(const char *a, const char *b)
{
	ck_assert_msg(load_as("a.conf", a, schema, NULL, 0, &c) == 0, "a:%s", tu_diag_dump(&d));
	ck_assert_msg(load_as("b.conf", b, schema, NULL, 0, &c2) == 0, "b:%s", tu_diag_dump(&d));
	return conf_check_reload(c, c2, &d);
}

START_TEST(test_reload_reports_non_reloadable)
{
	size_t n = reload_diff("count = 3;\nmode = \"fast\";\nretransmit = { delay = 100; factor = 2; };\n",
			       "count = 4;\nmode = \"slow\";\nretransmit = { delay = 200; factor = 3; };\n"
			       "tags = { x = \"y\"; };\n");
	ck_assert_msg(n == 2, "%zu:%s", n, tu_diag_dump(&d));
	ck_assert(tu_diag_has_line(&d, "count"));
	ck_assert(tu_diag_has_line(&d, "retransmit.factor"));
	/* reloadable ones are not reported */
	ck_assert_ptr_null(tu_diag_find(&d, "mode", NULL));
	ck_assert_ptr_null(tu_diag_find(&d, "delay", NULL));
	ck_assert_ptr_null(tu_diag_find(&d, "tags", NULL));
}
END_TEST

START_TEST(test_reload_same_effective_values)
{
	/* explicit defaults equal absent settings; comments and order do not matter */
	size_t n = reload_diff("count = 3;\nservers = [\"192.0.2.53\", \"2001:db8::53\"];\nlabel = \"kanmon\";\n",
			       "# same\nlabel = \"kanmon\";\nratio = 0.25;\n");
	ck_assert_msg(n == 0, "%s", tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_reload_lists_and_group_lists)
{
	size_t n = reload_diff("servers = [\"::1\"];\nnames = [\"a\"];\n"
			       "peers = ( { address = \"192.0.2.1\"; weight = 1; } );\n",
			       "servers = [\"::2\"];\nnames = [\"a\", \"b\"];\n"
			       "peers = ( { address = \"192.0.2.1\"; weight = 2; } );\n");
	ck_assert_msg(n == 3, "%zu:%s", n, tu_diag_dump(&d));
	ck_assert(tu_diag_has_line(&d, "servers"));
	ck_assert(tu_diag_has_line(&d, "names"));
	ck_assert(tu_diag_has_line(&d, "peers[0].weight"));
	conf_free(c);
	conf_free(c2);
	c = c2 = NULL;
	diag_clear(&d);
	n = reload_diff("peers = ( { address = \"192.0.2.1\"; } );\n",
			"peers = ( { address = \"192.0.2.1\"; }, { address = \"192.0.2.2\"; } );\n");
	ck_assert_uint_eq(n, 1);
	ck_assert(tu_diag_has_line(&d, "peers"));
}
END_TEST

START_TEST(test_reload_core_settings)
{
	ck_assert_int_eq(load_as("a.conf", "plugins = [\"x\"];\nlog = { level = \"info\"; };\n",
				 core_settings, NULL, 0, &c), 0);
	ck_assert_int_eq(load_as("b.conf", "plugins = [\"x\"];\nlisten = [\"127.0.0.1\"];\n"
				 "log = { level = \"debug\"; subsystems = { net = \"debug\"; }; };\n",
				 core_settings, NULL, 0, &c2), 0);
	ck_assert_uint_eq(conf_check_reload(c, c2, &d), 1);
	ck_assert(tu_diag_has_line(&d, "listen"));
}
END_TEST

/* ---- schema checks ------------------------------------------------------------------- */

START_TEST(test_schema_check_good)
{
	ck_assert_int_eq(conf_schema_check("test", schema, &d), 0);
	ck_assert_int_eq(conf_schema_check("core", core_settings, &d), 0);
	ck_assert_int_eq(conf_schema_check("empty", NULL, &d), 0);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

struct bad_schema {
	struct kanmon_setting s;
	const char *why;
};

static const struct kanmon_setting bad_child[] = {
	{ .name = "inner", .type = KANMON_CONF_INT, .def = "many" },
	KANMON_SETTINGS_END,
};
static const struct kanmon_setting int_child[] = {
	{ .name = "n", .type = KANMON_CONF_INT },
	KANMON_SETTINGS_END,
};

#define DEF_BAD "its default does not satisfy its own type, range or choices"
static const struct bad_schema bad_schemas[] = {
	{ { .name = "b", .type = KANMON_CONF_BOOL, .def = "yes" }, DEF_BAD },
	{ { .name = "i", .type = KANMON_CONF_INT, .def = "abc" }, DEF_BAD },
	{ { .name = "i", .type = KANMON_CONF_INT, .def = "50", .min = 1, .max = 10 }, DEF_BAD },
	{ { .name = "f", .type = KANMON_CONF_FLOAT, .def = "2.5", .min = 0, .max = 1 }, DEF_BAD },
	{ { .name = "f", .type = KANMON_CONF_FLOAT, .def = "" }, DEF_BAD },
	{ { .name = "s", .type = KANMON_CONF_STRING, .def = "medium", .choices = modes }, DEF_BAD },
	{ { .name = "a", .type = KANMON_CONF_ADDR, .def = "192.0.2.300" }, DEF_BAD },
	{ { .name = "p", .type = KANMON_CONF_PREFIX, .def = "192.0.2.0/40" }, DEF_BAD },
	{ { .name = "r", .type = KANMON_CONF_RANGE, .def = "192.0.2.9-192.0.2.1" }, DEF_BAD },
	{ { .name = "l", .type = KANMON_CONF_INT, .flags = KANMON_CONF_LIST },
	  "lists must hold strings, addresses, prefixes, ranges or groups" },
	{ { .name = "l", .type = KANMON_CONF_BOOL, .flags = KANMON_CONF_LIST },
	  "lists must hold strings, addresses, prefixes, ranges or groups" },
	{ { .name = "t", .type = 0 }, "unknown type" },
	{ { .name = "m", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_MAP },
	  "a map must be a group whose children[0] is a string" },
	{ { .name = "m", .type = KANMON_CONF_GROUP, .flags = KANMON_CONF_MAP, .children = int_child },
	  "a map must be a group whose children[0] is a string" },
	{ { .name = "g", .type = KANMON_CONF_GROUP, .children = bad_child }, "setting 'inner'" },
};

START_TEST(test_schema_check_bad)
{
	const struct bad_schema *bs = &bad_schemas[_i];
	const struct kanmon_setting s[] = { bs->s, KANMON_SETTINGS_END };
	ck_assert_int_eq(conf_schema_check("myplug", s, &d), -EINVAL);
	ck_assert_msg(tu_diag_find(&d, "myplug: setting '", "' in the schema is invalid: ", bs->why, NULL),
		      "case %d:%s", _i, tu_diag_dump(&d));
	ck_assert_uint_eq(d.n, 1);
}
END_TEST

/* ---- --help-config ----------------------------------------------------------------- */

static char *help_text(const char *group, const struct kanmon_setting *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	conf_print_help(f, group, s);
	fclose(f);
	return buf;
}

#define EXPECT_TEXT(text, needle) \
	ck_assert_msg(strstr(text, needle), "missing\n  %s\nin:\n%s", needle, text)

START_TEST(test_print_help)
{
	char *t = help_text("grp", schema);
	EXPECT_TEXT(t, "grp = {\n");
	EXPECT_TEXT(t, "\n  enabled (bool, default true, restart to change)\n      Switch it on.\n");
	EXPECT_TEXT(t, "\n  count (integer, default 3, 1..10, restart to change)\n      How many things.\n");
	EXPECT_TEXT(t, "\n  ratio (number, default 0.25, 0..1, restart to change)\n");
	EXPECT_TEXT(t, "\n  label (string, default \"kanmon\", restart to change)\n");
	EXPECT_TEXT(t, "\n  mode (string, default \"fast\", one of fast, slow, reloadable)\n");
	EXPECT_TEXT(t, "\n  servers (list of address, default \"192.0.2.53, 2001:db8::53\", entries 1..3,");
	EXPECT_TEXT(t, "\n  retransmit (group, restart to change)\n      Retransmission timing.\n");
	EXPECT_TEXT(t, "\n    delay (integer, default 500, 10..10000, reloadable)\n");
	EXPECT_TEXT(t, "\n  peers (list of group");
	EXPECT_TEXT(t, "\n    address (address, required, restart to change)\n");
	EXPECT_TEXT(t, "(map of string");
	EXPECT_TEXT(t, "};\n");
	free(t);
	t = help_text(NULL, core_settings);
	EXPECT_TEXT(t, "plugins (list of string, required, restart to change)");
	EXPECT_TEXT(t, "listen (list of address, default \"0.0.0.0, ::\", entries 1..16, restart to change)");
	EXPECT_TEXT(t, "  level (string, default \"info\", one of err, warning, notice, info, debug, reloadable)");
	ck_assert_ptr_null(strstr(t, " = {"));
	free(t);
}
END_TEST

/* ---- regressions: core bugs found by these tests, now fixed ---- */

/* Every setting name of a schema must appear in --help-config, maps included. */
START_TEST(bug_help_omits_map_names)
{
	char *t = help_text(NULL, core_settings);
	EXPECT_TEXT(t, "subsystems");
	free(t);
	t = help_text("grp", schema);
	EXPECT_TEXT(t, "  tags");
	free(t);
}
END_TEST

/* REQUIRED means "must be present", also when its group was left out. */
START_TEST(bug_required_in_absent_group)
{
	static const struct kanmon_setting plug_s[] = {
		{ .name = "secret", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_REQUIRED },
		KANMON_SETTINGS_END,
	};
	const struct conf_group_schema groups[] = { { .name = "plug", .settings = plug_s } };
	int r = load_as("t.conf", "plugins = [\"plug\"];\n", core_settings, groups, 1, &c);
	ck_assert_msg(r == -EINVAL, "accepted a configuration without the required plug.secret");
	EXPECT_DIAG("plug.secret: required setting is missing");
}
END_TEST

/* A group with a default is refused with its own message, not a default mismatch. */
START_TEST(bug_schema_group_default_message)
{
	const struct kanmon_setting s[] = {
		{ .name = "g", .type = KANMON_CONF_GROUP, .def = "x", .children = int_child },
		KANMON_SETTINGS_END,
	};
	ck_assert_int_eq(conf_schema_check("myplug", s, &d), -EINVAL);
	EXPECT_DIAG("setting 'g' in the schema is invalid: a group cannot have a default");
}
END_TEST

/* List defaults are checked entry by entry like a file's list would be. */
START_TEST(bug_schema_list_default_unchecked)
{
	const struct kanmon_setting bad[] = {
		{ .name = "l", .type = KANMON_CONF_ADDR, .flags = KANMON_CONF_LIST, .def = "192.0.2.1, bogus" },
		KANMON_SETTINGS_END,
	};
	ck_assert_msg(conf_schema_check("myplug", bad, &d) == -EINVAL, "accepted list default \"bogus\"");
	const struct kanmon_setting good[] = {
		{ .name = "l", .type = KANMON_CONF_STRING, .flags = KANMON_CONF_LIST, .def = "fast, slow",
		  .choices = modes },
		KANMON_SETTINGS_END,
	};
	diag_clear(&d);
	ck_assert_msg(conf_schema_check("myplug", good, &d) == 0, "refused:%s", tu_diag_dump(&d));
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unreadable_file);
	tcase_add_loop_test(tc, test_bad_value, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_valid_edge_values);
	tcase_add_test(tc, test_required_missing_top_level);
	tcase_add_test(tc, test_several_errors_at_once);
	tcase_add_test(tc, test_include_names_included_file);
	tcase_add_test(tc, test_include_syntax_error);
	tcase_add_test(tc, test_plugin_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values_override_defaults);
	tcase_add_test(tc, test_core_defaults);
	tcase_add_test(tc, test_group_list);
	tcase_add_test(tc, test_map);
	tcase_add_test(tc, test_accessor_misuse_is_logged);
	tcase_add_test(tc, test_plugins_and_where);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reload_reports_non_reloadable);
	tcase_add_test(tc, test_reload_same_effective_values);
	tcase_add_test(tc, test_reload_lists_and_group_lists);
	tcase_add_test(tc, test_reload_core_settings);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema_check_good);
	tcase_add_loop_test(tc, test_schema_check_bad, 0, (int)(sizeof(bad_schemas) / sizeof(bad_schemas[0])));
	tcase_add_test(tc, test_print_help);
	suite_add_tcase(s, tc);

	tc = tcase_create("regressions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bug_help_omits_map_names);
	tcase_add_test(tc, bug_required_in_absent_group);
	tcase_add_test(tc, bug_schema_group_default_message);
	tcase_add_test(tc, bug_schema_list_default_unchecked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
