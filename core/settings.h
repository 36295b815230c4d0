/* SPDX-License-Identifier: MIT */
/* settings.h - the schema of the core's own top-level settings. */
#ifndef KANMON_CORE_SETTINGS_H
#define KANMON_CORE_SETTINGS_H

#include <kanmon/conf.h>

extern const struct kanmon_setting core_settings[];
/* subsystem names the core logs under (valid keys of log.subsystems) */
extern const char *const core_subsystems[];

#endif
