#!/usr/bin/env bash
# make cluster-test: examples/slurm-array.sh under a real Slurm, on this one machine.
#
#   bash test/cluster/slurm-test.sh        (from anywhere; needs a build: make build)
#
# 1. When `scontrol ping` already answers, it uses that Slurm as it is: nothing is installed, started or stopped.
#    Otherwise (as root) it installs slurmctld, slurmd, slurm-client and munge from Debian when missing, starts
#    munged, slurmctld and slurmd on this node with a slurm.conf of its own in $STATE (SLURM_CONF points there;
#    /etc/slurm is not touched) and waits for the node to be idle.
# 2. It submits test/cluster/sweep.yaml (4 tiny runs) exactly as README says, from the repository root:
#    `sbatch --array=1-2 examples/slurm-array.sh CONFIG`, with a unique --job-name and LN_REPRO_OUT set to a
#    temporary results folder, and checks: every task COMPLETED with exit code 0:0; `ln-repro summary` and
#    `ln-repro check` pass; summary.csv equals that of a local run of the config (timing columns aside); the same
#    array submitted again reruns nothing; a 0-based array (--array=0-1) fails task 0 with exit 2 and a log that
#    says --array=1-2, and `ln-repro check` on that partial folder exits 2 with MISSING.
# 3. On exit (success, failure, Ctrl-C) it cancels its jobs, removes its task logs from logs/ and its results
#    (both kept in the results folder it names when a check failed) and stops, by pid, the daemons it started.
#
# Exit 0 when every check passes, 1 otherwise (130/143 when interrupted). About 30 s on 2 cores, 10 s more when
# it installs Slurm; each array may take up to ARRAY_TIMEOUT seconds (on a busy cluster it fails with the reasons).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFIG=test/cluster/sweep.yaml # relative: submitted from the repository root, as README says
NAME=cluster-sweep             # the config's name: its results are $OUT/$NAME
TEMPLATE=examples/slurm-array.sh
STATE=${TMPDIR:-/tmp}/ln-repro-slurm-test # our slurm.conf, daemon pids, logs and spool; fixed, so that a later
#                                           run finds (and stops) daemons left by a run that was killed -9
PACKAGES=(slurmctld slurmd slurm-client munge)
ARRAY_TIMEOUT=120 # seconds an array may take from submission to its last task's end
DAEMON_TIMEOUT=60 # seconds for munged to answer and the node to become idle

OWN_CLUSTER=0 # 1 once we start daemons (and so stop them at the end)
DAEMONS=()    # "name:pid" of each daemon we started, in start order
JOB_NAME=''   # unique per run: names our jobs and their logs (logs/%x-%A_%a.out)
WORK=''       # temporary results folder under results/
PASSED=0
RESULTS=''   # the experiment folder of the first array (check_sweep), for check_resubmit
FIRST_JOB='' # its job id

# --- messages ---------------------------------------------------------------------------------------------------

say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }
die() {
  printf 'slurm-test: FAIL: %s\n' "$*" >&2
  exit 1
}

# --- cleanup: on every exit ---------------------------------------------------------------------------------------

# True while process $1 exists and is not a zombie (our own children stay zombies until waited for).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [[ $state != Z ]]
}

# Stops process $1 (named $2): SIGTERM, then SIGKILL after 15 s.
stop_pid() {
  local pid=$1 name=$2 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    say "$name (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true # reap it when it is our child
}

# Cancels our jobs still queued or running, so that no task writes a log after we remove them.
cancel_jobs() {
  [[ -n $JOB_NAME ]] && command -v scancel >/dev/null || return 0
  [[ -n $(timeout 10 squeue -h --name="$JOB_NAME" -o %i 2>/dev/null) ]] || return 0
  say "cancelling the jobs named $JOB_NAME"
  timeout 10 scancel --name="$JOB_NAME" || true
  local i
  for ((i = 0; i < 30; i++)); do
    [[ -z $(timeout 10 squeue -h --name="$JOB_NAME" -o %i 2>/dev/null) ]] && break
    sleep 1
  done
}

# Removes our task logs from logs/ and our results; after a failure, moves the logs into the results folder and
# keeps it.
remove_outputs() {
  local logs=()
  if [[ -n $JOB_NAME ]]; then
    shopt -s nullglob
    logs=("$ROOT/logs/$JOB_NAME"-*.out)
  fi
  if ((PASSED)) || [[ -z $WORK ]]; then
    rm -f "${logs[@]}"
    [[ -z $WORK ]] || rm -rf "$WORK"
  else
    mkdir -p "$WORK/logs"
    ((${#logs[@]} == 0)) || mv "${logs[@]}" "$WORK/logs/"
    echo "slurm-test: kept for inspection: $WORK (results, task logs, ln-repro output)" >&2
  fi
}

# Stops the daemons we started, last started first.
stop_daemons() {
  local i name pid
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${DAEMONS[i]%%:*} pid=${DAEMONS[i]##*:}
    stop_pid "$pid" "$name"
    rm -f "$STATE/$name.pid"
  done
  ((${#DAEMONS[@]} == 0)) || say "stopped ${DAEMONS[*]}"
  if ((OWN_CLUSTER && PASSED)); then
    rm -rf "$STATE"
  elif ((OWN_CLUSTER)); then
    echo "slurm-test: kept for inspection: $STATE (slurm.conf, daemon logs)" >&2
  fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  trap '' PIPE # a closed stdout must not stop the cleanup half-way
  set +e
  cancel_jobs
  remove_outputs
  stop_daemons
  if ((PASSED)); then say "cluster-test: PASS"; else echo "slurm-test: FAILED (exit $status)" >&2; fi
  exit "$status"
}

# --- a Slurm to submit to ---------------------------------------------------------------------------------------

# Runs "$@" every 0.5 s until it succeeds; fails after $1 seconds, naming what was awaited ($2).
wait_for() {
  local limit=$1 what=$2 end=$((SECONDS + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what: not within ${limit} s"
    sleep 0.5
  done
}

# Stops daemons that an earlier run of this script started and could not stop (it was killed -9): their pid
# files are in $STATE and the process of that pid still has that name. Runs under the lock, so no other run of
# this test on this machine is using them.
stop_leftovers() {
  local file name pid
  for file in "$STATE"/munged.pid "$STATE"/slurmd.pid "$STATE"/slurmctld.pid; do
    [[ -f $file ]] || continue
    name=$(basename "$file" .pid) pid=$(<"$file")
    if alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
      say "stopping $name (pid $pid), left running by an earlier run of this test"
      stop_pid "$pid" "$name"
    fi
  done
  rm -rf "$STATE" 2>/dev/null || true # (not ours to remove when we are not root: then we need no $STATE)
  # Task logs of such a run (a run that fails moves its logs into the results folder it keeps).
  local logs=("$ROOT"/logs/ln-repro-test-*.out)
  if [[ -e ${logs[0]} ]]; then
    say "removing ${#logs[@]} task log(s) left in logs/ by an earlier run of this test"
    rm -f "${logs[@]}"
  fi
}

# The pids of the live (not zombie) processes named $1, $2, ... (read from /proc: pgrep is not on every machine).
live_pids() {
  local name comm pid
  for comm in /proc/[0-9]*/comm; do
    pid=${comm#/proc/}
    pid=${pid%/comm}
    name=$(cat "$comm" 2>/dev/null) || continue
    if [[ " $* " == *" $name "* ]] && alive "$pid"; then printf '%s ' "$pid"; fi
  done
}

# True when a Slurm controller already answers with the default (or the caller's SLURM_CONF) configuration.
slurm_answers() {
  command -v scontrol >/dev/null && timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'
}

# Installs the packages that are missing, from Debian (about 12 s).
install_slurm() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null; then
    return 0
  fi
  command -v apt-get >/dev/null || die "Slurm is not installed and there is no apt-get to install ${PACKAGES[*]}"
  say "installing ${PACKAGES[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # No package lists yet, or stale ones (the install fails): update them (and try again).
  apt-cache show "${PACKAGES[@]}" >/dev/null 2>&1 || apt_get update
  apt_get install --no-install-recommends "${PACKAGES[@]}" ||
    { apt_get update && apt_get install --no-install-recommends "${PACKAGES[@]}"; } ||
    die "apt-get install ${PACKAGES[*]} failed: see $STATE/apt.log"
}

# apt-get "$@", quiet, its output in $STATE/apt.log; waits up to a minute for another apt to finish.
apt_get() { timeout 300 apt-get -y -qq -o DPkg::Lock::Timeout=60 "$@" >>"$STATE/apt.log" 2>&1; }

# Starts "$@" in the background as daemon $name, its output in $STATE/$name.log, and records its pid.
start_daemon() {
  local name=$1
  shift
  "$@" >"$STATE/$name.log" 2>&1 9<&- & # 9<&-: the daemon does not hold our lock
  echo "$!" >"$STATE/$name.pid"
  DAEMONS+=("$name:$!")
}

munge_answers() { munge -n | unmunge; }

# munged as the munge user (no systemd here to start it), with a key when the package made none. A munged that
# already answers (the machine's own) is used and left alone.
start_munge() {
  if munge_answers >/dev/null 2>&1; then return 0; fi
  local key=/etc/munge/munge.key
  if [[ ! -s $key ]]; then
    say "creating $key"
    mungekey --create --keyfile="$key" 2>/dev/null || dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
    chown munge:munge "$key"
    chmod 400 "$key"
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  # setpriv execs munged (runuser would fork), so $! is munged's pid.
  start_daemon munged setpriv --reuid=munge --regid=munge --init-groups munged --foreground
  wait_for "$DAEMON_TIMEOUT" "munged answering" munge_answers
}

# Our slurm.conf: one node (this one, as slurmd -C sees it), one partition, no cgroups, no accounting.
write_slurm_conf() {
  local node memory
  node=$(slurmd -C | head -n 1)
  [[ $node == NodeName=* ]] || die "slurmd -C printed no node line: $node"
  # The template asks --mem=8G and --cpus-per-task=2: a node with less memory gets 8 GB on paper
  # (config_overrides: nothing enforces it here) rather than a refused submission. 2 CPUs are needed.
  memory=$(sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' <<<"$node")
  ((memory >= 8192)) || node=$(sed -E 's/RealMemory=[0-9]+/RealMemory=8192/' <<<"$node")
  if ! [[ $node =~ CPUs=([0-9]+) ]] || ((BASH_REMATCH[1] < 2)); then
    die "the template asks --cpus-per-task=2 and this machine has fewer CPUs: $node"
  fi
  cat >"$STATE/slurm.conf" <<EOF
# Written by test/cluster/slurm-test.sh for one run of the test; removed when it passes.
ClusterName=ln-repro-test
SlurmctldHost=$(hostname -s)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.daemon.pid
SlurmdPidFile=$STATE/slurmd.daemon.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
# No systemd and no cgroups here: processes tracked through /proc, no task containment, no accounting
# (sacct does not work: the test reads each task's state and exit code with scontrol).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
# Finished jobs stay visible to scontrol for 10 minutes (the test reads them right after they end).
MinJobAge=600
$node State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

node_idle() { [[ $(sinfo -h -n "$(hostname -s)" -o %T) == idle ]]; }

# Installs and starts a single-node Slurm of our own (from scratch each run: a fresh $STATE).
start_cluster() {
  ((EUID == 0)) || die "no Slurm answers here, and installing and starting one needs root: sudo bash $0"
  local other
  other=$(live_pids slurmctld slurmd)
  [[ -z $other ]] || die "Slurm daemons this test did not start are running here (pids ${other% }) but" \
    "scontrol ping does not answer: leaving them alone (stop them, or set SLURM_CONF so that scontrol reaches them)"
  # A machine set up for a Slurm (a login node, say) whose controller is down now: not ours to stand in for.
  [[ -z ${SLURM_CONF:-} && ! -e /etc/slurm/slurm.conf ]] || die "this machine is configured for a Slurm" \
    "(${SLURM_CONF:-/etc/slurm/slurm.conf}) whose controller does not answer: leaving it alone"
  mkdir -p "$STATE/ctld" "$STATE/spool"
  install_slurm
  OWN_CLUSTER=1
  start_munge
  write_slurm_conf
  export SLURM_CONF=$STATE/slurm.conf # for the daemons, sbatch, scontrol and the jobs
  start_daemon slurmctld slurmctld -D
  wait_for "$DAEMON_TIMEOUT" "slurmctld answering (see $STATE/slurmctld.log)" slurm_answers
  start_daemon slurmd slurmd -D
  wait_for "$DAEMON_TIMEOUT" "node $(hostname -s) idle (see $STATE/slurmd.log)" node_idle
}

# --- the job arrays -----------------------------------------------------------------------------------------------

# Submits the template as README says, as array $1, results into $2; prints the array's job id.
# --job-name: a name of our own (the template's is ln-repro), so that our jobs and logs collide with nothing.
# --parsable: the job id alone on stdout. LN_REPRO_OUT (read by the template): a temporary results folder.
# No --wait: expect_array polls scontrol instead, with its own time limit and reading each task's state.
submit_array() {
  local range=$1 out=$2 id
  shift 2
  id=$(cd "$ROOT" && LN_REPRO_OUT=$out sbatch --parsable --job-name="$JOB_NAME" --array="$range" "$TEMPLATE" \
    "$CONFIG" "$@" 2>"$STATE/sbatch.err") || true
  id=${id%%;*}
  [[ $id =~ ^[0-9]+$ ]] || die "sbatch --array=$range refused the submission: $(cat "$STATE/sbatch.err")"
  echo "$id"
}

# "TASK STATE EXITCODE" for each task of array job $1 that Slurm lists on its own (pending tasks may share one
# line, with ArrayTaskId a range).
task_states() {
  scontrol -o show job "$1" | awk '{
    task = state = code = "";
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=");
      if (kv[1] == "ArrayTaskId") task = kv[2];
      else if (kv[1] == "JobState") state = kv[2];
      else if (kv[1] == "ExitCode") code = kv[2];
    }
    print task, state, code;
  }' | sort -n
}

# Waits (in this shell, so that a signal ends the wait at once) until every task of array job $1 (ids $2, e.g.
# "1 2") has ended, then fails unless their task_states lines are exactly $3.
expect_array() {
  local id=$1 tasks=$2 expected=$3 end=$((SECONDS + ARRAY_TIMEOUT)) states ended
  while :; do
    states=$(task_states "$id") || states='' # a transient scontrol failure: poll again until the deadline
    ended=$(awk '$2 ~ /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)$/ {
      printf "%s%s", sep, $1; sep = " " }' <<<"$states")
    [[ $ended == "$tasks" ]] && break
    ((SECONDS < end)) || die "array job $id not finished within ${ARRAY_TIMEOUT} s:"$'\n'"$states"$'\n'"$(
      scontrol -o show job "$id" | grep -o 'Reason=[^ ]*' | sort | uniq -c)"
    sleep 1
  done
  [[ $states == "$expected" ]] ||
    die "array job $id, tasks (id, JobState, ExitCode): expected"$'\n'"$expected"$'\n'"got"$'\n'"$states"
}

task_log() { echo "$ROOT/logs/$JOB_NAME-$1_$2.out"; }

# Fails unless the log of task $2 of array $1 matches the extended regex $3.
expect_log() {
  local log
  log=$(task_log "$1" "$2")
  [[ -f $log ]] || die "no log $log"
  grep -Eq -- "$3" "$log" || die "log of array task $2 does not match /$3/: $log:"$'\n'"$(cat "$log")"
}

# Runs ln-repro from the repository root, its output in $WORK/ln-repro-$1.log ($1: the subcommand).
ln_repro() { (cd "$ROOT" && timeout 120 ./bin/ln-repro "$@") >"$WORK/ln-repro-$1.log" 2>&1; }

# summary.csv ($1) without its timing columns (seconds, examples_per_second: they differ from run to run).
strip_timing() {
  (cd "$ROOT" && node -e '
    const { parse } = require("csv-parse/sync");
    const rows = parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const keep = rows[0].map((c, i) => (["seconds", "examples_per_second"].includes(c) ? -1 : i)).filter((i) => i >= 0);
    for (const row of rows) console.log(JSON.stringify(keep.map((i) => row[i])));
  ' "$1")
}

# Checksums of every run's results in experiment folder $1.
results_digest() { find "$1" -mindepth 2 -type f | sort | xargs md5sum; }

# --- the checks ---------------------------------------------------------------------------------------------------

# --array=1-2 as README says: both tasks complete, summary and check pass, same numbers as a local run.
check_sweep() {
  local out=$WORK/slurm id
  id=$(submit_array 1-2 "$out")
  say "submitted sbatch --array=1-2 $TEMPLATE $CONFIG: job $id"
  expect_array "$id" "1 2" $'1 COMPLETED 0:0\n2 COMPLETED 0:0'
  expect_log "$id" 1 'in shard 1/2: 2 to run, 0 already done'
  expect_log "$id" 2 'in shard 2/2: 2 to run, 0 already done'
  say "job $id: tasks 1 and 2 COMPLETED, exit code 0:0"
  ln_repro summary "$out/$NAME" || die "ln-repro summary exited $?:"$'\n'"$(cat "$WORK/ln-repro-summary.log")"
  ln_repro check "$out/$NAME" || die "ln-repro check exited $?:"$'\n'"$(cat "$WORK/ln-repro-check.log")"
  say "ln-repro summary and ln-repro check: exit 0"
  ln_repro run "$CONFIG" --out "$WORK/local" --no-report ||
    die "the local run exited $?:"$'\n'"$(cat "$WORK/ln-repro-run.log")"
  strip_timing "$WORK/local/$NAME/summary.csv" >"$WORK/local.rows" || die "cannot read the local summary.csv"
  strip_timing "$out/$NAME/summary.csv" >"$WORK/slurm.rows" || die "cannot read the Slurm array's summary.csv"
  (($(wc -l <"$WORK/slurm.rows") == 5)) || die "the Slurm array's summary.csv has not a header and 4 runs"
  diff "$WORK/local.rows" "$WORK/slurm.rows" >&2 ||
    die "summary.csv of the Slurm array differs from a local run's (timing columns aside): diff above"
  say "summary.csv equals a local run's (timing columns aside)"
  RESULTS=$out/$NAME FIRST_JOB=$id
}

# The same array again: both tasks complete without rerunning anything.
check_resubmit() {
  local id before
  before=$(results_digest "$RESULTS")
  id=$(submit_array 1-2 "$WORK/slurm")
  say "resubmitted the same array: job $id"
  expect_array "$id" "1 2" $'1 COMPLETED 0:0\n2 COMPLETED 0:0'
  expect_log "$id" 1 'in shard 1/2: 0 to run, 2 already done'
  expect_log "$id" 2 'in shard 2/2: 0 to run, 2 already done'
  [[ $(results_digest "$RESULTS") == "$before" ]] || die "the resubmitted array rewrote results of job $FIRST_JOB"
  say "job $id: COMPLETED 0:0, each task 0 to run, 2 already done, results untouched"
  # One task alone, N after the config (alone it would be an array of 1), as README says to resubmit a task.
  id=$(submit_array 2 "$WORK/slurm" 2)
  say "resubmitted task 2 alone, sbatch --array=2 $TEMPLATE $CONFIG 2: job $id"
  expect_array "$id" "2" '2 COMPLETED 0:0'
  expect_log "$id" 2 'in shard 2/2: 0 to run, 2 already done'
  [[ $(results_digest "$RESULTS") == "$before" ]] || die "the resubmitted task rewrote results of job $FIRST_JOB"
  say "job $id: task 2 COMPLETED 0:0 as shard 2/2, 0 to run, 2 already done"
}

# --array=0-1, into a fresh folder: task 0 exits 2 naming --array=1-2, check finds the sweep incomplete.
check_zero_based() {
  local out=$WORK/zero id status=0
  id=$(submit_array 0-1 "$out")
  say "submitted a 0-based array, sbatch --array=0-1: job $id"
  expect_array "$id" "0 1" $'0 FAILED 2:0\n1 COMPLETED 0:0'
  expect_log "$id" 0 'array task 0 is outside 1\.\.2: the array must be 1-based, submit with sbatch --array=1-2'
  ln_repro check "$out/$NAME" || status=$?
  ((status == 2)) || die "ln-repro check on the partial folder exited $status, not 2:"$'\n'"$(
    cat "$WORK/ln-repro-check.log")"
  grep -q '^MISSING runs: 2 of 4 have no result' "$WORK/ln-repro-check.log" ||
    die "ln-repro check does not say MISSING runs: 2 of 4:"$'\n'"$(cat "$WORK/ln-repro-check.log")"
  say "job $id: task 0 FAILED 2:0 saying --array=1-2; ln-repro check: exit 2, MISSING runs: 2 of 4"
}

main() {
  [[ -x $ROOT/bin/ln-repro && -d $ROOT/dist ]] || die "no build: run make build first"
  [[ -d $ROOT/logs ]] || die "no $ROOT/logs: Slurm would fail every task without a word"
  exec 9<"${BASH_SOURCE[0]}" # one run at a time: the lock is on this script, so no lock file is left behind
  flock -n 9 || die "another run of this test is under way"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 141' PIPE # stdout closed (e.g. ... | head): clean up all the same
  stop_leftovers
  mkdir -p "$STATE"
  if slurm_answers; then
    say "using the Slurm already running here (scontrol ping answers): nothing started or stopped"
  else
    start_cluster
    say "started a single-node Slurm: ${DAEMONS[*]} (SLURM_CONF=$SLURM_CONF)"
  fi
  mkdir -p "$ROOT/results"
  WORK=$(mktemp -d "$ROOT/results/slurm-test.XXXXXX") # results/ is shared with the nodes, unlike /tmp
  JOB_NAME=ln-repro-test-${WORK##*.}
  check_sweep
  check_resubmit
  check_zero_based
  PASSED=1
}

main "$@"
