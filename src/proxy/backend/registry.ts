// Which backend serves which --proxy-mode. A mode's module is imported only
// when that mode runs (or at --cleanup), so the proxy loads only the code it
// uses. A mode without a backend answers a clear "not yet implemented".
import type { ProxyLogger } from '../log.js';
import type { Backend, BackendOptions, ProxyMode } from './backend.js';

/** Makes a mode's backend (not yet set up: the proxy calls setup()). */
export type BackendFactory = (options: BackendOptions, log: ProxyLogger) => Backend | Promise<Backend>;

/** A mode whose backend does not exist yet. */
export class ModeNotImplementedError extends Error {
  constructor(readonly mode: ProxyMode) {
    super(`--proxy-mode=${mode}: not yet implemented in dataplane-proxy (nftables, ipvs and iptables are)`);
    this.name = 'ModeNotImplementedError';
  }
}

type Loader = () => Promise<BackendFactory>;

const loaders: Partial<Record<ProxyMode, Loader>> = {
  nftables: async () => {
    const { NftablesBackend } = await import('./nftables/index.js');
    return (options) => new NftablesBackend(options);
  },
  ipvs: async () => {
    const { createBackend } = await import('./ipvs/index.js');
    return (options) => createBackend(options);
  },
  iptables: async () => {
    const { IptablesBackend } = await import('./iptables/index.js');
    return (options) => new IptablesBackend(options);
  },
};

/** The modes this build has a backend for. */
export function implementedModes(): ProxyMode[] {
  return (Object.keys(loaders) as ProxyMode[]).filter((m) => loaders[m] !== undefined);
}

/** The factory of `mode`; throws ModeNotImplementedError for a mode without one. */
export async function backendFactory(mode: ProxyMode): Promise<BackendFactory> {
  const load = loaders[mode];
  if (load === undefined) throw new ModeNotImplementedError(mode);
  return load();
}

/** Lets a custom proxy (or a test) provide the backend of a mode. */
export function registerBackend(mode: ProxyMode, factory: BackendFactory): void {
  loaders[mode] = async () => factory;
}
