// notrack: `notrack` (skip connection tracking for this packet).
import { register } from './spec.js';

export interface NotrackExpr {
  type: 'notrack';
}

export const notrack = register({ name: 'notrack', fields: [] });
