import type { Applet } from './applet.js';
import { getChallenge } from './applet.js';
import { decodeCommandApdu } from './command-apdu.js';
import { CardError } from './errors.js';
import { encodeResponseApdu, status, SW, type ResponseApdu } from './response-apdu.js';
import { constantTimeEqual } from '@openmyna/core';

/** The GlobalPlatform ISD: selecting it returns the card to the MF level (card-spec §0). */
export const ISD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00);

/** MF-level data objects for GET DATA (`00 CA P1 P2`), by tag (`0x00F0`, `0x5F51` …). */
export type MfDataObjects = ReadonlyMap<number, Uint8Array>;

/** Options of {@link SmartCard}. */
export interface SmartCardOptions {
  readonly applets: readonly Applet[];
  /** Answer to reset. */
  readonly atr: Uint8Array;
  readonly mfData?: MfDataObjects;
  readonly random?: (length: number) => Uint8Array;
}

/**
 * A card: its applications, selected by AID, and the MF level. It takes command APDU bytes and
 * answers response APDU bytes, as a reader would see them.
 *
 * @example
 * ```ts
 * const card = new SmartCard({ applets: [jpki], atr });
 * await card.transmit(hexToBytes('00a4040c0ad392f000260100000001')); // 90 00
 * ```
 */
export class SmartCard {
  readonly atr: Uint8Array;
  readonly #applets: readonly Applet[];
  readonly #mfData: MfDataObjects;
  readonly #random: (length: number) => Uint8Array;
  #selected: Applet | undefined;

  constructor(options: SmartCardOptions) {
    this.atr = options.atr;
    this.#applets = options.applets;
    this.#mfData = options.mfData ?? new Map();
    this.#random = options.random ?? ((length) => crypto.getRandomValues(new Uint8Array(length)));
  }

  /** The card leaves the field (or is reset): no AP is selected and all security state is gone. */
  reset(): void {
    this.#selected?.deselect();
    this.#selected = undefined;
  }

  async transmit(bytes: Uint8Array): Promise<Uint8Array> {
    return encodeResponseApdu(await this.#process(bytes));
  }

  async #process(bytes: Uint8Array): Promise<ResponseApdu> {
    let command;
    try {
      command = decodeCommandApdu(bytes);
    } catch (error) {
      if (error instanceof CardError) return status(SW.WRONG_LENGTH);
      throw error;
    }
    // Logical channels other than 0 are not supported (card-spec §0: 6881).
    if ((command.cla & 0x80) === 0 && (command.cla & 0x03) !== 0) return status(SW.CHANNEL_NOT_SUPPORTED);
    if (command.cla === 0x00 && command.ins === 0xa4 && command.p1 === 0x04)
      return this.#selectApplication(command.data, command.p2);
    if (this.#selected) return this.#selected.process(command, this.#random);
    return this.#processAtMf(command);
  }

  #selectApplication(aid: Uint8Array, p2: number): ResponseApdu {
    if (p2 !== 0x0c) return status(SW.WRONG_P1P2);
    if (aid.length < 5 || aid.length > 16) return status(SW.WRONG_LENGTH);
    const applet = this.#applets.find((candidate) => constantTimeEqual(candidate.aid, aid));
    if (!applet && !constantTimeEqual(aid, ISD_AID)) return status(SW.FILE_NOT_FOUND);
    // Selecting another AP (or the ISD) clears the security state (card-spec §0).
    this.#selected?.deselect();
    this.#selected = applet;
    return status(SW.OK);
  }

  #processAtMf(command: {
    cla: number;
    ins: number;
    p1: number;
    p2: number;
    le: number | undefined;
    extended: boolean;
    data: Uint8Array;
  }): ResponseApdu {
    if (command.cla !== 0x00) return status(SW.CLA_NOT_SUPPORTED);
    if (command.ins === 0x84) return getChallenge(command, this.#random);
    // No EF is selectable at the MF (card-spec §0: SELECT 3F00 → 6A82).
    if (command.ins === 0xa4) return status(SW.FILE_NOT_FOUND);
    if (command.ins !== 0xca) return status(SW.INS_NOT_SUPPORTED);
    const value = this.#mfData.get((command.p1 << 8) | command.p2);
    if (!value) return status(SW.DATA_OBJECT_NOT_FOUND);
    if (command.le === undefined) return status(SW.WRONG_LENGTH);
    // Large objects refuse a short Le (card-spec §0: 6700, use extended Le).
    if (value.length > command.le) return status(SW.WRONG_LENGTH);
    return { data: value, sw: SW.OK };
  }
}
