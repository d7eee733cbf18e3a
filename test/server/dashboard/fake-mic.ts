/**
 * A microphone for the dashboard page that the test controls, installed
 * before the page's own scripts run (`installFakeMic(page)`):
 *
 * - `getUserMedia` returns a live track from a "room" (an AudioContext of
 *   its own whose output is a MediaStream). Its settings say
 *   `echoCancellation: false`: a source without echo cancellation, as a
 *   laptop's speakers next to its microphone.
 * - `sayInPage(page, pcm)` plays 16 kHz s16le speech into the room: the
 *   page's microphone hears it, and nothing else does.
 * - `setEcho(page, true)`: everything the page plays to its speakers from
 *   then on (the dashboard's speech player) also reaches the room, so the
 *   page's microphone hears the assistant's own voice, as it would with no
 *   echo cancellation.
 *
 * The page side is plain JavaScript text, so no transpiler helper leaks into it.
 */
import type { Page } from "playwright-core";

const PAGE_SCRIPT = `(() => {
  const fake = { echo: false, requests: [], say: null };
  let room = null;
  const connect = AudioNode.prototype.connect;
  function theRoom() {
    if (room) return room;
    const ctx = new AudioContext();
    const bus = ctx.createGain();
    const out = ctx.createMediaStreamDestination();
    connect.call(bus, out);
    room = { ctx, bus, out, taps: new Map() };
    return room;
  }
  // The page's speaker output, also carried into the room while echo is on.
  AudioNode.prototype.connect = function (destination, ...rest) {
    const result = connect.call(this, destination, ...rest);
    if (fake.echo && destination instanceof AudioDestinationNode && (!room || this.context !== room.ctx)) {
      const r = theRoom();
      let tap = r.taps.get(this.context);
      if (!tap) {
        tap = this.context.createMediaStreamDestination();
        connect.call(r.ctx.createMediaStreamSource(tap.stream), r.bus);
        r.taps.set(this.context, tap);
      }
      connect.call(this, tap);
    }
    return result;
  };
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    fake.requests.push(JSON.parse(JSON.stringify(constraints ?? {})));
    const r = theRoom();
    if (r.ctx.state === "suspended") await r.ctx.resume();
    const track = r.out.stream.getAudioTracks()[0].clone();
    const settings = track.getSettings.bind(track);
    track.getSettings = () => ({ ...settings(), echoCancellation: false, noiseSuppression: false, autoGainControl: false });
    return new MediaStream([track]);
  };
  /** Play 16 kHz s16le mono PCM (base64) into the room; resolves when it has played. */
  fake.say = async (base64) => {
    const r = theRoom();
    if (r.ctx.state === "suspended") await r.ctx.resume();
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const samples = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
    const buffer = r.ctx.createBuffer(1, samples.length, 16000);
    const data = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) data[i] = samples[i] / 32768;
    const source = r.ctx.createBufferSource();
    source.buffer = buffer;
    connect.call(source, r.bus);
    await new Promise((resolve) => {
      source.onended = resolve;
      source.start();
    });
  };
  window.fakeMic = fake;
})();`;

/** What the page's fake microphone exposes (window.fakeMic). */
export interface FakeMicWindow {
  fakeMic: { echo: boolean; requests: unknown[]; say(base64: string): Promise<void> };
}

/** Install the fake microphone; call before `page.goto`. */
export async function installFakeMic(page: Page): Promise<void> {
  await page.addInitScript({ content: PAGE_SCRIPT });
}

/** Play 16 kHz s16le mono speech to the page's microphone; resolves once it has played. */
export async function sayInPage(page: Page, pcm: Uint8Array): Promise<void> {
  const base64 = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString("base64");
  await page.evaluate((b) => (window as unknown as FakeMicWindow).fakeMic.say(b), base64);
}

/** Let the page's microphone hear the page's own speaker output (true) or not (false, the default). */
export async function setEcho(page: Page, on: boolean): Promise<void> {
  await page.evaluate((v) => ((window as unknown as FakeMicWindow).fakeMic.echo = v), on);
}
