// Every kind of named stateful object nft 1.0.6 knows (each file registers itself).
import './counter.js';
import './quota.js';
import './limit.js';
import './secmark.js';
import './ct-helper.js';
import './ct-timeout.js';
import './ct-expect.js';
import './synproxy.js';

export { dataAsSent, objectKind, readFields, type ObjectKind } from './spec.js';
