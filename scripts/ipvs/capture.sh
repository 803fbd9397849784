#!/usr/bin/env bash
# Captures what ipvsadm sends to (and receives from) the kernel, for the
# byte-exact encoding tests. Runs INSIDE the VM:
#
#   bash scripts/vm/run.sh bash scripts/ipvs/capture.sh > /tmp/ipvs-capture.txt
#   node scripts/ipvs/fixtures.mjs /tmp/ipvs-capture.txt
#
# Each case prints "@@@ CASE <name> <ipvsadm args>", strace's hex dumps of
# every sendmsg/recvmsg (strace -e write=all -e read=all -xx), then "@@@ END".
# The cases run in order against one kernel, so later ones see earlier state.
set -u
ip link add cap0 type dummy && ip link set cap0 up multicast on && ip addr add 10.9.9.1/24 dev cap0

run() {
  local name=$1
  shift
  echo "@@@ CASE $name ipvsadm $*"
  strace -e trace=sendmsg,recvmsg -e write=all -e read=all -xx -s 65536 ipvsadm "$@" 2>&1
  echo "@@@ END rc=$?"
}

run add_service_tcp_rr -A -t 10.0.0.1:80 -s rr
run add_service_tcp_persistent -A -t 10.0.0.2:443 -s wlc -p 50 -M 255.255.255.0
run add_service_udp6_sh_flags -A -u '[fd00::1]:53' -s sh -b sh-fallback,sh-port
run add_service_sctp_mh -A --sctp-service 10.0.0.3:5000 -s mh -b mh-fallback,mh-port
run add_service_udp_onepacket -A -u 10.0.0.5:53 -s dh -o
run add_service_unknown_scheduler -A -t 10.0.0.6:80 -s nosuch
run add_service_duplicate -A -t 10.0.0.1:80 -s rr
run add_service_fwmark -A -f 42 -s lc
run add_service_fwmark6_persistent -A -f 43 -6 -s sed -p 30 -M 64
run add_service_pe_sip -A -u 10.0.0.4:5060 -s rr -p 60 --pe sip
run edit_service -E -t 10.0.0.1:80 -s wrr
run add_dest_masq_thresholds -a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 3 -x 100 -y 10
run add_dest_route_weight0 -a -t 10.0.0.1:80 -r 192.168.1.2 -g -w 0
run add_dest_tunnel_gue -a -t 10.0.0.1:80 -r 192.168.1.3 -i --tun-type gue --tun-port 6080 --tun-nocsum
run add_dest_tunnel_gre_csum -a -t 10.0.0.1:80 -r 192.168.1.4 -i --tun-type gre --tun-csum
run add_dest_tunnel_ipip -a -t 10.0.0.2:443 -r 192.168.1.5 -i -w 2
run add_dest6_masq -a -u '[fd00::1]:53' -r '[fd00::10]:5353' -m
run add_dest4_on_service6_tunnel -a -u '[fd00::1]:53' -r 192.168.1.9 -i
run add_dest_fwmark -a -f 42 -r 192.168.1.6 -g
run edit_dest -e -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 5 -x 200 -y 20
# Some traffic, so the stats in the list replies are not all zero: locally
# sent SYNs to the VIP are scheduled (and then dropped by the dummy link).
ip route add 10.0.0.0/24 dev cap0; ip route add 192.168.1.0/24 dev cap0
for i in 1 2 3; do timeout 1 bash -c 'echo > /dev/tcp/10.0.0.1/80' 2>/dev/null; done
sleep 2.5
run list -Ln
run list_stats -Ln --stats
run list_exact_rate -Ln --rate
run save -Sn
run timeouts_set --set 900 120 300
run timeouts_get -L --timeout
run zero_one -Z -t 10.0.0.1:80
run zero_all -Z
run del_dest -d -t 10.0.0.1:80 -r 192.168.1.2
run del_service -D -t 10.0.0.1:80
run get_service -Ln -t 10.0.0.2:443
run flush -C
# The sync daemon refuses to start while a service has destinations of the
# other address family (mixed_address_family_dests), so it comes after the flush.
run daemon_start_master --start-daemon master --mcast-interface cap0 --syncid 5
run daemon_start_backup --start-daemon backup --mcast-interface cap0 --syncid 7 --sync-maxlen 1400 --mcast-group 224.0.0.82 --mcast-port 8849 --mcast-ttl 2
run daemon_list -L --daemon
run daemon_stop_master --stop-daemon master
run daemon_stop_backup --stop-daemon backup
run info_version -v
echo '@@@ DMESG'
dmesg | tail -n 20
