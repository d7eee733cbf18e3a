/**
 * The OpenAI-compatible speech engine against a local server speaking
 * /v1/audio/speech: request shape, streamed PCM, WAV header stripping,
 * errors mapped to stable codes, cancellation.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { OpenAiTts } from "../../../actors/tts/openai.js";
import { concatBytes, encodeWav } from "../../../actors/wav.js";
import { closedPort, useHttpServers, type HttpTestServer } from "../../helpers/http-server.js";
import { collect } from "../../helpers/iterables.js";

function tone(samples: number, rate = 24000): Uint8Array {
  const out = new Uint8Array(samples * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples; i++) view.setInt16(i * 2, Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 10000), true);
  return out;
}

async function failure(iterable: AsyncIterable<Uint8Array>): Promise<EngineError> {
  const err = await collect(iterable).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

const signal = () => new AbortController().signal;

describe("OpenAiTts", () => {
  const serve = useHttpServers();
  let server: HttpTestServer;
  /** The OpenAI-compatible base URL the engine is given. */
  let baseUrl: string;
  beforeEach(async () => {
    server = await serve((_req, res) => res.end());
    baseUrl = `${server.url}/v1`;
  });

  it("posts {model, input, voice, response_format} and streams the PCM body in whole samples", async () => {
    const pcm = tone(2400);
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "audio/pcm" });
      // Odd split: 3 bytes, then the rest in two writes.
      res.write(pcm.subarray(0, 3));
      setTimeout(() => {
        res.write(pcm.subarray(3, 1001));
        res.end(pcm.subarray(1001));
      }, 5);
    });
    const tts = new OpenAiTts({ baseUrl, model: "kokoro", voice: "af_bella", apiKey: "sk-test", speed: 1.25 });
    const chunks = await collect(tts.synthesize("Hello there.", { signal: signal() }));
    expect(server.requests.length).toBe(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/audio/speech");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBe("Bearer sk-test");
    expect(req.body).toEqual({ model: "kokoro", input: "Hello there.", voice: "af_bella", response_format: "pcm", speed: 1.25 });
    expect(chunks.every((c) => c.byteLength % 2 === 0)).toBe(true);
    expect(Buffer.from(concatBytes(...chunks)).equals(Buffer.from(pcm))).toBe(true);
    expect(tts.format).toEqual({ sample_rate: 24000, sample_type: "s16le", channels: 1 });
  });

  it("strips a WAV header split across chunks and passes the samples through", async () => {
    const pcm = tone(1200);
    const wav = encodeWav(pcm, { sample_rate: 24000, sample_type: "s16le", channels: 1 });
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "audio/wav" });
      res.write(wav.subarray(0, 20));
      setTimeout(() => res.end(wav.subarray(20)), 5);
    });
    const tts = new OpenAiTts({ baseUrl: `${baseUrl}/`, responseFormat: "wav" });
    const out = concatBytes(...(await collect(tts.synthesize("Hi.", { signal: signal() }))));
    expect(server.requests[0]!.body.response_format).toBe("wav");
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(Buffer.from(out).equals(Buffer.from(pcm))).toBe(true);
  });

  it("converts a WAV at another rate to the announced format", async () => {
    const wav = encodeWav(tone(4800, 48000), { sample_rate: 48000, sample_type: "s16le", channels: 1 });
    server.handle((_req, res) => res.end(wav));
    const tts = new OpenAiTts({ baseUrl, responseFormat: "wav", sampleRate: 24000 });
    const out = concatBytes(...(await collect(tts.synthesize("Hi.", { signal: signal() }))));
    expect(out.byteLength).toBe(2400 * 2);
  });

  it("maps a 404 naming the model to model_not_found", async () => {
    server.handle((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "The model `tts-9` does not exist", type: "invalid_request_error", code: "model_not_found" } }));
    });
    const err = await failure(new OpenAiTts({ baseUrl, model: "tts-9" }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("model_not_found");
    expect(err.message).toBe(`The speech server at ${baseUrl} does not have model "tts-9" (HTTP 404: The model \`tts-9\` does not exist).`);
  });

  it("maps a 404 for a missing route to http_error", async () => {
    server.handle((_req, res) => {
      res.writeHead(404);
      res.end("Not Found");
    });
    const err = await failure(new OpenAiTts({ baseUrl }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("http_error");
    expect(err.message).toBe(`The speech server at ${baseUrl} answered HTTP 404: Not Found.`);
  });

  it("maps a 500 to http_error with the status and the server's message", async () => {
    server.handle((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ detail: "voice failed to load" }));
    });
    const err = await failure(new OpenAiTts({ baseUrl }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("http_error");
    expect(err.message).toBe(`The speech server at ${baseUrl} answered HTTP 500: voice failed to load.`);
  });

  it("maps a refused connection to unreachable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const err = await failure(new OpenAiTts({ baseUrl: url }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("unreachable");
    expect(err.message).toBe(`Cannot reach the speech server at ${url} (ECONNREFUSED). Is it running, and is the URL right?`);
  });

  it("maps a server slower than timeoutMs to timeout", async () => {
    server.handle(() => {
      // Never answer.
    });
    const err = await failure(new OpenAiTts({ baseUrl, timeoutMs: 100 }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("timeout");
    expect(err.message).toBe(`The speech server at ${baseUrl} did not answer within 100 ms.`);
  });

  it("maps a WAV body that is not WAV to audio_error", async () => {
    server.handle((_req, res) => res.end("this is not a wav file at all"));
    const err = await failure(new OpenAiTts({ baseUrl, responseFormat: "wav" }).synthesize("Hi.", { signal: signal() }));
    expect(err.code).toBe("audio_error");
  });

  it("stops when aborted mid-stream: AbortError, nothing after, server sees the connection close", async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    server.handle((_req, res) => {
      res.writeHead(200);
      res.write(tone(100));
      res.on("close", () => closed());
      // Keep the response open: more audio "later".
    });
    const controller = new AbortController();
    const received: Uint8Array[] = [];
    let caught: unknown = null;
    try {
      for await (const chunk of new OpenAiTts({ baseUrl }).synthesize("Hi.", { signal: controller.signal })) {
        received.push(chunk);
        controller.abort();
      }
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).name).toBe("AbortError");
    expect(received.length).toBe(1);
    await serverSawClose;
  });

  it("refuses invalid options with a TypeError", () => {
    expect(() => new OpenAiTts({ baseUrl: "not a url" })).toThrow(new TypeError('speech baseUrl "not a url" is not an http:// or https:// URL'));
    expect(() => new OpenAiTts({ baseUrl: "http://x/v1", speed: 9 })).toThrow(new TypeError("speech speed must be between 0.25 and 4"));
  });
});
