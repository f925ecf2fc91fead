#!/bin/bash
# A sweep as a Slurm job array: one array task per shard, all writing into one shared results folder.
# From the repository root (logs/ is part of the repository: Slurm opens each task's log there before the script
# runs, and fails the task without a word when the folder does not exist):
#   sbatch --array=1-8 examples/slurm-array.sh configs/mnist-batch-sweep.yaml
# The array must be 1-based (1-N); N is taken from it, or given after the config, which resubmitting one task
# needs (alone, it would be an array of 1):
#   sbatch --array=3 examples/slurm-array.sh configs/mnist-batch-sweep.yaml 8
# then, once every task has finished (e.g. sbatch --dependency=afterany:<jobid>):
#   ln-repro summary results/mnist-batch-sweep && ln-repro check results/mnist-batch-sweep
# (check exits 2 while a run of the sweep has no result.) LN_REPRO_OUT sets the results folder (default results).
#SBATCH --job-name=ln-repro
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail
config=${1:?usage: sbatch --array=1-N examples/slurm-array.sh CONFIG [N]}
task=${SLURM_ARRAY_TASK_ID:?not an array task: submit with sbatch --array=1-N examples/slurm-array.sh CONFIG}
count=${2:-${SLURM_ARRAY_TASK_COUNT:?no SLURM_ARRAY_TASK_COUNT: give N after the config}}
if ! [[ $task =~ ^[0-9]+$ && $count =~ ^[0-9]+$ ]] || ((task < 1 || task > count)); then
  echo "slurm-array.sh: array task ${task} is outside 1..${count}: the array must be 1-based," \
    "submit with sbatch --array=1-${count} (or --array=K with N after the config to resubmit task K)" >&2
  exit 2
fi
./bin/ln-repro run "$config" \
  --shard "${task}/${count}" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --out "${LN_REPRO_OUT:-results}"
