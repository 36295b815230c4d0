# SPDX-License-Identifier: MIT
# shellcheck shell=sh disable=SC2034
# Scenario (sourced by test/lab/run after its profile): the shipped deployment
# A of SEEDS.md (etc/ios-windows-ikev2.conf: Windows 10 and iOS with
# certificates, the MikroTik suites, full tunnel) serves the windows-cert client
# unchanged but for the machine's paths, listen address and the lab's CA
# (adapters/kanmon.sh, LAB_KANMON_DEPLOYMENT). The usual steps follow: IKE up,
# VIP from the deployment's pool, DNS, ping the LAN host, disconnect.
SCENARIO_PROFILE=windows-cert
SCENARIO_DESC="SEEDS.md deployment A (etc/ios-windows-ikev2.conf) serves the windows-cert client"
LAB_KANMON_DEPLOYMENT=$(cd "$LAB/../../etc" && pwd)/ios-windows-ikev2.conf

scenario_prereq() {
	[ "$ADAPTER" = kanmon ] || { echo "runs kanmond's shipped configuration: adapter kanmon only"; return 1; }
	[ -f "$LAB_KANMON_DEPLOYMENT" ] || { echo "no $LAB_KANMON_DEPLOYMENT"; return 1; }
}
