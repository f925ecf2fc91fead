#!/bin/bash
# A sweep as a Slurm job array: one array task per shard, all writing into one shared results folder.
#   sbatch --array=1-8 examples/slurm-array.sh configs/mnist-batch-sweep.yaml
# then, once every task has finished (e.g. sbatch --dependency=afterany:<jobid>):
#   ln-repro summary results/mnist-batch-sweep && ln-repro check results/mnist-batch-sweep
#SBATCH --job-name=ln-repro
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail
config=${1:?usage: sbatch --array=1-N examples/slurm-array.sh CONFIG}
# Shard i of n: SLURM_ARRAY_TASK_ID is 1-based when the array is given as 1-N.
./bin/ln-repro run "$config" \
  --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --out results
