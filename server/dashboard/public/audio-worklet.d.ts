/**
 * The AudioWorkletGlobalScope names mic-worklet.js uses, which TypeScript's
 * DOM library does not declare; for type-checking only (not served).
 */
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: { processorOptions?: Record<string, unknown> });
}
declare const sampleRate: number;
declare function registerProcessor(name: string, processor: new (options: { processorOptions?: Record<string, unknown> }) => AudioWorkletProcessor): void;
