export { openEncryptedFileWalletStorage, type EncryptedFileWalletStorageOptions } from './encrypted-file-storage.js';
