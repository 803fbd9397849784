// -m comment (xt_comment, revision 0): a string of up to 255 bytes.
import { readCString, writeCString, type Family } from '../wire.js';
import { checkFixedString, checkKeys, IptablesParseError, saveString, type Codec, type Decoder, type Wire } from './ext.js';

/** `-m comment --comment TEXT`. */
export interface CommentMatch {
  name: 'comment';
  comment: string;
}

const SIZE = 256;

const WIRE: Wire = { kernel: 'comment', revision: 0, size: SIZE };

export const comment: Codec<CommentMatch> = {
  kind: 'match',
  name: 'comment',
  check(v, _family: Family, what) {
    checkKeys(v, ['name', 'comment'], what);
    checkFixedString(v.comment, `${what}.comment`, SIZE);
  },
  wire: () => WIRE,
  encode(v, b, at) {
    writeCString(b, at, v.comment, SIZE);
  },
  save: (v) => ` --comment${saveString(v.comment)}`,
  parser: {
    init: () => ({ name: 'comment', comment: '' }),
    options: {
      comment: {
        args: 1, apply(s, [a]) {
          if (Buffer.byteLength(a!, 'utf8') > SIZE - 1) throw new IptablesParseError(`comment: "--comment" must be no longer than ${SIZE - 1} characters`);
          s.comment = a!;
        },
      },
    },
    finish(_s, _ctx, seen) {
      if (!seen.has('comment')) throw new IptablesParseError('comment: option "--comment" must be specified');
    },
  },
};

export const commentDecoder: Decoder = {
  kind: 'match',
  kernel: 'comment',
  decode(b, at, len, revision) {
    if (revision !== 0 || len < SIZE) return undefined;
    return { name: 'comment', comment: readCString(b, at, SIZE) };
  },
};
