/* SPDX-License-Identifier: MIT */
/*
 * test_event.c - the event loop: one-shot timers in deadline order, cancel
 * and re-arm, fd watches, ev_post from other threads, reclaiming an owner's
 * objects, and signals delivered on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "event.h"
#include "log.h"
#include "testutil.h"

static struct ev_loop *loop;

static void setup(void)
{
	loop = ev_loop_new();
	ck_assert_ptr_nonnull(loop);
}

static void teardown(void)
{
	ev_loop_free(loop);
	loop = NULL;
}

/* ---- timers ---------------------------------------------------------------------- */

static int fired[16];
static size_t n_fired;
static size_t stop_after;

struct tid {
	int id;
};

static void on_timer(void *arg)
{
	const struct tid *t = arg;
	if (n_fired < 16)
		fired[n_fired] = t->id;
	n_fired++;
	if (n_fired == stop_after)
		ev_stop(loop);
}

static void reset_fired(size_t stop)
{
	memset(fired, 0, sizeof(fired));
	n_fired = 0;
	stop_after = stop;
}

START_TEST(test_timers_fire_in_deadline_order)
{
	static const struct tid ids[] = { { 1 }, { 2 }, { 3 }, { 4 } };
	static const uint64_t delay[] = { 60, 0, 30, 10 };
	struct kanmon_timer *t[4];
	reset_fired(4);
	for (int i = 0; i < 4; i++) {
		t[i] = ev_timer_new(loop, on_timer, (void *)&ids[i], NULL);
		ck_assert_ptr_nonnull(t[i]);
		ev_timer_arm(t[i], delay[i]);
	}
	ck_assert_msg(tu_run_loop(loop, 3000), "timers did not all fire");
	ck_assert_uint_eq(n_fired, 4);
	ck_assert_int_eq(fired[0], 2);
	ck_assert_int_eq(fired[1], 4);
	ck_assert_int_eq(fired[2], 3);
	ck_assert_int_eq(fired[3], 1);
	/* one-shot: nothing fires again */
	ck_assert(!tu_run_loop(loop, 80));
	ck_assert_uint_eq(n_fired, 4);
	for (int i = 0; i < 4; i++)
		ev_timer_free(t[i]);
	ev_timer_free(NULL);
}
END_TEST

START_TEST(test_timer_cancel_and_rearm)
{
	static const struct tid a = { 1 }, b = { 2 };
	reset_fired(1);
	struct kanmon_timer *ta = ev_timer_new(loop, on_timer, (void *)&a, NULL);
	struct kanmon_timer *tb = ev_timer_new(loop, on_timer, (void *)&b, NULL);
	ev_timer_arm(ta, 5);
	ev_timer_arm(tb, 60);
	ev_timer_cancel(ta);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_uint_eq(n_fired, 1);
	ck_assert_int_eq(fired[0], 2);		/* the cancelled one never fired */
	/* re-arming replaces the deadline: the later arm wins */
	reset_fired(1);
	ev_timer_arm(ta, 2000);
	ev_timer_arm(ta, 5);
	ck_assert(tu_run_loop(loop, 1000));
	ck_assert_int_eq(fired[0], 1);
	/* cancelling an idle timer is harmless */
	ev_timer_cancel(tb);
	ev_timer_free(ta);
	ev_timer_free(tb);
}
END_TEST

static struct kanmon_timer *periodic;
static int ticks;

static void on_tick(void *arg)
{
	(void)arg;
	if (++ticks == 5)
		ev_stop(loop);
	else
		ev_timer_arm(periodic, 1);	/* re-arm from the callback */
}

START_TEST(test_timer_rearm_from_callback)
{
	ticks = 0;
	periodic = ev_timer_new(loop, on_tick, NULL, NULL);
	ev_timer_arm(periodic, 1);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(ticks, 5);
	/* left for ev_loop_free to release (ASan checks) */
}
END_TEST

/* ---- watches --------------------------------------------------------------------- */

struct wseen {
	int calls;
	int fd;
	unsigned events;
	char byte;
};

static void on_readable(int fd, unsigned events, void *arg)
{
	struct wseen *w = arg;
	w->calls++;
	w->fd = fd;
	w->events = events;
	if (read(fd, &w->byte, 1) != 1)
		w->byte = 0;
	ev_stop(loop);
}

START_TEST(test_watch_pipe)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	struct wseen w = { 0 };
	struct kanmon_watch *wt = ev_watch_new(loop, p[0], KANMON_WATCH_READ, on_readable, &w, NULL);
	ck_assert_ptr_nonnull(wt);
	/* nothing to read yet: no call */
	ck_assert(!tu_run_loop(loop, 30));
	ck_assert_int_eq(w.calls, 0);
	ck_assert_int_eq(write(p[1], "a", 1), 1);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.fd, p[0]);
	ck_assert_uint_eq(w.events, KANMON_WATCH_READ);
	ck_assert_int_eq(w.byte, 'a');
	/* persistent: a second byte, a second call */
	ck_assert_int_eq(write(p[1], "b", 1), 1);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(w.calls, 2);
	ck_assert_int_eq(w.byte, 'b');
	/* freed: no more calls, and the fd stays open */
	ev_watch_free(wt);
	ev_watch_free(NULL);
	ck_assert_int_eq(write(p[1], "c", 1), 1);
	ck_assert(!tu_run_loop(loop, 30));
	ck_assert_int_eq(w.calls, 2);
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'c');
	close(p[0]);
	close(p[1]);
}
END_TEST

static void on_writable(int fd, unsigned events, void *arg)
{
	struct wseen *w = arg;
	(void)fd;
	w->calls++;
	w->events = events;
	ev_stop(loop);
}

START_TEST(test_watch_write)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	struct wseen w = { 0 };
	ck_assert_ptr_nonnull(ev_watch_new(loop, p[1], KANMON_WATCH_WRITE, on_writable, &w, NULL));
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(w.calls, 1);
	ck_assert_uint_eq(w.events, KANMON_WATCH_WRITE);
	ev_free_owned(loop, NULL);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- posts from other threads ------------------------------------------------- */

#define N_POSTS 200

static pthread_t loop_thread;
static int post_order[N_POSTS];
static int n_posts;
static bool off_thread;

static void on_post(void *arg)
{
	int v = (int)(intptr_t)arg;
	if (!pthread_equal(pthread_self(), loop_thread))
		off_thread = true;
	if (n_posts < N_POSTS)
		post_order[n_posts] = v;
	if (++n_posts == N_POSTS)
		ev_stop(loop);
}

static void *poster(void *arg)
{
	(void)arg;
	for (int i = 0; i < N_POSTS; i++)
		if (ev_post(loop, on_post, (void *)(intptr_t)i))
			return (void *)1;
	return NULL;
}

START_TEST(test_post_from_thread)
{
	pthread_t th;
	void *ret = NULL;
	loop_thread = pthread_self();
	n_posts = 0;
	off_thread = false;
	ck_assert_int_eq(pthread_create(&th, NULL, poster, NULL), 0);
	ck_assert_msg(tu_run_loop(loop, 5000), "only %d of %d posts ran", n_posts, N_POSTS);
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_ptr_null(ret);
	ck_assert_int_eq(n_posts, N_POSTS);
	ck_assert(!off_thread);
	for (int i = 0; i < N_POSTS; i++)
		ck_assert_int_eq(post_order[i], i);	/* in the order they were posted */
}
END_TEST

START_TEST(test_post_pending_freed_with_loop)
{
	/* posts that never ran are released by ev_loop_free (ASan checks) */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ev_post(loop, on_post, NULL), 0);
}
END_TEST

/* ---- ownership ---------------------------------------------------------------- */

static int owner_a, owner_b;

static void must_not_fire(void *arg)
{
	(void)arg;
	ck_abort_msg("a timer freed by ev_free_owned fired");
}

static void must_not_watch(int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	ck_abort_msg("a watch freed by ev_free_owned fired");
}

START_TEST(test_free_owned)
{
	static const struct tid b1 = { 1 }, core = { 2 };
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	reset_fired(2);
	struct kanmon_timer *ta1 = ev_timer_new(loop, must_not_fire, NULL, &owner_a);
	struct kanmon_timer *ta2 = ev_timer_new(loop, must_not_fire, NULL, &owner_a);
	ck_assert_ptr_nonnull(ev_watch_new(loop, p[0], KANMON_WATCH_READ, must_not_watch, NULL, &owner_a));
	struct kanmon_timer *tb = ev_timer_new(loop, on_timer, (void *)&b1, &owner_b);
	struct kanmon_timer *tc = ev_timer_new(loop, on_timer, (void *)&core, NULL);
	ev_timer_arm(ta1, 1);
	ev_timer_arm(ta2, 1);
	ev_timer_arm(tb, 20);
	ev_timer_arm(tc, 20);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_uint_eq(ev_free_owned(loop, &owner_a), 3);
	ck_assert_uint_eq(ev_free_owned(loop, &owner_a), 0);
	/* B's and the core's objects are untouched and still fire */
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_uint_eq(n_fired, 2);
	ck_assert_uint_eq(ev_free_owned(loop, &owner_b), 1);
	ck_assert_uint_eq(ev_free_owned(loop, NULL), 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_loop_free_releases_everything)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	struct ev_loop *l = ev_loop_new();
	ck_assert_ptr_nonnull(l);
	ev_timer_arm(ev_timer_new(l, must_not_fire, NULL, &owner_a), 10000);
	ck_assert_ptr_nonnull(ev_timer_new(l, must_not_fire, NULL, NULL));
	ck_assert_ptr_nonnull(ev_watch_new(l, p[0], KANMON_WATCH_READ, must_not_watch, NULL, &owner_b));
	ck_assert_int_eq(ev_post(l, on_post, NULL), 0);
	ev_loop_free(l);
	ev_loop_free(NULL);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- signals ------------------------------------------------------------------ */

static int sig_seen, sig_calls;
static bool sig_seen_in_raise;

static void on_signal(int signo, void *arg)
{
	(void)arg;
	sig_seen = signo;
	sig_calls++;
	ev_stop(loop);
}

static void raise_usr1(void *arg)
{
	(void)arg;
	ck_assert_int_eq(raise(SIGUSR1), 0);
	/* handled on the loop later, not inside the signal handler */
	sig_seen_in_raise = sig_calls != 0;
}

START_TEST(test_signal)
{
	sig_seen = sig_calls = 0;
	ck_assert_int_eq(ev_signal(loop, SIGUSR1, on_signal, NULL), 0);
	struct kanmon_timer *t = ev_timer_new(loop, raise_usr1, NULL, NULL);
	ev_timer_arm(t, 1);
	ck_assert_msg(tu_run_loop(loop, 3000), "SIGUSR1 never reached the loop");
	ck_assert_int_eq(sig_seen, SIGUSR1);
	ck_assert_int_eq(sig_calls, 1);
	ck_assert(!sig_seen_in_raise);
	/* persistent: a second one */
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert(tu_run_loop(loop, 3000));
	ck_assert_int_eq(sig_calls, 2);
	ev_timer_free(t);
}
END_TEST

static Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("timers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_timers_fire_in_deadline_order);
	tcase_add_test(tc, test_timer_cancel_and_rearm);
	tcase_add_test(tc, test_timer_rearm_from_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("watches");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_watch_pipe);
	tcase_add_test(tc, test_watch_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("posts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_post_from_thread);
	tcase_add_test(tc, test_post_pending_freed_with_loop);
	suite_add_tcase(s, tc);

	tc = tcase_create("ownership");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_free_owned);
	tcase_add_test(tc, test_loop_free_releases_everything);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_signal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(event_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
