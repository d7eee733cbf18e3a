/**
 * The OpenAI-compatible transcription engine against a local server that
 * parses the multipart upload and checks the WAV: request shape, partials
 * from re-transcribing the growing buffer, errors, cancellation.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { EngineError } from "../../../actors/engine-error.js";
import { OpenAiStt } from "../../../actors/stt/openai.js";
import type { SttUpdate } from "../../../actors/stt/types.js";
import { decodeWav } from "../../../actors/wav.js";
import { closedPort, useHttpServers, type HttpTestServer, type RecordedRequest } from "../../helpers/http-server.js";
import { collect } from "../../helpers/iterables.js";
import { sleep, until } from "../../helpers/wait.js";

/** `ms` of 16 kHz s16le mono audio (a quiet ramp, content irrelevant). */
function audioMs(ms: number, rate = 16000): Uint8Array {
  const out = new Uint8Array((rate * ms) / 1000 * 2);
  for (let i = 0; i < out.length; i += 2) out[i] = i % 251;
  return out;
}

interface Upload {
  fields: Record<string, string>;
  wav: Uint8Array;
  fileName: string;
  fileType: string;
}

async function parseUpload(req: RecordedRequest): Promise<Upload> {
  const body = new Uint8Array(req.raw) as Uint8Array<ArrayBuffer>;
  const form = await new Response(body, { headers: { "content-type": String(req.headers["content-type"]) } }).formData();
  const fields: Record<string, string> = {};
  let file: File | null = null;
  const entries: Array<[string, FormDataEntryValue]> = [];
  form.forEach((value, key) => entries.push([key, value]));
  for (const [key, value] of entries) {
    if (typeof value === "string") fields[key] = value;
    else if (key === "file") file = value as File;
  }
  if (file === null) throw new Error("no file part");
  return { fields, wav: new Uint8Array(await file.arrayBuffer()), fileName: file.name, fileType: file.type };
}

/** Answer each upload with "heard N ms", after checking the WAV is 16 kHz s16le mono. */
function heardServer(uploads: Upload[]) {
  return async (req: RecordedRequest, res: import("node:http").ServerResponse) => {
    const upload = await parseUpload(req);
    uploads.push(upload);
    const { format, data } = decodeWav(upload.wav);
    expect(format).toEqual(INPUT_PCM);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ text: ` heard ${data.byteLength / 32} ms ` }));
  };
}

async function* from(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

const options = () => ({ signal: new AbortController().signal, format: INPUT_PCM });

describe("OpenAiStt", () => {
  const serve = useHttpServers();
  let server: HttpTestServer;
  /** The OpenAI-compatible base URL the engine is given. */
  let baseUrl: string;
  let uploads: Upload[];
  beforeEach(async () => {
    uploads = [];
    server = await serve(heardServer(uploads));
    baseUrl = `${server.url}/v1`;
  });

  it("uploads the utterance as a 16 kHz mono s16le WAV in multipart form data and yields one final", async () => {
    const stt = new OpenAiStt({ baseUrl, model: "Systran/faster-whisper-small", language: "en", apiKey: "sk-x", partialIntervalMs: 0 });
    const updates = await collect(stt.transcribe(from(audioMs(500), audioMs(700)), options()));
    expect(updates).toEqual([{ kind: "final", text: "heard 1200 ms", confidence: null }]);
    expect(server.requests.length).toBe(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/audio/transcriptions");
    expect(req.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(req.headers.authorization).toBe("Bearer sk-x");
    expect(uploads[0]!.fields).toEqual({ model: "Systran/faster-whisper-small", language: "en", response_format: "json" });
    expect(uploads[0]!.fileName).toBe("audio.wav");
    expect(uploads[0]!.fileType).toBe("audio/wav");
    const wav = uploads[0]!.wav;
    expect(Buffer.from(wav.subarray(0, 4)).toString("ascii")).toBe("RIFF");
    expect(Buffer.from(wav.subarray(8, 12)).toString("ascii")).toBe("WAVE");
    const view = new DataView(wav.buffer, wav.byteOffset);
    expect([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint16(34, true)]).toEqual([1, 1, 16000, 16]);
    expect(view.getUint32(40, true)).toBe(1200 * 32);
  });

  it("re-transcribes the growing buffer every partialIntervalMs of new audio, then sends the whole utterance for the final", async () => {
    const stt = new OpenAiStt({ baseUrl, partialIntervalMs: 1000 });
    const updates: SttUpdate[] = [];
    async function* paced(): AsyncGenerator<Uint8Array> {
      yield audioMs(1000);
      await until(() => updates.length >= 1, "the first partial", 5000, 5);
      yield audioMs(600);
      yield audioMs(400);
      await until(() => updates.length >= 2, "the second partial", 5000, 5);
      yield audioMs(500);
    }
    for await (const u of stt.transcribe(paced(), options())) updates.push(u);
    expect(updates).toEqual([
      { kind: "partial", text: "heard 1000 ms" },
      { kind: "partial", text: "heard 2000 ms" },
      { kind: "final", text: "heard 2500 ms", confidence: null },
    ]);
    expect(uploads.map((u) => u.fields.language)).toEqual([undefined, undefined, undefined]);
    expect(server.requests.length).toBe(3);
  });

  it("does not repeat a partial whose text did not change", async () => {
    server.handle((_req, res) => res.end(JSON.stringify({ text: "same words" })));
    const stt = new OpenAiStt({ baseUrl, partialIntervalMs: 100 });
    const updates: SttUpdate[] = [];
    async function* paced(): AsyncGenerator<Uint8Array> {
      yield audioMs(100);
      await until(() => updates.length >= 1, "the first partial", 5000, 5);
      const before = server.requests.length;
      yield audioMs(100);
      await until(() => server.requests.length !== before, "the next request", 5000, 5);
      await sleep(30);
    }
    for await (const u of stt.transcribe(paced(), options())) updates.push(u);
    expect(updates).toEqual([
      { kind: "partial", text: "same words" },
      { kind: "final", text: "same words", confidence: null },
    ]);
  });

  it("converts other input formats to 16 kHz mono before uploading", async () => {
    const stt = new OpenAiStt({ baseUrl, partialIntervalMs: 0 });
    const format = { sample_rate: 32000, sample_type: "s16le", channels: 2 } as const;
    const updates = await collect(stt.transcribe(from(new Uint8Array(32000 * 4)), { signal: new AbortController().signal, format }));
    expect(updates).toEqual([{ kind: "final", text: "heard 1000 ms", confidence: null }]);
  });

  it("ends an utterance without audio with an empty final and no request", async () => {
    const stt = new OpenAiStt({ baseUrl });
    expect(await collect(stt.transcribe(from(), options()))).toEqual([{ kind: "final", text: "", confidence: null }]);
    expect(server.requests.length).toBe(0);
  });

  async function failure(stt: OpenAiStt): Promise<EngineError> {
    const err = await collect(stt.transcribe(from(audioMs(200)), options())).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    return err as EngineError;
  }

  it("maps 404 for an unknown model to model_not_found", async () => {
    server.handle((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ detail: "Model 'whisper-9' is not installed locally." }));
    });
    const err = await failure(new OpenAiStt({ baseUrl, model: "whisper-9" }));
    expect(err.code).toBe("model_not_found");
    expect(err.message).toBe(`The transcription server at ${baseUrl} does not have model "whisper-9" (HTTP 404: Model 'whisper-9' is not installed locally.).`);
  });

  it("maps 500 to http_error", async () => {
    server.handle((_req, res) => {
      res.writeHead(500);
      res.end("Internal Server Error");
    });
    const err = await failure(new OpenAiStt({ baseUrl }));
    expect(err.code).toBe("http_error");
    expect(err.message).toBe(`The transcription server at ${baseUrl} answered HTTP 500: Internal Server Error.`);
  });

  it("maps a refused connection to unreachable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const err = await failure(new OpenAiStt({ baseUrl: url }));
    expect(err.code).toBe("unreachable");
  });

  it("maps a slow server to timeout", async () => {
    server.handle(() => {});
    const err = await failure(new OpenAiStt({ baseUrl, timeoutMs: 100 }));
    expect(err.code).toBe("timeout");
    expect(err.message).toBe(`The transcription server at ${baseUrl} did not answer within 100 ms.`);
  });

  it("maps an answer without text to engine_error", async () => {
    server.handle((_req, res) => res.end(JSON.stringify({ transcript: "hi" })));
    const err = await failure(new OpenAiStt({ baseUrl }));
    expect(err.code).toBe("engine_error");
    expect(err.message).toBe(`The transcription server at ${baseUrl} answered without a "text" string.`);
    server.handle((_req, res) => res.end("<html>"));
    expect((await failure(new OpenAiStt({ baseUrl }))).code).toBe("engine_error");
  });

  it("fails the utterance at once when a partial request fails", async () => {
    server.handle((_req, res) => {
      res.writeHead(503);
      res.end("loading model");
    });
    const stt = new OpenAiStt({ baseUrl, partialIntervalMs: 100 });
    async function* neverEnds(): AsyncGenerator<Uint8Array> {
      yield audioMs(200);
      await new Promise(() => {});
    }
    const err = await collect(stt.transcribe(neverEnds(), options())).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("http_error");
    expect((err as EngineError).message).toBe(`The transcription server at ${baseUrl} answered HTTP 503: loading model.`);
  });

  it("stops when aborted: AbortError, no update after it, the in-flight request is cancelled", async () => {
    let closed!: () => void;
    const requestClosed = new Promise<void>((resolve) => (closed = resolve));
    server.handle((_req, res) => {
      res.on("close", () => closed());
    });
    const controller = new AbortController();
    const stt = new OpenAiStt({ baseUrl, partialIntervalMs: 100 });
    async function* neverEnds(): AsyncGenerator<Uint8Array> {
      yield audioMs(200);
      await new Promise(() => {});
    }
    const updates: SttUpdate[] = [];
    const run = (async () => {
      for await (const u of stt.transcribe(neverEnds(), { signal: controller.signal, format: INPUT_PCM })) updates.push(u);
    })();
    await until(() => server.requests.length > 0, "the request", 5000, 5);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    await requestClosed;
    expect(updates).toEqual([]);
  });
});
