# ln-repro's CPU image, the one examples/k8s-indexed-job.yaml runs (ln-repro:latest):
#   docker build -t ln-repro:latest .
#   docker run --rm -v "$PWD/results:/app/results" ln-repro:latest run configs/mnist-bs4.yaml
# @tensorflow/tfjs-node-gpu is left out (its install script downloads libtensorflow, which needs CUDA 11.2 at run
# time): install scripts are skipped (on Linux no other package needs its script) and the package removed. Not
# --omit=optional, which would drop resvg's native binding too (the report's PNGs). The image trains on wasm;
# `--backend webgpu` works where the node has a GPU and a Vulkan loader (README, "Sweeps on a cluster").
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && rm -rf node_modules/@tensorflow/tfjs-node-gpu
COPY . .
RUN npm run build
ENTRYPOINT ["./bin/ln-repro"]
