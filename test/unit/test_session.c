/* SPDX-License-Identifier: MIT */
/* test_session.c - session registry: ids, ownership, kill, counters, order. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "session.h"
#include "testutil.h"

static int owner_a, owner_b;	/* addresses only: stand-ins for plugin records */
static int killed[8], n_killed;

static int kill_cb(void *arg, uint64_t id)
{
	struct session_registry *r = arg;
	killed[n_killed++] = (int)id;
	session_remove(r, &owner_a, id);
	return 0;
}

static int counters_cb(void *arg, uint64_t id, struct kanmon_session_counters *c)
{
	(void)arg;
	c->bytes_in = id * 100;
	c->bytes_out = id * 200;
	c->packets_in = id;
	c->packets_out = 2 * id;
	return 0;
}

static int failing_counters(void *arg, uint64_t id, struct kanmon_session_counters *c)
{
	(void)arg;
	(void)id;
	c->bytes_in = 12345;	/* garbage the registry must not show */
	return -EIO;
}

static const struct kanmon_session_ops ops = { sizeof(ops), counters_cb, kill_cb };
static const struct kanmon_session_ops no_kill_ops = { sizeof(no_kill_ops), failing_counters, NULL };

static struct kanmon_session mk(const char *identity, const char *vip)
{
	struct kanmon_session s = { .size = sizeof(s), .identity = identity, .state = "established",
				    .algorithms = "aes256gcm16-prfsha256-ecp256" };
	struct sockaddr_in *peer = (struct sockaddr_in *)&s.peer;
	peer->sin_family = AF_INET;
	peer->sin_port = htons(4500);
	inet_pton(AF_INET, "198.51.100.2", &peer->sin_addr);
	if (vip) {
		struct sockaddr_in *v = (struct sockaddr_in *)&s.vips[0];
		v->sin_family = AF_INET;
		inet_pton(AF_INET, vip, &v->sin_addr);
		s.n_vips = 1;
	}
	return s;
}

static int collect(const struct session_entry *e, void *arg)
{
	uint64_t **p = arg;
	*(*p)++ = e->id;
	return 0;
}

START_TEST(ids_copies_and_order)
{
	struct session_registry *r = session_registry_new();
	uint64_t ids[200];
	char name[32];
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "user%d@example.com", i);
		struct kanmon_session s = mk(name, "203.0.113.2");
		ck_assert_int_eq(session_add(r, "ikev2", &owner_a, &s, &ops, r, &ids[i]), 0);
		ck_assert_uint_eq(ids[i], (uint64_t)i + 1);	/* starts at 1, sequential */
		name[0] = 'X';					/* the registry copied the string */
	}
	ck_assert_uint_eq(session_count(r), 200);
	const struct session_entry *e = session_find(r, 57);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->identity, "user56@example.com");
	ck_assert_str_eq(e->plugin, "ikev2");
	ck_assert_str_eq(e->algorithms, "aes256gcm16-prfsha256-ecp256");
	ck_assert_uint_eq(e->n_vips, 1);
	ck_assert(e->established > 0);
	session_remove(r, &owner_a, 100);
	ck_assert_ptr_null(session_find(r, 100));
	uint64_t seen[200], *p = seen;
	session_foreach(r, collect, &p);
	ck_assert_int_eq(p - seen, 199);
	for (long i = 1; i < p - seen; i++)
		ck_assert(seen[i] > seen[i - 1]);	/* id order for status */
	/* ids are never reused */
	struct kanmon_session s = mk("late", NULL);
	uint64_t id;
	ck_assert_int_eq(session_add(r, "ikev2", &owner_a, &s, &ops, r, &id), 0);
	ck_assert_uint_eq(id, 201);
	session_registry_free(r);
}
END_TEST

START_TEST(ownership_update_and_reclaim)
{
	struct session_registry *r = session_registry_new();
	struct kanmon_session s = mk("alice", "203.0.113.5");
	uint64_t a, b;
	ck_assert_int_eq(session_add(r, "ikev2", &owner_a, &s, &ops, r, &a), 0);
	ck_assert_int_eq(session_add(r, "l2tp", &owner_b, &s, NULL, NULL, &b), 0);
	s.state = "rekeying";
	ck_assert_int_eq(session_update(r, &owner_b, a, &s), -EPERM);	/* not yours */
	ck_assert_int_eq(session_update(r, &owner_a, a, &s), 0);
	ck_assert_str_eq(session_find(r, a)->state, "rekeying");
	ck_assert_int_eq(session_update(r, &owner_a, 999, &s), -ENOENT);
	session_remove(r, &owner_b, a);				/* ignored: not the owner */
	ck_assert_ptr_nonnull(session_find(r, a));
	struct kanmon_session bad = s;
	bad.size = 4;
	ck_assert_int_eq(session_add(r, "x", &owner_a, &bad, NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(session_remove_owned(r, &owner_b), 1);
	ck_assert_ptr_null(session_find(r, b));
	ck_assert_ptr_nonnull(session_find(r, a));
	session_registry_free(r);
}
END_TEST

START_TEST(kill_and_counters)
{
	struct session_registry *r = session_registry_new();
	struct kanmon_session s = mk("bob", NULL);
	uint64_t a, b;
	n_killed = 0;
	ck_assert_int_eq(session_add(r, "ikev2", &owner_a, &s, &ops, r, &a), 0);
	ck_assert_int_eq(session_add(r, "sample", &owner_a, &s, &no_kill_ops, r, &b), 0);
	struct kanmon_session_counters c;
	session_counters(session_find(r, a), &c);
	ck_assert_uint_eq(c.bytes_in, a * 100);
	ck_assert_uint_eq(c.packets_out, 2 * a);
	session_counters(session_find(r, b), &c);
	ck_assert_uint_eq(c.bytes_in, 0);		/* a failing callback shows zeros */
	ck_assert_int_eq(session_kill(r, b), -EOPNOTSUPP);
	ck_assert_int_eq(session_kill(r, 77), -ENOENT);
	ck_assert_int_eq(session_kill(r, a), 0);
	ck_assert_int_eq(n_killed, 1);
	ck_assert_int_eq(killed[0], (int)a);
	ck_assert_ptr_null(session_find(r, a));	/* the plugin removed it */
	session_registry_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, ids_copies_and_order);
	tcase_add_test(tc, ownership_update_and_reclaim);
	tcase_add_test(tc, kill_and_counters);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
