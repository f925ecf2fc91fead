# ln-repro: `make run` installs, builds and runs configs/mnist-bs4.yaml; `make test` runs the tests;
# `make lint` checks formatting (prettier) and lint (eslint, with the layers of src/); `make regress` runs the CI-sized ablations (configs/ci/) and checks the paper's claims on them.
SHELL := /bin/bash
NPM_STAMP := node_modules/.install-stamp
CI_OUT := results/ci

.PHONY: all install build run test lint regress reference data data-fashion clean

all: build

# npm ci: the exact versions of package-lock.json. @tensorflow/tfjs-node-gpu is optional: where its
# install (a libtensorflow download) fails, npm skips it and ln-repro uses the wasm backend.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP)

build: install
	npx tsc -p tsconfig.json

run: build
	./bin/ln-repro run configs/mnist-bs4.yaml

test: build
	npm test

# Prettier reports files whose formatting differs (`npx prettier --write .` fixes them); eslint runs the type-checked
# rules, no import cycle, the layers of src/ (eslint.config.mjs, CONTRIBUTING.md) and at most 40 lines a function.
lint: install
	npx prettier --check .
	npx eslint .

# Every CI config (each writes its report), then every claim, then Table 1's invariances (claim 8); fails when a
# run fails, a claim fails (or a known deviation XPASSes) or a layer/batch-norm invariance disagrees with the paper.
# Runs finished earlier with the same config are not rerun (delete results/ci to start over).
regress: build
	@status=0; \
	for config in configs/ci/*.yaml; do ./bin/ln-repro run "$$config" --out $(CI_OUT) --no-check || status=1; done; \
	./bin/ln-repro check $(CI_OUT)/ci-* || status=1; \
	./bin/ln-repro invariance --json $(CI_OUT)/invariance.json || status=1; \
	exit $$status

# Refresh results/reference/ from a finished `make regress`: each CI experiment's summary.csv, check.json,
# report.md and figures, the check output and the invariance table (small files only; committed).
reference:
	rm -rf results/reference/ci-*
	for dir in $(CI_OUT)/ci-*; do \
	  name=$$(basename $$dir); mkdir -p results/reference/$$name; \
	  cp $$dir/summary.csv $$dir/check.json $$dir/report.md $$dir/*.png $$dir/*.svg results/reference/$$name/; \
	done
	./bin/ln-repro check $(CI_OUT)/ci-* > results/reference/check.txt || true
	cp $(CI_OUT)/invariance.json results/reference/invariance.json

# Full MNIST (IDX files) into data/mnist, SHA-256 checked; needs internet.
data:
	bash data-scripts/fetch-mnist.sh data/mnist

# Fashion-MNIST (60,000 + 10,000 images, MIT licence) from Debian's archive into /usr/share/datasets/fashion-mnist,
# for data.source: fashion and configs/fashion/; needs apt-get (root or sudo), no other download.
data-fashion:
	bash data-scripts/install-fashion.sh

clean:
	rm -rf dist
