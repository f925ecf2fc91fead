# ln-repro: `make run` installs, builds and runs configs/mnist-bs4.yaml; `make test` runs the tests.
SHELL := /bin/bash
NPM_STAMP := node_modules/.install-stamp

.PHONY: all install build run test data clean

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

# Full MNIST (IDX files) into data/mnist, SHA-256 checked; needs internet.
data:
	bash data-scripts/fetch-mnist.sh data/mnist

clean:
	rm -rf dist
