/**
 * Electron: safeStorage as the secrets cipher, with `electron` stubbed (no binary or keyring here).
 * Checks the adapter's decisions: no encryption, or Linux's basic_text fallback, means "unusable".
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const state = { available: true, backend: 'gnome_libsecret' as string };
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => state.available,
    getSelectedStorageBackend: () => state.backend,
    // A reversible stand-in for the OS: enough to show the adapter passes bytes through.
    encryptString: (s: string) => Buffer.from(`enc:${Buffer.from(s).toString('hex')}`),
    decryptString: (b: Buffer) => Buffer.from(b.toString().slice(4), 'hex').toString(),
  },
}));

const { safeStorageCipher } = await import('../../main/electron/safe-storage');
const { EncryptedFileSecrets } = await import('../../main/settings');

beforeEach(() => { state.available = true; state.backend = 'gnome_libsecret'; });

describe('safeStorageCipher', () => {
  it('is usable with a real keyring and round-trips through safeStorage', () => {
    const c = safeStorageCipher('linux');
    expect(c.unavailableReason()).toBeNull();
    expect(c.decrypt(c.encrypt('tok'))).toBe('tok');
  });
  it('refuses when the OS offers no encryption', () => {
    state.available = false;
    expect(safeStorageCipher('darwin').unavailableReason()).toMatch(/no encryption/);
  });
  it.each(['basic_text', 'unknown'])('refuses Linux backend %s: it would be plain text with extra steps', (backend) => {
    state.backend = backend;
    expect(safeStorageCipher('linux').unavailableReason()).toMatch(new RegExp(`backend "${backend}".*GNOME Keyring`));
    // The backend question only exists on Linux.
    expect(safeStorageCipher('win32').unavailableReason()).toBeNull();
  });
  it('with basic_text, EncryptedFileSecrets writes nothing', async () => {
    state.backend = 'basic_text';
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-ss-'));
    try {
      const s = new EncryptedFileSecrets(path.join(dir, 'secrets', 'secrets.enc.json'), safeStorageCipher('linux'));
      await expect(s.set('kube:a:token', 'x')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      expect(await fsp.readdir(dir)).toEqual([]);
      expect((await s.status()).usable).toBe(false);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
