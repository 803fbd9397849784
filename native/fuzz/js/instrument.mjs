#!/usr/bin/env node
// Compiles src/**/*.ts (ESM, with the options of tsconfig.json) and the
// self-check's planted.ts into OUTDIR with edge counters for libFuzzer: a
// TypeScript transformer puts `__cov[ID]++` at
//   - the start of every function body (and around arrow expression bodies),
//   - both branches of every if (an else that only counts is added),
//   - every case of a switch (a default that only counts is added first),
//   - every loop body, every catch block,
//   - both arms of ?:, and the right side of && || ?? (and &&= ||= ??=).
// IDs are assigned here, at compile time, in emit order. Each module starts
// with `const __cov = globalThis.__dataplaneFuzz.counters;` (a Uint8Array
// over libFuzzer's counter memory, see driver.cc; increments wrap at 256)
// and records that it was loaded. OUTDIR/coverage.json lists, per module,
// its first counter and how many it has, and one flag per counter (1 =
// function entry) for the PC table.
//
// Usage: node native/fuzz/js/instrument.mjs OUTDIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = process.argv[2];
if (out === undefined) {
  console.error('usage: instrument.mjs OUTDIR');
  process.exit(2);
}

const COV = '__cov';
const flags = [];      // one per counter: 1 = function entry
const modules = [];    // { file, first, count }

function instrument(context) {
  const f = context.factory;
  return (sf) => {
    if (sf.text.includes(COV)) throw new Error(`${sf.fileName} already uses the name ${COV}`);
    const first = flags.length;
    const moduleIndex = modules.length;
    const bump = (entry = false) => {
      flags.push(entry ? 1 : 0);
      return f.createPostfixIncrement(f.createElementAccessExpression(f.createIdentifier(COV), f.createNumericLiteral(flags.length - 1)));
    };
    const count = (entry = false) => f.createExpressionStatement(bump(entry));
    // `(__cov[i]++, e)`: counts, then has e's value.
    const counted = (increment, e) => f.createParenthesizedExpression(f.createComma(increment, e));
    const isFunctionBody = (n) => n.parent !== undefined && ts.isFunctionLike(n.parent) && n.parent.body === n;
    const isBranch = (n) => n.parent !== undefined &&
      ((ts.isIfStatement(n.parent) && (n.parent.thenStatement === n || n.parent.elseStatement === n)) ||
        (ts.isIterationStatement(n.parent, false) && n.parent.statement === n));
    const SHORT_CIRCUIT = new Set([
      ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken,
      ts.SyntaxKind.AmpersandAmpersandEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken,
    ]);

    // Counters of a node that is a function body or a branch, around those of the node itself.
    const visit = (node) => {
      // This node's own counter comes before its children's, so IDs follow the source.
      if (isFunctionBody(node) && !ts.isBlock(node)) {
        const id = bump(true);
        return counted(id, own(node));
      }
      if (isFunctionBody(node) || isBranch(node)) {
        const id = count(isFunctionBody(node));
        const s = own(node);
        return ts.isBlock(s) ? f.updateBlock(s, [id, ...s.statements]) : f.createBlock([id, s], true);
      }
      return own(node);
    };

    // Counters a node carries because of what it is.
    const own = (node) => {
      if (ts.isIfStatement(node) && node.elseStatement === undefined) {
        const s = ts.visitEachChild(node, visit, context);
        return f.updateIfStatement(s, s.expression, s.thenStatement, f.createBlock([count()], true));
      }
      if (ts.isSwitchStatement(node) && !node.caseBlock.clauses.some(ts.isDefaultClause)) {
        const dflt = f.createDefaultClause([count(), f.createBreakStatement()]);
        const s = ts.visitEachChild(node, visit, context);
        return f.updateSwitchStatement(s, s.expression, f.updateCaseBlock(s.caseBlock, [dflt, ...s.caseBlock.clauses]));
      }
      if (ts.isCaseClause(node)) {
        const id = count();
        const c = ts.visitEachChild(node, visit, context);
        return f.updateCaseClause(c, c.expression, [id, ...c.statements]);
      }
      if (ts.isDefaultClause(node)) {
        const id = count();
        const c = ts.visitEachChild(node, visit, context);
        return f.updateDefaultClause(c, [id, ...c.statements]);
      }
      if (ts.isCatchClause(node)) {
        const id = count();
        const c = ts.visitEachChild(node, visit, context);
        return f.updateCatchClause(c, c.variableDeclaration, f.updateBlock(c.block, [id, ...c.block.statements]));
      }
      if (ts.isConditionalExpression(node)) {
        const yes = bump(), no = bump();
        const c = ts.visitEachChild(node, visit, context);
        return f.updateConditionalExpression(c, c.condition, c.questionToken, counted(yes, c.whenTrue), c.colonToken, counted(no, c.whenFalse));
      }
      if (ts.isBinaryExpression(node) && SHORT_CIRCUIT.has(node.operatorToken.kind)) {
        const id = bump();
        const b = ts.visitEachChild(node, visit, context);
        return f.updateBinaryExpression(b, b.left, b.operatorToken, counted(id, b.right));
      }
      return ts.visitEachChild(node, visit, context);
    };

    const body = ts.visitNodes(sf.statements, visit);
    // const __cov = globalThis.__dataplaneFuzz.counters; globalThis.__dataplaneFuzz.loaded.push(N);
    const state = f.createPropertyAccessExpression(f.createIdentifier('globalThis'), '__dataplaneFuzz');
    const prologue = [
      f.createVariableStatement(undefined, f.createVariableDeclarationList(
        [f.createVariableDeclaration(COV, undefined, undefined, f.createPropertyAccessExpression(state, 'counters'))], ts.NodeFlags.Const)),
      f.createExpressionStatement(f.createCallExpression(
        f.createPropertyAccessExpression(f.createPropertyAccessExpression(state, 'loaded'), 'push'), undefined, [f.createNumericLiteral(moduleIndex)])),
    ];
    modules.push({ file: relative(root, sf.fileName), first, count: flags.length - first });
    return f.updateSourceFile(sf, [...prologue, ...body]);
  };
}

const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, host);
const files = [...config.fileNames, join(root, 'native/fuzz/js/planted.ts')];
const options = {
  ...config.options,
  rootDir: root, outDir: out,
  declaration: false, declarationMap: false, sourceMap: false, inlineSourceMap: true, noEmit: false, noEmitOnError: false,
};
const program = ts.createProgram(files, options);
const result = program.emit(undefined, undefined, undefined, false, { before: [instrument] });
const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
if (errors.length > 0) {
  console.error(ts.formatDiagnostics(errors, { getCanonicalFileName: (p) => p, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
  process.exit(1);
}
mkdirSync(out, { recursive: true });
// ESM output: the build dir needs its own package.json saying so.
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
writeFileSync(join(out, 'coverage.json'), `${JSON.stringify({ counters: flags.length, modules, flags: Buffer.from(flags).toString('base64') })}\n`);
console.log(`instrumented ${modules.length} modules, ${flags.length} counters (${flags.filter((x) => x).length} function entries) into ${relative(root, out)}`);
