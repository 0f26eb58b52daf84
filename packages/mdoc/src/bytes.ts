export { constantTimeEqual as equalBytes } from '@openmyna/core';
export { concatBytes, utf8ToBytes as utf8 } from '@noble/hashes/utils.js';
