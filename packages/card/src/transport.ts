import type { SmartCard } from './smart-card.js';

/** Anything that carries APDUs to a card: in-process, vpcd, PC/SC. */
export interface CardTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

/** A transport straight into a {@link SmartCard} in the same process. */
export function inProcessTransport(card: SmartCard): CardTransport {
  return { transmit: (command) => card.transmit(command) };
}
