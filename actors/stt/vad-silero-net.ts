/**
 * Silero VAD v5's 16 kHz network, computed in plain JavaScript from the
 * weights of its ONNX file (vad-silero-onnx.ts): no ONNX runtime, no native
 * binary, nothing to install. The network is small (about 0.7 M
 * multiply-adds per 32 ms frame) and is the same graph the ONNX file
 * describes, op for op:
 *
 *   input (64 samples of context + 512) -> reflect-pad 64 on the right
 *   -> STFT with the file's basis (256 taps, hop 128: 4 frames)
 *   -> magnitude of 129 bins -> 4 x (conv k3 p1, ReLU) with strides 1, 2, 2, 1
 *   -> LSTM cell (128, state h and c) -> ReLU -> 1x1 conv -> sigmoid.
 *
 * The file's STFT basis is a Hann-windowed DFT; when it is (checked at load,
 * to 1e-5), the STFT runs as a windowed 256-point FFT, about six times fewer
 * operations than the convolution, which remains for any other basis.
 * test/actors/stt/vad-silero-net.test.ts checks it against onnxruntime-web
 * running the same file.
 */
import type { SileroWeights } from "./vad-silero-onnx.js";

/** Samples the network takes: 64 of context, then one 512-sample frame. */
export const SILERO_INPUT = 576;
/** Floats of recurrent state: h (128) then c (128). */
export const SILERO_STATE = 256;

const PAD = 64;
const TAPS = 256;
const HOP = 128;
const BINS = 129;
const STEPS = (SILERO_INPUT + PAD - TAPS) / HOP + 1; // 4
const HIDDEN = 128;

/**
 * One loaded network. `run` is synchronous and reuses its buffers, so one
 * instance serves one caller at a time (the Silero worker).
 */
export class SileroNet {
  readonly #w: SileroWeights;
  readonly #padded = new Float32Array(SILERO_INPUT + PAD);
  /** Activations, channel-major ([channel][step]). */
  readonly #layers: Float32Array[];
  readonly #lengths: number[];
  readonly #gates = new Float32Array(4 * HIDDEN);
  /** The basis's window when the basis is a windowed DFT (then the STFT is an FFT), else null. */
  readonly #window: Float64Array | null;
  readonly #re = new Float64Array(TAPS);
  readonly #im = new Float64Array(TAPS);
  readonly #x = new Float32Array(HIDDEN);

  /** `options.fft: false` computes the STFT as the convolution even for a DFT basis (to test both ways). */
  constructor(weights: SileroWeights, options: { fft?: boolean } = {}) {
    this.#w = weights;
    this.#window = options.fft === false ? null : dftWindow(weights.basis);
    this.#lengths = [STEPS];
    for (const layer of weights.encoder) this.#lengths.push(Math.floor((this.#lengths.at(-1)! - 1) / layer.stride) + 1);
    // Each channel's row has a zero on either side: the convolutions' padding.
    this.#layers = [new Float32Array(BINS * (STEPS + 2)), ...weights.encoder.map((layer, i) => new Float32Array(layer.outputs * (this.#lengths[i + 1]! + 2)))];
    if (this.#lengths.at(-1) !== 1) throw new Error("the encoder does not reduce a frame to one step");
  }

  /**
   * Speech probability of one frame. `input` holds SILERO_INPUT samples
   * (16 kHz, -1..1); `state` (SILERO_STATE floats) is read and replaced by
   * the new state.
   */
  run(input: Float32Array, state: Float32Array): number {
    if (input.length !== SILERO_INPUT) throw new RangeError(`Silero takes ${SILERO_INPUT} samples, got ${input.length}`);
    if (state.length !== SILERO_STATE) throw new RangeError(`Silero's state is ${SILERO_STATE} floats, got ${state.length}`);
    this.#stft(input);
    let source = this.#layers[0]!;
    this.#w.encoder.forEach((layer, i) => {
      const target = this.#layers[i + 1]!;
      conv3(source, this.#lengths[i]!, layer, target, this.#lengths[i + 1]!);
      source = target;
    });
    // The last layer has one step: its value sits at 1 of each 3-float row.
    const x = this.#x;
    for (let j = 0; j < HIDDEN; j++) x[j] = source[j * 3 + 1]!;
    this.#lstm(x, state);
    // ReLU, then the 1x1 convolution to one channel, then sigmoid.
    let sum = this.#w.decoderBias[0]!;
    for (let j = 0; j < HIDDEN; j++) {
      const h = state[j]!;
      if (h > 0) sum += this.#w.decoderWeight[j]! * h;
    }
    return 1 / (1 + Math.exp(-sum));
  }

  /** Reflect padding, then the STFT basis as a strided convolution, then magnitudes. */
  #stft(input: Float32Array): void {
    const x = this.#padded;
    x.set(input);
    const n = input.length;
    for (let k = 0; k < PAD; k++) x[n + k] = input[n - 2 - k]!;
    const basis = this.#w.basis;
    const out = this.#layers[0]!;
    const window = this.#window;
    for (let t = 0; t < STEPS; t++) {
      const offset = t * HOP;
      if (window) {
        const re = this.#re;
        const im = this.#im;
        for (let k = 0; k < TAPS; k++) {
          re[k] = x[offset + k]! * window[k]!;
          im[k] = 0;
        }
        fft(re, im);
        for (let f = 0; f < BINS; f++) out[f * (STEPS + 2) + t + 1] = Math.sqrt(re[f]! * re[f]! + im[f]! * im[f]!);
        continue;
      }
      for (let f = 0; f < BINS; f++) {
        let re = 0;
        let im = 0;
        const rb = f * TAPS;
        const ib = (f + BINS) * TAPS;
        for (let k = 0; k < TAPS; k++) {
          const v = x[offset + k]!;
          re += basis[rb + k]! * v;
          im += basis[ib + k]! * v;
        }
        out[f * (STEPS + 2) + t + 1] = Math.sqrt(re * re + im * im);
      }
    }
  }

  /** PyTorch's LSTMCell (gates i, f, g, o), in place on `state` = [h, c]. */
  #lstm(x: Float32Array, state: Float32Array): void {
    const { weightIh, weightHh, biasIh, biasHh } = this.#w;
    const gates = this.#gates;
    for (let r = 0; r < 4 * HIDDEN; r++) {
      let sum = biasIh[r]! + biasHh[r]!;
      const row = r * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) sum += weightIh[row + j]! * x[j]! + weightHh[row + j]! * state[j]!;
      gates[r] = sum;
    }
    for (let j = 0; j < HIDDEN; j++) {
      const i = sigmoid(gates[j]!);
      const f = sigmoid(gates[HIDDEN + j]!);
      const g = Math.tanh(gates[2 * HIDDEN + j]!);
      const o = sigmoid(gates[3 * HIDDEN + j]!);
      const c = f * state[HIDDEN + j]! + i * g;
      state[HIDDEN + j] = c;
      state[j] = o * Math.tanh(c);
    }
  }
}

/** Bit-reversal order and twiddles of the 256-point FFT. */
const REVERSED = Uint16Array.from({ length: TAPS }, (_, i) => {
  let r = 0;
  for (let b = 0, v = i; b < Math.log2(TAPS); b++, v >>= 1) r = (r << 1) | (v & 1);
  return r;
});
const COS = Float64Array.from({ length: TAPS / 2 }, (_, k) => Math.cos((2 * Math.PI * k) / TAPS));
const SIN = Float64Array.from({ length: TAPS / 2 }, (_, k) => -Math.sin((2 * Math.PI * k) / TAPS));

/** In-place radix-2 FFT of TAPS points. */
function fft(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < TAPS; i++) {
    const j = REVERSED[i]!;
    if (j > i) {
      const r = re[i]!;
      re[i] = re[j]!;
      re[j] = r;
      const m = im[i]!;
      im[i] = im[j]!;
      im[j] = m;
    }
  }
  for (let size = 2; size <= TAPS; size *= 2) {
    const half = size / 2;
    const step = TAPS / size;
    for (let start = 0; start < TAPS; start += size) {
      for (let k = 0; k < half; k++) {
        const c = COS[k * step]!;
        const s = SIN[k * step]!;
        const a = start + k;
        const b = a + half;
        const tr = re[b]! * c - im[b]! * s;
        const ti = re[b]! * s + im[b]! * c;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

/**
 * The window w when the basis is w[k] cos(2 pi f k / 256) (real rows) and
 * +-w[k] sin(2 pi f k / 256) (imaginary rows), to 1e-5; else null.
 */
function dftWindow(basis: Float32Array): Float64Array | null {
  const window = Float64Array.from(basis.subarray(0, TAPS));
  // One sign for every imaginary row (the DFT's or its conjugate's).
  let plus = 0;
  let minus = 0;
  for (let f = 0; f < BINS; f++) {
    for (let k = 0; k < TAPS; k++) {
      const angle = (2 * Math.PI * ((f * k) % TAPS)) / TAPS;
      if (Math.abs(basis[f * TAPS + k]! - window[k]! * Math.cos(angle)) > 1e-5) return null;
      const sine = window[k]! * Math.sin(angle);
      const imaginary = basis[(BINS + f) * TAPS + k]!;
      plus = Math.max(plus, Math.abs(imaginary - sine));
      minus = Math.max(minus, Math.abs(imaginary + sine));
    }
  }
  return Math.min(plus, minus) <= 1e-5 ? window : null;
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * Conv1d, kernel 3, padding 1, then ReLU. Activations are channel-major
 * with one zero on each side of every channel's row (the padding), so the
 * inner loop has no bounds tests.
 */
function conv3(
  source: Float32Array,
  inLength: number,
  layer: SileroWeights["encoder"][number],
  target: Float32Array,
  outLength: number,
): void {
  const { weight, bias, inputs, outputs, stride } = layer;
  const inRow = inLength + 2;
  const outRow = outLength + 2;
  for (let o = 0; o < outputs; o++) {
    for (let t = 0; t < outLength; t++) {
      let sum = bias[o]!;
      let w = o * inputs * 3;
      let at = t * stride;
      for (let c = 0; c < inputs; c++, w += 3, at += inRow) {
        sum += weight[w]! * source[at]! + weight[w + 1]! * source[at + 1]! + weight[w + 2]! * source[at + 2]!;
      }
      target[o * outRow + t + 1] = sum > 0 ? sum : 0;
    }
  }
}
