// The browser microphone as 16 kHz s16le mono frames (the protocol's input
// format), through an AudioWorklet (mic-worklet.js).

export class Microphone {
  constructor() {
    this.running = false;
    /** Whether the browser applied echo cancellation to the track (known once started): the server's default barge-in needs it. */
    this.echoCancellation = false;
    /** @type {MediaStream | undefined} */
    this.stream = undefined;
    /** @type {AudioContext | undefined} */
    this.ctx = undefined;
    /** @type {MediaStreamAudioSourceNode | undefined} */
    this.source = undefined;
    /** @type {AudioWorkletNode | undefined} */
    this.node = undefined;
  }

  /**
   * Start capturing; `onFrame` gets each 100 ms frame. Throws with a message for people.
   * @param {(frame: ArrayBuffer) => void} onFrame
   */
  async start(onFrame) {
    if (this.running) return;
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      throw new Error("The microphone needs a secure page: open the dashboard at http://localhost or http://127.0.0.1, or over https");
    }
    this.running = true;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      // What was asked for is not always what is applied: the server is told what the track really does.
      this.echoCancellation = this.stream.getAudioTracks()[0]?.getSettings().echoCancellation === true;
      const ctx = (this.ctx = new AudioContext());
      await ctx.audioWorklet.addModule("/dashboard/mic-worklet.js");
      const source = (this.source = ctx.createMediaStreamSource(this.stream));
      // No outputs: the node is a sink, rendered without being connected to the speakers.
      const node = (this.node = new AudioWorkletNode(ctx, "coda-mic", { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, processorOptions: { targetRate: 16000, frameSamples: 1600 } }));
      node.port.onmessage = (e) => onFrame(e.data);
      source.connect(node);
      if (ctx.state === "suspended") await ctx.resume();
    } catch (err) {
      await this.stop();
      throw err instanceof Error && err.name === "NotAllowedError" ? new Error("Microphone permission was denied") : err;
    }
  }

  /** Stop capturing; the last partial frame is sent first. */
  async stop() {
    if (!this.running) return;
    this.running = false;
    if (this.node) {
      this.node.port.postMessage("flush");
      // Give the worklet a moment to post the flushed frame before tearing down.
      await new Promise((r) => setTimeout(r, 30));
      this.node.port.onmessage = null;
      this.node.disconnect();
    }
    this.source?.disconnect();
    this.stream?.getTracks().forEach((t) => t.stop());
    await this.ctx?.close().catch(() => {});
    this.node = this.source = this.stream = this.ctx = undefined;
    this.echoCancellation = false;
  }
}
