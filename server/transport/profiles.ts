/**
 * The client profiles one server knows (server/transport/profile.ts), by
 * name, and the periodic frames of those that have clients: one timer per
 * profile, running while at least one of its clients is connected.
 */
import type { Connection } from "./connection.js";
import { NO_PROFILE, PROFILE_NAME, type ClientProfile } from "./profile.js";

/**
 * Check a set of profiles and the name of the default one.
 * @throws TypeError naming a bad or repeated profile name, or a default that is not one of them.
 */
export function checkProfiles(profiles: readonly ClientProfile[], defaultName: string): void {
  const seen = new Set<string>([NO_PROFILE]);
  for (const p of profiles) {
    if (!PROFILE_NAME.test(p.name) || seen.has(p.name)) {
      throw new TypeError(`Client profile name "${p.name}" is ${seen.has(p.name) ? "taken" : "invalid"}: use lower-case letters, digits, - and _ (not "${NO_PROFILE}"), once each`);
    }
    seen.add(p.name);
  }
  if (!seen.has(defaultName)) throw new TypeError(`Invalid server option: compat "${defaultName}" is not a known client profile; known: ${[...seen].join(", ")}`);
}

export class ProfileRegistry {
  readonly #byName: ReadonlyMap<string, ClientProfile>;
  /** The profile of clients that do not ask for one (null: protocol v1 only). */
  readonly default: ClientProfile | null;
  readonly #clients: () => Iterable<Connection>;
  readonly #active = new Map<ClientProfile, { clients: number; timer: NodeJS.Timeout | undefined }>();

  /**
   * @param clients every connection of the server (periodic frames go to those of the profile).
   * @throws TypeError as checkProfiles.
   */
  constructor(profiles: readonly ClientProfile[], defaultName: string, clients: () => Iterable<Connection>) {
    checkProfiles(profiles, defaultName);
    this.#byName = new Map(profiles.map((p) => [p.name, p]));
    this.default = this.#byName.get(defaultName) ?? null;
    this.#clients = clients;
  }

  /** Every name a client may ask for, `none` first. */
  get names(): string[] {
    return [NO_PROFILE, ...this.#byName.keys()];
  }

  /** The profile named `name`: null for `none`, undefined for a name nobody registered. */
  find(name: string): ClientProfile | null | undefined {
    return name === NO_PROFILE ? null : this.#byName.get(name);
  }

  /** A client of `profile` connected: its periodic frames start with the first one. */
  joined(profile: ClientProfile): void {
    const active = this.#active.get(profile);
    if (active) {
      active.clients++;
      return;
    }
    const periodic = profile.periodic;
    const timer = periodic ? setInterval(() => this.#timerOnTick(profile), periodic.intervalMs) : undefined;
    timer?.unref();
    this.#active.set(profile, { clients: 1, timer });
  }

  /** A client of `profile` left: its periodic frames stop with the last one. */
  left(profile: ClientProfile): void {
    const active = this.#active.get(profile);
    if (!active || --active.clients > 0) return;
    clearInterval(active.timer);
    this.#active.delete(profile);
  }

  /** Stop every timer (the server is stopping). */
  stop(): void {
    for (const { timer } of this.#active.values()) clearInterval(timer);
    this.#active.clear();
  }

  #timerOnTick(profile: ClientProfile): void {
    const frame = profile.periodic!.frame();
    for (const c of this.#clients()) if (c.profile === profile) c.sendFrame(frame);
  }
}
