const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const { selectBackend } = require('./dist/src/backend/select');
const { enableFastPaths } = require('./dist/src/backend/fast');
const { buildModel } = require('./dist/src/models/registry');
const { mlpSchema } = require('./dist/src/config/schema');
const { Adam } = require('./dist/src/train/adam');
const { meanNll } = require('./dist/src/metrics/classification');
(async () => {
  await selectBackend('wasm'); enableFastPaths();
  const model = buildModel({ config: mlpSchema.parse({ kind: 'mlp', hidden: [1000,1000], norm: process.argv[2] || 'layer' }), inputShape: [784], classes: 10, seed: 1 });
  const adam = new Adam({ learningRate: 1e-3 });
  const x = tf.randomUniform([+(process.argv[3]||128), 784]); const y = tf.oneHot(tf.tensor1d(Array.from({length:+(process.argv[3]||128)},(_, i)=>i%10),'int32'),10);
  const step = () => adam.minimize(() => meanNll(model.logits(x, true), y), model.trainable);
  for (let i = 0; i < 10; i++) step();
  const agg = {};
  const N = 20;
  for (let i = 0; i < N; i++) {
    const p = await tf.profile(() => { step(); });
    for (const k of p.kernels) { const key = k.name + ' ' + JSON.stringify(k.inputShapes); agg[key] = (agg[key] || 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0); }
  }
  const t0 = performance.now(); for (let i = 0; i < N; i++) step(); const per = (performance.now() - t0) / N;
  const rows = Object.entries(agg).map(([k, v]) => [k, v / N]).sort((a, b) => b[1] - a[1]);
  let total = 0; for (const [, v] of rows) total += v;
  console.log('step ms', per.toFixed(2), 'sum of kernels', total.toFixed(2));
  for (const [k, v] of rows.slice(0, 25)) console.log(v.toFixed(3).padStart(8), k);
})();
