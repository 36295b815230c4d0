#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 inside user-mode Linux (started by uml-run.sh). LAB_WORK and
# LAB_GUEST_TIMEOUT come from the kernel command line: unknown key=value
# parameters become init's environment.
#
# Root is the host's / through hostfs, read-only. Writable: tmpfs on /run /tmp
# /var/tmp /var/lib /var/log /mnt /dev/shm, an overlay on /etc (tmpfs upper:
# changes vanish at halt) and the work directory (the host's LAB_WORK, rw,
# written as host root: nothing else of the host is ever mounted rw).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LAB_UML=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o mode=755 tmp /run          # /var/run -> /run on Debian
for d in /tmp /var/tmp /var/lib /var/log /mnt; do mount -t tmpfs tmp $d; done
chmod 1777 /tmp /var/tmp
mkdir -p /dev/pts /dev/shm /mnt/work /run/etc
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t hostfs -o "$LAB_WORK" hostfs /mnt/work

# Modules: Debian ships them in /usr/lib/uml/modules/VERSION; the host has no
# /lib/modules/VERSION (and / is read-only), so a modprobe wrapper with -d
# serves both explicit modprobe calls and the kernel's auto-loading.
mkdir -p /run/modroot/lib /run/bin
ln -s /usr/lib/uml/modules /run/modroot/lib/modules
# bpfilter is refused: iptables-legacy would make the kernel start its
# user-mode helper (~0.3 s); without it the kernel falls back to netfilter.
cat > /run/bin/modprobe <<'EOF'
#!/bin/sh
case " $* " in *" bpfilter "*) exit 1 ;; esac
exec /usr/sbin/modprobe -d /run/modroot "$@"
EOF
chmod +x /run/bin/modprobe
echo /run/bin/modprobe > /proc/sys/kernel/modprobe
export PATH=/run/bin:$PATH

# writable /etc: overlay, lower = host /etc (hostfs), upper = tmpfs
modprobe overlay
mkdir -p /run/etc/u /run/etc/w
mount -t overlay -o lowerdir=/etc,upperdir=/run/etc/u,workdir=/run/etc/w overlay /etc
# No DNS to the host's resolvers from inside the test's namespaces (pppd,
# for one, looks up the host name): only the loopback resolver, which fails
# at once.
rm -f /etc/resolv.conf; echo "nameserver 127.0.0.1" > /etc/resolv.conf
ip link set lo up
hostname uml

cd /mnt/work || exit 1
eval "set -- $(cat /mnt/work/.uml-args)"
timeout -k 2 "${LAB_GUEST_TIMEOUT:-100}" sh /mnt/work/.uml-script "$@" \
	>>/mnt/work/script.log 2>&1 </dev/null
echo $? > /mnt/work/rc
sync
exec halt -f >/dev/null 2>&1   # reboot(2): the UML process exits
