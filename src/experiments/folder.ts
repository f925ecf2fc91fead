// An experiment folder as written by `run`: its experiment.yaml gives the run list that summary and check read.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml, resolveExperiment, type Experiment } from '../config/load';
import { UserError } from '../errors';

export function loadExperimentFolder(dir: string): Experiment {
  const file = join(dir, 'experiment.yaml');
  if (!existsSync(file))
    throw new UserError(
      `${dir}: not an experiment folder (no experiment.yaml); give <out>/<name> as written by ln-repro run`,
    );
  return resolveExperiment(file, parseYaml(file, readFileSync(file, 'utf8')));
}
