/* SPDX-License-Identifier: MIT */
/* kanmon/kanmon.h - everything a plugin needs: #include <kanmon/kanmon.h>. */
#ifndef KANMON_KANMON_H
#define KANMON_KANMON_H

#include <kanmon/conf.h>
#include <kanmon/host.h>
#include <kanmon/log.h>
#include <kanmon/net.h>
#include <kanmon/plugin.h>
#include <kanmon/sa.h>
#include <kanmon/session.h>

#endif
