import { ApduChannel } from './apdu-channel.js';
import { JPKI_AID } from './jpki-applet.js';
import { COMMON_CARD_AID, JUKI_AID } from './juki-applets.js';
import { KENHOJO_AID } from './kenhojo-applet.js';
import { SW } from './response-apdu.js';
import type { CardTransport } from './transport.js';

/** The My Number Card's applications (card-spec §1.1). 券面AP is listed though openmyna does not offer it yet. */
export const MY_NUMBER_CARD_APPLICATIONS = [
  { name: 'JPKI-AP', aid: JPKI_AID },
  { name: '券面AP', aid: Uint8Array.of(0xd3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02) },
  { name: '券面事項入力補助AP', aid: KENHOJO_AID },
  { name: '住基AP', aid: JUKI_AID },
  { name: '共通カードAP', aid: COMMON_CARD_AID },
] as const;

/**
 * Which of the card's applications answer SELECT, in the order of {@link MY_NUMBER_CARD_APPLICATIONS}.
 * Selecting changes the card's state: the security state of the previous AP is gone afterwards.
 *
 * @example
 * ```ts
 * await listApplications(transport); // ['JPKI-AP', '券面事項入力補助AP', '住基AP', '共通カードAP']
 * ```
 */
export async function listApplications(transport: CardTransport): Promise<string[]> {
  const channel = new ApduChannel(transport);
  const present: string[] = [];
  for (const application of MY_NUMBER_CARD_APPLICATIONS) {
    const response = await channel.send({ cla: 0, ins: 0xa4, p1: 0x04, p2: 0x0c, data: application.aid });
    if (response.sw === SW.OK) present.push(application.name);
  }
  return present;
}
