export interface WebArgs {
  host: string;
  port: number;
  kubeconfigs: string[];
  dataDir?: string;
}

/** Parses the web-mode flags; unknown flags are an error naming the flag. */
export function parseWebArgs(argv: string[]): WebArgs {
  const out: WebArgs = { host: '127.0.0.1', port: 0, kubeconfigs: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--host': out.host = value(); break;
      case '--port': {
        const v = value();
        const p = Number(v);
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`--port: ${v} is not a port number (0-65535)`);
        out.port = p;
        break;
      }
      case '--kubeconfig': out.kubeconfigs.push(value()); break;
      case '--data-dir': out.dataDir = value(); break;
      default: throw new Error(`unknown flag ${name} (known: --host, --port, --kubeconfig, --data-dir)`);
    }
  }
  return out;
}
