/**
 * Type declarations for the `espeak-ng` npm package (eSpeak NG compiled to
 * WebAssembly with Emscripten; the package ships no types). Only what
 * actors/tts/espeak-wasm.ts uses is declared.
 */
declare module "espeak-ng" {
  /** The Emscripten module instance (a subset of its runtime). */
  export interface ESpeakNgModule {
    HEAPU8: Uint8Array;
    FS: {
      writeFile(path: string, data: string | Uint8Array): void;
      readFile(path: string): Uint8Array;
      unlink(path: string): void;
      analyzePath(path: string): { exists: boolean };
    };
    /** The CLI's `main(argc, argv)`; `argv` points into HEAPU8. */
    _main(argc: number, argv: number): number;
  }

  /** Emscripten module options (MODULARIZE factory argument). */
  export interface ESpeakNgOptions {
    arguments?: string[];
    noInitialRun?: boolean;
    print?: (line: string) => void;
    printErr?: (line: string) => void;
    instantiateWasm?: (
      imports: WebAssembly.Imports,
      receiveInstance: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) => object;
  }

  const ESpeakNg: (options?: ESpeakNgOptions) => Promise<ESpeakNgModule>;
  export default ESpeakNg;
}
