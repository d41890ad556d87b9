/** The only IPC channel names between preload and main. Contract channels travel inside them. */
export const IPC = {
  invoke: 'meshdeck:invoke',
  cancel: 'meshdeck:cancel',
  subscribe: 'meshdeck:sub',
  unsubscribe: 'meshdeck:unsub',
  push: 'meshdeck:push',
} as const;
