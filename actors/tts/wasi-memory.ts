/**
 * A minimal WASI (preview1) host that keeps every file in memory: just
 * enough of the system interface to run a command-line program compiled to
 * WASI (Flite, actors/tts/flite-wasm.ts), feed it arguments, let it write
 * its output file, and read that file back.
 *
 * Why not `node:wasi`: on Node 20 it is experimental and prints an
 * `ExperimentalWarning` to stderr the first time it is loaded, in the user's
 * console, for something they did not ask about; hiding it would mean
 * swallowing a process-wide warning channel that other code relies on. It
 * also only reads and writes real files through preopened host directories,
 * so every sentence would cost a temporary file on disk. The program needs
 * thirteen WASI calls (arguments, clock, a handful of file calls, exit);
 * implementing them over a Map of byte buffers is smaller than working
 * around either problem, and gives the program no access to the host file
 * system at all.
 *
 * Anything the program asks for beyond this (sockets, directories, other
 * paths) gets a WASI error code, never a host resource.
 *
 * One instance serves many runs. Creating an instance means allocating and
 * filling its linear memory (17 MB for Flite, whose voices are in its data
 * segments), which costs about 100 ms here, mostly page faults; so the
 * memory is snapshotted right after instantiation and copied back before
 * each run (a few ms), giving every run a freshly loaded program: static
 * data, heap and allocator state as at start-up. This is only sound when the
 * previous run returned from `_start` normally (the stack pointer, a wasm
 * global this host cannot reset, is then back where it started); after an
 * exit call or a trap the instance is thrown away and the next run gets a
 * new one.
 */

/** WASI errno values used here (wasi_snapshot_preview1 numbering). */
const ERRNO = { SUCCESS: 0, BADF: 8, INVAL: 28, NOENT: 44, NOTSUP: 58 } as const;
const FILETYPE = { CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;
const OFLAG = { CREAT: 1, DIRECTORY: 2, TRUNC: 8 } as const;
/** The one preopened directory, the program's "/" (file descriptor 3). */
const ROOT_FD = 3;
const ALL_RIGHTS = 0x1fffffffn;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Thrown by `proc_exit` to unwind the program; carries its exit status. */
class WasiExit {
  constructor(readonly code: number) {}
}

/** What one run of a WASI program produced. */
export interface WasiRunResult {
  /** The exit status (0 when `_start` returned without calling exit). */
  exitCode: number;
  /** Files the program created or wrote, by path relative to its "/". */
  files: Map<string, Uint8Array>;
  stdout: string;
  stderr: string;
}

/** A file that grows by doubling, so a program writing in small pieces stays linear. */
class GrowableFile {
  bytes = new Uint8Array(0);
  length = 0;

  write(data: Uint8Array, at: number): void {
    const end = at + data.byteLength;
    if (end > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(end, this.bytes.byteLength * 2, 4096));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(data, at);
    this.length = Math.max(this.length, end);
  }

  contents(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** The files, descriptors and output of one run. */
class Run {
  readonly args: Uint8Array[];
  readonly files = new Map<string, GrowableFile>();
  readonly inputPaths = new Set<string>();
  readonly open = new Map<number, { path: string; position: number }>();
  nextFd = ROOT_FD + 1;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];

  constructor(args: readonly string[], inputs: ReadonlyMap<string, Uint8Array>) {
    this.args = args.map((arg) => encoder.encode(`${arg}\0`));
    for (const [path, data] of inputs) {
      const file = new GrowableFile();
      file.write(data, 0);
      this.files.set(normalise(path), file);
      this.inputPaths.add(normalise(path));
    }
  }

  result(exitCode: number): WasiRunResult {
    const written = new Map<string, Uint8Array>();
    for (const [path, file] of this.files) if (!this.inputPaths.has(path)) written.set(path, file.contents());
    return { exitCode, files: written, stdout: this.stdout.join(""), stderr: this.stderr.join("") };
  }
}

interface Loaded {
  instance: WebAssembly.Instance;
  memory: WebAssembly.Memory;
  snapshot: Uint8Array;
  /** The run the instance's imports currently serve. */
  current: { run: Run | null };
}

/**
 * A compiled WASI command that can be run any number of times, one run at a
 * time, each run seeing the program as freshly started.
 * @example
 * const flite = new WasiCommand(await WebAssembly.compile(bytes));
 * const { exitCode, files } = flite.run(["flite", "-f", "in.txt", "-o", "out.wav"], new Map([["in.txt", text]]));
 */
export class WasiCommand {
  readonly #module: WebAssembly.Module;
  #loaded: Loaded | null = null;
  #instances = 0;

  constructor(module: WebAssembly.Module) {
    this.#module = module;
  }

  /** Instances created so far: 1 unless a run exited through `proc_exit` or trapped. */
  get instances(): number {
    return this.#instances;
  }

  /**
   * Run the program with `args` (argv[0] included) and the given input
   * files; return its exit status and the files it wrote. Synchronous: it
   * blocks the calling thread for the whole run. A trap is rethrown.
   */
  run(args: readonly string[], inputs: ReadonlyMap<string, Uint8Array> = new Map()): WasiRunResult {
    const loaded = this.#load();
    const bytes = new Uint8Array(loaded.memory.buffer);
    bytes.set(loaded.snapshot);
    // Pages grown by earlier runs: zeroed, as fresh pages would be.
    bytes.fill(0, loaded.snapshot.byteLength);
    const run = new Run(args, inputs);
    loaded.current.run = run;
    try {
      (loaded.instance.exports._start as () => void)();
      return run.result(0);
    } catch (err) {
      // The stack pointer is wherever the exit or trap left it: never reuse this instance.
      this.#loaded = null;
      if (err instanceof WasiExit) return run.result(err.code);
      throw err;
    } finally {
      loaded.current.run = null;
    }
  }

  #load(): Loaded {
    if (this.#loaded !== null) return this.#loaded;
    const current: Loaded["current"] = { run: null };
    let memory: WebAssembly.Memory | null = null;
    const imports = wasiImports(() => memory!, () => {
      if (current.run === null) throw new Error("WASI call outside a run");
      return current.run;
    });
    const instance = new WebAssembly.Instance(this.#module, { wasi_snapshot_preview1: imports });
    memory = instance.exports.memory as WebAssembly.Memory;
    this.#instances++;
    this.#loaded = { instance, memory, snapshot: new Uint8Array(memory.buffer).slice(), current };
    return this.#loaded;
  }
}

/** The thirteen wasi_snapshot_preview1 functions, over the current run's in-memory files. */
function wasiImports(memoryOf: () => WebAssembly.Memory, runOf: () => Run): WebAssembly.ModuleImports {
  const view = (): DataView => new DataView(memoryOf().buffer);
  const bytes = (): Uint8Array => new Uint8Array(memoryOf().buffer);
  const iovecs = (at: number, count: number): Array<{ at: number; length: number }> => {
    const v = view();
    return Array.from({ length: count }, (_, i) => ({ at: v.getUint32(at + 8 * i, true), length: v.getUint32(at + 8 * i + 4, true) }));
  };

  return {
    args_sizes_get(argcAt: number, bufSizeAt: number): number {
      const { args } = runOf();
      view().setUint32(argcAt, args.length, true);
      view().setUint32(bufSizeAt, args.reduce((sum, b) => sum + b.byteLength, 0), true);
      return ERRNO.SUCCESS;
    },
    args_get(argvAt: number, bufAt: number): number {
      let at = bufAt;
      runOf().args.forEach((arg, i) => {
        view().setUint32(argvAt + 4 * i, at, true);
        bytes().set(arg, at);
        at += arg.byteLength;
      });
      return ERRNO.SUCCESS;
    },
    clock_time_get(_id: number, _precision: bigint, timeAt: number): number {
      view().setBigUint64(timeAt, BigInt(Date.now()) * 1_000_000n, true);
      return ERRNO.SUCCESS;
    },
    fd_close(fd: number): number {
      return runOf().open.delete(fd) ? ERRNO.SUCCESS : ERRNO.BADF;
    },
    fd_fdstat_get(fd: number, statAt: number): number {
      const type = fd <= 2 ? FILETYPE.CHARACTER_DEVICE : fd === ROOT_FD ? FILETYPE.DIRECTORY : runOf().open.has(fd) ? FILETYPE.REGULAR_FILE : null;
      if (type === null) return ERRNO.BADF;
      const v = view();
      v.setUint8(statAt, type);
      v.setUint16(statAt + 2, 0, true);
      v.setBigUint64(statAt + 8, ALL_RIGHTS, true);
      v.setBigUint64(statAt + 16, ALL_RIGHTS, true);
      return ERRNO.SUCCESS;
    },
    fd_fdstat_set_flags(): number {
      return ERRNO.SUCCESS;
    },
    fd_prestat_get(fd: number, prestatAt: number): number {
      if (fd !== ROOT_FD) return ERRNO.BADF;
      view().setUint8(prestatAt, 0);
      view().setUint32(prestatAt + 4, 1, true);
      return ERRNO.SUCCESS;
    },
    fd_prestat_dir_name(fd: number, pathAt: number, pathLength: number): number {
      if (fd !== ROOT_FD || pathLength < 1) return ERRNO.BADF;
      bytes()[pathAt] = 0x2f; // "/"
      return ERRNO.SUCCESS;
    },
    fd_read(fd: number, iovs: number, count: number, readAt: number): number {
      const run = runOf();
      let total = 0;
      if (fd !== 0) {
        const handle = run.open.get(fd);
        if (handle === undefined) return ERRNO.BADF;
        const file = run.files.get(handle.path)!;
        for (const { at, length } of iovecs(iovs, count)) {
          const n = Math.max(0, Math.min(length, file.length - handle.position));
          bytes().set(file.bytes.subarray(handle.position, handle.position + n), at);
          handle.position += n;
          total += n;
          if (n < length) break;
        }
      }
      // Standard input is always empty.
      view().setUint32(readAt, total, true);
      return ERRNO.SUCCESS;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newAt: number): number {
      const run = runOf();
      const handle = run.open.get(fd);
      if (handle === undefined) return ERRNO.BADF;
      const base = whence === 0 ? 0 : whence === 1 ? handle.position : whence === 2 ? run.files.get(handle.path)!.length : null;
      if (base === null) return ERRNO.INVAL;
      const next = base + Number(offset);
      if (next < 0) return ERRNO.INVAL;
      handle.position = next;
      view().setBigUint64(newAt, BigInt(next), true);
      return ERRNO.SUCCESS;
    },
    fd_write(fd: number, iovs: number, count: number, writtenAt: number): number {
      const run = runOf();
      const handle = run.open.get(fd);
      if (fd !== 1 && fd !== 2 && handle === undefined) return ERRNO.BADF;
      let total = 0;
      for (const { at, length } of iovecs(iovs, count)) {
        const chunk = bytes().subarray(at, at + length);
        if (handle !== undefined) {
          run.files.get(handle.path)!.write(chunk, handle.position);
          handle.position += length;
        } else {
          (fd === 1 ? run.stdout : run.stderr).push(decoder.decode(chunk));
        }
        total += length;
      }
      view().setUint32(writtenAt, total, true);
      return ERRNO.SUCCESS;
    },
    path_open(dirFd: number, _dirFlags: number, pathAt: number, pathLength: number, oflags: number, _rightsBase: bigint, _rightsInheriting: bigint, _fdFlags: number, fdAt: number): number {
      if (dirFd !== ROOT_FD) return ERRNO.BADF;
      if (oflags & OFLAG.DIRECTORY) return ERRNO.NOTSUP;
      const run = runOf();
      const path = normalise(decoder.decode(bytes().subarray(pathAt, pathAt + pathLength)));
      let file = run.files.get(path);
      if (file === undefined) {
        if (!(oflags & OFLAG.CREAT)) return ERRNO.NOENT;
        file = new GrowableFile();
        run.files.set(path, file);
      } else if (oflags & OFLAG.TRUNC) {
        file.length = 0;
      }
      const fd = run.nextFd++;
      run.open.set(fd, { path, position: 0 });
      view().setUint32(fdAt, fd, true);
      return ERRNO.SUCCESS;
    },
    proc_exit(code: number): never {
      throw new WasiExit(code);
    },
  };
}

/** "/out.wav", "./out.wav" and "out.wav" name the same file. */
function normalise(path: string): string {
  return path.replace(/^(\.?\/)+/, "");
}
