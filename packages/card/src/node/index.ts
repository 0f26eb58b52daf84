export { FileRetryCounterStore, type PersistencePoint } from './file-retry-counter-store.js';
export { VpcdBridge, type BridgedCard, type VpcdBridgeOptions } from './vpcd-bridge.js';
export { openPcscCard, type PcscCard } from './pcsc-transport.js';
export {
  DEFAULT_CARD_FONT,
  encodeBilevelPng,
  renderCardFaceText,
  renderSecurityCodeImage,
  renderTextImage,
  type CardFaceText,
  type TextImageOptions,
} from './card-face-images.js';
export { encodeFacePhotoJp2, wrapJp2, type FacePhotoJp2Options } from './face-photo-jp2.js';
export { nodeCardKey, nodeCardSignatureCheck } from './node-card-key.js';
