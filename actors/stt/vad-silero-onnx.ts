/**
 * Reading Silero VAD v5's weights out of its ONNX file, without an ONNX
 * runtime: a minimal protobuf walker over ModelProto -> GraphProto ->
 * NodeProto -> AttributeProto -> TensorProto, following subgraphs (`If`
 * branches), that collects every named float tensor. Silero v5 keeps its
 * 16 kHz and 8 kHz networks in the two branches of one `If`; `readSileroWeights`
 * returns the 16 kHz one (the branch whose STFT basis is 258 x 1 x 256) and
 * checks every shape, so any other file is refused with a message naming
 * what is missing.
 *
 * Field numbers are those of onnx.proto (ONNX IR version 3 and later).
 */

/** A float tensor found in the file. */
interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

/** Silero v5's 16 kHz network, as plain arrays (row-major, PyTorch layouts). */
export interface SileroWeights {
  /** STFT basis: 258 filters (129 real, 129 imaginary) of 256 taps. */
  basis: Float32Array;
  /** Four 1-D convolutions (kernel 3, padding 1): weight [out][in][3], bias [out]. */
  encoder: { weight: Float32Array; bias: Float32Array; inputs: number; outputs: number; stride: number }[];
  /** LSTM cell, PyTorch gate order i, f, g, o: [512][128] each, biases [512]. */
  weightIh: Float32Array;
  weightHh: Float32Array;
  biasIh: Float32Array;
  biasHh: Float32Array;
  /** Output convolution (1 x 1, 128 -> 1). */
  decoderWeight: Float32Array;
  decoderBias: Float32Array;
}

/** The encoder's layout: inputs, outputs, stride of each layer. */
const ENCODER = [
  { inputs: 129, outputs: 128, stride: 1 },
  { inputs: 128, outputs: 64, stride: 2 },
  { inputs: 64, outputs: 64, stride: 2 },
  { inputs: 64, outputs: 128, stride: 1 },
] as const;

/**
 * The 16 kHz weights of a Silero VAD v5 ONNX file.
 * Throws an Error saying what is wrong for any other file.
 */
export function readSileroWeights(file: Uint8Array): SileroWeights {
  const graphs: Map<string, FloatTensor>[] = [];
  let graphBytes: Uint8Array | undefined;
  try {
    for (const field of fields(file)) if (field.number === 7 && field.bytes) graphBytes = field.bytes;
    if (graphBytes) collectGraph(graphBytes, graphs);
  } catch (err) {
    throw new Error(`not an ONNX file (${(err as Error).message})`, { cause: err });
  }
  if (!graphBytes) throw new Error("not an ONNX file (no graph)");
  const tensors = graphs.find((g) => sameDims(g.get("stft.forward_basis_buffer")?.dims, [258, 1, 256]));
  if (!tensors) throw new Error("no 16 kHz STFT basis (stft.forward_basis_buffer 258x1x256): not a Silero v5 model");
  const take = (name: string, dims: number[]): Float32Array => {
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`tensor ${name} missing: not a Silero v5 model`);
    if (!sameDims(tensor.dims, dims)) throw new Error(`tensor ${name} is ${tensor.dims.join("x")}, expected ${dims.join("x")}: not a Silero v5 model`);
    return tensor.data;
  };
  return {
    basis: take("stft.forward_basis_buffer", [258, 1, 256]),
    encoder: ENCODER.map((layer, i) => ({
      ...layer,
      weight: take(`encoder.${i}.reparam_conv.weight`, [layer.outputs, layer.inputs, 3]),
      bias: take(`encoder.${i}.reparam_conv.bias`, [layer.outputs]),
    })),
    weightIh: take("decoder.rnn.weight_ih", [512, 128]),
    weightHh: take("decoder.rnn.weight_hh", [512, 128]),
    biasIh: take("decoder.rnn.bias_ih", [512]),
    biasHh: take("decoder.rnn.bias_hh", [512]),
    decoderWeight: take("decoder.decoder.2.weight", [1, 128, 1]),
    decoderBias: take("decoder.decoder.2.bias", [1]),
  };
}

function sameDims(a: number[] | undefined, b: number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Collect the named float tensors of a graph (initializers and Constant nodes) and, separately, of each subgraph. */
function collectGraph(bytes: Uint8Array, out: Map<string, FloatTensor>[]): void {
  const tensors = new Map<string, FloatTensor>();
  out.push(tensors);
  const keep = (tensor: { name?: string; value: FloatTensor | null }) => {
    if (tensor.name && tensor.value) tensors.set(tensor.name, tensor.value);
  };
  for (const field of fields(bytes)) {
    if (!field.bytes) continue;
    if (field.number === 5) keep(readTensor(field.bytes)); // GraphProto.initializer
    if (field.number !== 1) continue; // GraphProto.node
    for (const nodeField of fields(field.bytes)) {
      if (nodeField.number !== 5 || !nodeField.bytes) continue; // NodeProto.attribute
      for (const attr of fields(nodeField.bytes)) {
        if (!attr.bytes) continue;
        if (attr.number === 5) keep(readTensor(attr.bytes)); // AttributeProto.t
        if (attr.number === 6) collectGraph(attr.bytes, out); // AttributeProto.g
        if (attr.number === 11) collectGraph(attr.bytes, out); // AttributeProto.graphs
      }
    }
  }
}

/** A TensorProto's name and, for float tensors, its dims and data. */
function readTensor(bytes: Uint8Array): { name?: string; value: FloatTensor | null } {
  const dims: number[] = [];
  let type = 0;
  let name: string | undefined;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  for (const field of fields(bytes)) {
    if (field.number === 1) {
      if (field.bytes) dims.push(...packedVarints(field.bytes));
      else dims.push(Number(field.value));
    } else if (field.number === 2) type = Number(field.value);
    else if (field.number === 8 && field.bytes) name = new TextDecoder().decode(field.bytes);
    else if (field.number === 9 && field.bytes) raw = field.bytes;
    else if (field.number === 4) {
      if (field.bytes) for (let i = 0; i + 4 <= field.bytes.length; i += 4) floats.push(view(field.bytes).getFloat32(i, true));
      else if (field.float !== undefined) floats.push(field.float);
    }
  }
  if (type !== 1) return { name, value: null }; // FLOAT only
  const count = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (raw) {
    if (raw.length !== count * 4) throw new Error(`tensor ${name ?? "?"} holds ${raw.length} bytes for ${count} floats`);
    data = new Float32Array(count);
    const v = view(raw);
    for (let i = 0; i < count; i++) data[i] = v.getFloat32(i * 4, true);
  } else {
    if (floats.length !== count) throw new Error(`tensor ${name ?? "?"} holds ${floats.length} floats, expected ${count}`);
    data = Float32Array.from(floats);
  }
  return { name, value: { dims, data } };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

interface Field {
  number: number;
  /** Varint or fixed64 value. */
  value?: bigint;
  /** Fixed32 value read as a float. */
  float?: number;
  /** Length-delimited payload. */
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, in order. Throws on truncated or malformed input. */
function* fields(bytes: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length || shift > 63n) throw new Error("truncated varint");
      const byte = bytes[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, value: varint() };
    else if (wire === 1) {
      if (at + 8 > bytes.length) throw new Error("truncated fixed64");
      yield { number, value: view(bytes).getBigUint64(at, true) };
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new Error("truncated field");
      yield { number, bytes: bytes.subarray(at, at + length) };
      at += length;
    } else if (wire === 5) {
      if (at + 4 > bytes.length) throw new Error("truncated fixed32");
      yield { number, float: view(bytes).getFloat32(at, true) };
      at += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

function packedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let value = 0;
  let scale = 1;
  for (const byte of bytes) {
    value += (byte & 0x7f) * scale;
    if (byte & 0x80) scale *= 128;
    else {
      out.push(value);
      value = 0;
      scale = 1;
    }
  }
  return out;
}
