import type { CustomMapping, SchemaKind, TlsOptions } from '../../shared/contract/events';

/**
 * Where connections live. For now in memory; the settings service will persist them (and keep the
 * passwords in the OS keychain) by implementing these two interfaces: nothing else changes.
 * A ConnectionRecord never holds a password: the URL is stored without it and the secret apart.
 */
export interface ConnectionRecord {
  id: string;
  name: string;
  /** URL without the password. */
  url: string;
  tls: TlsOptions;
  schema: 'auto' | SchemaKind;
  mapping: CustomMapping | null;
  statementTimeoutMs: number;
  sandbox: boolean;
}

export interface ConnectionStore {
  list(): Promise<ConnectionRecord[]>;
  put(record: ConnectionRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export function memoryConnectionStore(): ConnectionStore {
  const m = new Map<string, ConnectionRecord>();
  return {
    list: async () => [...m.values()],
    put: async (r) => { m.set(r.id, r); },
    remove: async (id) => { m.delete(id); },
  };
}

export function memorySecretStore(): SecretStore {
  const m = new Map<string, string>();
  return {
    get: async (k) => m.get(k) ?? null,
    set: async (k, v) => { m.set(k, v); },
    delete: async (k) => { m.delete(k); },
  };
}

export const passwordKey = (connectionId: string) => `eventstore:${connectionId}:password`;
