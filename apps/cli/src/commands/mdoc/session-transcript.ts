import { readFile } from 'node:fs/promises';

import {
  decodeCbor,
  sessionTranscriptFromBytes,
  sessionTranscriptFromTaggedBytes,
  Tagged,
  type SessionTranscript,
} from '@openmyna/mdoc';

/** Reads a transcript given bare or as `#6.24(bstr)` (as ISO/IEC 18013-5 Annex D prints it). */
export async function readTranscript(path: string): Promise<SessionTranscript> {
  const bytes = new Uint8Array(await readFile(path));
  return decodeCbor(bytes, 'SessionTranscript') instanceof Tagged
    ? sessionTranscriptFromTaggedBytes(bytes)
    : sessionTranscriptFromBytes(bytes);
}
