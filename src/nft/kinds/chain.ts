// Chains: regular and base chains, and chains bound to a rule (`jump { ... }`,
// made by id in the batch of the rule that binds them).
import { encodeChain, encodeChainRef, type Chain } from '../chain.js';
import { FAMILIES } from '../enums.js';
import { encodeRuleRef } from '../rule.js';
import { printChainHeader } from '../print.js';
import * as U from '../uapi.js';
import { adding, clone, createFlags, MSG, registerKind, setKey } from './kind.js';

export const NFT_MSG_DESTROYCHAIN = 27;

registerKind({
  kind: 'chain',
  messageType: (verb) => (verb === 'destroy' ? NFT_MSG_DESTROYCHAIN : verb === 'delete' ? U.NFT_MSG_DELCHAIN : U.NFT_MSG_NEWCHAIN),
  encode(w, op, { ids }) {
    const c = op.chain;
    // A flush deletes the chain's rules.
    if (op.verb === 'flush') {
      const m = w.beginMessage(MSG(U.NFT_MSG_DELRULE), 0, FAMILIES.number(c.family));
      encodeRuleRef(w, { table: c.table, chain: c.name });
      w.endMessage(m);
      return;
    }
    const m = w.beginMessage(MSG(this.messageType(op.verb)), createFlags(op.verb), FAMILIES.number(c.family));
    if (op.verb === 'add' || op.verb === 'create') {
      // A chain bound to a rule is made by id; its rules and the rule binding it name it so.
      let id: number | undefined;
      if (((c.flags ?? 0) & U.NFT_CHAIN_BINDING) !== 0) {
        id = ids.next++;
        ids.chains.set(setKey(c), id);
      }
      encodeChain(w, c, id);
    } else encodeChainRef(w, c);
    w.endMessage(m);
  },
  describe: (op) => `${op.verb} chain ${op.chain.family} ${op.chain.table} ${op.chain.name}`,
  print(op) {
    const c = op.chain, verb = op.verb;
    const head = verb === 'add' || verb === 'create' ? printChainHeader(c, false) : undefined;
    const comment = (verb === 'add' || verb === 'create') && c.comment !== undefined ? ` comment "${c.comment}";` : '';
    return `${verb} chain ${c.family} ${c.table} ${c.name}${head !== undefined || comment ? ` {${head !== undefined ? ` ${head}` : ''}${comment} }` : ''}`;
  },
  access(k, op, a) {
    // A chain bound to a rule must come, with its rules, just before that rule.
    if (((op.chain.flags ?? 0) & U.NFT_CHAIN_BINDING) !== 0) return false;
    const t = k.table(op.chain.family, op.chain.table);
    a.reads.push(t.table);
    a.writes.push(k.pair(t.chains, op.chain.name), t.chainOrder);
    return true;
  },
  apply(s, op, fake) {
    const c = op.chain;
    fake.needTable(s, c.family, c.table);
    const same = (x: Chain) => x.family === c.family && x.table === c.table && x.name === c.name;
    const have = s.chains.find(same);
    if (op.verb === 'flush') {
      if (!have) return fake.refuse('ENOENT', 'no such chain');
      s.rules = s.rules.filter((r) => !(r.family === c.family && r.table === c.table && r.chain === c.name));
      return;
    }
    if (adding(op.verb)) {
      if (have && op.verb === 'create') return fake.refuse('EEXIST', 'chain exists');
      if (have && c.hook !== undefined && have.hook !== c.hook) return fake.refuse('EBUSY', 'cannot change a chain\'s hook');
      if (!have) s.chains.push({ ...clone(c), handle: fake.handle(), ...(c.hook !== undefined && c.policy === undefined ? { policy: 'accept' as const } : {}) });
      else if (c.policy !== undefined) have.policy = c.policy;
      return;
    }
    if (!have) {
      if (op.verb === 'destroy') return;
      return fake.refuse('ENOENT', 'no such chain');
    }
    if (s.rules.some((r) => r.family === c.family && r.table === c.table && r.chain === c.name)) return fake.refuse('EBUSY', 'chain is not empty');
    if (fake.chainReferenced(s, c)) return fake.refuse('EBUSY', 'chain is in use');
    s.chains = s.chains.filter((x) => !same(x));
  },
});
