/* SPDX-License-Identifier: MIT */
/*
 * test_sa.c - the core's SA backend registry with the recording fake
 * backend: one backend only, lookup, event fan-out, cleanup; and through the
 * plugin loader: a protocol plugin installs exactly an SA pair and three
 * policies and removes them at fini; a second backend and a backend that
 * never registers are refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "event.h"
#include "fake_sa.h"
#include "net.h"
#include "plugin.h"
#include "sa.h"
#include "testutil.h"

static int owner_a, owner_b;
static int events_seen[4];

static void on_event(const struct kanmon_sa_event *ev, void *arg)
{
	int *slot = arg;
	(*slot)++;
	events_seen[ev->type - 1]++;
}

START_TEST(registry_and_events)
{
	struct sa_core *sc = sa_core_new();
	struct fake_sa *f = fake_sa_new();
	const struct kanmon_sa_ops *ops;
	void *be;
	ck_assert_int_eq(sa_core_backend(sc, &ops, &be), -ENOENT);
	ck_assert_int_eq(sa_core_register(sc, &owner_a, "kernel-xfrm", fake_sa_ops(), f), 0);
	tu_log_start();
	ck_assert_int_eq(sa_core_register(sc, &owner_b, "kernel-user", fake_sa_ops(), f), -EEXIST);
	ck_assert(tu_logged("kernel-xfrm already is the backend"));
	tu_log_stop();
	struct kanmon_sa_ops broken = { .size = 8 };
	ck_assert_int_eq(sa_core_register(sc, &owner_b, "x", &broken, NULL), -EINVAL);
	ck_assert_int_eq(sa_core_backend(sc, &ops, &be), 0);
	ck_assert_ptr_eq(ops, fake_sa_ops());
	ck_assert_ptr_eq(be, f);
	ck_assert_str_eq(sa_core_backend_name(sc), "kernel-xfrm");

	int a = 0, b = 0;
	memset(events_seen, 0, sizeof(events_seen));
	ck_assert_int_eq(sa_core_subscribe(sc, &owner_a, on_event, &a), 0);
	ck_assert_int_eq(sa_core_subscribe(sc, &owner_b, on_event, &b), 0);
	struct kanmon_sa_event ev = { .size = sizeof(ev), .type = KANMON_SA_SOFT_EXPIRE, .reqid = 3 };
	sa_core_event(sc, &ev);
	ck_assert_int_eq(a, 1);
	ck_assert_int_eq(b, 1);
	struct kanmon_sa_event small = ev;
	small.size = 4;			/* an old backend's truncated event is ignored */
	sa_core_event(sc, &small);
	ck_assert_int_eq(a, 1);
	ck_assert_uint_eq(sa_core_forget(sc, &owner_b), 1);
	ev.type = KANMON_SA_HARD_EXPIRE;
	sa_core_event(sc, &ev);
	ck_assert_int_eq(a, 2);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(events_seen[KANMON_SA_HARD_EXPIRE - 1], 1);
	/* the backend's owner leaving takes the backend away */
	sa_core_forget(sc, &owner_a);
	ck_assert_int_eq(sa_core_backend(sc, &ops, &be), -ENOENT);
	sa_core_free(sc);
	fake_sa_free(f);
}
END_TEST

START_TEST(fake_backend_semantics)
{
	struct fake_sa *f = fake_sa_new();
	const struct kanmon_sa_ops *ops = fake_sa_ops();
	struct kanmon_sa_id id = { .proto = KANMON_SA_PROTO_ESP };
	uint32_t spi;
	ck_assert_int_eq(ops->alloc_spi(f, &id, &spi), 0);
	id.spi = spi;
	static const uint8_t key[16];
	struct kanmon_sa_params p = { .size = sizeof(p), .mode = KANMON_SA_TRANSPORT, .dir = KANMON_SA_IN,
				      .enc_alg = KANMON_ENCR_AES_CBC, .enc_key = key, .enc_key_len = 16,
				      .integ_alg = KANMON_AUTH_HMAC_SHA2_256_128, .integ_key = key,
				      .integ_key_len = 16, .reqid = 1 };
	ck_assert_int_eq(ops->add_sa(f, &id, &p), 0);
	ck_assert_int_eq(ops->add_sa(f, &id, &p), -EEXIST);
	ck_assert_int_eq(fake_sa_traffic(f, spi, 1400, 1), 0);
	struct kanmon_sa_stats st;
	ck_assert_int_eq(ops->query_sa(f, &id, &st), 0);
	ck_assert_uint_eq(st.bytes, 1400);
	fake_sa_fail_next(f, "del_sa", -EIO);
	ck_assert_int_eq(ops->del_sa(f, &id), -EIO);
	ck_assert_int_eq(ops->del_sa(f, &id), 0);
	ck_assert_int_eq(ops->del_sa(f, &id), -ESRCH);
	ck_assert_int_eq(ops->query_sa(f, &id, &st), -ESRCH);
	ck_assert_str_eq(fake_sa_call(f, 1), "add_sa dir=in mode=transport spi=0x0000c001 reqid=1 enc=12/16 "
					     "integ=12/16 encap=0-0 mark=0/0");
	fake_sa_free(f);
}
END_TEST

static struct plugin_set ps;
static struct ev_loop *loop;
static struct sa_core *sc;
static struct diag d;

static void loader_setup(void)
{
	tu_require_env("KANMON_TEST_PLUGINDIR");
	memset(&ps, 0, sizeof(ps));
	memset(&d, 0, sizeof(d));
	loop = ev_loop_new();
	const char *listen[] = { "127.0.0.1" };
	ps.loop = loop;
	ps.net = net_new(loop, listen, 1);
	ps.sa = sc = sa_core_new();
	tu_log_start();
}

static void loader_teardown(void)
{
	plugins_fini(&ps);
	net_free(ps.net);
	ev_loop_free(loop);
	plugins_unload(&ps);
	sa_core_free(sc);
	diag_clear(&d);
	tu_log_stop();
}

static int load_and_init(const char *const *names, size_t n, struct conf **c)
{
	int err = plugins_load(&ps, tu_test_plugindir(), names, NULL, n, &d);
	if (err)
		return err;
	struct conf_group_schema *g = plugins_schemas(&ps);
	char *dir = tu_tmpdir();
	char *file = tu_write_file(dir, "k.conf", "# plugins only\n");
	ck_assert_int_eq(conf_parse(file, c, &d), 0);
	ck_assert_int_eq(conf_validate(*c, NULL, g, ps.n, &d), 0);
	free(g);
	err = plugins_init(&ps, *c, &d);
	tu_rmrf(dir);
	free(dir);
	free(file);
	return err;
}

START_TEST(protocol_plugin_installs_through_backend)
{
	/* listed user-first: the loader must init the backend before its user */
	const char *names[] = { "tp_sa_user", "fake-sa" };
	struct conf *c = NULL;
	ck_assert_msg(load_and_init(names, 2, &c) == 0, "%s", tu_diag_dump(&d));
	ck_assert(tu_logged("fake-sa: alloc_spi spi=0x0000c001"));
	ck_assert(tu_logged("fake-sa: add_sa dir=in mode=tunnel spi=0x0000c001 reqid=7 enc=20/36 integ=0/0 encap=4500-4500"));
	ck_assert(tu_logged("fake-sa: add_sa dir=out mode=tunnel spi=0x12345678 reqid=7"));
	ck_assert(tu_logged("fake-sa: add_policy dir=fwd mode=tunnel reqid=7"));
	tu_log_clear();
	plugins_fini(&ps);
	/* everything installed was removed, policies before SAs */
	long pol = tu_log_find("fake-sa: del_policy dir=in", 0);
	long sa = tu_log_find("fake-sa: del_sa spi=0x0000c001", 0);
	ck_assert_msg(pol >= 0 && sa > pol, "%s", tu_log_dump());
	ck_assert(!tu_logged("left installed"));
	conf_free(c);
}
END_TEST

START_TEST(second_backend_refused)
{
	const char *names[] = { "fake-sa", "tp_lazy_backend" };
	ck_assert_int_eq(plugins_load(&ps, tu_test_plugindir(), names, NULL, 2, &d), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&d, "tp_lazy_backend.so refused", "'sa-backend' is already provided by fake-sa",
					   NULL));
}
END_TEST

START_TEST(backend_that_never_registers_refused)
{
	const char *names[] = { "tp_lazy_backend" };
	struct conf *c = NULL;
	ck_assert_int_eq(load_and_init(names, 1, &c), -EINVAL);
	ck_assert_ptr_nonnull(tu_diag_find(&d, "tp_lazy_backend.so refused", "registered no backend", NULL));
	conf_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sa");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, registry_and_events);
	tcase_add_test(tc, fake_backend_semantics);
	suite_add_tcase(s, tc);
	tc = tcase_create("loader");
	tcase_add_checked_fixture(tc, loader_setup, loader_teardown);
	tcase_add_test(tc, protocol_plugin_installs_through_backend);
	tcase_add_test(tc, second_backend_refused);
	tcase_add_test(tc, backend_that_never_registers_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
