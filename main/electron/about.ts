/** The About box text, from the versions main knows. Pure, so the test can check it. */
export interface AboutVersions {
  app: string;
  electron?: string;
  chrome?: string;
  node?: string;
  v8?: string;
  platform: string;
  arch: string;
}

export function aboutDetail(v: AboutVersions): string {
  return [
    `meshdeck ${v.app}`,
    `Electron ${v.electron ?? 'n/a'}`,
    `Chromium ${v.chrome ?? 'n/a'}`,
    `Node.js ${v.node ?? 'n/a'}`,
    `V8 ${v.v8 ?? 'n/a'}`,
    `OS ${v.platform} ${v.arch}`,
  ].join('\n');
}

export function currentVersions(appVersion: string): AboutVersions {
  return {
    app: appVersion,
    electron: process.versions.electron,
    chrome: process.versions.chrome,
    node: process.versions.node,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
  };
}
