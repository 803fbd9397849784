// Generic netlink: the controller, which maps family names to ids.
import { show } from './check.js';
import { check, NetlinkHandle, type OpenOptions } from './handle.js';

export interface GenlFamily {
  name: string;
  /** The family's message type id on this kernel. */
  id: number;
  version: number;
  /** Size of the family's own header after genlmsghdr. */
  headerSize: number;
  maxAttribute: number;
  /** Multicast groups by name. */
  groups: { name: string; id: number }[];
}

/**
 * A generic-netlink handle bound to one network namespace.
 *
 * ```ts
 * const genl = await Genl.open({ netns: 'director' });
 * const ipvs = await genl.resolveFamily('IPVS'); // ENOENT (isNotFound) where IPVS is absent
 * ```
 */
export class Genl extends NetlinkHandle {
  /** Opens a NETLINK_GENERIC socket in `options.netns`. */
  static async open(options: OpenOptions = {}): Promise<Genl> {
    return new Genl(await NetlinkHandle.openNative('generic', options, 'genl.open'));
  }

  /**
   * Resolves a family name with CTRL_CMD_GETFAMILY; answers are cached on the handle.
   * Equivalent to: `genl ctrl get name NAME`.
   */
  async resolveFamily(name: string): Promise<GenlFamily> {
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= 16 || name.includes('\0')) {
      throw new TypeError(`family name must be 1-15 bytes: ${show(name)}`);
    }
    const f = check('genl.resolveFamily', await this.run('genl.resolveFamily', (n) => n.genlFamily(name)));
    return { name: f.name, id: f.id, version: f.version, headerSize: f.hdrsize, maxAttribute: f.maxattr, groups: f.groups };
  }
}
