// Conv2DBackpropFilter, which tfjs-backend-wasm 4.22 does not have (training any convnet there fails with
// "Cannot find registered kernel"): the filter gradient of an NHWC convolution, as JavaScript loops.
import * as tf from '@tensorflow/tfjs';
import type { JsKernel } from './js-kernel';

export interface ConvFilterGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** The geometry of the convolution whose filter gradient `attrs` asks for, on an input of shape `xShape`. */
function convInfo(xShape: number[], attrs: ConvFilterGradAttrs): Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC (channelsLast) is supported');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/** Adds to `acc` (dW) what the output gradient at position (b, oy, ox) contributes through every filter tap. */
function accumulateAt(
  acc: Float64Array,
  x: Float32Array,
  dy: Float32Array,
  info: Conv2DInfo,
  b: number,
  oy: number,
  ox: number,
) {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
  for (let kh = 0; kh < filterHeight; kh++) {
    const iy = oy * strideHeight + kh - top;
    if (iy < 0 || iy >= inHeight) continue;
    for (let kw = 0; kw < filterWidth; kw++) {
      const ix = ox * strideWidth + kw - left;
      if (ix < 0 || ix >= inWidth) continue;
      const xBase = ((b * inHeight + iy) * inWidth + ix) * inChannels;
      const wBase = (kh * filterWidth + kw) * inChannels * outChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        const xv = x[xBase + ci];
        if (xv === 0) continue;
        const w = wBase + ci * outChannels;
        for (let co = 0; co < outChannels; co++) acc[w + co] += xv * dy[dyBase + co];
      }
    }
  }
}

/** dW accumulated in float64, output positions in row-major order (batch, then row, then column). */
function accumulate(x: Float32Array, dy: Float32Array, info: Conv2DInfo, size: number): Float64Array {
  const acc = new Float64Array(size);
  for (let b = 0; b < info.batchSize; b++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      for (let ox = 0; ox < info.outWidth; ox++) accumulateAt(acc, x, dy, info, b, oy, ox);
    }
  }
  return acc;
}

/**
 * dW[kh, kw, ci, co] = sum over b, oy, ox of x[b, oy*sh + kh - top, ox*sw + kw - left, ci] * dy[b, oy, ox, co]
 * (positions outside x are the zero padding). Accumulated in float64.
 */
export const convFilterGradKernel: JsKernel<ConvFilterGradAttrs> = {
  name: 'Conv2DBackpropFilter',
  inputs: ['x', 'dy'],
  outputShapes: (_shapes, { filterShape }) => [filterShape],
  compute([x, dy], [dW], [xShape], attrs) {
    dW.set(accumulate(x, dy, convInfo(xShape, attrs), dW.length));
  },
};
