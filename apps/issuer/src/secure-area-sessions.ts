import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto';

import type { SmartCard } from '@openmyna/card';

import { IssuerError } from './errors.js';
import { SECURE_AREA_LIMITS } from './secure-area-devices.js';

/** A session of a device in this instance (sessions live in memory; counters in the database). */
export interface Session {
  readonly id: string;
  readonly deviceId: string;
  readonly challenge: string;
  readonly deviceKey: NodeJsonWebKey;
  readonly openedAt: number;
  lastUsed: number;
  next: number;
  /** Whether a message signed by the device key came: only then does the session count as the device's. */
  proven: boolean;
  card?: SmartCard;
  /** The credential version the card was opened at (its own PIN changes move it): another moves it, the card reopens. */
  cardVersion?: { value: number };
  /** Messages run one at a time, in order. */
  queue: Promise<unknown>;
}

const expired = (session: Session, now: number) =>
  now - session.lastUsed > (session.proven ? SECURE_AREA_LIMITS.idleMs : SECURE_AREA_LIMITS.unprovenMs) ||
  now - session.openedAt > SECURE_AREA_LIMITS.lifetimeMs;

const busy = () =>
  new IssuerError('ERR_SECURE_AREA_BUSY', 'the secure area has too many new sessions; try again in a few seconds');

/** The sessions of this instance, within {@link SECURE_AREA_LIMITS}. */
export class SecureAreaSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Adds a session of `deviceId`, once {@link makeRoom} made room for it. */
  add(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  /** The live session `sessionId` — of `deviceId`, when the request names one — or `ERR_SECURE_AREA_SESSION_UNKNOWN`. */
  live(sessionId: string, deviceId?: string): Session {
    const found = this.#sessions.get(sessionId);
    const session = deviceId === undefined || found?.deviceId === deviceId ? found : undefined;
    if (!session || expired(session, this.#now())) {
      if (session) this.#sessions.delete(sessionId);
      throw new IssuerError(
        'ERR_SECURE_AREA_SESSION_UNKNOWN',
        'no such session (expired, ended or opened elsewhere); open another',
      );
    }
    return session;
  }

  end(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  /** Ends every session of `deviceId`, or every other one than `except`. */
  endDevice(deviceId: string, except?: string): void {
    for (const [id, session] of this.#sessions)
      if (session.deviceId === deviceId && id !== except) this.#sessions.delete(id);
  }

  /**
   * Makes room for a new session of `deviceId`: ends expired sessions, the device's oldest unproven one
   * past its 4, then the least recently used past the limits — never an unproven session younger than
   * the grace period (the opening is refused instead, so openings alone cannot end a phone's session
   * before its first message).
   */
  makeRoom(deviceId: string): void {
    const now = this.#now();
    for (const [id, session] of this.#sessions) if (expired(session, now)) this.#sessions.delete(id);
    const oldest = (sessions: Session[]) => sessions.sort((a, b) => a.lastUsed - b.lastUsed);
    const own = oldest([...this.#sessions.values()].filter((each) => !each.proven && each.deviceId === deviceId));
    while (own.length >= SECURE_AREA_LIMITS.unprovenPerDevice) this.#sessions.delete(own.shift()!.id);
    const endable = (session: Session) =>
      session.proven || now - session.openedAt >= SECURE_AREA_LIMITS.unprovenGraceMs;
    const unproven = oldest([...this.#sessions.values()].filter((session) => !session.proven));
    while (unproven.length >= SECURE_AREA_LIMITS.unproven) {
      const victim = unproven.shift()!;
      if (!endable(victim)) throw busy();
      this.#sessions.delete(victim.id);
    }
    if (this.#sessions.size >= SECURE_AREA_LIMITS.sessions) {
      const all = oldest([...this.#sessions.values()].filter(endable));
      while (this.#sessions.size >= SECURE_AREA_LIMITS.sessions) {
        const victim = all.shift();
        if (!victim) throw busy();
        this.#sessions.delete(victim.id);
      }
    }
  }
}
