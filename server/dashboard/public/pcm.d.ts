// Types of pcm.js (plain browser JS, also imported by Node tests).
export declare class Resampler {
  constructor(inRate: number, outRate: number);
  readonly ratio: number;
  push(input: Float32Array): Float32Array;
}
export declare function floatToS16le(samples: Float32Array): ArrayBuffer;
export declare function decodePcm(bytes: Uint8Array, format: { sample_type: "s16le" | "f32le"; channels: number }): Float32Array<ArrayBuffer>[];
