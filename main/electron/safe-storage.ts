import { safeStorage } from 'electron';
import type { StringCipher } from '../settings/secrets';

/**
 * Electron safeStorage as the settings' StringCipher. Call after `app.whenReady()`: on Linux the
 * keyring is only known then. `basic_text` means no keyring was found and Chromium would use a
 * fixed, public key — that is plain text with extra steps, so it counts as unavailable.
 */
export function safeStorageCipher(platform: NodeJS.Platform = process.platform): StringCipher {
  return {
    unavailableReason() {
      if (!safeStorage.isEncryptionAvailable()) {
        return 'The operating system offers no encryption for meshdeck to keep secrets with (safeStorage is unavailable), so tokens and passwords cannot be saved.';
      }
      if (platform === 'linux') {
        const backend = safeStorage.getSelectedStorageBackend();
        if (backend === 'basic_text' || backend === 'unknown') {
          return `No OS keyring was found (safeStorage backend "${backend}"), so meshdeck will not save tokens or passwords: they would be as good as plain text. Install and unlock GNOME Keyring (libsecret) or KWallet, then restart meshdeck.`;
        }
      }
      return null;
    },
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipher) => safeStorage.decryptString(cipher),
  };
}
