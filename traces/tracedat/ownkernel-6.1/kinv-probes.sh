# kinv probes: the reference probe set for this kernel, struct offsets from /work/main/scripts/capture/work/run.scbO9L/btf:
#   inode.i_rwsem=160 qstr.len=4 qstr.name=8 dentry.d_flags=0 dentry.d_parent=24 dentry.d_name.name=40 dentry.d_inode=48 nameidata.path.dentry=8 nameidata.last.name=24 nameidata.last.len=20
#   pahole reads the same 10 offsets
# Paste into bash or zsh as root (or run with: kinv probes ... > p.sh; . ./p.sh). It adds the probes to
# kprobe_events, learns the i_rwsem address of each directory to watch, and defines kinv_record
# (trace-cmd) and kinv_perf_record (perf) to record a command with the filters, and kinv_probes_off.
T=${KINV_TRACEFS:-/sys/kernel/tracing}
[ -e "$T/kprobe_events" ] || T=/sys/kernel/debug/tracing
KINV_I_RWSEM=160
KINV_EVENTS=()
kinv_add() { # a probe line; one the kernel rejects (a function it lacks) is reported and left out
  if echo "$2" >> "$T/kprobe_events" 2>/dev/null; then KINV_EVENTS+=("$1"); return 0; fi
  echo "kinv: not probed (the kernel rejected it): $2" >&2; return 1
}
kinv_add lkslow 'p:lkslow __lookup_slow name=+0(+8(%di)):string nlen=+4(%di):u32 dir=%si:x64 dinode=+48(%si):x64 flags=%dx:x32'
kinv_add lkslow_ret 'r:lkslow_ret __lookup_slow ret=$retval:x64'
kinv_add dap 'p:dap d_alloc_parallel parent=%di:x64 pinode=+48(%di):x64 name=+0(+8(%si)):string nlen=+4(%si):u32'
kinv_add dap_ret 'r:dap_ret d_alloc_parallel ret=$retval:x64 dflags=+0($retval):x32'
kinv_add daddci 'p:daddci d_add_ci dentry=%di:x64 parent=+24(%di):x64 pinode=+48(+24(%di)):x64 dname=+0(+40(%di)):string inode=%si:x64 name=+0(+8(%dx)):string nlen=+4(%dx):u32'
kinv_add daddci_ret 'r:daddci_ret d_add_ci ret=$retval:x64'
kinv_add fs_lookup_xfsci 'p:fs_lookup_xfsci xfs_vn_ci_lookup dir=%di:x64 dentry=%si:x64 flags=%dx:x32 dname=+0(+40(%si)):string'
kinv_add fs_lookup_xfsci_ret 'r:fs_lookup_xfsci_ret xfs_vn_ci_lookup ret=$retval:x64'
kinv_add fs_lookup_xfs 'p:fs_lookup_xfs xfs_vn_lookup dir=%di:x64 dentry=%si:x64 flags=%dx:x32 dname=+0(+40(%si)):string'
kinv_add fs_lookup_xfs_ret 'r:fs_lookup_xfs_ret xfs_vn_lookup ret=$retval:x64'
kinv_add fs_lookup_ext4 'p:fs_lookup_ext4 ext4_lookup dir=%di:x64 dentry=%si:x64 flags=%dx:x32 dname=+0(+40(%si)):string'
kinv_add fs_lookup_ext4_ret 'r:fs_lookup_ext4_ret ext4_lookup ret=$retval:x64'
kinv_add fs_lookup_simple 'p:fs_lookup_simple simple_lookup dir=%di:x64 dentry=%si:x64 flags=%dx:x32 dname=+0(+40(%si)):string'
kinv_add fs_lookup_simple_ret 'r:fs_lookup_simple_ret simple_lookup ret=$retval:x64'
kinv_add fs_lookup_vfat 'p:fs_lookup_vfat vfat_lookup dir=%di:x64 dentry=%si:x64 flags=%dx:x32 dname=+0(+40(%si)):string'
kinv_add fs_lookup_vfat_ret 'r:fs_lookup_vfat_ret vfat_lookup ret=$retval:x64'
kinv_add unhashwake 'p:unhashwake __d_lookup_unhash_wake dentry=%di:x64 parent=+24(%di):x64 dname=+0(+40(%di)):string dflags=+0(%di):x32'
kinv_add unhash 'p:unhash __d_lookup_unhash dentry=%di:x64 parent=+24(%di):x64 dname=+0(+40(%di)):string dflags=+0(%di):x32'
kinv_add dsplice 'p:dsplice d_splice_alias inode=%di:x64 dentry=%si:x64 parent=+24(%si):x64 dname=+0(+40(%si)):string'
kinv_add dsplice_ret 'r:dsplice_ret d_splice_alias ret=$retval:x64'
kinv_add dr 'p:dr down_read sem=%di:x64'
kinv_add ur 'p:ur up_read sem=%di:x64'
kinv_add dw 'p:dw down_write sem=%di:x64'
kinv_add uw 'p:uw up_write sem=%di:x64'
kinv_add dr_ret 'r:dr_ret down_read'
kinv_add dw_ret 'r:dw_ret down_write'
KINV_DIRS=('/mnt/xfsci/d' '/mnt/ext4/d')
KINV_SEM_FILTER=
for d in "${KINV_DIRS[@]}"; do # a lookup of a name the directory lacks goes through __lookup_slow: its dinode
  n=kinv-learn-$$-$RANDOM
  echo 0 > "$T/tracing_on"; : > "$T/trace"; echo 1 > "$T/events/kprobes/lkslow/enable"; echo 1 > "$T/tracing_on"
  [ -e "$d/$n" ]
  echo 0 > "$T/tracing_on"; echo 0 > "$T/events/kprobes/lkslow/enable"
  di=$(grep "name=\"$n\"" "$T/trace" | head -n 1 | sed -n 's/.*dinode=\(0x[0-9a-f]*\).*/\1/p')
  if [ -z "$di" ]; then echo "kinv: no slow lookup seen in $d (is it a directory?)" >&2; continue; fi
  KINV_SEM_FILTER="$KINV_SEM_FILTER${KINV_SEM_FILTER:+ || }sem == $(printf '0x%x' $((di + KINV_I_RWSEM)))"
done
: > "$T/trace"; echo 1 > "$T/tracing_on"
KINV_COMM_FILTER='comm == "lkwork"'
KINV_SEM_EVENTS=(dr ur dw uw)
KINV_COMM_EVENTS=(dr_ret dw_ret)
kinv_filter_of() { # the filter of a probe event: lock probes by sem, lock returns by comm
  local e
  for e in "${KINV_SEM_EVENTS[@]}"; do [ "$e" = "$1" ] && { echo "$KINV_SEM_FILTER"; return; }; done
  for e in "${KINV_COMM_EVENTS[@]}"; do [ "$e" = "$1" ] && { echo "$KINV_COMM_FILTER"; return; }; done
}
kinv_args() { # $1: the filter option (-f for trace-cmd, --filter for perf)
  local e f
  KINV_ARGS=()
  for e in "${KINV_EVENTS[@]}"; do
    KINV_ARGS+=(-e "kprobes:$e"); f=$(kinv_filter_of "$e"); [ -n "$f" ] && KINV_ARGS+=("$1" "$f")
  done
  KINV_ARGS+=(-e raw_syscalls:sys_exit); [ -n "$KINV_COMM_FILTER" ] && KINV_ARGS+=("$1" "$KINV_COMM_FILTER")
  KINV_ARGS+=(-e sched:sched_process_exit)
}
kinv_record() { kinv_args -f; trace-cmd record "${KINV_ARGS[@]}" "$@"; } # then: kinv check trace.dat
kinv_perf_record() { kinv_args --filter; perf record -a "${KINV_ARGS[@]}" "$@"; } # then: perf script > t.txt; kinv check t.txt
kinv_probes_off() { local e; for e in "${KINV_EVENTS[@]}"; do echo "-:kprobes/$e" >> "$T/kprobe_events"; done; KINV_EVENTS=(); }
echo "kinv: ${#KINV_EVENTS[@]} probes; watching: ${KINV_SEM_FILTER:-every rwsem (no directory learned)}" >&2
