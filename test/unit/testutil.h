/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - helpers shared by the Check suites in test/unit:
 * temporary directories and files, a log capture built on log_set_sink(),
 * diag searches, the directories of the test plugins, free UDP ports and
 * bounded waits on an event loop (never a fixed sleep).
 */
#ifndef KANMON_TESTUTIL_H
#define KANMON_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

struct ev_loop;

/* ---- files ------------------------------------------------------------- */

/* mkdtemp("/tmp/kanmon-unit-XXXXXX"); malloc'd path, aborts the test on error. */
char *tu_tmpdir(void);
/* Writes (replaces) dir/name with content; returns the malloc'd path. */
char *tu_write_file(const char *dir, const char *name, const char *content);
/* Same, content given as printf format. */
char *tu_write_filef(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* rm -rf path (no-op for NULL); 0 or -errno. */
int tu_rmrf(const char *path);

/* ---- log capture ------------------------------------------------------- */

/* Routes every emitted log line into memory until tu_log_stop() (which frees). */
void tu_log_start(void);
void tu_log_stop(void);
void tu_log_clear(void);
size_t tu_log_count(void);
const char *tu_log_line(size_t i);		/* the message text */
const char *tu_log_subsys(size_t i);
int tu_log_level(size_t i);
/* Index of the first line at or after `from` containing needle, or -1. */
long tu_log_find(const char *needle, size_t from);
bool tu_logged(const char *needle);
/* Every captured line, one per text line, for failure messages (static buffer). */
const char *tu_log_dump(void);

/* ---- diag -------------------------------------------------------------- */

/* The first line of d that contains every NULL-terminated needle, or NULL. */
const char *tu_diag_find(const struct diag *d, ...) __attribute__((sentinel));
/* true when some line of d equals `line` exactly. */
bool tu_diag_has_line(const struct diag *d, const char *line);
/* Every line of d, for failure messages (static buffer). */
const char *tu_diag_dump(const struct diag *d);

/* ---- environment ------------------------------------------------------- */

/* KANMON_TEST_PLUGINDIR / KANMON_BUILD_PLUGINDIR, or NULL when unset. */
const char *tu_test_plugindir(void);
const char *tu_build_plugindir(void);
/* Exits 77 (ctest: skipped) when the variable is missing. */
void tu_require_env(const char *name);

/*
 * Core settings that keep an in-process daemon inside dir: state_dir and
 * control_socket below it, and `user = ""` when the core has that setting (a
 * test cannot switch users). Lines of libconfig text, static buffer.
 */
const char *tu_sandbox_settings(const char *dir);

/* ---- sockets and loops ------------------------------------------------- */

/* A UDP port free on 127.0.0.1 right now (bind port 0, read it, close). */
uint16_t tu_free_udp_port(void);
/* A non-blocking UDP socket bound to 127.0.0.1:0; its port in *port if set. */
int tu_udp_client(uint16_t *port);
/* Sends len bytes to 127.0.0.1:port; 0 or -errno. */
int tu_udp_send(int fd, uint16_t port, const void *buf, size_t len);

/*
 * Runs the loop until something calls ev_stop() or timeout_ms passes.
 * Returns true when stopped by someone else, false on the deadline.
 */
bool tu_run_loop(struct ev_loop *loop, unsigned timeout_ms);
/*
 * Runs the loop until fd is readable (then receives one datagram into buf)
 * or timeout_ms passes. Returns the datagram length, or -1 on the deadline.
 * from_port (optional) receives the sender's port.
 */
ssize_t tu_loop_recv(struct ev_loop *loop, int fd, void *buf, size_t len, unsigned timeout_ms,
		     uint16_t *from_port);

#endif
