// Every kind of operation (each file registers itself); see kind.ts.
import './ruleset.js';
import './table.js';
import './chain.js';
import './set.js';
import './elements.js';
import './object.js';
import './flowtable.js';
import './rule.js';

export { kindOf, setKey, type EncodeContext, type FakeContext, type FakeState, type OperationKind, type PrintContext, type SetIds } from './kind.js';
export { isInline } from './rule.js';
export { mergeElements } from './elements.js';
